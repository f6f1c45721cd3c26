"""The Max patches are well-formed patcher JSON and only use addresses the daemon answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bridge.app import App
from bridge.settings import Settings
from tests.conftest import REPO

PATCHES = sorted((REPO / "examples" / "max").glob("*.maxpat"))


@pytest.fixture(scope="module")
def addresses(tmp_path_factory) -> set[str]:
    app = App(Settings(output_dir=tmp_path_factory.mktemp("max")))  # never started: only its routes
    return set(app.router.routes)


def test_there_are_a_client_and_a_max_for_live_patch() -> None:
    assert {p.name for p in PATCHES} >= {"continuo-client.maxpat", "continuo-m4l.maxpat"}


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_patch_structure(path: Path, addresses: set[str]) -> None:
    patcher = json.loads(path.read_text(encoding="utf-8"))["patcher"]
    boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
    assert len(boxes) == len(patcher["boxes"]), "box ids are unique"
    for box in boxes.values():
        assert box["maxclass"] and len(box["patching_rect"]) == 4
        assert len(box.get("outlettype", [])) == box["numoutlets"]
    for line in patcher["lines"]:
        (source, outlet), (target, inlet) = line["patchline"]["source"], line["patchline"]["destination"]
        assert source in boxes and target in boxes, line
        assert 0 <= outlet < boxes[source]["numoutlets"], f"{boxes[source]['text']} has no outlet {outlet}"
        assert 0 <= inlet < boxes[target]["numinlets"], f"{boxes[target].get('text')} has no inlet {inlet}"
    texts = [b.get("text", "") for b in boxes.values() if b["maxclass"] in ("message", "newobj")]
    used = {a for text in texts for a in re.findall(r"/continuo/[a-z_/]+", text)}
    assert used and used <= addresses | REPLIES, sorted(used - addresses - REPLIES)
    objects = {t.split()[0] for t in texts if t and not t.startswith("/")}
    assert {"udpsend", "udpreceive"} <= objects
    sends = [t for t in texts if t.startswith("udpsend")]
    assert all(t.split()[1:] == ["127.0.0.1", "7300"] for t in sends)


# the replies the patches route on (documented in docs/osc.md)
REPLIES = {"/continuo/notes", "/continuo/accepted", "/continuo/done", "/continuo/error", "/continuo/pong",
           "/continuo/clip/stored", "/continuo/ableton/written"}


def test_max_for_live_patch_is_a_midi_effect_that_passes_midi_through() -> None:
    patcher = json.loads((REPO / "examples" / "max" / "continuo-m4l.maxpat").read_text())["patcher"]
    boxes = {b["box"]["id"]: b["box"].get("text", "") for b in patcher["boxes"]}
    wires = {(boxes[l["patchline"]["source"][0]], boxes[l["patchline"]["destination"][0]]) for l in patcher["lines"]}
    assert ("midiin", "midiout") in wires
    assert any(t.startswith("/continuo/ableton/") for t in boxes.values())
