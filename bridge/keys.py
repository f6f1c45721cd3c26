"""The generate keys shared by OSC, the CLI and presets: one table, and the check of each value."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.errors import InvalidRequest
from bridge.paths import check_name
from models.types import METERS, PARTS, TASKS

CLIP_KEYS = ("melody", "source", "prompt", "target", "texture")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Key:
    """One key: its name, the kind of value it takes, its help text, and the range or choices accepted."""

    name: str
    kind: str  # text, choice, int, float, clip, parts, meter, bars, name, flag
    help: str
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("task", "choice", "what to generate", choices=TASKS),
    Key("chords", "text", 'chord progression, bars separated by | (e.g. "Am7 | D7 | G Em | C")'),
    Key("melody", "clip", "melody to accompany or harmonize"),
    Key("source", "clip", "part to rewrite (infill, transfer, variations)"),
    Key("prompt", "clip", "music to continue"),
    Key("target", "clip", "interpolate: the clip to morph towards, from source"),
    Key("texture", "clip", "transfer: a clip whose texture (rhythm and figuration) goes over the source's chords"),
    Key("parts", "parts", "parts to write, comma separated: " + ", ".join(PARTS)),
    Key("style", "name", "style of the result (e.g. pop)"),
    Key("bars", "int", "bars to write (0: as many as the chords or prompt)", 0, 256),
    Key("meter", "meter", "time signature: " + ", ".join(f"{a}/{b}" for a, b in METERS)),
    Key("tempo", "float", "tempo in beats per minute, written to the MIDI file", 20, 400),
    Key("key", "text", "key, e.g. C, Am, F# minor (empty: detect)"),
    Key("temperature", "float", "randomness: below 1 safer, above 1 wilder", 0.01, 3),
    Key("top_p", "float", "sample only from the likeliest choices covering this probability", 0.01, 1),
    Key("top_k", "int", "sample only from the k likeliest choices (0: no limit)", 0, 1024),
    Key("seed", "int", "random seed: the same seed and inputs give the same notes, on any load and thread settings; "
        "variation i is the take of seed + i", 0, 2**31 - 1),
    Key("variations", "int", "how many different results", 1, 16),
    Key("infill_bars", "bars", "bars to rewrite for infill, e.g. 3,4 or 3-6"),
    Key("fills", "int", "drums: a fill at the end of every 4 or 8 bars, or 0 for none (default 4)", 0, 8),
    Key("humanize", "float", "timing off the grid in ms: pitched notes move early or late at random by up to "
        "this much (a chord together), drums keep the drummer's own timing within it (0: on the grid; "
        "default: as the model and the drummer play)", 0, 100),
    Key("humanize_velocity", "float", "+- range of the random part of each pitched note's velocity around the "
        "learnt accents (0: accents only; default: the spread learnt from POP909's pianists, about +-25)", 0, 40),
    Key("dynamics", "choice", "how loud the parts play: soft, medium or loud (bass and keys average about "
        "56, 76, 96; drums move with them; default: medium, drums as the drummer plays)",
        choices=("soft", "medium", "loud")),
    Key("swing", "float", "swing in percent of a step: how late the second eighth (or sixteenth) of each pair "
        "comes, every part; 0 straight, 33 triplet shuffle, 50 dotted, up to 75 (Ableton/MPC swing = 50 + this/2)",
        0, 75),
    Key("swing_on", "choice", "what swings: eighths (default) or sixteenths", choices=("eighths", "sixteenths")),
    Key("density", "text", "how many notes a part plays: low, medium or high for every part, or per part "
        "as 'bass:low keys:high'"),
    Key("register", "text", "where a part plays: low, middle or high for every part, or per part "
        "as 'bass:low keys:high'"),
    Key("rate", "choice", "arp: the step, 1/8, 1/16, 1/8T or 1/16T (default: the model chooses)",
        choices=("1/8", "1/16", "1/8T", "1/16T")),
    Key("pattern", "choice", "arp: up, down, up-down, down-up, random or as-voiced (default: the model chooses)",
        choices=("up", "down", "up-down", "down-up", "random", "as-voiced")),
    Key("octaves", "int", "arp: octaves the pattern climbs, 1 to 3 (default: the model chooses)", 1, 3),
    Key("gate", "float", "arp: the share of each step a note sounds, 0.05 to 1 (default: the model chooses)",
        0.05, 1),
    Key("steps", "int", "interpolate: results from source to target, 3 to 16 (default 5)", 3, 16),
    Key("strength", "float", "transfer: 0 a light touch to 1 a full rewrite (default 1)", 0, 1),
    Key("similarity", "float", "variations: 0 far from the source to 1 close to it (default 0.5)", 0, 1),
    Key("chords_per_bar", "float", "harmonize: chords per bar, 0.5 (one every two bars), 1 or 2 (default 2: a chord is still held over the bar where the tune does)", 0.5, 2),
    Key("chord_style", "choice", "harmonize: triads, sevenths, or jazz (extensions, tritone substitutions, ii-V "
        "insertions); default triads", choices=("triads", "sevenths", "jazz")),
    Key("chord_temperature", "float", "harmonize: 0 the likeliest chords (default), up to 2 for more adventurous "
        "ones, the same seed giving the same chords", 0, 2),
    Key("include_prompt", "flag", "continue: true returns the prompt and its continuation as one result from the "
        "prompt's first bar (default false: the new bars only, from beat 0)"),
    Key("output", "name", "MIDI file name in the output folder (default: job name and time); a name a result "
        "already has gets a number: song-2.mid, its preview and stems alike"),
    Key("overwrite", "flag", "true: write over the files of a result of the same name instead of numbering "
        "the new one (default false)"),
    Key("play", "choice", "play the result on the MIDI outputs as soon as it is ready: no, once or loop "
        "(daemon only; see docs/midi.md)", choices=("no", "once", "loop")),
    Key("render", "flag", "also render audio stems of the result: true or false (see docs/render.md)"),
    Key("preset", "name", "a named preset (`continuo presets`): its style, parts, tempo, meter and sampling are "
        "the defaults of this request, and its sound is used by render"),
    Key("preview", "flag", "also draw a piano-roll PNG of each result: true or false"),
)}


def _as_int(key: Key, value: object) -> int:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidRequest(f"{key.name} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")) or value != int(value):
        raise InvalidRequest(f"{key.name} must be a whole number, got {value!r}")
    return int(value)


def _as_float(key: Key, value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidRequest(f"{key.name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        raise InvalidRequest(f"{key.name} must be a finite number, got {value!r}")
    return float(value)


def _as_list(key: Key, value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value.strip()) if v]
    raise InvalidRequest(f"{key.name} must be text like 'bass,keys', got {value!r}")


def _as_flag(key: Key, value: object) -> bool:
    """true/false as OSC's T/F, 1/0 or text (yes/no, on/off too)."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise InvalidRequest(f"{key.name} must be true or false, got {value!r}")


