"""Keys comping per genre, the rhythm by rule and the pitches from the model's voicings where it wrote them: swung
jazz shells, bossa and partido alto, EDM stabs, lo-fi sevenths, ballad broken chords, cinematic holds, folk strums,
rock's power chords, funk's muted stabs; and pop's broken chords, anticipations and sixteenth pickups over the
model's own keys."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from models.idioms.bass import LAID_BACK, folk_beats
from models.idioms.common import Span, in_bar, near, note, sounding, voicing
from models.music.meter import beats_per_bar
from models.types import Note

SWUNG = 2 / 3  # the swung eighth off-beat: the last third of the beat
# jazz comping figures in a 4-beat bar, (start, length) in beats: Charleston, off-beat stabs, the "and" of 2 and 4,
# beat 1 and a push into the next bar
JAZZ_FIGURES = (((0.0, 1.0), (1 + SWUNG, 0.5)), ((SWUNG, 0.3), (2 + SWUNG, 0.3)), ((1 + SWUNG, 0.8), (3.0, 0.5)),
                ((0.0, 0.6), (2.0, 0.3), (2 + SWUNG, 0.9)))
BOSSA_BARS = ((0.0, 1.5, 3.0), (1.0, 2.5))  # the guitar's two-bar bossa figure, eighth-note onsets in beats
PARTIDO_ALTO = (0.25, 0.75, 1.5, 2.0, 2.75, 3.5)  # partido alto's one-bar cell of sixteenths


def _shell(piece: Span, previous: Sequence[int], anchor: float, rng: random.Random) -> list[int]:
    """A rootless shell: third and seventh (the sixth, else the fifth, when there is none), the inversion nearest
    the last shell, with the ninth or the fifth on top (a triad: its root)."""
    seventh = piece.seventh if piece.seventh is not None else piece.fifth
    centre = sum(previous) / len(previous) if previous else anchor
    third = near(piece.third, centre - 2, 50, 66)
    top = near(seventh, third + 6, third + 1, third + 11)
    options = [[third, top], [top - 12, third] if top - 12 >= 48 else [third, top]]
    shell = min(options, key=lambda v: sum(abs(a - b) for a, b in zip(v, previous)) if previous else abs(v[0] - centre))
    # the ninth colours a seventh chord; a triad's shell (third and fifth) takes its root, staying inside the harmony
    if piece.seventh is None:
        extra = piece.chord.root
    else:
        extra = (piece.chord.root + 2) % 12 if rng.random() < 0.5 else piece.fifth
    shell.append(near(extra, shell[-1] + 3, shell[-1] + 1, shell[-1] + 12))
    return sorted(shell)


def _jazz(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
          velocity: int) -> list[Note]:
    """Shell voicings on swung comping figures: Charleston, off-beat stabs, pushes; short chords, space between."""
    out: list[Note] = []
    previous: list[int] = []
    for piece in pieces:
        shell = _shell(piece, previous, anchor, rng)
        previous = shell
        if piece.length >= 4:
            figure = rng.choice(JAZZ_FIGURES)
        elif piece.length >= 2:
            figure = rng.choice((((0.0, 0.8),), ((SWUNG, 0.4),), ((0.0, 0.4), (1 + SWUNG, 0.3))))
        else:
            figure = ((0.0, min(0.6, piece.length)),)
        for start, length in figure:
            if start < piece.length - 1e-6:
                accent = 6 if start % 1 else 0  # off-beat stabs speak a little louder
                out += [note(p, piece.start + start, min(length, piece.length - start), velocity + accent) for p in shell]
    return out


def _bossa(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
           velocity: int) -> list[Note]:
    """The guitar's two-bar bossa figure, or partido alto's sixteenth cell (one of the two per result), short
    chords with the seventh added."""
    beats = beats_per_bar(meter)
    partido = rng.random() < 0.4
    out: list[Note] = []
    for piece in pieces:
        bar = int(piece.start / beats + 1e-6)
        chord = voicing(keys, piece, anchor)
        if piece.seventh is not None and piece.seventh not in {p % 12 for p in chord}:
            chord = sorted(chord[1:] + [near(piece.seventh, chord[-1] - 3, chord[0], chord[-1] + 6)])
        onsets = PARTIDO_ALTO if partido else BOSSA_BARS[bar % 2]
        for onset in onsets:
            start = bar * beats + onset
            if piece.start - 1e-6 <= start < piece.end - 1e-6:
                length = min(0.45 if partido else 0.7, piece.end - start)
                out += [note(p, start, length, velocity - (0 if onset % 1 else 6)) for p in chord]
    return out


def _edm(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
         velocity: int) -> list[Note]:
    """House stabs on every eighth off-beat, short, the model's voicing."""
    out: list[Note] = []
    for piece in pieces:
        chord = voicing(keys, piece, anchor)
        start = piece.start + 0.5
        while start < piece.end - 1e-6:
            out += [note(p, start, 0.25, velocity + 4) for p in chord]
            start += 1.0
    return out


