"""Bass lines per genre, written from the chords by rule: walking, bossa, pumping eighths, lo-fi, ballad, cinematic,
folk picking, rock's driving eighths, funk's sixteenths; and pop's passing tones and inversions over the model's
own line."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from models.idioms.common import BASS_RANGE, Span, approach, in_bar, near, note, step_towards
from models.music.meter import beats_per_bar
from models.types import Note

LOW, HIGH = BASS_RANGE


# A walking bassist keeps the chromatic approach for the beat before a chord that arrives on the bar line after
# one that held a while; where chords change every two beats (in the middle of the bar too) they are connected by
# the current chord's own tones, so that the line spells both harmonies
WALK_CHROMATIC_ARRIVAL = 0.5  # share of the approaches into such an arrival taken by a half step
WALK_CHROMATIC_CHANGE = 0.05  # the same share into a chord after a short one, or arriving inside the bar
WALK_HELD_BEATS = 3.0  # a chord sounding this long has held a while: a bar of 3/4, more than half a bar of 4/4
WALK_LEAP = 7  # semitones: the widest leap into an approach note while a closer one serves (a fifth)
WALK_PASSING = 0.25  # share of the weak beats inside a chord that pass by scale step to its next tone a third away


def _walk_approach(target: int, last: int, piece: Span, chromatic: float, rng: random.Random) -> int:
    """The note on the beat before a new chord whose root sounds at ``target`` (or an octave from it): a half step
    below or above it (a share ``chromatic`` of the time, never repeating ``last``), else a tone of the chord now
    sounding a step from it, else a fifth from it (the dominant approach), else a third, the first that lies within
    ``WALK_LEAP`` of ``last`` (the line does not leap far into its approach), else a scale step."""
    if rng.random() < chromatic:
        below, above = target - 1, target + 1
        first, second = (below, above) if rng.random() < 0.6 else (above, below)
        return first if first != last else second
    tones = set(piece.tones)
    roots = [root for root in (target - 12, target, target + 12) if LOW < root < HIGH]
    found: list[int] = []
    for distances in ((1, 2), (5, 7), (3, 4)):
        options = [root + sign * d for root in roots for d in distances for sign in (-1, 1)
                   if (root + sign * d) % 12 in tones and LOW <= root + sign * d <= HIGH and root + sign * d != last]
        smooth = [p for p in options if abs(p - last) <= WALK_LEAP]
        if smooth:
            return rng.choice(smooth)
        found = found or options
    return rng.choice(found) if found else approach(target, rng, piece.scale())


def _walking(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """A note on every beat: the root when the chord arrives, a chord tone on the strong beats (1 and 3), an
    approach into the next chord's root on the beat before it changes, chord tones between and now and then a
    scale step passing from one to the next. The approach into a chord arriving on the bar line after one held
    ``WALK_HELD_BEATS`` or more is a half step half the time; between chords changing every two beats it is almost
    always a tone of the current chord a step or a fifth from the new root."""
    beats, duple = beats_per_bar(meter), meter in ((4, 4), (2, 4))
    out: list[Note] = []
    last = near(pieces[0].chord.root, anchor, LOW, HIGH) if pieces else int(anchor)
    direction = rng.choice((-1, 1))
    since, previous = 0.0, None  # when the chord now sounding arrived (a bar line cuts no chord short)
    for piece in pieces:
        if previous is None or previous.chord.root != piece.chord.root or abs(previous.end - piece.start) > 1e-6:
            since = piece.start
        previous = piece
        count = max(1, round(piece.length))
        changes = piece.following is not None and piece.following.root != piece.chord.root
        held = piece.end - since >= WALK_HELD_BEATS - 1e-6 and abs(in_bar(piece.end, beats)) < 1e-6
        chromatic = WALK_CHROMATIC_ARRIVAL if held else WALK_CHROMATIC_CHANGE
        for index in range(count):
            start = piece.start + index * piece.length / count
            beat = round(in_bar(start, beats))
            strong = beat == 0 or duple and beat % 2 == 0
            if index == 0:
                pitch = near(piece.chord.root, last, LOW, HIGH)
            elif index == count - 1 and changes:
                pitch = _walk_approach(near(piece.following.root, last, LOW + 1, HIGH - 1), last, piece, chromatic,
                                       rng)
            else:  # on up or down the way the line goes: the chord's next tone, or a scale step passing to it
                if not LOW + 3 <= last + 3 * direction <= HIGH - 3:
                    direction = -direction
                tone = next(p for p in range(last + direction, last + 13 * direction, direction)
                            if p % 12 in piece.tones)
                # a passing tone must go on to the tone it passes to: the next beat inside the chord does; the
                # next bar of the same chord starts on its root, so there only a passing tone to the root
                inside = count - 1 if changes else count  # the beats before the approach
                lands = index + 1 < inside or (index + 1 == count and tone % 12 == piece.chord.root)
                passing = not strong and lands and 3 <= abs(tone - last) <= 4 and rng.random() < WALK_PASSING
                pitch = step_towards(last, tone, piece.scale()) if passing else tone
            pitch = min(HIGH, max(LOW, pitch))
            out.append(note(pitch, start, 0.92 * piece.length / count, velocity + (6 if strong else -4)))
            direction = direction if pitch == last else (1 if pitch > last else -1)
            last = pitch
    return out


def _bossa(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """Root on 1 (a dotted quarter), the fifth below on the "and" of 2 tied over beat 3: bossa's two-note bar."""
    out: list[Note] = []
    for piece in pieces:
        root = near(piece.chord.root, anchor, LOW, HIGH)
        fifth = near(piece.fifth, root - 4, LOW, HIGH)
        if piece.length >= 3:
            out.append(note(root, piece.start, 1.45, velocity + 4))
            out.append(note(fifth, piece.start + 1.5, piece.length - 1.55, velocity - 4))
        elif piece.length >= 2:
            out.append(note(root, piece.start, 1.45, velocity + 4))
            out.append(note(fifth, piece.start + 1.5, piece.length - 1.55, velocity - 4))
        else:
            out.append(note(root, piece.start, piece.length * 0.95, velocity))
    return out


