"""Note shaping for transfer and variations: the source's role and harmony, its register, rests and dynamics, the
tune's strong beats, and a rewrite blended with the source beat by beat."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence

import numpy as np

from models.music.chords import chord_at, make_chord
from models.music.keys import detect_key, diatonic_chords, parse_key
from models.music.meter import beats_per_bar
from models.types import ChordSpan, Note

# Strong beats of a bar, in beats from the bar line, per meter; other meters: the bar line (and its middle).
STRONG_BEATS = {(4, 4): (0.0, 2.0), (3, 4): (0.0,), (2, 4): (0.0,), (6, 8): (0.0, 1.5), (12, 8): (0.0, 1.5, 3.0, 4.5)}
STRUCTURAL_BEATS = 0.5  # a rewritten chord note this long or longer is moved onto a chord tone when it is not one
REGISTER_MARGIN = 5  # semitones a rewritten note may sit beyond the source's lowest and highest notes
# what placing an ornament on the harmony weighs, in semitones moved: repeating a neighbour, moving by step from or
# into one (a gain), a tone the tune does not sound there
ORNAMENT_REPEAT, ORNAMENT_STEP, ORNAMENT_OFF_TUNE = 3.0, 2.0, 2.0
EPS = 1e-6


def strong_beats(meter: tuple[int, int]) -> tuple[float, ...]:
    """The strong beats of a bar of ``meter`` (beats from its bar line)."""
    beats = beats_per_bar(meter)
    return STRONG_BEATS.get(tuple(meter), (0.0, beats / 2) if beats >= 4 else (0.0,))  # type: ignore[arg-type]


def bass_chords(notes: Sequence[Note], meter: tuple[int, int], bars: int, key: str = "") -> list[ChordSpan]:
    """The chords a bass line implies: on each half bar, the key's diatonic triad on the note sounding at its
    start (a major triad on a note outside the key); a bar whose halves agree holds one chord."""
    beats = beats_per_bar(meter)
    tonic_mode = parse_key(key) if key else detect_key(notes)
    triads = {root: quality for (root, quality), _ in sorted(diatonic_chords(tonic_mode).items(), key=lambda kv: kv[1])
              if quality in ("maj", "min")}
    spans: list[ChordSpan] = []
    previous = None
    for bar in range(bars):
        names = []
        for half in (0.0, beats / 2):
            at = bar * beats + half
            note = sounding_at(notes, at) or next((n for n in notes if at <= n.start_beats < at + beats / 2), None)
            root = note.pitch % 12 if note is not None else previous
            previous = root
            names.append(make_chord(root, triads.get(root, "maj")).name if root is not None else None)
        if names[0] == names[1] or beats < 2:
            spans.append(ChordSpan(names[0] or "N", bar * beats, beats))
        else:
            spans += [ChordSpan(names[0] or "N", bar * beats, beats / 2),
                      ChordSpan(names[1] or "N", bar * beats + beats / 2, beats / 2)]
    return spans


def fit_harmony(notes: Sequence[Note], spans: Sequence[ChordSpan], meter: tuple[int, int],
                line: bool) -> tuple[Note, ...]:
    """``notes`` with every structural note outside the chord at its onset moved to the nearest chord tone (down on
    a tie): in a chordal part each note of ``STRUCTURAL_BEATS`` or longer, in a single ``line`` (a bass) only
    those on a strong beat, so that passing and approach notes stay as the style wrote them."""
    beats = beats_per_bar(meter)
    strong = strong_beats(meter)
    out = []
    for note in notes:
        on_strong = any(abs(note.start_beats % beats - at) < EPS for at in strong)
        pitch = note.pitch
        if note.duration_beats >= STRUCTURAL_BEATS and (on_strong or not line):
            pitch = chord_tone(pitch, spans, note.start_beats)
        out.append(Note(pitch, note.start_beats, note.duration_beats, note.velocity))
    return tuple(out)


def chord_tone(pitch: int, spans: Sequence[ChordSpan], at: float) -> int:
    """``pitch``, or the nearest tone of the chord sounding at ``at`` when it is not one (down on a tie)."""
    chord = chord_at(spans, at)
    if chord is None or chord.is_rest or pitch % 12 in chord.pitch_classes:
        return pitch
    return min((p for p in range(pitch - 6, pitch + 7) if p % 12 in chord.pitch_classes and 0 <= p <= 127),
               key=lambda p: (abs(p - pitch), p))


def median_pitch(notes: Sequence[Note]) -> float:
    return float(statistics.median(n.pitch for n in notes)) if notes else 0.0


def fit_register(notes: Sequence[Note], source: Sequence[Note]) -> tuple[tuple[Note, ...], int]:
    """``notes`` moved by whole octaves to the source's median pitch, and any note still more than
    ``REGISTER_MARGIN`` semitones beyond the source's range folded back by octaves; with the shift applied.
    Of the octave nearest the medians and the one either side, the shift whose folded notes end nearest the
    source's median is taken (folding moves the median: a chordal part's shift alone left it 8 semitones off)."""
    if not notes or not source:
        return tuple(notes), 0
    target = median_pitch(source)
    nearest = 12 * round((target - median_pitch(notes)) / 12)
    low = min(n.pitch for n in source) - REGISTER_MARGIN
    high = max(n.pitch for n in source) + REGISTER_MARGIN
    moves = [(shift, _folded(notes, shift, low, high)) for shift in (nearest, nearest - 12, nearest + 12)]
    shift, moved = min(moves, key=lambda move: abs(median_pitch(move[1]) - target))  # a tie keeps the nearest
    return moved, shift


def _folded(notes: Sequence[Note], shift: int, low: int, high: int) -> tuple[Note, ...]:
    """``notes`` moved by ``shift`` and folded by octaves into ``[low, high]`` where they fit."""
    out = {}
    for note in notes:
        pitch = note.pitch + shift
        while pitch < low and pitch + 12 <= high:
            pitch += 12
        while pitch > high and pitch - 12 >= low:
            pitch -= 12
        pitch = min(max(pitch, 0), 127)
        out[(note.start_beats, pitch)] = Note(pitch, note.start_beats, note.duration_beats, note.velocity)
    return tuple(sorted(out.values(), key=lambda n: (n.start_beats, n.pitch)))


def silent_beats(source: Sequence[Note], total_beats: float, shortest: int = 2) -> set[int]:
    """The beats (0-based) of the source's phrasing rests: runs of at least ``shortest`` beats in which none of its
    notes sounds (a shorter gap is the source's rhythm, which the new style may fill)."""
    count = int(np.ceil(total_beats - EPS))
    sounding = np.zeros(count, dtype=bool)
    for note in source:
        first = int(np.floor(note.start_beats + EPS))
        last = int(np.ceil(note.end_beats - EPS))
        sounding[max(first, 0):min(last, count)] = True
    silent: set[int] = set()
    run: list[int] = []
    for beat in [*range(count), count]:
        if beat < count and not sounding[beat]:
            run.append(beat)
            continue
        if len(run) >= shortest:
            silent.update(run)
        run = []
    return silent


def keep_rests(notes: Sequence[Note], silent: Collection[int]) -> tuple[Note, ...]:
    """``notes`` without those starting in a silent beat, each cut where the next silent beat starts."""
    out = []
    for note in notes:
        beat = int(np.floor(note.start_beats + EPS))
        if beat in silent:
            continue
        end = note.end_beats
        for later in range(beat + 1, int(np.ceil(end - EPS))):
            if later in silent:
                end = float(later)
                break
        out.append(Note(note.pitch, note.start_beats, end - note.start_beats, note.velocity))
    return tuple(out)


def blend(source: Sequence[Note], rewrite: Sequence[Note], kept: Collection[int], unit: float) -> tuple[Note, ...]:
    """The source's notes starting in the ``kept`` units (of ``unit`` beats), the rewrite's in the others; a note
    held into a unit the other side plays in is cut at that unit."""
    def owner(note: Note) -> int:
        return int(np.floor(note.start_beats / unit + EPS))

    played = ({owner(n) for n in source}, {owner(n) for n in rewrite})
    out = []
    for side, notes in enumerate((source, rewrite)):
        other = played[1 - side]
        for note in notes:
            start = owner(note)
            if (start in kept) != (side == 0):
                continue
            end = note.end_beats
            for later in range(start + 1, int(np.ceil(end / unit - EPS))):
                if (later in kept) == (side == 1) and later in other:
                    end = later * unit
                    break
            out.append(Note(note.pitch, note.start_beats, end - note.start_beats, note.velocity))
    return tuple(sorted(out, key=lambda n: (n.start_beats, n.pitch)))


def follow_dynamics(notes: Sequence[Note], source: Sequence[Note], beats: float) -> tuple[Note, ...]:
    """``notes`` with the source's loudness bar by bar (each bar moved by the source bar's mean velocity less
    the rewrite's overall mean), keeping the rewrite's accents; never all one velocity."""
    if not notes:
        return ()
    overall = statistics.mean(n.velocity for n in notes)
    source_mean = statistics.mean(n.velocity for n in source) if source else overall
    by_bar: dict[int, list[int]] = {}
    for note in source:
        by_bar.setdefault(int(note.start_beats // beats), []).append(note.velocity)
    out = []
    for note in notes:
        bar_velocities = by_bar.get(int(note.start_beats // beats))
        target = statistics.mean(bar_velocities) if bar_velocities else source_mean
        out.append(Note(note.pitch, note.start_beats, note.duration_beats,
                        int(min(max(round(note.velocity + target - overall), 1), 127))))
    return accented(out, beats)


def accented(notes: Sequence[Note], beats: float) -> tuple[Note, ...]:
    """``notes`` as they are, or, when every one has the same velocity, with a metric accent (louder on the beat)."""
    if len({n.velocity for n in notes}) > 1 or len(notes) < 2:
        return tuple(notes)
    out = []
    for note in notes:
        position = note.start_beats % beats
        accent = 6 if position < EPS else 2 if abs(position - round(position)) < EPS else -4
        out.append(Note(note.pitch, note.start_beats, note.duration_beats,
                        int(min(max(note.velocity + accent, 1), 127))))
    return tuple(out)


def sounding_at(notes: Sequence[Note], at: float) -> Note | None:
    """The note sounding at beat ``at`` (one starting there first, then the latest started; the highest of a chord)."""
    best = None
    for note in notes:
        if note.start_beats - EPS <= at < note.end_beats - EPS:
            if best is None or (note.start_beats, note.pitch) > (best.start_beats, best.pitch):
                best = note
    return best


def anchors(source: Sequence[Note], meter: tuple[int, int], bars: int) -> list[tuple[float, Note]]:
    """The tune's main notes: at each strong beat, the source note sounding there."""
    beats = beats_per_bar(meter)
    out = []
    for bar in range(bars):
        for offset in strong_beats(meter):
            note = sounding_at(source, bar * beats + offset)
            if note is not None:
                out.append((bar * beats + offset, note))
    return out


def nearest_octave(pitch_class_of: int, near: int) -> int:
    """The pitch with ``pitch_class_of``'s pitch class nearest to ``near``."""
    pitch = near + ((pitch_class_of - near + 6) % 12) - 6
    return min(max(pitch, 0), 127)


def retune(rhythm: Sequence[Note], source: Sequence[Note], meter: tuple[int, int], bars: int,
           rng: np.random.Generator, own_share: float, spans: Sequence[ChordSpan] = ()) -> tuple[Note, ...]:
    """A melody in ``rhythm``'s onsets and durations that keeps the source's tune: every strong beat sounds the
    source's pitch there (a note is added or split where the rhythm has none), and each other onset takes the
    source's pitch sounding then, or, with probability ``own_share`` and wherever that source note was just
    sounded, the rhythm's own pitch moved to the octave nearest it (an ornament in the new style). An ornament
    that lasts ``STRUCTURAL_BEATS`` or longer, or does not step (a tone or a half tone) into the next note, moves to
    a tone of its chord in ``spans`` (``ornament_tone``: near it, by step, one the source sounds there): short
    passing and neighbour notes stay. Velocities follow the source's."""
    line = {round(n.start_beats, 4): n for n in sorted(rhythm, key=lambda n: n.start_beats)}
    total = bars * beats_per_bar(meter)
    main_notes = {round(at, 4): note for at, note in anchors(source, meter, bars)}
    onsets = sorted(set(line) | set(main_notes))
    out, ornaments = [], set()  # the notes, and the indices of those in the new style's pitches
    previous = used = None  # the source note heard last; the one the last onset sounded
    for index, at in enumerate(onsets):
        follow = onsets[index + 1] if index + 1 < len(onsets) else total
        own, main = line.get(at), main_notes.get(at)
        if main is not None:
            pitch, velocity, used = main.pitch, main.velocity, main
            duration = own.duration_beats if own is not None else main.end_beats - at
        else:
            heard = sounding_at(source, at) or previous or min(source, key=lambda n: abs(n.start_beats - at))
            ornament = rng.random() < own_share or heard is used  # never strike one source note twice
            pitch = nearest_octave(own.pitch, heard.pitch) if ornament else heard.pitch
            duration, velocity, used = own.duration_beats, heard.velocity, heard
            if ornament:
                ornaments.add(len(out))
        duration = min(duration, follow - at)
        if duration > EPS:
            out.append(Note(pitch, at, duration, velocity))
        else:
            ornaments.discard(len(out))
        previous = sounding_at(source, at) or previous
    for index in sorted(ornaments):  # an ornament sits on the harmony unless it passes by step into the next note
        note = out[index]
        after = out[index + 1].pitch if index + 1 < len(out) else None
        steps = after is not None and 0 < abs(after - note.pitch) <= 2
        if note.duration_beats >= STRUCTURAL_BEATS or not steps:
            neighbours = (out[index - 1].pitch if index > 0 else None, after)
            tune = tune_pitch_classes(source, meter, note.start_beats)
            pitch = ornament_tone(note.pitch, spans, note.start_beats, tune, neighbours)
            out[index] = Note(pitch, note.start_beats, note.duration_beats, note.velocity)
    return tuple(out)


def tune_pitch_classes(source: Sequence[Note], meter: tuple[int, int], at: float) -> set[int]:
    """The pitch classes the source sounds between the strong beats around ``at`` (the tune's notes there)."""
    beats = beats_per_bar(meter)
    bar = (at + EPS) // beats * beats
    marks = [bar + offset for offset in strong_beats(meter)] + [bar + beats]
    start = max(m for m in marks if m <= at + EPS)
    end = min(m for m in marks if m > at + EPS)
    return {n.pitch % 12 for n in source if n.start_beats < end - EPS and n.end_beats > start + EPS}


def ornament_tone(pitch: int, spans: Sequence[ChordSpan], at: float, tune: Collection[int],
                  neighbours: Sequence[int | None]) -> int:
    """``pitch``, or the tone of the chord sounding at ``at`` that an ornament there should take: near ``pitch``,
    by step from or into its ``neighbours`` (the notes before and after it) rather than repeating one, and one
    the tune sounds there (``tune``: pitch classes) rather than not. A chord read from a tune is one of several
    that fit it: the tones the tune itself plays there fit the others too."""
    chord = chord_at(spans, at)
    if chord is None or chord.is_rest or (pitch % 12 in chord.pitch_classes and pitch % 12 in tune):
        return pitch
    around = [n for n in neighbours if n is not None]

    def cost(candidate: int) -> float:
        steps = any(0 < abs(candidate - n) <= 2 for n in around)
        return (abs(candidate - pitch) + ORNAMENT_REPEAT * (candidate in around) - ORNAMENT_STEP * steps
                + ORNAMENT_OFF_TUNE * (candidate % 12 not in tune))

    return min((p for p in range(pitch - 6, pitch + 7) if p % 12 in chord.pitch_classes and 0 <= p <= 127),
               key=lambda p: (cost(p), p))
