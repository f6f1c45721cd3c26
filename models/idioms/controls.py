"""The per-part controls `density` and `register`: their text read into a word per part, refused in a musician's words."""

from __future__ import annotations

import re

from models.types import PARTS, Request
from models.validation import RequestError

DENSITIES = ("low", "medium", "high")
REGISTERS = ("low", "middle", "high")
_EXAMPLE = "e.g. 'high', or per part 'bass:low keys:high'"


def parse_control(text: str, key: str, words: tuple[str, ...]) -> dict[str, str]:
    """``"high"`` -> ``{"*": "high"}``; ``"bass:low keys:high"`` (spaces or commas between) -> a word per part.

    Raises:
        RequestError: naming ``key``, for a word not in ``words``, a part that does not exist or a part named twice.
    """
    out: dict[str, str] = {}
    for item in (i for i in re.split(r"[\s,;]+", text.strip().lower()) if i):
        part, _, word = item.rpartition(":")
        part = part or "*"
        if word not in words:
            raise RequestError(f"{{key}} '{text}': '{word or item}' is not one of {', '.join(words)} ({_EXAMPLE})", key)
        if part != "*" and part not in PARTS:
            raise RequestError(f"{{key}} '{text}': '{part}' is not a part; name one of {', '.join(PARTS)} "
                               f"({_EXAMPLE})", key)
        if part in out:
            raise RequestError(f"{{key}} '{text}' names {'every part' if part == '*' else part} twice ({_EXAMPLE})",
                               key)
        out[part] = word
    return out


def check_controls(request: Request) -> None:
    """RequestError naming ``density`` or ``register`` when its text cannot be read."""
    parse_control(request.density, "density", DENSITIES)
    parse_control(request.register, "register", REGISTERS)


def word_for(control: dict[str, str], part: str, default: str) -> str:
    """The word a parsed control gives ``part``: its own, else the one for every part, else ``default``."""
    return control.get(part, control.get("*", default))
