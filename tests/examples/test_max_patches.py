"""The Max patches: every box and cord against Max's own inlet/outlet counts, and the client's note flow."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.app import App
from bridge.settings import Settings
from tests.conftest import REPO

PATCHES = sorted((REPO / "examples" / "max").glob("*.maxpat"))
LIVE_DEVICE_HEIGHT = 169  # pixels Live shows of a device's presentation

# Inlets and outlets of each object as Max 8 creates it, as a function of the object's arguments
# (attributes, "@name value", excluded). Read from the "numinlets"/"numoutlets" Max 8 writes into
# saved .maxpat files, each checked against several patches saved by Max 8 by different authors
# (patches from Max 5 and 6 differ: there, route had one inlet). An object missing here fails the
# test: look it up in patches saved by Max 8 and add it.
Counts = Callable[[list[str]], tuple[int, int]]
MAX_OBJECTS: dict[str, Counts] = {
    "comment": lambda args: (1, 0),
    "message": lambda args: (2, 1),  # the right inlet sets the text without output
    "live.numbox": lambda args: (1, 2),
    "live.toggle": lambda args: (1, 1),
    "live.text": lambda args: (1, 2),
    "udpsend": lambda args: (1, 0),
    "udpreceive": lambda args: (1, 1),
    "route": lambda args: (len(args) + 1, len(args) + 1),  # an inlet per argument, to change it
    "prepend": lambda args: (1, 1),
    "print": lambda args: (1, 0),
    "zl.slice": lambda args: (2, 2),
    "zl.iter": lambda args: (2, 2),
    "zl.reg": lambda args: (2, 2),
    "zl.join": lambda args: (2, 2),
    "t": lambda args: (1, len(args)),
    "trigger": lambda args: (1, len(args)),
    "counter": lambda args: (5, 4),
    "coll": lambda args: (1, 4),
    "pak": lambda args: (len(args), 1),
    "midiin": lambda args: (1, 1),
    "midiout": lambda args: (1, 0),
}
# the replies the patches route on (documented in docs/osc.md)
REPLIES = {"/continuo/notes", "/continuo/accepted", "/continuo/done", "/continuo/error", "/continuo/pong",
           "/continuo/clip/stored", "/continuo/ableton/written"}


def _patcher(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["patcher"]


def _object(box: dict) -> tuple[str, list[str]]:
    """(object name, arguments) of a box: a newobj's first word, else its box class."""
    if box["maxclass"] != "newobj":
        return box["maxclass"], []
    words = box["text"].split()
    args = []
    for word in words[1:]:
        if word.startswith("@"):
            break
        args.append(word)
    return words[0], args


def real_counts(box: dict) -> tuple[int, int]:
    name, args = _object(box)
    if name not in MAX_OBJECTS:
        raise AssertionError(f"[{box.get('text', name)}]: {name} is not in MAX_OBJECTS; add its inlets and "
                             "outlets as Max 8 saves them")
    return MAX_OBJECTS[name](args)


@pytest.fixture(scope="module")
def addresses(tmp_path_factory) -> set[str]:
    app = App(Settings(output_dir=tmp_path_factory.mktemp("max")))  # never started: only its routes
    return set(app.router.routes)


def test_there_are_a_client_and_a_max_for_live_patch() -> None:
    assert {p.name for p in PATCHES} >= {"continuo-client.maxpat", "continuo-m4l.maxpat"}


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_every_box_and_cord_fits_max_s_own_inlets_and_outlets(path: Path) -> None:
    patcher = _patcher(path)
    boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
    assert len(boxes) == len(patcher["boxes"]), "box ids are unique"
    for box in boxes.values():
        inlets, outlets = real_counts(box)
        what = box.get("text") or box["maxclass"]
        assert (box["numinlets"], box["numoutlets"]) == (inlets, outlets), f"[{what}] has {inlets} in, {outlets} out"
        assert len(box.get("outlettype", [])) == outlets, what
        assert len(box["patching_rect"]) == 4
    for line in patcher["lines"]:
        (source, outlet), (target, inlet) = line["patchline"]["source"], line["patchline"]["destination"]
        assert source in boxes and target in boxes, line
        # Max drops a cord to an inlet or from an outlet the object does not have
        assert 0 <= outlet < real_counts(boxes[source])[1], f"[{boxes[source].get('text')}] has no outlet {outlet}"
        assert 0 <= inlet < real_counts(boxes[target])[0], f"[{boxes[target].get('text')}] has no inlet {inlet}"


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_patches_send_to_the_daemon_and_route_its_replies(path: Path, addresses: set[str]) -> None:
    texts = [b["box"].get("text", "") for b in _patcher(path)["boxes"] if b["box"]["maxclass"] in ("message", "newobj")]
    used = {a for text in texts for a in re.findall(r"/continuo/[a-z_/]+", text)}
    assert used and used <= addresses | REPLIES, sorted(used - addresses - REPLIES)
    assert {"udpsend", "udpreceive"} <= {t.split()[0] for t in texts if t and not t.startswith("/")}
    assert all(t.split()[1:] == ["127.0.0.1", "7300"] for t in texts if t.startswith("udpsend"))


