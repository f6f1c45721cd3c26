"""Piano-roll previews: a PNG a producer can glance at, with every part visible in its colour."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bridge.preview import COLOURS, write_preview
from models.api import ChordSpan, Note, Result


def test_preview_shows_every_part(tmp_path: Path) -> None:
    parts = {
        "bass": tuple(Note(36 + (i % 2) * 7, float(i), 1.0, 100) for i in range(16)),
        "keys": tuple(Note(60 + i % 3 * 4, float(i), 0.5, 60) for i in range(16)),
        "melody": (Note(79, 0.0, 4.0, 127),),
    }
    result = Result(parts, (ChordSpan("C", 0.0, 8.0), ChordSpan("G7", 8.0, 8.0)), 4, (4, 4), 100.0)
    path = write_preview(result, tmp_path / "p.png", "take 1")
    image = Image.open(path).convert("RGB")
    assert 400 < image.width < 6000 and 100 < image.height < 2000
    colours = {colour for _, colour in image.getcolors(1 << 24)}
    for name in parts:
        assert COLOURS[name] in colours, f"{name} is not drawn"
    assert not list(tmp_path.glob("*.part"))


def test_preview_of_an_empty_result(tmp_path: Path) -> None:
    path = write_preview(Result({"pad": ()}, (), 2, (3, 4), 90.0), tmp_path / "e.png", "empty")
    assert Image.open(path).size[0] > 0