def convert(key: Key, value: object) -> object:
    """Check one value against its key and return it in the engine's type."""
    if key.kind == "flag":
        return _as_flag(key, value)
    if key.kind == "int" or key.kind == "float":
        number = _as_int(key, value) if key.kind == "int" else _as_float(key, value)
        if not key.low <= number <= key.high:
            raise InvalidRequest(f"{key.name} {number:g} is out of range: use {key.low:g} to {key.high:g}")
        return number
    if key.kind == "parts":
        parts = _as_list(key, value)
        unknown = [p for p in parts if p not in PARTS]
        if unknown or not parts:
            raise InvalidRequest(f"parts {unknown or parts!r} not known: choose from {', '.join(PARTS)}")
        if len(set(parts)) != len(parts):
            raise InvalidRequest(f"parts {parts!r} names a part twice")
        return tuple(parts)
    if key.kind == "bars":
        bars: list[int] = []
        for item in _as_list(key, value if not isinstance(value, (int, float)) else str(int(value))):
            low, _, high = item.partition("-")
            try:
                first, last = int(low), int(high or low)
            except ValueError:
                raise InvalidRequest(f"{key.name} {item!r}: write bar numbers like 3,4 or 3-6") from None
            if not 1 <= first <= last <= 256:
                raise InvalidRequest(f"{key.name} {item!r}: bars are numbered 1 to 256, low to high")
            bars.extend(range(first, last + 1))
        return tuple(sorted(set(bars)))
    if not isinstance(value, str):
        raise InvalidRequest(f"{key.name} must be text, got {type(value).__name__} {value!r}")
    if key.kind == "choice":
        if value not in key.choices:
            raise InvalidRequest(f"{key.name} {value!r} is not known: choose from {', '.join(key.choices)}")
        return value
    if key.kind == "meter":
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
        meter = (int(match.group(1)), int(match.group(2))) if match else None
        if meter not in METERS:
            raise InvalidRequest(f"meter {value!r} is not supported: use {', '.join(f'{a}/{b}' for a, b in METERS)}")
        return meter
    if key.kind in ("name", "clip"):
        return check_name(value, key.name if key.kind == "name" else f"{key.name} clip")
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"{key.name} is longer than {MAX_TEXT} characters")
    return value
