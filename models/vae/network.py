"""The chord-and-texture VAE (after Poly-dis, Wang et al. 2020): two encoders, one decoder of onset-and-duration rolls.

The chord encoder reads each beat's chord; the texture encoder reads the piano roll through a convolution over pitch
with pooling, which blurs exact pitches so that harmony is left to the chord latent. The decoder is not
autoregressive: it maps ``[z_chord, z_texture]`` to per-sixteenth, per-pitch onset logits and duration logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from models.vae.roll import CHORD_FEATURES, DURATIONS, PITCHES, SEGMENT_BEATS, STEPS, STEPS_PER_BEAT


@dataclass(frozen=True)
class VaeConfig:
    """The network's shape; saved into the checkpoint."""

    z_chord: int = 128
    z_texture: int = 128
    hidden: int = 256  # per-beat width in the encoders and the decoder
    channels: int = 16  # pitch-convolution filters of the texture encoder
    step_width: int = 160  # per-sixteenth width of the decoder

    def to_dict(self) -> dict:
        return asdict(self)


class ChordEncoder(nn.Module):
    """Per-beat chord features ``(B, 8, 36)`` -> mean and log-variance of ``z_chord``."""

    def __init__(self, cfg: VaeConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(SEGMENT_BEATS * CHORD_FEATURES, cfg.hidden), nn.GELU(),
                                 nn.Linear(cfg.hidden, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, 2 * cfg.z_chord))

    def forward(self, chords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(chords).chunk(2, dim=-1)


class TextureEncoder(nn.Module):
    """Piano roll ``(B, 2, 32, 88)`` (onsets, sustains) -> mean and log-variance of ``z_texture``."""

    def __init__(self, cfg: VaeConfig) -> None:
        super().__init__()
        self.pitch_conv = nn.Conv1d(2, cfg.channels, kernel_size=12)  # an octave wide, over pitch at each step
        self.pool = nn.MaxPool1d(4)
        pooled = cfg.channels * ((PITCHES - 11) // 4)
        self.step = nn.Linear(pooled, cfg.hidden // 2)
        self.beat = nn.Conv1d(cfg.hidden // 2, cfg.hidden, kernel_size=STEPS_PER_BEAT, stride=STEPS_PER_BEAT)
        self.out = nn.Sequential(nn.GELU(), nn.Flatten(), nn.Linear(SEGMENT_BEATS * cfg.hidden, 2 * cfg.z_texture))

    def forward(self, roll: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = roll.shape[0]
        x = roll.permute(0, 2, 1, 3).reshape(b * STEPS, 2, PITCHES)  # (B*32, 2, 88)
        x = self.pool(torch.relu(self.pitch_conv(x)))  # (B*32, C, 19)
        x = torch.relu(self.step(x.reshape(b, STEPS, -1)))  # (B, 32, H/2)
        x = self.beat(x.transpose(1, 2))  # (B, H, 8)
        return self.out(x.transpose(1, 2)).chunk(2, dim=-1)


class Decoder(nn.Module):
    """``[z_chord, z_texture]`` -> onset logits ``(B, 32, 88)`` and duration logits ``(B, 32, 88, len(DURATIONS))``."""

    def __init__(self, cfg: VaeConfig) -> None:
        super().__init__()
        self.beats = nn.Linear(cfg.z_chord + cfg.z_texture, SEGMENT_BEATS * cfg.hidden)
        self.beat_pos = nn.Parameter(torch.zeros(SEGMENT_BEATS, cfg.hidden))
        self.up = nn.ConvTranspose1d(cfg.hidden, cfg.step_width, kernel_size=STEPS_PER_BEAT, stride=STEPS_PER_BEAT)
        self.step_pos = nn.Parameter(torch.zeros(STEPS, cfg.step_width))
        self.mix = nn.Sequential(nn.Conv1d(cfg.step_width, cfg.step_width, 3, padding=1), nn.GELU(),
                                 nn.Conv1d(cfg.step_width, cfg.step_width, 3, padding=1), nn.GELU())
        self.onset = nn.Linear(cfg.step_width, PITCHES)
        self.duration = nn.Linear(cfg.step_width, PITCHES * len(DURATIONS))
        self.hidden = cfg.hidden

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = z.shape[0]
        x = torch.nn.functional.gelu(self.beats(z).view(b, SEGMENT_BEATS, self.hidden) + self.beat_pos)  # (B, 8, H)
        x = self.up(x.transpose(1, 2)).transpose(1, 2) + self.step_pos  # (B, 32, W)
        x = x + self.mix(x.transpose(1, 2)).transpose(1, 2)  # (B, 32, W)
        return self.onset(x), self.duration(x).view(b, STEPS, PITCHES, len(DURATIONS))


class ChordTextureVae(nn.Module):
    """Encoders, decoder and a small chord head that keeps ``z_chord`` about harmony (it rebuilds each beat's chord)."""

    def __init__(self, cfg: VaeConfig) -> None:
        super().__init__()
        self.config = cfg
        self.chord_encoder = ChordEncoder(cfg)
        self.texture_encoder = TextureEncoder(cfg)
        self.decoder = Decoder(cfg)
        self.chord_head = nn.Sequential(nn.Linear(cfg.z_chord, cfg.hidden), nn.GELU(),
                                        nn.Linear(cfg.hidden, SEGMENT_BEATS * CHORD_FEATURES))

    def encode(self, roll: torch.Tensor, chords: torch.Tensor) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
        """``((mu_chord, logvar_chord), (mu_texture, logvar_texture))``."""
        return self.chord_encoder(chords), self.texture_encoder(roll)

    def decode(self, z_chord: torch.Tensor, z_texture: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoder(torch.cat([z_chord, z_texture], dim=-1))

    def chord_logits(self, z_chord: torch.Tensor) -> torch.Tensor:
        return self.chord_head(z_chord).view(-1, SEGMENT_BEATS, CHORD_FEATURES)  # (B, 8, 36)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
