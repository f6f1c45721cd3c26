"""A gradual morph between two clips through the VAE: every step decoded with the same thresholds, anchored to the
clips as given, and each note kept over one unbroken run of steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from models.types import Note
from models.vae.roll import DURATIONS, LOW, PITCHES, SEGMENT_BEATS, STEPS, STEPS_PER_BEAT, in_range

Cell = tuple[int, int, int]  # (piece, sixteenth, pitch index)


def clip_cells(notes: Sequence[Note], pieces: int) -> dict[Cell, Note]:
    """The clip's notes (already looped to ``pieces`` pieces) by the roll cell of their onset; a pitch struck twice
    on one sixteenth keeps its longer note."""
    cells: dict[Cell, Note] = {}
    for note in notes:
        step = int(round(note.start_beats * STEPS_PER_BEAT))
        piece, step = divmod(step, STEPS)
        if not 0 <= piece < pieces:
            continue
        cell = (piece, step, in_range(note.pitch) - LOW)
        if cell not in cells or cells[cell].duration_beats < note.duration_beats:
            cells[cell] = note
    return cells


def cell_roll(cells: dict[Cell, Note], pieces: int) -> np.ndarray:
    """``(pieces, STEPS, PITCHES)`` float: 1 where a note of ``cells`` starts."""
    roll = np.zeros((pieces, STEPS, PITCHES))
    for cell in cells:
        roll[cell] = 1.0
    return roll


def unbroken(struck: np.ndarray) -> np.ndarray:
    """``struck`` (steps first) with every cell kept on between the first and the last step it sounds in: a note
    present in steps i and j is present in every step between them."""
    after_first = np.logical_or.accumulate(struck, axis=0)
    before_last = np.logical_or.accumulate(struck[::-1], axis=0)[::-1]
    return after_first & before_last


def anchored_scores(probs: np.ndarray, source: np.ndarray, target: np.ndarray, times: Sequence[float]) -> np.ndarray:
    """Per step, the decoded onset probabilities corrected by the ends' reconstruction error, faded along the path:
    ``p_t + (1 - t) (source - p_0) + t (target - p_1)``, exactly the source's roll at t = 0 and the target's at 1.
    ``probs`` holds the decoded steps, the two ends (decoded through the model) included."""
    out = np.empty_like(probs)
    for index, t in enumerate(times):
        out[index] = probs[index] + (1 - t) * (source - probs[0]) + t * (target - probs[-1])
    return out


def strike(scores: np.ndarray, threshold: float, quiet: float, voices: int) -> np.ndarray:
    """Boolean onsets of one step's scores ``(P, STEPS, PITCHES)``: above ``threshold`` (``quiet`` in a piece that
    would be silent), at most ``voices`` per sixteenth (the likeliest kept)."""
    struck = scores > threshold
    for piece in range(len(scores)):
        if not struck[piece].any():
            struck[piece] = scores[piece] > quiet
        for step in np.nonzero(struck[piece].sum(-1) > voices)[0]:
            keep = np.argsort(scores[piece, step])[-voices:]
            struck[piece, step] = False
            struck[piece, step, keep] = True
    return struck


def scheduled(scores: np.ndarray, source: np.ndarray, target: np.ndarray, times: Sequence[float],
              threshold: float, quiet: float, voices: int) -> np.ndarray:
    """Boolean onsets ``(steps, P, STEPS, PITCHES)`` from the anchored ``scores``: the ends are the two clips; at
    step t each piece keeps ``1 - t`` of the notes only the source has and ``t`` of those only the target has (in
    the order the model's scores along the path prefer them, so the kept ones are nested), every note both share,
    and the notes of neither that the model strikes; then each cell is kept on between its first and last step."""
    source, target = source > 0.5, target > 0.5
    weight = scores[1:-1].sum(0)  # how long along the path the model holds each cell
    struck = np.zeros(scores.shape, dtype=bool)
    struck[0], struck[-1] = source, target
    for index in range(1, len(times) - 1):
        t = times[index]
        struck[index] = (source & target) | (strike(scores[index], threshold, quiet, voices) & ~source & ~target)
        for piece in range(len(weight)):
            for own, share in ((source[piece] & ~target[piece], 1 - t), (target[piece] & ~source[piece], t)):
                cells = np.flatnonzero(own)
                order = cells[np.argsort(-weight[piece].ravel()[cells], kind="stable")]
                struck[index, piece].ravel()[order[:int(round(share * len(order)))]] = True
    return unbroken(struck)


@torch.no_grad()
def decoded(model, z_chord: torch.Tensor, z_texture: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Onset probabilities and duration classes, ``(P, STEPS, PITCHES)`` each, of one step's latents."""
    onset_logits, duration_logits = model.decode(z_chord, z_texture)
    return torch.sigmoid(onset_logits).numpy(), duration_logits.argmax(-1).numpy()


def step_notes(struck: np.ndarray, t: float, source: dict[Cell, Note], target: dict[Cell, Note],
               durations: np.ndarray, levels: np.ndarray, rng: np.random.Generator) -> list[Note]:
    """One step's notes: a cell of the source (before half-way, or not in the target) or of the target plays that
    clip's note (its timing, length and loudness); any other cell the decoded duration at ``levels`` loudness."""
    notes = []
    for piece, step, pitch in zip(*np.nonzero(struck)):
        cell = (int(piece), int(step), int(pitch))
        own = source.get(cell) if t < 0.5 or cell not in target else None
        own = own or target.get(cell)
        noise = rng.normal(0, 3)
        if own is not None:
            notes.append(Note(own.pitch, own.start_beats, own.duration_beats,
                              int(np.clip(round(own.velocity + noise), 20, 127))))
            continue
        notes.append(Note(int(pitch) + LOW, piece * SEGMENT_BEATS + step / STEPS_PER_BEAT,
                          DURATIONS[int(durations[cell])] / STEPS_PER_BEAT,
                          int(np.clip(round(levels[cell] + noise), 20, 127))))
    return sorted(notes, key=lambda n: (n.start_beats, n.pitch))
