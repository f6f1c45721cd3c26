"""The nearest style a model knows to one it does not, for the messages that refuse a style and suggest another."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Musical neighbours, nearest first: what to suggest when a style is not there (jazz-trio's preset
# plays jazz as upbeat; the drum model's pitched parts play it as ballad).
NEIGHBOURS = {
    "jazz": ("upbeat", "ballad", "pop", "classical"),
    "rock": ("upbeat", "pop"),
    "custom": ("pop",),
    "pop": ("ballad", "upbeat", "folk"),
    "ballad": ("pop", "folk"),
    "upbeat": ("pop", "folk"),
    "folk": ("pop", "ballad"),
    "chorale": ("renaissance", "classical"),
    "renaissance": ("chorale", "classical"),
    "classical": ("chorale", "renaissance", "pop"),
}


def nearest_style(style: str, known: Iterable[str]) -> str | None:
    """The style of ``known`` nearest to ``style``: a musical neighbour, else the closest spelling, else None."""
    known = sorted(set(known))
    wanted = style.strip().lower()
    for neighbour in NEIGHBOURS.get(wanted, ()):
        if neighbour in known:
            return neighbour
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    return close[0] if close else None


def style_choices(style: str, known: Iterable[str], who: str, verb: str = "knows") -> str:
    """``"{key} 'jazz' is not one WHO knows: the nearest is 'upbeat'; choose from ballad, pop, upbeat"``
    (``{key}`` where the key's name goes, as ``models.validation.RequestError`` words it)."""
    known = sorted(set(known))
    near = nearest_style(style, known)
    hint = f": the nearest is '{near}'" if near else ""
    return f"{{key}} '{style}' is not one {who} {verb}{hint}; choose from {', '.join(known)}"
