"""Named presets (presets/*.toml): a style with its parts, sampling, tempo and meter defaults and its sound.

A preset file has an optional ``title`` and ``description``, a ``[generate]`` table of generate keys
used as defaults (a request's own keys win), and a ``[render]`` table (docs/render.md). A file of
the same name in the user's preset folder replaces the bundled one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bridge.errors import InvalidRequest, PresetError
from bridge.keys import KEYS, convert
from bridge.render.presets import find_preset, parse_render, preset_dirs
from bridge.render.specs import RenderPreset
from models.types import PARTS

TOP_KEYS = ("title", "description", "generate", "render")
# generate keys a preset may set: everything but the per-request ones (clips, names, seeds)
GENERATE_KEYS = ("task", "chords", "parts", "style", "bars", "meter", "tempo", "key", "temperature", "top_p",
                 "top_k", "variations", "rate", "pattern", "octaves", "gate", "dynamics", "humanize",
                 "humanize_velocity", "swing", "swing_on", "density", "register", "fills")


@dataclass(frozen=True)
class Preset:
    """One preset file: its generate defaults and its sound."""

    name: str
    path: Path
    title: str = ""
    description: str = ""
    generate: Mapping[str, object] = field(default_factory=dict)
    render: RenderPreset = field(default_factory=RenderPreset)

    def programs(self) -> dict[str, int]:
        """General MIDI program per part: the ``program`` of its [render] table, else the part's own."""
        programs = {}
        for part, (_, own) in PARTS.items():
            chosen = self.render.part(part).program
            programs[part] = own if chosen is None else chosen
        return programs


def preset_programs(name: str | None, allow_path: bool = False) -> dict[str, int]:
    """The programs of preset ``name`` (see ``Preset.programs``); without a preset, each part's own."""
    if name is None:
        return {part: program for part, (_, program) in PARTS.items()}
    return load_preset(name, allow_path).programs()


def load_preset(name: str, allow_path: bool = True, dirs: tuple[Path, ...] | None = None) -> Preset:
    """Find and validate a preset by name (or, with ``allow_path``, a TOML file's path); its sound is
    ``.render``. Names from the network must pass ``allow_path=False``."""
    return read_preset(find_preset(name, dirs, allow_path))


def read_preset(path: Path) -> Preset:
    """Parse and check one preset file; every error names the file and what is accepted."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise PresetError(f"preset {path} cannot be read: {err}") from err
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise PresetError(f"preset {path}: unknown key(s) {', '.join(unknown)}; a preset has {', '.join(TOP_KEYS)}")
    for key in ("title", "description"):
        if not isinstance(data.get(key, ""), str):
            raise PresetError(f"preset {path}: {key} must be text")
    table = data.get("generate", {})
    if not isinstance(table, dict):
        raise PresetError(f"preset {path}: [generate] must be a table of generate keys")
    generate = {}
    for key, value in table.items():
        if key not in GENERATE_KEYS:
            raise PresetError(f"preset {path}: [generate] key {key!r} is not allowed; use {', '.join(GENERATE_KEYS)}")
        try:
            generate[key] = convert(KEYS[key], value)
        except InvalidRequest as err:
            raise PresetError(f"preset {path}: [generate] {err}") from None
    render = data.get("render", {})
    if not isinstance(render, dict):
        raise PresetError(f"preset {path}: [render] must be a table")
    return Preset(path.stem, path, data.get("title", ""), data.get("description", ""), generate,
                  parse_render(render, str(path)))


def list_presets(dirs: tuple[Path, ...] | None = None) -> list[Preset | PresetError]:
    """Every preset by name (the user's folder first), or the error that makes one unusable."""
    seen: dict[str, Preset | PresetError] = {}
    for folder in preset_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.stem not in seen:
                try:
                    seen[path.stem] = read_preset(path)
                except PresetError as err:
                    seen[path.stem] = err
    return [seen[name] for name in sorted(seen)]