def _seventh_voicing(piece: Span, anchor: float) -> list[int]:
    """Lo-fi's soft colour: root, seventh, third and fifth spread (a major seventh on a plain major chord, a minor
    seventh on a minor one), the ninth on top."""
    minor = 3 in piece.chord.intervals
    seventh = piece.seventh if piece.seventh is not None else (piece.chord.root + (10 if minor else 11)) % 12
    bottom = near(piece.chord.root, anchor - 7, 45, 57)
    seventh_pitch = bottom + (seventh - bottom) % 12
    third = seventh_pitch + (piece.third - seventh_pitch) % 12
    fifth = third + (piece.fifth - third) % 12
    ninth = fifth + ((piece.chord.root + 2) - fifth) % 12
    # low down the bass carries the root: leave it out and put the ninth on top
    return [seventh_pitch, third, fifth, ninth] if bottom < 50 else [bottom, seventh_pitch, third, fifth]


def _lofi(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
          velocity: int) -> list[Note]:
    """Soft seventh voicings behind the beat: held chords with a lazy re-strike on the "and" of 2 or a sixteenth
    before 2."""
    out: list[Note] = []
    soft = velocity - 14
    for piece in pieces:
        chord = _seventh_voicing(piece, anchor)
        start = piece.start + LAID_BACK
        if piece.length < 3:
            out += [note(p, start, piece.length - 0.1, soft) for p in chord]
            continue
        figure = rng.randrange(3)
        hits = (((0.0, 1.9), (2.5, 1.4)), ((0.0, piece.length - 0.2),), ((0.0, 1.4), (1.75, 0.6), (3.0, 0.9)))[figure]
        for onset, length in hits:
            out += [note(p, start + onset, min(length, piece.length - onset - 0.1), soft - (4 if onset else 0))
                    for p in chord]
    return out


def _ballad(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note],
            anchor: float, velocity: int) -> list[Note]:
    """Broken chords in eighths through the model's voicing, up and back, each note let ring (the sustain pedal)
    up to two beats or the next chord."""
    out: list[Note] = []
    shapes = ((0, 1, 2, 3, 2, 1, 2, 3), (0, 2, 1, 3, 2, 3, 1, 2), (0, 1, 2, 1, 3, 2, 1, 2))
    shape = rng.choice(shapes)
    for piece in pieces:
        chord = voicing(keys, piece, anchor)
        chord = chord + [chord[0] + 12] if len(chord) < 4 else chord
        for step in range(max(1, round(piece.length * 2))):
            start = piece.start + step / 2
            if start >= piece.end - 1e-6:
                break
            pitch = chord[shape[step % len(shape)] % len(chord)]
            out.append(note(pitch, start, min(2.0, piece.end - start) - 0.02, velocity - (0 if step == 0 else 10)))
    return out


