"""Style transfer and variations that rewrite a part in another style, keeping its harmony (the layer the registry puts around the models)."""

from __future__ import annotations

from models.wrapping import Wrapper


class TransferGenerator(Wrapper):
    """Passes requests through unchanged (to be filled in)."""