def test_the_client_stores_every_note_of_a_notes_reply() -> None:
    """Max's message flow from [udpreceive] to [coll], run on the patch's own boxes and cords."""
    patch = MaxRun(_patcher(REPO / "examples" / "max" / "continuo-client.maxpat"))
    receive = next(i for i, b in patch.boxes.items() if b.get("text", "").startswith("udpreceive"))
    notes = [[60 + i, i * 0.5, 0.5, 90] for i in range(7)]
    patch.output(receive, 0, ["/continuo/accepted", "j1"])
    patch.output(receive, 0, ["/continuo/notes", "j1", 1, "bass", 1, 2, *[v for n in notes[:4] for v in n]])
    patch.output(receive, 0, ["/continuo/notes", "j1", 1, "bass", 2, 2, *[v for n in notes[4:] for v in n]])
    assert patch.coll == {i: note for i, note in enumerate(notes)}
    patch.output(receive, 0, ["/continuo/accepted", "j2"])  # the next job starts a new collection
    patch.output(receive, 0, ["/continuo/notes", "j2", 1, "keys", 1, 1, 72, 0.0, 1.0, 80])
    assert patch.coll == {0: [72, 0.0, 1.0, 80]}


class MaxRun:
    """Runs the few objects the client uses as Max does: depth first, a trigger's outlets right to left,
    cords only where Max has the inlet."""

    def __init__(self, patcher: dict):
        self.boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
        self.cords = [(l["patchline"]["source"], l["patchline"]["destination"]) for l in patcher["lines"]]
        self.coll: dict[int, list] = {}
        self.state: dict[str, list] = {}

    def output(self, box: str, outlet: int, message: list) -> None:
        targets = [dst for src, dst in self.cords if src == [box, outlet]]
        for target, inlet in sorted(targets, key=lambda t: -self.boxes[t[0]]["patching_rect"][0]):  # right to left
            if inlet < real_counts(self.boxes[target])[0]:
                self.receive(target, inlet, message)

    def receive(self, box: str, inlet: int, message: list) -> None:
        name, args = _object(self.boxes[box])
        state = self.state.setdefault(box, [])
        if name == "route":
            matched = args.index(message[0]) if message[0] in args else len(args)
            self.output(box, matched, message[1:] if matched < len(args) else message)
        elif name == "zl.slice":
            self.output(box, 1, message[int(args[0]):])
            self.output(box, 0, message[: int(args[0])])
        elif name == "zl.iter":
            for i in range(0, len(message), int(args[0])):
                self.output(box, 0, message[i : i + int(args[0])])
        elif name in ("t", "trigger"):
            for outlet in reversed(range(len(args))):
                self.output(box, outlet, ["bang"] if args[outlet] == "b" else message)
        elif name == "counter":
            state[:] = state or [0]
            if inlet == 0:
                self.output(box, 0, [state[0]])
                state[0] += 1
            elif inlet == 2:
                state[0] = 0  # a bang in the third inlet: the next count starts again at the minimum
        elif name == "zl.join":
            if inlet == 1:
                state[:] = message
            else:
                self.output(box, 0, message + state)
        elif name == "prepend":
            self.output(box, 0, args + message)
        elif name == "message":
            self.output(box, 0, self.boxes[box]["text"].split())
        elif name == "coll":
            if message == ["clear"]:
                self.coll.clear()
            else:
                self.coll[int(message[0])] = message[1:]
        elif name != "print":
            raise AssertionError(f"the run does not know [{name}]")


def test_max_for_live_device_is_a_midi_effect_that_passes_midi_through() -> None:
    patcher = _patcher(REPO / "examples" / "max" / "continuo-m4l.maxpat")
    boxes = {b["box"]["id"]: b["box"].get("text", "") for b in patcher["boxes"]}
    wires = {(boxes[l["patchline"]["source"][0]], boxes[l["patchline"]["destination"][0]]) for l in patcher["lines"]}
    assert ("midiin", "midiout") in wires
    assert any(t.startswith("/continuo/ableton/") for t in boxes.values())


def test_max_for_live_device_opens_in_presentation_with_every_control_in_view() -> None:
    patcher = _patcher(REPO / "examples" / "max" / "continuo-m4l.maxpat")
    assert patcher.get("openinpresentation") == 1
    boxes = [b["box"] for b in patcher["boxes"]]
    shown = {b["id"] for b in boxes if b.get("presentation") == 1}
    displays = {dst for src, (dst, _) in ((l["patchline"]["source"][0], l["patchline"]["destination"])
                                          for l in patcher["lines"])
                if next(b for b in boxes if b["id"] == src).get("text", "").startswith("prepend set")}
    controls = {b["id"] for b in boxes if b["maxclass"].startswith("live.")} | displays
    assert controls and controls <= shown, sorted(controls - shown)
    for box in boxes:
        if box["id"] in shown:
            x, y, width, height = box["presentation_rect"]
            assert x >= 0 and y >= 0 and y + height <= LIVE_DEVICE_HEIGHT, (box.get("text"), box["presentation_rect"])