def _edm(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """Eighths on the root, pumping: the note with the kick short and soft (the sidechain's duck), the off-beat
    long and loud; one result in two jumps the octave on the off-beats."""
    octave = rng.random() < 0.5
    out: list[Note] = []
    for piece in pieces:
        root = near(piece.chord.root, min(anchor, 40), LOW, 47)
        for step in range(max(1, round(piece.length * 2))):
            start = piece.start + step / 2
            if step % 2 == 0:
                out.append(note(root, start, 0.25, velocity - 14))
            else:
                out.append(note(root + 12 if octave else root, start, 0.45, velocity + 8))
    return out


LAID_BACK = 1 / 24  # beats: lo-fi's bass and keys sit just behind the beat (about 30 ms at 78 bpm)


def _lofi(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """Sparse and behind the beat: the root held into beat 2, then one of a few answers (the fifth or octave on
    the "and" of 3, a pickup into the next chord) or silence."""
    out: list[Note] = []
    soft = velocity - 10
    for piece in pieces:
        root = near(piece.chord.root, anchor - 2, LOW, HIGH)
        start = piece.start + LAID_BACK
        if piece.length < 3:
            out.append(note(root, start, min(1.5, piece.length - 0.1), soft))
            continue
        figure = rng.randrange(3)
        out.append(note(root, start, 1.5 if figure < 2 else piece.length - 0.6, soft + 4))
        if figure == 0:
            answer = rng.choice((root + 12, near(piece.fifth, root + 5, LOW, HIGH + 5)))
            out.append(note(answer, start + 2.5, 0.75, soft - 4))
        elif figure == 1:
            out.append(note(root, start + 2.0, 0.9, soft - 2))
            if piece.following is not None:
                target = near(piece.following.root, root, LOW + 1, HIGH)
                out.append(note(approach(target, rng, piece.scale()), start + piece.length - 0.5, 0.4, soft - 6))
    return out


def _ballad(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """A sustained root, sometimes answered by its fifth on the half bar, with a passing tone into the next
    chord where its root lies a step or more away."""
    out: list[Note] = []
    last = int(anchor)
    for piece in pieces:
        root = near(piece.chord.root, last, LOW, HIGH)
        nxt = near(piece.following.root, root, LOW, HIGH) if piece.following is not None else root
        passing = piece.length >= 2 and abs(nxt - root) >= 2 and rng.random() < 0.55
        split = piece.length >= 4 and rng.random() < 0.4
        end = piece.end - (1 if passing else 0)
        if split:
            out.append(note(root, piece.start, 1.9, velocity))
            out.append(note(near(piece.fifth, root + 4, LOW, HIGH), piece.start + 2, end - piece.start - 2.05,
                            velocity - 6))
        else:
            out.append(note(root, piece.start, end - piece.start - 0.05, velocity))
        if passing:
            pitch = step_towards(nxt, root, piece.scale())
            out.append(note(pitch, piece.end - 1, 0.95, velocity - 8))
        last = root
    return out


def _cinematic(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """A low line held through each chord, tied across bars while the pitch stays: the root, or the chord tone
    nearest the last note when that moves by step (inversions and pedal tones, as a score's basses do)."""
    out: list[Note] = []
    last = near(pieces[0].chord.root, min(anchor, 40), LOW, 45) if pieces else 36
    for piece in pieces:
        root = near(piece.chord.root, last, LOW, 45)
        smooth = min((near(pc, last, LOW, 45) for pc in piece.tones), key=lambda p: (abs(p - last), p))
        pitch = smooth if abs(smooth - last) <= 2 and abs(root - last) > 2 and rng.random() < 0.7 else root
        if out and out[-1].pitch == pitch and abs(out[-1].end_beats - piece.start) < 0.1:
            held = out.pop()
            out.append(note(pitch, held.start_beats, piece.end - held.start_beats - 0.05, held.velocity))
        else:
            out.append(note(pitch, piece.start, piece.length - 0.05, velocity - 6))
        last = pitch
    return out


def folk_beats(meter: tuple[int, int]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(where the bass picks, where the chord strums), in beats from the bar line: 1 | 2 3 in 3/4, 1 3 | 2 4 in
    4/4, 1 | 2 in 2/4, each dotted quarter | the two eighths after it in 6/8 and 12/8."""
    numerator, denominator = meter
    if denominator == 8 and numerator % 3 == 0:
        pulses = tuple(1.5 * i for i in range(numerator // 3))
        return pulses, tuple(p + d for p in pulses for d in (0.5, 1.0))
    beats = beats_per_bar(meter)
    if numerator == 4 and denominator == 4:
        return (0.0, 2.0), (1.0, 3.0)
    return (0.0,), tuple(float(b) for b in range(1, int(beats)))


def _folk(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
             velocity: int) -> list[Note]:
    """Picking: the bass on the strong beats, root and fifth alternating (a new chord starts on its root)."""
    beats = beats_per_bar(meter)
    picks, _ = folk_beats(meter)
    out: list[Note] = []
    turn = 0
    previous = None
    for piece in pieces:
        turn = 0 if piece.chord != previous else turn
        previous = piece.chord
        root = near(piece.chord.root, anchor, LOW, HIGH)
        for beat in picks:
            start = piece.start - in_bar(piece.start, beats) + beat
            if not piece.start - 1e-6 <= start < piece.end - 1e-6:
                continue
            pitch = root if turn % 2 == 0 else near(piece.fifth, root - 4, LOW, HIGH)
            length = min(1.0 if meter[1] == 4 else 1.4, piece.end - start)
            out.append(note(pitch, start, 0.95 * length, velocity + (4 if turn % 2 == 0 else -4)))
            turn += 1
    return out


def _on_grid(pieces: Sequence[Span], meter: tuple[int, int], cells: Sequence[Sequence[tuple]]) -> list[tuple]:
    """(start, piece, event) for each event of the bar's cell (``cells[bar % len(cells)]``, events as (beats from
    the bar line, ...)) that falls in a piece; a piece starting between the cell's events gets its first event
    there too, so every chord is heard when it arrives."""
    beats = beats_per_bar(meter)
    out = []
    for piece in pieces:
        bar = int(piece.start / beats + 1e-6)
        line = bar * beats
        events = [(line + event[0], event) for event in cells[bar % len(cells)]
                  if piece.start - 1e-6 <= line + event[0] < piece.end - 1e-6]
        if not events or events[0][0] > piece.start + 1e-6:
            events.insert(0, (piece.start, (piece.start - line, *cells[0][0][1:])))
        out += [(start, piece, event) for start, event in events]
    return out


def _rock(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
          velocity: int) -> list[Note]:
    """Driving eighths on the root, the downbeats leaning in; now and then the octave on the last "and" of a bar,
    or a step into the next chord's root there."""
    eighths = tuple((step / 2,) for step in range(int(beats_per_bar(meter) * 2)))
    out: list[Note] = []
    for start, piece, _ in _on_grid(pieces, meter, [eighths]):
        root = near(piece.chord.root, min(anchor, 45), LOW, 47)
        pitch, last = root, start + 0.5 >= piece.end - 1e-6
        if last and piece.following is not None and piece.following.root != piece.chord.root and rng.random() < 0.3:
            pitch = approach(near(piece.following.root, root, LOW + 1, HIGH - 1), rng, piece.scale())
        elif last and rng.random() < 0.25:
            pitch = root + 12
        accent = 8 if abs(start - round(start)) < 1e-6 else -2
        out.append(note(pitch, start, min(0.45, piece.end - start), velocity + accent))
    return out


GHOST = -40  # velocity of a funk bass's ghost notes (muted, more felt than heard) against the line's
# one-bar funk bass cells on the sixteenth grid: (beats from the bar line, what sounds, length in beats). The thumb
# plays the root with the kick (1, its "and", 3, its "and"), the octave pops with the snare on 2 and 4, ghost notes
# (a muted root) and the fifth or seventh fill sixteenths between ("seventh": the chord's, its fifth without one)
FUNK_CELLS = (
    ((0.0, "root", 0.4), (0.5, "root", 0.2), (0.75, "ghost", 0.1), (1.0, "pop", 0.2), (1.75, "fifth", 0.2),
     (2.0, "root", 0.4), (2.5, "root", 0.2), (3.0, "pop", 0.2), (3.5, "seventh", 0.2), (3.75, "ghost", 0.1)),
    ((0.0, "root", 0.7), (1.0, "pop", 0.2), (1.5, "ghost", 0.1), (1.75, "root", 0.2), (2.0, "root", 0.3),
     (2.5, "fifth", 0.2), (2.75, "ghost", 0.1), (3.0, "pop", 0.2), (3.5, "root", 0.2), (3.75, "seventh", 0.2)),
    ((0.0, "root", 0.3), (0.5, "root", 0.2), (0.75, "seventh", 0.2), (1.0, "pop", 0.2), (1.5, "ghost", 0.1),
     (2.0, "root", 0.4), (2.5, "root", 0.2), (2.75, "ghost", 0.1), (3.0, "pop", 0.2), (3.25, "fifth", 0.2),
     (3.75, "ghost", 0.1)),
)


def _funk(pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
          velocity: int) -> list[Note]:
    """Syncopated sixteenths: one of a few one-bar cells (the root where a funk kick falls, octave pops on the
    backbeat, ghosted notes, the fifth and seventh), the same cell three bars running and another in the fourth,
    as a groove repeats."""
    main, turn = rng.sample(range(len(FUNK_CELLS)), 2)
    cells = [FUNK_CELLS[main]] * 3 + [FUNK_CELLS[turn]]
    out: list[Note] = []
    for start, piece, (_, what, length) in _on_grid(pieces, meter, cells):
        root = near(piece.chord.root, min(anchor, 40), LOW, 45)
        seventh = piece.seventh if piece.seventh is not None else piece.fifth
        pitch = {"root": root, "ghost": root, "pop": root + 12, "fifth": near(piece.fifth, root + 5, root, root + 12),
                 "seventh": near(seventh, root + 9, root, root + 12)}[what]
        loud = {"root": 8 if start % 1 < 1e-6 else 2, "ghost": GHOST, "pop": 12}.get(what, 0)
        out.append(note(pitch, start, min(length, piece.end - start), velocity + loud))
    return out


ENGINES: dict[str, Callable[..., list[Note]]] = {
    "jazz": _walking, "bossa": _bossa, "edm": _edm, "lofi": _lofi, "ballad": _ballad, "cinematic": _cinematic,
    "folk": _folk, "rock": _rock, "funk": _funk,
}


def write_bass(idiom: str, pieces: Sequence[Span], meter: tuple[int, int], rng: random.Random, anchor: float,
               velocity: int) -> list[Note]:
    """The bass line of ``idiom`` over the chord ``pieces`` (cut at bar lines)."""
    return ENGINES[idiom](pieces, meter, rng, anchor, velocity) if pieces else []


def pop_bass(model: Sequence[Note], pieces: Sequence[Span], rng: random.Random, approach_share: float = 0.4,
             inversion_share: float = 0.12) -> list[Note]:
    """The model's own bass with what a bassist adds: an approach tone (chromatic or a scale step) in the last
    eighth or quarter before a new root, and now and then a bar entered on the third or fifth when that is a
    step from the last note (an inversion)."""
    notes = sorted(model, key=lambda n: n.start_beats)
    out: list[Note] = []
    last = None
    for piece in pieces:
        mine = [n for n in notes if piece.start - 1e-6 <= n.start_beats < piece.end - 1e-6]
        if mine and last is not None and mine[0].pitch % 12 == piece.chord.root and rng.random() < inversion_share:
            options = [near(pc, last.pitch, LOW, HIGH) for pc in (piece.third, piece.fifth)]
            step = min(options, key=lambda p: abs(p - last.pitch))
            if 0 < abs(step - last.pitch) <= 2:
                first = mine[0]
                mine[0] = note(step, first.start_beats, first.duration_beats, first.velocity)
        moves = piece.following is not None and piece.following.root != piece.chord.root
        rings = mine and mine[-1].end_beats >= piece.end - 0.5 and mine[-1].duration_beats >= 1.0
        if rings and moves and rng.random() < approach_share:
            held = mine[-1]
            room = 1.0 if piece.end - held.start_beats >= 2.0 else 0.5  # a quarter on the beat where it fits
            if piece.end - held.start_beats > room + 0.4:
                target = near(piece.following.root, held.pitch, LOW + 1, HIGH - 1)
                mine[-1] = note(held.pitch, held.start_beats, piece.end - room - held.start_beats, held.velocity)
                tones = set(piece.tones)
                options = [approach(target, rng, piece.scale()) for _ in range(3)]
                passing = next((p for p in options if p % 12 not in tones), options[0])  # a note outside the chord
                mine.append(note(passing, piece.end - room, room * 0.95, held.velocity - 6))
        out += mine
        last = mine[-1] if mine else last
    return out + [n for n in notes if not any(p.start - 1e-6 <= n.start_beats < p.end - 1e-6 for p in pieces)]
