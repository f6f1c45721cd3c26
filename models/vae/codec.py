"""Clips in and out of the VAE: 2-bar pieces encoded to chord and texture latents, latents decoded to notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.types import ChordSpan, Note, ProgressFn
from models.vae.checkpoint import load_vae
from models.vae.morph import anchored_scores, cell_roll, clip_cells, decoded, scheduled, step_notes
from models.vae.network import ChordTextureVae
from models.vae.roll import (
    DURATIONS,
    LOW,
    SEGMENT_BEATS,
    STEPS,
    STEPS_PER_BEAT,
    chord_features,
    events_to_roll,
    segment_events,
)

# onset probability above which a decoded note sounds: on held-out segments 0.4 balances precision and recall
# (0.945 / 0.944; onset F1 0.942-0.947 anywhere from 0.35 to 0.5)
THRESHOLD = 0.4
QUIET_THRESHOLD = 0.2  # ... or above which, in a piece that would otherwise be silent
MAX_VOICES = 10  # onsets on one sixteenth at most (the likeliest kept)
VARIATION_NOISE = 0.5  # share of a latent's standard deviation a variation after the first is moved by
ACCENT = (8, -6, 0, -6, 4, -6, 0, -6, 6, -6, 0, -6, 4, -6, 0, -6)  # velocity offsets over a bar's sixteenths


@dataclass
class Latents:
    """Per 2-bar piece: the chord and texture latents (means and standard deviations) and the clip's loudness."""

    chord: torch.Tensor  # (P, Zc)
    chord_std: torch.Tensor
    texture: torch.Tensor  # (P, Zt)
    texture_std: torch.Tensor
    velocity: np.ndarray  # (P,) mean velocity of each piece's notes


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation row by row (linear where the rows are nearly parallel), ``t`` from 0 (a) to 1 (b)."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0).unsqueeze(-1)  # (P, 1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    linear = (1 - t) * a + t * b
    spherical = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / sin.clamp_min(1e-6)
    return torch.where(sin > 1e-3, spherical, linear)


def own_pieces(notes: Sequence[Note]) -> int:
    """2-bar pieces a clip's onsets reach into (at least 1)."""
    return max(1, int(np.ceil((max(n.start_beats for n in notes) + 1e-3) / SEGMENT_BEATS)))


def looped(notes: Sequence[Note], pieces: int) -> list[Note]:
    """The clip repeated, whole 2-bar pieces at a time, until it fills ``pieces`` pieces."""
    own = own_pieces(notes)
    out = []
    for index in range(pieces):
        start = index % own * SEGMENT_BEATS
        shift = (index - index % own) * SEGMENT_BEATS
        out += [Note(n.pitch, n.start_beats + shift, n.duration_beats, n.velocity) for n in notes
                if start - 1e-6 <= n.start_beats < start + SEGMENT_BEATS - 1e-6]
    return sorted(out, key=lambda n: (n.start_beats, n.pitch))


