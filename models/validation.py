"""The request checks every model shares, in a musician's words: task, parts, style, meter, sampling, clips."""

from __future__ import annotations

import math

from models.music.keys import parse_key
from models.styles import style_choices
from models.types import METERS, PARTS, TASKS, Note, Request


class RequestError(ValueError):
    """A request a model cannot serve, in a musician's words, naming the request key at fault.

    The message says ``{key}`` where the key goes: ``str()`` names it as OSC does (``chords``),
    ``worded(flags=True)`` as the command line does (``--chords``).
    """

    def __init__(self, template: str, key: str) -> None:
        self.template, self.key = template, key
        super().__init__(self.worded())

    def __reduce__(self):  # so it crosses a process boundary whole
        return type(self), (self.template, self.key)

    def worded(self, flags: bool = False) -> str:
        return self.template.replace("{key}", "--" + self.key.replace("_", "-") if flags else self.key)


# what each task cannot do without: the key and what it holds
TASK_NEEDS = {
    "accompany": ("chords", "a chord progression ({key}), e.g. 'Am7 | D7 | G Em | C'"),
    "harmonize": ("melody", "a melody to harmonize ({key})"),
    "continue": ("prompt", "a prompt clip to continue ({key})"),
    "infill": ("source", "a source clip to rewrite bars of ({key})"),
    "transfer": ("source", "a source clip to rewrite ({key})"),
    "variations": ("source", "a source clip to vary ({key})"),
    "interpolate": ("source", "a source clip to morph from ({key}) and a target clip to morph to (target)"),
}


def check_request(request: Request, *, parts: tuple[str, ...], styles: tuple[str, ...], max_bars: int,
                  max_variations: int, who: str, drums_note: str) -> None:
    """Raise RequestError, in a musician's words, for what a model cannot serve.

    ``who`` names the model in messages ("the model"), ``drums_note`` says why drums are refused.
    """
    if request.task not in TASKS:
        raise RequestError(f"unknown {{key}} '{request.task}': choose one of {', '.join(TASKS)}", "task")
    if not request.parts:
        raise RequestError(f"no parts requested ({{key}}): name one or more of {', '.join(parts)}", "parts")
    for part in request.parts:
        if part not in PARTS or part not in parts:
            extra = f" ({drums_note})" if part == "drums" else ""
            raise RequestError(f"unknown part '{part}'{extra}: choose from {', '.join(parts)} ({{key}})", "parts")
    if request.style not in styles:
        raise RequestError(style_choices(request.style, styles, who), "style")
    if tuple(request.meter) not in METERS:
        meters = ", ".join(f"{a}/{b}" for a, b in METERS)
        raise RequestError(f"{{key}} {request.meter[0]}/{request.meter[1]} is not supported: use one of {meters}",
                           "meter")
    if not 0 <= request.bars <= max_bars:
        raise RequestError(f"{{key}} must be between 0 and {max_bars}, not {request.bars}", "bars")
    if not 1 <= request.variations <= max_variations:
        raise RequestError(f"{{key}} must be between 1 and {max_variations}, not {request.variations}", "variations")
    if not (math.isfinite(request.temperature) and request.temperature > 0):
        raise RequestError(f"{{key}} must be above 0 (1.0 is neutral), not {request.temperature}", "temperature")
    if not 0 < request.top_p <= 1:
        raise RequestError(f"{{key}} must be in (0, 1], not {request.top_p}", "top_p")
    if request.top_k < 0:
        raise RequestError(f"{{key}} must be 0 (off) or more, not {request.top_k}", "top_k")
    if request.key:
        try:
            parse_key(request.key)
        except ValueError:
            raise RequestError(f"{{key}} '{request.key}' is not a key: write a tonic A-G with optional # or b and "
                               "optionally m, minor or major (e.g. C, Am, F# minor), or leave it out to detect it",
                               "key") from None
    check_inputs(request)


def check_inputs(request: Request) -> None:
    """RequestError naming the key when the request lacks what its task needs (chords, a clip, infill bars)."""
    key, what = TASK_NEEDS.get(request.task, ("", ""))
    given = getattr(request, key, "") if key else True
    if not (given.strip() if isinstance(given, str) else given):
        raise RequestError(f"the {request.task} task needs {what}", key)
    if request.task == "interpolate" and not request.target:
        raise RequestError("the interpolate task needs a target clip to morph to ({key})", "target")
    if request.task == "infill" and not request.infill_bars:
        raise RequestError("the infill task needs the bars to rewrite ({key}), e.g. 3,4 or 3-6", "infill_bars")


def require(request: Request, field_name: str, what: str) -> tuple[Note, ...]:
    """The clip a task needs (``melody``, ``source`` or ``prompt``); RequestError naming it when empty."""
    notes = getattr(request, field_name)
    if not notes:
        raise RequestError(f"the {request.task} task needs {what} ({{key}})", field_name)
    return notes
