"""Genre idioms and per-part controls: walking bass, bossa, EDM pumping, comping figures, density, register (the layer the registry puts around the models)."""

from __future__ import annotations

from models.wrapping import Wrapper


class IdiomGenerator(Wrapper):
    """Passes requests through unchanged (to be filled in)."""
