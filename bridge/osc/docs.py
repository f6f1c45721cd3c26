"""Writes docs/osc.md from the code: routes, generate keys, error codes (`python -m bridge.osc.docs`)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bridge import errors
from bridge.errors import ContinuoError

HEADER = """# OSC API

continuo listens on UDP **and** TCP, port 7300 by default, on 127.0.0.1 unless told otherwise.

- **UDP replies** go to the sender's IP address at the reply port (default 7301), as AbletonOSC
  does, so Max's `[udpsend]`/`[udpreceive]` and Pd's `[netsend -u -b]`/`[netreceive -u -b]` work.
  With `reply_port = 0` replies go back to the port the request came from.
- **TCP replies** go back on the same connection, framed as the request was: OSC 1.0 (a 32-bit
  big-endian length before each packet) or OSC 1.1 (SLIP, packets between `0xC0` bytes),
  detected from the first byte of the connection.
- Addresses are matched **exactly**; OSC patterns (`*`, `?`, `[..]`, `{..}`) are refused.
  Bundles are accepted (nested up to 8 deep) and their messages run at once, in order; timetags
  are ignored.
- **Notes** are flat groups of four: `pitch:int start_beats:float duration_beats:float
  velocity:int`, beats being quarter notes from the start of bar 1. Integers sent as floats
  (Pure Data sends every number as a float) are accepted when they are whole.
- **Names** (jobs, clips, output files) are 1–64 characters of letters, digits, `_ . -`,
  not starting with `.` or `-`; they never become paths outside the output folder.
- Every failure is answered with `/continuo/error <job> <code> <message>`: `<job>` is the job
  name when the request named one, `-` otherwise; `<message>` says what was wrong and what is
  accepted. Every accepted job ends with exactly one `/continuo/done` or one `/continuo/error`.
- Reply datagrams never exceed `reply_max_bytes` (4096 by default: Pure Data reads at most
  4096 bytes); notes are split into chunks numbered from 1. Requests may be up to
  `packet_max_bytes` (65507); upload longer clips in parts with `/continuo/clip/append`.

## Addresses

| address | arguments | replies | errors |
|---|---|---|---|
"""

FOOTER = """
## Generate keys

`/continuo/generate <job> key value key value ...`, or `/continuo/generate <job> '<JSON object>'`
with the same keys. On the command line each key is a flag (`--top-p` for `top_p`), and the clip
keys take MIDI files instead of clip names: their tempo, meter and key signature are used unless
given, their drums (channel 10) left out, and `--melody-track` (a name, a number from 1 or `ch1`-`ch16`)
picks the melody's track (without it: the highest track that plays mostly one note at a time).
Errors name the key as sent (`chords`); the command line names the flag (`--chords`).

| key | meaning |
|---|---|
{keys}

## Error codes

| code | meaning |
|---|---|
{errors}
"""


def render(routes) -> str:
    from bridge.requests import KEYS

    rows = [f"| `{r.address}` | {_cell(r.arguments)} | {_cell(r.replies)} | {_cell(r.errors)} |"
            for r in sorted(routes, key=lambda r: r.address)]
    keys = "\n".join(f"| `{k.name}` | {_cell(k.help)} |" for k in KEYS.values())
    return HEADER + "\n".join(rows) + "\n" + FOOTER.format(keys=keys, errors=error_table())


def error_classes() -> list[type[ContinuoError]]:
    """Every error class of bridge.errors that has a code of its own, in the order they are defined."""
    return [value for value in vars(errors).values()
            if isinstance(value, type) and issubclass(value, ContinuoError) and "code" in vars(value)]


def error_table() -> str:
    """The rows of docs/osc.md's error-code table: each code and its class's docstring."""
    return "\n".join(f"| `{error.code}` | {_cell(error.__doc__ or '')} |" for error in error_classes())


def _cell(text: str) -> str:
    # angle brackets would be read as HTML tags by Markdown renderers
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def current() -> str:
    from bridge.app import App
    from bridge.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = App(Settings(output_dir=Path(folder)))
        return render(app.router.routes.values())


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[2] / "docs" / "osc.md"
    target.write_text(current(), encoding="utf-8")
    sys.stderr.write(f"wrote {target}\n")
