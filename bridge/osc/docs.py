"""Writes docs/osc.md's address table from the routes themselves: `python -m bridge.osc.docs`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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
keys take MIDI files instead of clip names.

| key | meaning |
|---|---|
{keys}

## Error codes

| code | meaning |
|---|---|
| `bad_request` | an argument, key or value is wrong; the message names it and what is accepted |
| `unknown_address` | no such address; the message lists the addresses |
| `malformed_packet` | the bytes are not valid OSC |
| `packet_too_large` | a request over `packet_max_bytes` |
| `unknown_clip` | the job names a clip that was never uploaded |
| `duplicate_job` | a job of that name is already queued or running |
| `queue_full` | `queue_size` jobs are already waiting |
| `cancelled` | the job was cancelled with `/continuo/cancel` |
| `timeout` | the job ran longer than `job_timeout_seconds` |
| `worker_crashed` | the model process died during the job; it has been restarted |
| `model_error` | the model failed or could not be loaded |
| `write_failed` | the MIDI file could not be written (disk full, permissions) |
| `shutdown` | continuo stopped before the job ended |
| `ableton_timeout` | Live did not answer: is AbletonOSC installed and Live running? (docs/daw/ableton.md) |
| `ableton` | Live refused, or holds something else than asked for (no clip there, a slot taken...) |
"""


def render(routes) -> str:
    from bridge.requests import KEYS

    def cell(text: str) -> str:
        # angle brackets would be read as HTML tags by Markdown renderers
        return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")

    rows = [f"| `{r.address}` | {cell(r.arguments)} | {cell(r.replies)} | {cell(r.errors)} |"
            for r in sorted(routes, key=lambda r: r.address)]
    keys = "\n".join(f"| `{k.name}` | {cell(k.help)} |" for k in KEYS.values())
    return HEADER + "\n".join(rows) + "\n" + FOOTER.format(keys=keys)


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
