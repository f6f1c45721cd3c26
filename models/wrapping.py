"""A generator around another: the base of the layers that shape what the models write (idioms, arp, dynamics,
transfer, the VAE's tasks)."""

from __future__ import annotations

from models.types import Generator, ProgressFn, Request, Result


class Wrapper:
    """Passes every request to ``inner`` and answers for it what a caller asks (``trained_styles``, ``model_for``,
    its network); a layer overrides ``generate`` for the requests it shapes."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.device = inner.device

    def __getattr__(self, name: str):
        if name.startswith("_") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        return self.inner.generate(request, progress)
