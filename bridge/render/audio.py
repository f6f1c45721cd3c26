"""Audio buffers to files (WAV, FLAC, AIFF; written atomically) and loudness measurement and gain."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from bridge.paths import write_atomic

log = logging.getLogger(__name__)

SILENCE_LUFS = -70.0  # below this a file counts as silent (the BS.1770 absolute gate)


def write_audio(path: Path, audio: np.ndarray, sample_rate: int, fmt: str, bit_depth: int) -> Path:
    """Write ``audio`` (channels, frames) float32 to ``path`` in ``fmt`` atomically."""
    from pedalboard.io import AudioFile

    buffer = io.BytesIO()
    with AudioFile(buffer, "w", sample_rate, audio.shape[0], bit_depth=bit_depth, format=fmt) as out:
        out.write(np.ascontiguousarray(audio, dtype=np.float32))
    data = buffer.getvalue()
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Read a file back as (channels, frames) float32 and its sample rate (tests and tools)."""
    from pedalboard.io import AudioFile

    with AudioFile(str(path)) as f:
        return f.read(f.frames), int(f.samplerate)


def measure_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4) in LUFS; -inf for silence."""
    try:
        import pyloudnorm
    except ImportError:
        return _measure_torchaudio(audio, sample_rate)
    meter = pyloudnorm.Meter(sample_rate)
    if audio.shape[1] < int(0.4 * sample_rate):  # one gating block at least
        audio = np.pad(audio, ((0, 0), (0, int(0.4 * sample_rate) - audio.shape[1])))
    with np.errstate(divide="ignore"):
        return float(meter.integrated_loudness(audio.T.astype(np.float64)))


def _measure_torchaudio(audio: np.ndarray, sample_rate: int) -> float:
    """Fallback when pyloudnorm is missing: torchaudio's BS.1770 meter, only where its build imports."""
    try:
        import torch
        import torchaudio.functional
    except ImportError as err:
        raise ImportError("loudness normalisation needs pyloudnorm (pip install pyloudnorm)") from err
    return float(torchaudio.functional.loudness(torch.from_numpy(np.ascontiguousarray(audio)), sample_rate))


def gain_to(audio: np.ndarray, sample_rate: int, target_lufs: float) -> float:
    """The linear gain that brings ``audio`` to ``target_lufs`` (1.0 for silence)."""
    loudness = measure_lufs(audio, sample_rate)
    if not np.isfinite(loudness) or loudness < SILENCE_LUFS:
        return 1.0
    return float(10.0 ** ((target_lufs - loudness) / 20.0))


def peak_dbfs(audio: np.ndarray) -> float:
    peak = max(float(audio.max()), -float(audio.min())) if audio.size else 0.0
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")