def _cinematic(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note],
               anchor: float, velocity: int) -> list[Note]:
    """Held chords, the model's voicing, tied across bars while the chord stays."""
    out: list[Note] = []
    for piece in pieces:
        chord = voicing(keys, piece, anchor)
        held = [n for n in out if abs(n.end_beats - piece.start) < 0.1]
        if held and sorted(n.pitch for n in held) == chord:
            out = [n for n in out if n not in held]
            out += [note(n.pitch, n.start_beats, piece.end - n.start_beats - 0.05, n.velocity) for n in held]
        else:
            out += [note(p, piece.start, piece.length - 0.05, velocity - 8) for p in chord]
    return out


def _folk(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
          velocity: int) -> list[Note]:
    """Strums between the bass's picks: 2 and 3 in 3/4, 2 and 4 in 4/4, the eighths after each pulse in 6/8."""
    beats = beats_per_bar(meter)
    _, strums = folk_beats(meter)
    length = 0.45 if meter[1] == 8 else 0.9
    out: list[Note] = []
    for piece in pieces:
        chord = voicing(keys, piece, anchor)
        for beat in strums:
            start = piece.start - in_bar(piece.start, beats) + beat
            if piece.start - 1e-6 <= start < piece.end - 1e-6:
                out += [note(p, start, min(length, piece.end - start), velocity - 8) for p in chord]
    return out


def _rock(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
          velocity: int) -> list[Note]:
    """Power chords (root, fifth, octave) driven in eighths, the beats louder, the last eighth before a new
    chord left out now and then (the band's breath before the change)."""
    beats = beats_per_bar(meter)
    out: list[Note] = []
    for piece in pieces:
        root = near(piece.chord.root, anchor - 7, 43, 60)
        chord = [root, root + (piece.fifth - piece.chord.root) % 12, root + 12]
        breath = piece.following is not None and piece.following != piece.chord and rng.random() < 0.4
        start = piece.start
        while start < piece.end - 1e-6:
            if not (breath and start + 0.5 >= piece.end - 1e-6):
                on_beat = abs(in_bar(start, beats) - round(in_bar(start, beats))) < 1e-6
                out += [note(p, start, min(0.4, piece.end - start), velocity + (6 if on_beat else -6)) for p in chord]
            start += 0.5
    return out


# one-bar funk comping cells of short muted stabs on the sixteenth grid (beats from the bar line)
FUNK_STABS = ((0.5, 1.75, 2.5, 3.75), (0.75, 1.5, 2.75, 3.5), (0.0, 0.75, 1.5, 2.5, 3.25))


def _funk(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note], anchor: float,
          velocity: int) -> list[Note]:
    """Muted stabs: the model's voicing (its seventh added where the chord has one) struck short on one of a few
    syncopated sixteenth cells, the same cell through the result."""
    beats = beats_per_bar(meter)
    cell = rng.choice(FUNK_STABS)
    out: list[Note] = []
    for piece in pieces:
        chord = voicing(keys, piece, anchor + 3, size=3)
        if piece.seventh is not None and piece.seventh not in {p % 12 for p in chord}:
            chord = sorted(chord[1:] + [near(piece.seventh, chord[-1] - 3, chord[0], chord[-1] + 6)])
        line = piece.start - in_bar(piece.start, beats)
        for onset in cell:
            start = line + onset
            if piece.start - 1e-6 <= start < piece.end - 1e-6:
                out += [note(p, start, min(0.15, piece.end - start), velocity + (8 if onset % 1 else 0))
                        for p in chord]
    return out


ENGINES: dict[str, Callable[..., list[Note]]] = {
    "jazz": _jazz, "bossa": _bossa, "edm": _edm, "lofi": _lofi, "ballad": _ballad, "cinematic": _cinematic,
    "folk": _folk, "rock": _rock, "funk": _funk,
}


def write_keys(idiom: str, pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, keys: Sequence[Note],
               anchor: float, velocity: int) -> list[Note]:
    """The keys of ``idiom`` over the chord ``pieces`` (cut at bar lines), voiced from the model's ``keys``."""
    return ENGINES[idiom](pieces, meter, rng, keys, anchor, velocity) if pieces else []


def hold(notes: Sequence[Note], pieces: Sequence[Span], anchor: float, velocity: int) -> list[Note]:
    """A pad's chords held through each chord, tied while it stays (cinematic pads)."""
    return _cinematic(pieces, (4, 4), random.Random(0), notes, anchor, velocity + 8)


