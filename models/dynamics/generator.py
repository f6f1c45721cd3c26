"""Dynamics and feel: velocities learnt from POP909's piano, humanize and swing (the layer the registry puts around the models)."""

from __future__ import annotations

from models.wrapping import Wrapper


class DynamicsGenerator(Wrapper):
    """Passes requests through unchanged (to be filled in)."""
