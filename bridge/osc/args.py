"""Small checks for positional OSC arguments, each naming the address's usage on failure."""

from __future__ import annotations

from bridge.errors import InvalidRequest
from bridge.paths import check_name


def need(args: list, count: int, usage: str, exact: bool = False) -> None:
    if len(args) < count or (exact and len(args) != count):
        raise InvalidRequest(f"expected {usage}; got {len(args)} argument(s)")


def name_arg(args: list, index: int, what: str, usage: str) -> str:
    need(args, index + 1, usage)
    return check_name(args[index], what)
