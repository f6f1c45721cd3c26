"""Writes a render's stems on a thread of their own while the master chain runs on the mixing thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

Write = Callable[[str, np.ndarray, float], Path]  # (part, audio, gain) → the file it will have


class StemWriter:
    """Starts writing ``stems`` at ``gain`` at once (pedalboard's effects and NumPy's large operations release
    the GIL meanwhile); ``finish`` waits for them, and writes them again in the rare case that the mix's
    true-peak ceiling changed the gain after all."""

    def __init__(self, stems: Mapping[str, np.ndarray], write: Write, unstage: Callable[[Iterable[Path]], None],
                 gain: float):
        self.stems, self.write, self.unstage, self.gain = stems, write, unstage, gain
        self.paths: dict[str, Path] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="continuo-stems", daemon=True)
        if stems:
            self.thread.start()

    def _run(self) -> None:
        try:
            for name, audio in self.stems.items():
                self.paths[name] = self.write(name, audio, self.gain)
        except BaseException as err:  # raised again on the mixing thread, by finish
            self.error = err

    def finish(self, gain: float) -> dict[str, Path]:
        """Every stem written at ``gain``: part → path."""
        if not self.stems:
            return {}
        self.thread.join()
        if self.error is None and gain != self.gain:
            self.unstage(self.paths.values())
            self.paths, self.gain = {}, gain
            self._run()
        if self.error is not None:
            raise self.error
        return dict(self.paths)
