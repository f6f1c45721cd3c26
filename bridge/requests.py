"""A generate request from its keys (OSC pairs, JSON, CLI flags) and a named preset's defaults."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bridge.errors import ContinuoError, InvalidRequest
from bridge.keys import CLIP_KEYS, KEYS, convert
from bridge.presets import load_preset
from models.types import Note, Request

DEFAULT_PARTS = {"accompany": ("bass", "keys"), "harmonize": ("bass", "keys"), "continue": ("melody",)}
NOT_MODEL_KEYS = ("output", "overwrite", "play", "render", "preset", "preview")  # keys for the bridge, not passed to the model


@dataclass(frozen=True)
class JobSpec:
    """A validated generate request whose clips are still names (OSC) or already notes (CLI)."""

    values: Mapping[str, object]

    def build(self, resolve_clip: Callable[[str], tuple[Note, ...]]) -> Request:
        fields = {k: v for k, v in self.values.items() if k not in NOT_MODEL_KEYS and KEYS[k].kind != "clip"}
        for key in CLIP_KEYS:
            if key in self.values:
                value = self.values[key]
                fields[key] = value if isinstance(value, tuple) else resolve_clip(str(value))
        task = str(fields.get("task", "accompany"))
        fields.setdefault("parts", DEFAULT_PARTS.get(task, ("melody",)))
        return Request(**fields)

    @property
    def output(self) -> str | None:
        value = self.values.get("output")
        return None if value is None else str(value)

    @property
    def play(self) -> str:
        return str(self.values.get("play", "no"))

    @property
    def render(self) -> bool:
        return bool(self.values.get("render", False))

    @property
    def preview(self) -> bool:
        return bool(self.values.get("preview", False))

    @property
    def overwrite(self) -> bool:
        return bool(self.values.get("overwrite", False))

    @property
    def preset(self) -> str | None:
        value = self.values.get("preset")
        return None if value is None else str(value)


def parse_pairs(args: Sequence[object]) -> JobSpec:
    """Parse ``key value key value ...`` or a single JSON object string."""
    if len(args) == 1 and isinstance(args[0], str) and args[0].lstrip().startswith("{"):
        try:
            data = json.loads(args[0])
        except json.JSONDecodeError as err:
            raise InvalidRequest(f"the JSON request is not valid JSON: {err.msg} at character {err.pos}") from None
        if not isinstance(data, dict):
            raise InvalidRequest("the JSON request must be an object like {\"task\": \"accompany\"}")
        pairs = list(data.items())
    else:
        if len(args) % 2:
            raise InvalidRequest(
                f"generate takes key value pairs after the job name; {args[-1]!r} has no value"
            )
        pairs = list(zip(args[0::2], args[1::2]))
    return parse_mapping(dict(_checked_pairs(pairs)))


def _checked_pairs(pairs: list[tuple[object, object]]):
    seen = set()
    for key, value in pairs:
        if not isinstance(key, str) or key not in KEYS:
            raise InvalidRequest(f"unknown key {key!r}: known keys are {', '.join(KEYS)}")
        if key in seen:
            raise InvalidRequest(f"key {key!r} is given twice")
        seen.add(key)
        yield key, value


def parse_mapping(values: Mapping[str, object], preset_paths: bool = False) -> JobSpec:
    """Validate already-named values (CLI flags, JSON); a named preset fills in what is not given.

    ``preset_paths`` lets ``preset`` name a TOML file (the CLI); from the network it is a name only.
    """
    if "preset" in values and not preset_paths:
        convert(KEYS["preset"], values["preset"])
    out = {name: convert(KEYS[name], value) for name, value in values.items() if name != "preset"}
    if "preset" in values:
        try:
            preset = load_preset(str(values["preset"]), allow_path=preset_paths)
        except ContinuoError as err:
            raise InvalidRequest(str(err)) from None
        out = {**preset.generate, **out, "preset": str(values["preset"])}
    if out.get("chords"):
        from models.music.chords import parse_progression

        try:
            parse_progression(str(out["chords"]), out.get("meter", (4, 4)))
        except ValueError as err:
            raise InvalidRequest(str(err)) from None
    return JobSpec(out)
