"""A fake model for fault tests: its behaviour is chosen by the request's style."""

from __future__ import annotations

import os
import time

from models.music.meter import beats_per_bar
from models.types import Note, Request, Result


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which is what the worker recognises."""


class FakeGenerator:
    name = "fake"

    def __init__(self, device: str = "cpu"):
        self.device = device

    def generate(self, request: Request, progress=None) -> list[Result]:
        style = request.style
        if style == "oom" and self.device != "cpu":
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if style == "crash":
            os._exit(3)  # a hard crash, like a segfault or a CUDA fault
        if style == "hang":
            time.sleep(3600)  # never calls progress, so it cannot see a cancel
        if style == "boom":
            raise RuntimeError("boom")
        if style == "refuse":
            raise ValueError("style 'refuse' is not one this model knows")
        steps = 40 if style == "slow" else 2  # "slow" takes about 4 s and can be cancelled
        for step in range(steps):
            if progress:
                progress(step / steps)
            time.sleep(0.1 if style == "slow" else 0)
        bars = request.bars or 4
        beats = bars * beats_per_bar(request.meter)
        results = []
        for variation in range(request.variations):
            parts = {part: tuple(Note(48 + 12 * i + variation, float(b), 1.0, 80) for b in range(int(beats)))
                     for i, part in enumerate(request.parts)}
            results.append(Result(parts, (), bars, request.meter, request.tempo))
        return results


def load_fake(model: str, device: str) -> FakeGenerator:
    return FakeGenerator("cuda" if device == "auto" else device)