class VaeCodec:
    """A trained ``ChordTextureVae`` with the clip-level operations the tasks need."""

    def __init__(self, model: ChordTextureVae, info: dict | None = None) -> None:
        self.model = model.eval()
        self.info = info or {}

    @classmethod
    def load(cls, path: str | Path) -> VaeCodec:
        model, info = load_vae(path)
        return cls(model, info)

    @torch.no_grad()
    def encode(self, notes: Sequence[Note], chords: Sequence[ChordSpan], pieces: int) -> Latents:
        """Latents of ``pieces`` pieces of the clip (looped when it is shorter); ``chords`` cover the clip itself."""
        own = own_pieces(notes)
        rolls, features, velocity = [], [], []
        for index in range(pieces):
            start = index % own * SEGMENT_BEATS
            rolls.append(events_to_roll(segment_events(notes, float(start))))
            features.append(chord_features(chords, float(start)))
            inside = [n.velocity for n in notes if start <= n.start_beats < start + SEGMENT_BEATS]
            velocity.append(np.mean(inside) if inside else np.mean([n.velocity for n in notes]))
        (mu_c, lv_c), (mu_t, lv_t) = self.model.encode(torch.from_numpy(np.stack(rolls)),
                                                       torch.from_numpy(np.stack(features)))
        return Latents(mu_c, (0.5 * lv_c).exp(), mu_t, (0.5 * lv_t).exp(), np.array(velocity, dtype=float))

    @torch.no_grad()
    def decode(self, z_chord: torch.Tensor, z_texture: torch.Tensor, velocity: np.ndarray, seed: int) -> list[Note]:
        """Notes of consecutive pieces (rows of the latents), each piece's loudness around ``velocity[row]``."""
        onset_logits, duration_logits = self.model.decode(z_chord, z_texture)
        probs = torch.sigmoid(onset_logits).numpy()  # (P, 32, 88)
        durations = duration_logits.argmax(-1).numpy()  # (P, 32, 88)
        rng = np.random.default_rng(seed % 2**63)
        notes = []
        for piece, (prob, duration) in enumerate(zip(probs, durations)):
            struck = prob > THRESHOLD
            if not struck.any():
                struck = prob > QUIET_THRESHOLD
            for step in np.nonzero(struck.sum(-1) > MAX_VOICES)[0]:
                keep = np.argsort(prob[step])[-MAX_VOICES:]
                struck[step] = False
                struck[step, keep] = True
            for step, pitch in zip(*np.nonzero(struck)):
                level = velocity[piece] + ACCENT[step % len(ACCENT)] + 12 * (prob[step, pitch] - 0.75)
                level += rng.normal(0, 3)
                notes.append(Note(int(pitch) + LOW, piece * SEGMENT_BEATS + step / STEPS_PER_BEAT,
                                  DURATIONS[int(duration[step, pitch])] / STEPS_PER_BEAT,
                                  int(np.clip(round(level), 20, 127))))
        return sorted(notes, key=lambda n: (n.start_beats, n.pitch))

    def interpolate(self, source: Sequence[Note], source_chords: Sequence[ChordSpan], target: Sequence[Note],
                    target_chords: Sequence[ChordSpan], pieces: int, steps: int, seed: int,
                    progress: ProgressFn | None = None) -> list[list[Note]]:
        """``steps`` clips from the source (first, as given, looped to ``pieces``) to the target (last). Every step,
        the two ends included, decodes the latents slerped piece by piece; the steps between take the onsets whose
        probability, corrected by how far the decoded ends miss the clips (faded along the path), passes the one
        threshold, and a note sounding in two steps sounds in every step between (``models.vae.morph``)."""
        a = self.encode(source, source_chords, pieces)
        b = self.encode(target, target_chords, pieces)
        ends = looped(source, pieces), looped(target, pieces)
        cells = clip_cells(ends[0], pieces), clip_cells(ends[1], pieces)
        times = [index / (steps - 1) for index in range(steps)]
        probs, durations = zip(*(decoded(self.model, slerp(a.chord, b.chord, t), slerp(a.texture, b.texture, t))
                                 for t in times))
        rolls = cell_roll(cells[0], pieces), cell_roll(cells[1], pieces)
        scores = anchored_scores(np.stack(probs), *rolls, times)
        struck = scheduled(scores, *rolls, times, THRESHOLD, QUIET_THRESHOLD, MAX_VOICES)
        accent = np.array(ACCENT * (STEPS // len(ACCENT)), dtype=float)[None, :, None]
        out = [ends[0]]
        for index in range(1, steps - 1):
            t = times[index]
            velocity = (1 - t) * a.velocity + t * b.velocity
            levels = velocity[:, None, None] + accent + 12 * (np.clip(scores[index], 0, 1) - 0.75)
            rng = np.random.default_rng((seed * 1009 + index) % 2**63)
            out.append(step_notes(struck[index], t, cells[0], cells[1], durations[index], levels, rng))
            if progress is not None:
                progress(index / (steps - 1))
        out.append(ends[1])
        return out

    def transfer(self, source: Sequence[Note], chords: Sequence[ChordSpan], texture: Sequence[Note], pieces: int,
                 strength: float, seed: int, variation: int = 0) -> list[Note]:
        """The source's chord latents with the texture clip's texture latents (looped), ``strength`` of the way from
        the source's own texture; a variation after the first moves both latents a little, by its seed."""
        own = self.encode(source, chords, pieces)
        other = self.encode(texture, [], pieces)  # only its texture latent is used, which does not read chords
        z_chord, z_texture = own.chord, slerp(own.texture, other.texture, strength)
        if variation:
            generator = torch.Generator().manual_seed(seed)
            z_chord = z_chord + VARIATION_NOISE * own.chord_std * torch.randn(z_chord.shape, generator=generator)
            z_texture = z_texture + VARIATION_NOISE * other.texture_std * torch.randn(z_texture.shape,
                                                                                      generator=generator)
        return self.decode(z_chord, z_texture, own.velocity, seed)  # the source's loudness, piece by piece
