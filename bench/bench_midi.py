"""MIDI send-time error of continuo's scheduler next to a naive time.sleep sender, measured in the same run.

    .venv/bin/python bench/bench_midi.py [--seconds 6] [--jack] [--busy N] [--normal-priority]

Plays the same dense loop (16th notes on three parts, 150 bpm) free-running through the player and
scheduler thread, and through a peer thread that sleeps until each event then sends. The error is
the send time minus the scheduled time, p50/p99/max in milliseconds; each is measured idle and
while generation jobs on the bundled Markov model run back to back (the worker process, as in
`continuo serve`). Outputs are null ports, or real JACK ports with --jack (a server must run).
--busy N adds N processes that keep a CPU core busy for the whole run (a loaded machine);
--normal-priority keeps the sending thread at normal priority (a user without an rtprio limit).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mido  # noqa: E402
import mido.ports  # noqa: E402

from bridge.jobs.engine import Job, JobEngine  # noqa: E402
from bridge.midi.clock import ClockFollower  # noqa: E402
from bridge.midi.player import Playback, Player, playback_events  # noqa: E402
import bridge.midi.scheduler as scheduler_module  # noqa: E402
from bridge.midi.scheduler import Scheduler, shorten_gil_switching  # noqa: E402
from bridge.settings import load_settings  # noqa: E402
from models.api import Note, Request, Result  # noqa: E402

TEMPO = 150.0


class NullOutput(mido.ports.BaseOutput):
    """Encodes like continuo's rtmidi output, then drops the bytes."""

    def _send(self, message: mido.Message) -> None:
        message.bytes()

    def send(self, message: mido.Message) -> None:
        self._send(message)


def open_output(jack: bool) -> mido.ports.BaseOutput:
    if not jack:
        return NullOutput("null")
    from bridge.midi.ports import RtMidiFactory

    return RtMidiFactory("jack", "continuo-bench").open_output("bench out", virtual=True)


def dense_result(bars: int = 2) -> Result:
    parts = {part: tuple(Note(48 + 12 * i + step % 5, step * 0.25, 0.2, 90) for step in range(bars * 16))
             for i, part in enumerate(("bass", "keys", "arp"))}
    return Result(parts, (), bars, (4, 4), TEMPO)


def percentiles(errors: list[float]) -> tuple[float, float, float]:
    ordered = sorted(abs(e) * 1e3 for e in errors)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], ordered[-1]


def run_scheduler(port: mido.ports.BaseOutput, seconds: float) -> list[float]:
    scheduler = Scheduler(lambda key, message: port.send(message))
    player = Player(scheduler, ClockFollower())
    scheduler.start()
    result = dense_result()
    channels = {"bass": 3, "keys": 2, "arp": 5}
    player.play(Playback("bench", 1, playback_events(result, lambda part: ("", channels[part])),
                         result.bars * 4.0, 4.0, loop=True, synced=False, bpm=TEMPO))
    time.sleep(seconds)
    player.stop("bench done")
    scheduler.stop()
    return list(scheduler.errors)


def run_naive(port: mido.ports.BaseOutput, seconds: float) -> list[float]:
    """The peer: a thread that sleeps until each event's time, then sends it."""
    result = dense_result()
    events = playback_events(result, lambda part: ("", 0))
    length = result.bars * 4.0 * 60.0 / TEMPO
    errors: list[float] = []
    start = time.perf_counter() + 0.05
    cycle = 0
    while True:
        for beat, _, _, message in events:
            when = start + cycle * length + beat * 60.0 / TEMPO
            if when - start > seconds:
                return errors
            delay = when - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            port.send(message)
            errors.append(time.perf_counter() - when)
        cycle += 1


class JobLoad:
    """Generation jobs on the default model, back to back, while the block runs."""

    def __init__(self, engine: JobEngine):
        self.engine = engine
        self.done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        request = Request(task="accompany", chords="Am7 | D7 | Gmaj7 | Cmaj7", parts=("bass", "keys", "pad"),
                          bars=16, tempo=TEMPO)
        number = 0
        while not self._stop.is_set():
            finished = threading.Event()

            def end(job, value, finished=finished):
                finished.set()

            number += 1
            self.engine.submit(Job(f"load-{number}", request, end, end))
            finished.wait(30)
            self.done += 1

    def __enter__(self) -> JobLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per measurement")
    parser.add_argument("--jack", action="store_true", help="send on a real JACK port instead of a null port")
    parser.add_argument("--busy", type=int, default=0, help="processes that keep a core busy meanwhile")
    parser.add_argument("--normal-priority", action="store_true", help="no real-time priority for the sender")
    args = parser.parse_args()
    if args.normal_priority:
        scheduler_module.raise_priority = lambda: False
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        measure(args)
    finally:
        for hog in hogs:
            hog.kill()


def measure(args: argparse.Namespace) -> None:
    port = open_output(args.jack)
    shorten_gil_switching()  # as `continuo serve` does when MIDI is on
    engine = JobEngine(load_settings(env={}, flags={"log_level": "warning"}))
    engine.start()
    deadline = time.monotonic() + 120
    while engine.status()["model_state"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"MIDI send-time error vs schedule ({'JACK port' if args.jack else 'null port'}, "
          f"{args.seconds:g} s each, 16ths on 3 parts at {TEMPO:g} bpm, {args.busy} busy process(es), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, sender priority "
          f"{'normal' if args.normal_priority else 'real-time when allowed'})")
    rows = []
    for label, runner in (("continuo scheduler", run_scheduler), ("naive time.sleep sender", run_naive)):
        rows.append((label, "idle", runner(port, args.seconds), None))
        with JobLoad(engine) as load:
            errors = runner(port, args.seconds)
        rows.append((label, "jobs running", errors, load.done))
    for label, condition, errors, jobs in rows:
        p50, p99, worst = percentiles(errors)
        extra = f"   ({jobs} jobs done meanwhile)" if jobs is not None else ""
        print(f"{label:<24} {condition:<13} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   max {worst:7.3f} ms   "
              f"(n={len(errors)}){extra}")
    engine.stop()
    port.close()


if __name__ == "__main__":
    main()
