"""The chord-and-texture VAE: interpolation between clips and texture transfer (the layer the registry puts around the models)."""

from __future__ import annotations

from models.wrapping import Wrapper


class VaeTasks(Wrapper):
    """Passes requests through unchanged (to be filled in)."""