def slow_line(notes: Sequence[Note], pieces: Sequence[Span]) -> list[Note]:
    """A cinematic counter-line: the model's line heard in half bars, each pitch held until the next and tied while
    it stays, an octave lower when it sits above middle C's neighbourhood."""
    line = sorted(notes, key=lambda n: n.start_beats)
    if not line:
        return []
    shift = -12 if sum(n.pitch for n in line) / len(line) > 64 else 0
    out: list[Note] = []
    for piece in pieces:
        half = piece.length / 2 if piece.length >= 3 else piece.length
        start = piece.start
        while start < piece.end - 1e-6:
            heard = [n for n in line if n.start_beats < start + half - 1e-6 and n.end_beats > start + 1e-6]
            if heard:
                pitch = max(heard, key=lambda n: min(n.end_beats, start + half) - max(n.start_beats, start)).pitch
                pitch += shift
                if out and out[-1].pitch == pitch and abs(out[-1].end_beats - start) < 0.1:
                    held = out.pop()
                    out.append(note(pitch, held.start_beats, start + half - held.start_beats - 0.05, held.velocity))
                else:
                    out.append(note(pitch, start, half - 0.05, heard[0].velocity))
            start += half
    return out


def pop_keys(model: Sequence[Note], pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random,
             share: float = 0.35) -> list[Note]:
    """The model's keys with what a pop pianist adds where it only holds chords: the held chord broken into
    eighths, the next chord pushed an eighth ahead of the bar line, a sixteenth pickup into the next bar."""
    beats = beats_per_bar(meter)
    out = sorted(model, key=lambda n: (n.start_beats, n.pitch))
    for piece in pieces:
        here = [n for n in out if piece.start - 1e-6 <= n.start_beats < piece.end - 1e-6]
        onsets = sorted({n.start_beats for n in here})
        roll = rng.random()
        if len(onsets) == 1 and piece.length >= 2 and roll < share:  # one held chord: break it
            chord = sorted((n for n in here if n.start_beats == onsets[0]), key=lambda n: n.pitch)
            if len(chord) >= 3 and chord[0].duration_beats >= 1.5:
                out = [n for n in out if n not in chord]
                order = [0, 2, 1, len(chord) - 1] if len(chord) > 3 else [0, 2, 1]
                for step, index in enumerate(order):
                    start = onsets[0] + 0.5 * step
                    out.append(note(chord[index].pitch, start, chord[0].end_beats - start,
                                    chord[index].velocity - (6 if step else 0)))
                out += [n for index, n in enumerate(chord) if index not in order]
        elif roll < share + 0.15 and piece.following is not None and piece.end % beats < 1e-6:
            push = piece.end - 0.5  # the next bar's chord on the "and" of the last beat, tied over the bar line
            nxt = [n for n in out if abs(n.start_beats - piece.end) < 1e-6]
            ringing = [n for n in sounding(out, push, push + 0.25) if n not in nxt]
            if len(nxt) >= 2 and all(n.start_beats <= push - 0.5 for n in ringing):
                out = [n for n in out if n not in nxt and n not in ringing]
                out += [note(n.pitch, n.start_beats, push - n.start_beats, n.velocity) for n in ringing]
                out += [note(n.pitch, push, n.duration_beats + 0.5, n.velocity) for n in nxt]
        elif roll < share + 0.3 and piece.following is not None and here and not any(
                round(t * 12) % 6 == 3 for t in onsets):  # a sixteenth pickup where the bar has none
            top = max(here, key=lambda n: n.pitch)
            tones = [(piece.following.root + i) % 12 for i in piece.following.intervals]
            pitch = near(tones[len(tones) // 2], top.pitch - 2, top.pitch - 9, top.pitch + 2)
            start = piece.end - 0.25
            if start > top.start_beats + 0.25:
                out.append(note(pitch, start, 0.25, top.velocity - 10))
    return sorted(out, key=lambda n: (n.start_beats, n.pitch))
