"""Beat-based multi-track event vocabulary: bars of control and target track sections, encode and decode."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from models.api import ChordSpan, Note
from models.chords import QUALITIES, make_chord, parse_chord

TOKENIZER_VERSION = 1
TICKS_PER_BEAT = 12  # sixteenths (3) and eighth-note triplets (4)
STYLES = ("pop", "ballad", "upbeat", "chorale", "renaissance", "classical", "folk", "jazz", "rock", "custom")
METERS = ((4, 4), (3, 4), (2, 4), (6, 8), (12, 8))
# Tracks of the token stream. "chord" holds chord symbols; the rest hold notes. Chorale and
# renaissance textures use the four voices; POP909 uses melody, counter (its BRIDGE), keys, bass.
TRACKS = ("chord", "melody", "counter", "keys", "bass", "pad", "arp", "drums",
          "soprano", "alto", "tenor", "bassvoice")
NOTE_TRACKS = TRACKS[1:]
ROLES = ("control", "target")
MAX_BAR_TICKS = 72  # 12/8 = 6 beats
DURATIONS = (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 30, 32, 36, 42, 48, 54, 60, 72, 84, 96,
             120, 144, 168, 192)
DENSITY_EDGES = (0, 1, 2, 3, 5, 7, 10, 15)  # onsets per bar: bucket k holds counts >= edge k
VELOCITY_LEVELS = 8  # velocity // 16
CHORD_QUALITIES = tuple(q for q in QUALITIES if q != "N")


def meter_ticks(meter: tuple[int, int]) -> int:
    """Ticks in one bar of ``meter``."""
    return round(meter[0] * 4 / meter[1] * TICKS_PER_BEAT)


def density_bucket(onsets: int) -> int:
    """Index of the density token for ``onsets`` onsets in a bar."""
    return bisect.bisect_right(DENSITY_EDGES, onsets) - 1


def duration_index(ticks: float) -> int:
    """Nearest duration token (log scale) for a duration in ticks."""
    ticks = max(ticks, 1.0)
    return min(range(len(DURATIONS)), key=lambda i: abs(math.log(DURATIONS[i] / ticks)))


@dataclass(frozen=True)
class Vocab:
    """Token ids by kind; built once from the constants above (the order is part of the version)."""

    names: tuple[str, ...]
    ids: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls) -> Vocab:
        names = ["PAD", "BOS", "EOS", "BAR"]
        names += [f"STYLE_{s}" for s in STYLES]
        names += [f"METER_{a}/{b}" for a, b in METERS]
        names += [f"{role[0].upper()}_{track}" for role in ROLES for track in TRACKS]
        names += [f"DENS_{k}" for k in range(len(DENSITY_EDGES))]
        names += [f"VEL_{k}" for k in range(VELOCITY_LEVELS)]
        names += [f"POS_{t}" for t in range(MAX_BAR_TICKS)]
        names += [f"DUR_{d}" for d in DURATIONS]
        names += [f"PITCH_{p}" for p in range(128)]
        names += [f"ROOT_{r}" for r in range(12)]
        names += [f"QUAL_{q}" for q in CHORD_QUALITIES]
        names += ["CHORD_N"]
        names += [f"BASS_{r}" for r in range(12)]
        return cls(tuple(names), {n: i for i, n in enumerate(names)})

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str) -> int:
        return self.ids[name]

    def span(self, prefix: str) -> tuple[int, int]:
        """``(first, stop)`` ids of the tokens whose name starts with ``prefix``."""
        found = [i for i, n in enumerate(self.names) if n.startswith(prefix)]
        return found[0], found[-1] + 1

    def track_token(self, role: str, track: str) -> int:
        return self.ids[f"{role[0].upper()}_{track}"]


VOCAB = Vocab.build()
PAD, BOS, BAR = VOCAB["PAD"], VOCAB["BOS"], VOCAB["BAR"]
STYLE0 = VOCAB.span("STYLE_")[0]
METER0 = VOCAB.span("METER_")[0]
CTRACK0, TTRACK0 = VOCAB["C_chord"], VOCAB["T_chord"]
DENS0, VEL0 = VOCAB["DENS_0"], VOCAB["VEL_0"]
POS0, DUR0, PITCH0 = VOCAB["POS_0"], VOCAB[f"DUR_{DURATIONS[0]}"], VOCAB["PITCH_0"]
ROOT0, QUAL0, CHORD_N, BASS0 = VOCAB["ROOT_0"], VOCAB[f"QUAL_{CHORD_QUALITIES[0]}"], VOCAB["CHORD_N"], VOCAB["BASS_0"]


def kind_of(token: int) -> str:
    """The kind of a token id: 'PITCH', 'POS', 'C', 'T', ... (the name before the first '_')."""
    return VOCAB.names[token].split("_", 1)[0]


def track_of(token: int) -> tuple[str, str] | None:
    """``(role, track)`` of a track token, else None."""
    if CTRACK0 <= token < CTRACK0 + 2 * len(TRACKS):
        index = token - CTRACK0
        return ROLES[index // len(TRACKS)], TRACKS[index % len(TRACKS)]
    return None


# ---------------------------------------------------------------- encoding one bar of one track

def encode_notes(notes: Iterable[Note], bar_start: float, bar_ticks: int) -> list[int]:
    """Section body for the notes starting in one bar: ``DENS VEL (POS (DUR PITCH+)+)*``.

    Notes at one position are ordered by duration then pitch, so that one DUR token serves a
    whole block chord; duplicates (same position, duration and pitch) are dropped.
    """
    events: dict[int, set[tuple[int, int]]] = {}
    velocities = []
    for note in notes:
        tick = round((note.start_beats - bar_start) * TICKS_PER_BEAT)
        if not 0 <= tick < bar_ticks:
            continue
        events.setdefault(tick, set()).add((duration_index(note.duration_beats * TICKS_PER_BEAT), note.pitch))
        velocities.append(note.velocity)
    velocity = round(sum(velocities) / len(velocities)) if velocities else 80
    out = [DENS0 + density_bucket(len(events)), VEL0 + min(velocity // 16, VELOCITY_LEVELS - 1)]
    for tick in sorted(events):
        out.append(POS0 + tick)
        current = -1
        for dur, pitch in sorted(events[tick]):
            if dur != current:
                out.append(DUR0 + dur)
                current = dur
            out.append(PITCH0 + pitch)
    return out


def encode_chords(chords: Sequence[ChordSpan], bar_start: float, bar_ticks: int) -> list[int]:
    """Chord section body for one bar: ``(POS (ROOT QUAL [BASS] | CHORD_N))*``.

    The chord sounding at the downbeat is always written at POS_0, so that every bar states its harmony.
    """
    out: list[int] = []
    bar_end = bar_start + bar_ticks / TICKS_PER_BEAT
    last = -1
    for span in chords:
        end = span.start_beats + span.duration_beats
        if end <= bar_start + 1e-6 or span.start_beats >= bar_end - 1e-6:
            continue
        tick = max(0, round((span.start_beats - bar_start) * TICKS_PER_BEAT))
        if tick <= last or tick >= bar_ticks:
            continue
        chord = parse_chord(span.symbol)
        out.append(POS0 + tick)
        if chord.is_rest:
            out.append(CHORD_N)
        else:
            out += [ROOT0 + chord.root, QUAL0 + CHORD_QUALITIES.index(chord.quality)]
            if chord.bass is not None and chord.bass != chord.root:
                out.append(BASS0 + chord.bass)
        last = tick
    return out


# ---------------------------------------------------------------- decoding a token stream

@dataclass
class Decoded:
    """Notes per track (beats from the first bar), chord spans and bar layout read from tokens."""

    tracks: dict[str, list[Note]]
    chords: list[ChordSpan]
    bar_starts: list[float]
    meters: list[tuple[int, int]]
    style: str | None = None


def _velocity(level: int) -> int:
    return max(1, min(127, level * 16 + 8))


def decode(tokens: Sequence[int], roles: Iterable[str] = ROLES) -> Decoded:
    """Read a token stream back into notes and chords; tokens that break the grammar are skipped.

    Args:
        tokens: ids from ``VOCAB``.
        roles: which sections to read ("control", "target" or both).
    """
    wanted = set(roles)
    out = Decoded({}, [], [], [])
    bar_start, bar_ticks = 0.0, 48
    track = role = None
    tick = duration = 0
    velocity = 80
    chord_marks: list[tuple[float, str]] = []
    pending_root: int | None = None
    pending_quality: str | None = None

    def flush_chord() -> None:
        nonlocal pending_root, pending_quality
        if pending_root is not None and pending_quality is not None:
            chord_marks.append((bar_start + tick / TICKS_PER_BEAT, make_chord(pending_root, pending_quality).name))
        pending_root = pending_quality = None

    for token in tokens:
        kind = kind_of(token)
        value = VOCAB.names[token].split("_", 1)[-1]
        if kind in ("BAR", "C", "T", "EOS", "PAD"):
            flush_chord()
        if kind == "STYLE":
            out.style = value
        elif kind == "BAR":
            bar_start = out.bar_starts[-1] + bar_ticks / TICKS_PER_BEAT if out.bar_starts else 0.0
            out.bar_starts.append(bar_start)
            out.meters.append((4, 4))
            track = None
        elif kind == "METER" and out.meters:
            meter = tuple(int(x) for x in value.split("/"))
            out.meters[-1] = meter  # type: ignore[assignment]
            bar_ticks = meter_ticks(meter)  # type: ignore[arg-type]
        elif kind in ("C", "T"):
            role, track = track_of(token)  # type: ignore[misc]
            tick, duration = 0, DURATIONS[0]
        elif track is None or role not in wanted:
            continue
        elif kind == "VEL":
            velocity = _velocity(int(value))
        elif kind == "POS":
            flush_chord()
            tick = int(value)
        elif kind == "DUR":
            duration = int(value)
        elif kind == "PITCH" and track != "chord":
            out.tracks.setdefault(track, []).append(
                Note(int(value), bar_start + tick / TICKS_PER_BEAT, duration / TICKS_PER_BEAT, velocity))
        elif kind == "ROOT" and track == "chord":
            pending_root = int(value)
        elif kind == "QUAL" and track == "chord":
            pending_quality = value
        elif kind == "BASS" and track == "chord" and pending_root is not None and pending_quality is not None:
            chord_marks.append((bar_start + tick / TICKS_PER_BEAT, make_chord(pending_root, pending_quality, int(value)).name))
            pending_root = pending_quality = None
        elif kind == "CHORD" and track == "chord":
            chord_marks.append((bar_start + tick / TICKS_PER_BEAT, "N"))
    flush_chord()
    end = out.bar_starts[-1] + bar_ticks / TICKS_PER_BEAT if out.bar_starts else 0.0
    chord_marks.sort()
    for (start, symbol), nxt in zip(chord_marks, chord_marks[1:] + [(end, "")]):
        if out.chords and out.chords[-1].symbol == symbol and start - (out.chords[-1].start_beats + out.chords[-1].duration_beats) < 1e-6:
            last = out.chords[-1]
            out.chords[-1] = ChordSpan(symbol, last.start_beats, nxt[0] - last.start_beats)
        elif nxt[0] > start:
            out.chords.append(ChordSpan(symbol, start, nxt[0] - start))
    return out
