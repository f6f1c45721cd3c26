"""Corrupt, truncated or foreign model files are refused with a message; nothing is unpickled."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from models.registry import load_generator, transformer_checkpoint_path

SHIPPED = transformer_checkpoint_path()


def _variants(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "random bytes": bytes(range(256)) * 64,
        "a pickle": pickle.dumps({"weights": [1, 2, 3]}),
        "header length past the end": (10**9).to_bytes(8, "little") + b"{}",
    }
    if SHIPPED.is_file():
        data = SHIPPED.read_bytes()
        files["truncated checkpoint"] = data[: len(data) // 2]
    paths = {}
    for name, content in files.items():
        path = tmp_path / f"{name.replace(' ', '-')}.safetensors"
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_bad_model_files_are_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_unpickling(*args, **kwargs):
        raise AssertionError("a checkpoint was unpickled")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    for name, path in _variants(tmp_path).items():
        with pytest.raises(ValueError, match=path.name) as info:
            load_generator(str(path))
        assert "checkpoint" in str(info.value), name


def test_missing_model_file_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="continuo train"):
        load_generator(str(tmp_path / "nothing.safetensors"))
