"""MIDI timing of continuo's scheduler next to a naive time.sleep sender, measured in the same run.

    .venv/bin/python bench/bench_midi.py [--seconds 6] [--jack] [--busy N] [--normal-priority]

Plays the same dense loop (16th notes on three parts, 150 bpm) free-running through the player and
scheduler thread, and through a peer thread that sleeps until each event then sends. The send error
is the send time minus the scheduled time, p50/p99/max in milliseconds; each is measured idle and
while generation jobs on the bundled Markov model run back to back (the worker process, as in
`continuo serve`). Outputs are null ports, or real JACK ports with --jack (a server must run).
With --jack, what arrives is measured too, from outside: a separate process, a JACK client of its
own (the JACK-Client package: pip install -e '.[bench]'), stamps each event with its frame time,
its JACK cycle's start plus its offset in frames, on the scheduler's clock. The delivered error
is that time minus the scheduled time, beyond the smallest such difference (the constant
latency). python-rtmidi's JACK backend writes every event at offset 0 of the next JACK period, so
delivered times are quantised to the period (0 to 1 period late) whatever the send error.
--busy N adds N processes that keep a CPU core busy for the whole run (a loaded machine);
--normal-priority keeps the sending thread at normal priority (a user without an rtprio limit).
"""

from __future__ import annotations

import argparse
import importlib.util
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
from models.types import Note, Request, Result  # noqa: E402

TEMPO = 150.0


class NullOutput(mido.ports.BaseOutput):
    """Encodes like continuo's rtmidi output, then drops the bytes."""

    def _send(self, message: mido.Message) -> None:
        message.bytes()

    def send(self, message: mido.Message) -> None:
        self._send(message)


class SentLog:
    """Every message a run sends: when it left, when it was due (None: not scheduled) and its bytes."""

    def __init__(self, port: mido.ports.BaseOutput):
        self.port = port
        self.entries: list[tuple[float, float | None, str, bytes]] = []

    def send(self, message: mido.Message, due: float | None = None) -> None:
        self.port.send(message)
        self.entries.append((time.perf_counter(), due, threading.current_thread().name, bytes(message.bytes())))


