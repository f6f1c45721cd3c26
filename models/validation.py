"""The request checks every model shares, in a musician's words: task, parts, style, meter, sampling, clips."""

from __future__ import annotations

import math

from models.music.keys import parse_key
from models.types import METERS, PARTS, TASKS, Note, Request


def check_request(request: Request, *, parts: tuple[str, ...], styles: tuple[str, ...], max_bars: int,
                  max_variations: int, who: str, drums_note: str) -> None:
    """Raise ValueError, in a musician's words, for what a model cannot serve.

    ``who`` names the model in messages ("the model"), ``drums_note`` says why drums are refused.
    """
    if request.task not in TASKS:
        raise ValueError(f"unknown task '{request.task}': choose one of {', '.join(TASKS)}")
    if not request.parts:
        raise ValueError(f"no parts requested: name one or more of {', '.join(parts)}")
    for part in request.parts:
        if part not in PARTS or part not in parts:
            extra = f" ({drums_note})" if part == "drums" else ""
            raise ValueError(f"unknown part '{part}'{extra}: choose from {', '.join(parts)}")
    if request.style not in styles:
        raise ValueError(f"unknown style '{request.style}': {who} knows {', '.join(styles)}")
    if tuple(request.meter) not in METERS:
        meters = ", ".join(f"{a}/{b}" for a, b in METERS)
        raise ValueError(f"meter {request.meter[0]}/{request.meter[1]} is not supported: use one of {meters}")
    if not 0 <= request.bars <= max_bars:
        raise ValueError(f"bars must be between 0 and {max_bars}, not {request.bars}")
    if not 1 <= request.variations <= max_variations:
        raise ValueError(f"variations must be between 1 and {max_variations}, not {request.variations}")
    if not (math.isfinite(request.temperature) and request.temperature > 0):
        raise ValueError(f"temperature must be above 0 (1.0 is neutral), not {request.temperature}")
    if not 0 < request.top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], not {request.top_p}")
    if request.top_k < 0:
        raise ValueError(f"top_k must be 0 (off) or more, not {request.top_k}")
    if request.key:
        parse_key(request.key)


def require(request: Request, field_name: str, what: str) -> tuple[Note, ...]:
    """The clip a task needs (``melody``, ``source`` or ``prompt``); ValueError naming it when empty."""
    notes = getattr(request, field_name)
    if not notes:
        raise ValueError(f"the {request.task} task needs {what} (Request.{field_name} is empty)")
    return notes
