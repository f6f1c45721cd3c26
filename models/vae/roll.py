"""The VAE's view of music: 2-bar segments as sixteenth-step rolls of onsets with durations, and per-beat chords."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.music.chords import chord_at
from models.types import ChordSpan, Note

STEPS = 32  # sixteenths in a 2-bar segment of 4/4
STEPS_PER_BEAT = 4
SEGMENT_BEATS = STEPS // STEPS_PER_BEAT
LOW = 21  # A0: the roll covers the 88 keys of a piano
PITCHES = 88
# duration classes in sixteenths; a note's duration is read as the nearest class
DURATIONS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)
CHORD_FEATURES = 36  # per beat: chroma (12), root one-hot (12), bass one-hot (12)


def duration_class(sixteenths: float) -> int:
    """The index in ``DURATIONS`` nearest to a duration in sixteenths."""
    return int(np.argmin([abs(d - sixteenths) for d in DURATIONS]))


def in_range(pitch: int) -> int:
    """``pitch`` moved by octaves into the roll's 88 keys."""
    while pitch < LOW:
        pitch += 12
    while pitch >= LOW + PITCHES:
        pitch -= 12
    return pitch


def segment_events(notes: Sequence[Note], start_beats: float) -> np.ndarray:
    """``(n, 3)`` int array of (step, pitch index, duration class) for the notes starting in the 2-bar segment
    from ``start_beats``; onsets are rounded to the nearest sixteenth, a pitch struck twice on one step kept once."""
    seen: dict[tuple[int, int], int] = {}
    end = start_beats + SEGMENT_BEATS
    for note in notes:
        if not start_beats - 1e-6 <= note.start_beats < end - 1e-6:
            continue
        step = int(round((note.start_beats - start_beats) * STEPS_PER_BEAT))
        if step >= STEPS:
            continue
        pitch = in_range(note.pitch) - LOW
        dur = duration_class(note.duration_beats * STEPS_PER_BEAT)
        seen[(step, pitch)] = max(dur, seen.get((step, pitch), 0))
    if not seen:
        return np.zeros((0, 3), dtype=np.int16)
    return np.array([(s, p, d) for (s, p), d in sorted(seen.items())], dtype=np.int16)


def events_to_roll(events: np.ndarray, shift: int = 0) -> np.ndarray:
    """``(2, STEPS, PITCHES)`` float32: channel 0 onsets, channel 1 sustains (steps a note holds after its onset);
    ``shift`` transposes by semitones, notes moved outside the 88 keys are dropped."""
    roll = np.zeros((2, STEPS, PITCHES), dtype=np.float32)
    for step, pitch, dur in events:
        pitch = int(pitch) + shift
        if not 0 <= pitch < PITCHES:
            continue
        roll[0, step, pitch] = 1.0
        roll[1, step + 1: min(STEPS, step + DURATIONS[dur]), pitch] = 1.0
    return roll


def events_to_durations(events: np.ndarray, shift: int = 0) -> np.ndarray:
    """``(STEPS, PITCHES)`` int64 duration classes at the onsets of ``events`` (0 elsewhere), moved by ``shift``."""
    classes = np.zeros((STEPS, PITCHES), dtype=np.int64)
    for step, pitch, dur in events:
        if 0 <= int(pitch) + shift < PITCHES:
            classes[step, int(pitch) + shift] = dur
    return classes


def chord_features(chords: Sequence[ChordSpan], start_beats: float) -> np.ndarray:
    """``(SEGMENT_BEATS, 36)`` float32: each beat's chord as chroma, root and bass one-hots (zeros for no chord)."""
    out = np.zeros((SEGMENT_BEATS, CHORD_FEATURES), dtype=np.float32)
    for beat in range(SEGMENT_BEATS):
        chord = chord_at(chords, start_beats + beat + 1e-3)
        if chord is None or chord.is_rest:
            continue
        for pc in chord.pitch_classes:
            out[beat, pc] = 1.0
        out[beat, 12 + chord.root] = 1.0
        out[beat, 24 + (chord.bass if chord.bass is not None else chord.root)] = 1.0
    return out


def transpose_chords(features: np.ndarray, shift: int) -> np.ndarray:
    """Chord features (any leading shape, last axis 36) transposed by ``shift`` semitones."""
    parts = [np.roll(features[..., k * 12:(k + 1) * 12], shift, axis=-1) for k in range(3)]
    return np.concatenate(parts, axis=-1)


def roll_to_notes(onsets: np.ndarray, durations: np.ndarray, start_beats: float,
                  velocities: np.ndarray | None = None) -> list[Note]:
    """Notes from a boolean ``(STEPS, PITCHES)`` onset roll and per-onset duration classes, from ``start_beats``;
    ``velocities`` (same shape) defaults to 80."""
    notes = []
    for step, pitch in zip(*np.nonzero(onsets)):
        length = DURATIONS[int(durations[step, pitch])] / STEPS_PER_BEAT
        velocity = 80 if velocities is None else int(np.clip(velocities[step, pitch], 1, 127))
        notes.append(Note(int(pitch) + LOW, start_beats + step / STEPS_PER_BEAT, length, velocity))
    return sorted(notes, key=lambda n: (n.start_beats, n.pitch))