class OutsideListener:
    """Another process, a JACK client of its own, that stamps each event it receives (this file --listen)."""

    def __init__(self, source: str):
        self.process = subprocess.Popen([sys.executable, __file__, "--listen", source], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        ready, rate, period = (self.process.stdout.readline().split() + ["", "", ""])[:3]
        if ready != "ready":
            raise RuntimeError(f"the JACK listener did not start on {source}")
        self.rate, self.period = int(rate), int(period)

    def stop(self) -> list[tuple[float, bytes]]:
        """(delivered time on time.perf_counter's clock, bytes) of each event heard, in order; counts xruns."""
        time.sleep(0.2)  # the last events' period has passed
        out, _ = self.process.communicate("", timeout=10)
        lines = [line.split() for line in out.splitlines()]
        self.xruns = int(lines.pop()[1])
        return [(float(when), bytes.fromhex(data)) for when, data in lines]


def listen(source: str) -> None:
    """The listener process: each event's time is its JACK cycle's start plus its frame offset.

    The cycle's start is read on the same monotonic clock as time.perf_counter (Linux), from
    JACK's own estimate of the frames passed since the cycle began.
    """
    import jack

    client = jack.Client(f"continuo-bench-listen-{os.getpid()}")
    port = client.midi_inports.register("input")
    rate = client.samplerate
    heard: list[tuple[float, bytes]] = []
    xruns = []
    client.set_xrun_callback(xruns.append)

    @client.set_process_callback
    def process(frames: int) -> None:
        start = time.perf_counter() - client.frames_since_cycle_start / rate
        for offset, data in port.incoming_midi_events():
            heard.append((start + offset / rate, bytes(data)))

    with client:
        client.connect(source, port)
        print("ready", rate, client.blocksize, flush=True)
        sys.stdin.read()
    for when, data in heard:
        print(f"{when:.7f} {data.hex()}")
    print("xruns", len(xruns))


def delivered_errors(log: SentLog, heard: list[tuple[float, bytes]]) -> tuple[list[float], int]:
    """Delivered minus scheduled time of each scheduled message heard, beyond the smallest (the constant
    latency); and how many messages sent were never heard."""
    late, lost, next_heard = [], 0, 0
    for _, due, _, data in log.entries:  # in order; a message lost in an xrun is simply missing
        if next_heard < len(heard) and heard[next_heard][1] == data:
            if due is not None:
                late.append(heard[next_heard][0] - due)
            next_heard += 1
        else:
            lost += 1
    return [d - min(late) for d in late], lost


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


def run_scheduler(log: SentLog, seconds: float) -> list[float]:
    scheduler = Scheduler(lambda key, message: log.send(message))
    player = Player(scheduler, ClockFollower())
    scheduler.start()
    result = dense_result()
    channels = {"bass": 3, "keys": 2, "arp": 5}
    player.play(Playback("bench", 1, playback_events(result, lambda part: ("", channels[part])),
                         result.bars * 4.0, 4.0, loop=True, synced=False, bpm=TEMPO))
    time.sleep(seconds)
    player.stop("bench done")
    scheduler.stop()
    errors = list(scheduler.errors)
    # each scheduled event of this loop is one message (no retriggers), sent just before its error is taken
    timed = [i for i, entry in enumerate(log.entries) if entry[2] == "midi-scheduler"]
    if len(timed) == len(errors):
        for i, error in zip(timed, errors):
            left, _, thread, data = log.entries[i]
            log.entries[i] = (left, left - error, thread, data)
    return errors


def run_naive(log: SentLog, seconds: float) -> list[float]:
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
            log.send(message, due=when)
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
    parser.add_argument("--listen", metavar="JACK_PORT", help=argparse.SUPPRESS)  # the outside listener process
    args = parser.parse_args()
    if args.listen:
        listen(args.listen)
        return
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
    outside = args.jack and importlib.util.find_spec("jack") is not None
    source = next((p for p in subprocess.run(["jack_lsp"], capture_output=True, text=True).stdout.splitlines()
                   if p.endswith(":bench out")), "") if outside else ""
    probe = OutsideListener(source) if outside else None
    period = f", JACK period {probe.period} frames at {probe.rate} Hz" if probe else ""
    if probe:
        probe.stop()
    print(f"MIDI send-time error vs schedule ({'JACK port' if args.jack else 'null port'}{period}, "
          f"{args.seconds:g} s each, 16ths on 3 parts at {TEMPO:g} bpm, {args.busy} busy process(es), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, sender priority "
          f"{'normal' if args.normal_priority else 'real-time when allowed'})")
    if args.jack and not outside:
        print("JACK-Client is not installed (pip install -e '.[bench]'): delivered timing not measured")
    rows = []
    for label, runner in (("continuo scheduler", run_scheduler), ("naive time.sleep sender", run_naive)):
        for condition in ("idle", "jobs running"):
            log = SentLog(port)
            listener = OutsideListener(source) if outside else None
            if condition == "idle":
                errors, jobs = runner(log, args.seconds), None
            else:
                with JobLoad(engine) as load:
                    errors = runner(log, args.seconds)
                jobs = load.done
            delivered = (*delivered_errors(log, listener.stop()), listener.xruns) if listener else None
            rows.append((label, condition, errors, jobs, delivered))
    for label, condition, errors, jobs, delivered in rows:
        p50, p99, worst = percentiles(errors)
        extra = f"   ({jobs} jobs done meanwhile)" if jobs is not None else ""
        print(f"{label:<24} {condition:<13} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   max {worst:7.3f} ms   "
              f"(n={len(errors)}){extra}")
        if delivered:
            late, lost, xruns = delivered
            p50, p99, worst = percentiles(late)
            print(f"{'  delivered (outside client)':<38} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   max {worst:7.3f} ms"
                  f"   (n={len(late)}, {lost} never arrived, {xruns} xruns)")
    engine.stop()
    port.close()


if __name__ == "__main__":
    main()
