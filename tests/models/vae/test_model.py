"""The VAE's pieces: the roll round trip, a training step that learns, the checkpoint round trip and export."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.transformer.checkpoint import CheckpointError
from models.vae.checkpoint import load_vae, save_vae_checkpoint
from models.vae.network import ChordTextureVae, VaeConfig
from models.vae.roll import (
    DURATIONS,
    chord_features,
    events_to_durations,
    events_to_roll,
    roll_to_notes,
    segment_events,
    transpose_chords,
)
from models.vae.train import VaeTrainConfig, export, kl_term, losses
from models.types import ChordSpan
from tests.models.vae.clips import arpeggio, block_chords

TINY = VaeConfig(z_chord=8, z_texture=8, hidden=32, channels=4, step_width=32)


def test_a_segment_comes_back_from_its_roll() -> None:
    notes = [n for n in arpeggio() if n.start_beats < 8]
    events = segment_events(notes, 0.0)
    roll, durations = events_to_roll(events), events_to_durations(events)
    back = roll_to_notes(roll[0] > 0, durations, 0.0)
    assert sorted((n.pitch, n.start_beats, n.duration_beats) for n in back) == \
        sorted((n.pitch, n.start_beats, n.duration_beats) for n in notes)
    assert roll[1].sum() > 0  # sustains of the half-bar bass notes
    shifted = events_to_roll(events, 2)
    assert np.array_equal(shifted[0][:, 2:], roll[0][:, :-2])


def test_chord_features_name_each_beats_chord_and_transpose() -> None:
    features = chord_features([ChordSpan("Am", 0, 4), ChordSpan("G/B", 4, 4)], 0.0)
    assert set(np.nonzero(features[0, :12])[0]) == {9, 0, 4} and features[0, 12 + 9] == 1
    assert features[5, 24 + 11] == 1  # the slash bass
    up = transpose_chords(features, 3)
    assert set(np.nonzero(up[0, :12])[0]) == {0, 3, 7} and up[0, 12 + 0] == 1


def _batch() -> tuple[torch.Tensor, ...]:
    rows = [segment_events(clip, 0.0) for clip in (block_chords(), arpeggio())]
    rolls = torch.from_numpy(np.stack([events_to_roll(r) for r in rows]))
    durations = torch.from_numpy(np.stack([events_to_durations(r) for r in rows]))
    chords = torch.from_numpy(np.stack([chord_features([ChordSpan("C", 0, 4), ChordSpan("Am", 4, 4)], 0.0)] * 2))
    return rolls, durations, chords


def test_training_steps_lower_the_reconstruction_loss() -> None:
    torch.manual_seed(0)
    model, cfg = ChordTextureVae(TINY), VaeTrainConfig()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    batch = _batch()
    first = None
    for _ in range(40):
        terms = losses(model, *batch, cfg)
        loss = terms["onset"] + terms["duration"] + terms["chord"] + 0.01 * terms["kl"]
        first = first if first is not None else float(loss.detach())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.5 * first


def test_free_bits_leave_a_small_kl_unpenalised() -> None:
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    penalised, plain = kl_term(mu, logvar, 0.1)
    assert float(plain) == 0.0 and float(penalised) == pytest.approx(0.3)


def test_checkpoint_round_trip_and_float16_export(tmp_path) -> None:
    torch.manual_seed(0)
    model = ChordTextureVae(TINY)
    optimizer = torch.optim.AdamW(model.parameters())
    terms = losses(model, *_batch(), VaeTrainConfig())
    (terms["onset"] + terms["kl"]).backward()
    optimizer.step()
    model.eval()
    path = save_vae_checkpoint(tmp_path / "last.safetensors", model, 12, {"best_f1": 0.5}, optimizer)
    loaded, info = load_vae(path)
    rolls, _, chords = _batch()
    with torch.no_grad():
        (a, _), (b, _) = model.encode(rolls, chords)
        (c, _), (d, _) = loaded.encode(rolls, chords)
    assert torch.equal(a, c) and torch.equal(b, d) and info["step"] == 12
    shipped = export(path, tmp_path / "vae.safetensors")
    assert shipped.stat().st_size < path.stat().st_size / 2
    half, _ = load_vae(shipped)
    assert half.decoder.onset.weight.dtype == torch.float32
    assert len(DURATIONS) == half.decoder.duration.out_features // 88


def test_a_file_that_is_not_a_vae_is_refused(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no VAE"):
        load_vae(tmp_path / "missing.safetensors")
    (tmp_path / "x.safetensors").write_bytes(b"nonsense")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_vae(tmp_path / "x.safetensors")
