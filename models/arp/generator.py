"""The arpeggiator part: rate, pattern, octaves and gate over the chords or the keys' voicings (the layer the registry puts around the models)."""

from __future__ import annotations

from models.wrapping import Wrapper


class ArpGenerator(Wrapper):
    """Passes requests through unchanged (to be filled in)."""
