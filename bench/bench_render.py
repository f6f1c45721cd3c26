"""Stem rendering speed next to FluidSynth's fast render of the same MIDI and SoundFont, in the same run.

    .venv/bin/python bench/bench_render.py [--bars 32] [--repeats 3] [--soundfont FILE]
    .venv/bin/python bench/bench_render.py --commands --repeats 7 [--priority] [--baseline DIR]

Needs the `fluidsynth` program (apt install fluidsynth) and a GM SoundFont (apt install
timgm6mb-soundfont). Prints realtime factors (seconds of music per second of wall time, higher
is faster): `fluidsynth -F` rendering the whole file (the issue's peer) and once per part (how
fluidsynth makes stems), continuo rendering one stem per part plus
the mix with the same SoundFont (dry, and with the default preset's effects and loudness), the
sketch instruments, the `continuo render` command end to end, and scaling from 1 to 2 processes
on a batch of files, next to fluidsynth run on the same files one and two at a time (what this
machine gives two independent processes); last, the daemon's render service answering render after
render. The medians of ``--repeats`` runs are shown; other work on the machine
makes single runs noisy. ``--priority`` runs the bench ahead of other sessions' work (Linux, root):
on a shared machine, what an idle one gives; without it, each session gets an equal share of the
CPU, so the command's second thread buys it nothing and the wall-time ratio is the CPU-time ratio.
``--baseline DIR`` runs the command from another checkout of continuo too (a copy of the code before a change,
with its ``bridge`` and ``models``), in the same turns: before and after, measured alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.midi.files import build_midi, write_midi  # noqa: E402
from bridge.presets import load_preset  # noqa: E402
from bridge.render.presets import parse_render  # noqa: E402
from bridge.render.soundfont import require_soundfont  # noqa: E402
from bridge.render.specs import with_instrument  # noqa: E402
from bridge.render.stems import render_files  # noqa: E402
from models.types import Note  # noqa: E402

PARTS = ("melody", "counter", "keys", "bass", "pad", "arp", "drums")
TEMPO = 120.0


def write_song(path: Path, bars: int, seed: int = 0, keep: tuple[str, ...] = PARTS) -> float:
    """A 7-part song (or the ``keep`` parts of it), busy like a real arrangement; returns its length in seconds."""
    beats = 4 * bars
    chords = [(57, 60, 64), (50, 53, 57), (55, 59, 62), (48, 52, 55)]
    parts: dict[str, list[Note]] = {p: [] for p in PARTS}
    for bar in range(bars):
        root = chords[(bar + seed) % 4]
        b0 = bar * 4.0
        for beat in range(4):
            parts["melody"].append(Note(root[beat % 3] + 12, b0 + beat, 0.9, 90))
            parts["counter"].append(Note(root[(beat + 1) % 3] + 7, b0 + beat + 0.5, 0.45, 70))
            parts["bass"].append(Note(root[0] - 24 + (7 if beat == 2 else 0), b0 + beat, 0.95, 100))
            parts["drums"] += [Note(36 if beat % 2 == 0 else 38, b0 + beat, 0.1, 110),
                               Note(42, b0 + beat, 0.1, 70), Note(42, b0 + beat + 0.5, 0.1, 60)]
        parts["keys"] += [Note(p, b0 + half * 2, 1.9, 80) for half in range(2) for p in root]
        parts["pad"] += [Note(p + 12, b0, 4.0, 60) for p in root]
        parts["arp"] += [Note(root[i % 3] + 12 * (i % 2), b0 + i * 0.25, 0.25, 80) for i in range(16)]
    parts = {p: n for p, n in parts.items() if p in keep}
    write_midi(path, build_midi({p: tuple(n) for p, n in parts.items()}, TEMPO, (4, 4), title=path.stem))
    for part, notes in parts.items():  # one file per part too, for fluidsynth's way to stems
        write_midi(path.with_name(f"{path.stem}.{part}.mid"), build_midi({part: tuple(notes)}, TEMPO, (4, 4)))
    return beats * 60.0 / TEMPO


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (fluidsynth, pool workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(cases: list[tuple[str, Callable[[], object], float]], repeats: int,
            before: Callable[[], object] = lambda: None) -> list[tuple[str, float, float, float]]:
    """(label, median wall s, median CPU s, audio s) per case; the cases take turns, so load that comes
    and goes hits them alike. ``before`` runs untimed before every run (it removes earlier outputs)."""
    walls: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    cpus: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for _ in range(repeats):
        for label, run, _ in cases:
            before()
            cpu, started = cpu_seconds(), time.perf_counter()
            run()
            walls[label].append(time.perf_counter() - started)
            cpus[label].append(cpu_seconds() - cpu)
    return [(label, statistics.median(walls[label]), statistics.median(cpus[label]), audio)
            for label, _, audio in cases]


def daemon_renders(work: Path, soundfont: Path, bars: int = 8, renders: int = 4) -> list[float]:
    """Seconds from submitting a render to the daemon's render service to its answer, render after
    render (default preset, 7 parts); the service starts the next render's process after each one."""
    import threading

    from bridge.render.service import RenderJob, RenderService
    from bridge.settings import load_settings

    song = work / "daemon.mid"
    write_song(song, bars)
    settings = load_settings(env={}, flags={"output_dir": work / "daemon-out", "soundfont": str(soundfont),
                                             "render_jobs": 1, "log_level": "warning", "midi_backend": "none"})
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    service = RenderService(settings)
    service.start()
    seconds = []
    try:
        for number in range(renders):
            ended, outcome = threading.Event(), []

            def finish(job: RenderJob, value: object, kind: str = "done") -> None:
                outcome.append(kind)
                ended.set()

            started = time.perf_counter()
            service.submit(RenderJob(f"bench{number}", [song], load_preset("default").render, finish,
                                     lambda job, error: finish(job, error, f"error: {error}")))
            ended.wait(120)
            seconds.append(time.perf_counter() - started)
            if outcome != ["done"]:
                sys.exit(f"daemon render failed: {outcome}")
            time.sleep(3.0)  # a producer's pause between renders, in which the next process gets ready
    finally:
        service.stop()
    return seconds


COMMAND_PARTS = ("melody", "keys", "bass")
COMMAND_BARS = 50  # 100 s at 120 bpm


def commands_end_to_end(work: Path, fluidsynth: str, soundfont: Path, repeats: int, baseline: str = "") -> float:
    """`continuo render` (default preset, default jobs, start-up included) against `fluidsynth -F` on the same
    100-second, 3-track file, each a fresh process, taking turns; prints the medians, returns the median of
    the per-turn ratios (a turn's two runs see the same load).

    continuo runs as installed: with its bytecode cached (pip compiles it on install). This sandbox sets
    PYTHONDONTWRITEBYTECODE, which would make every run compile continuo's modules again; the cache goes
    to the bench's own folder, filled by an untimed first run. ``baseline``: a folder holding another checkout's
    ``bridge`` and ``models``, whose command takes its turn too.
    """
    song = work / "command.mid"
    seconds = write_song(song, COMMAND_BARS, keep=COMMAND_PARTS)
    out = work / "command-out"
    config = work / "command-config"  # no user config or presets: the defaults, as after installing
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(XDG_CONFIG_HOME=str(config), XDG_DATA_HOME=str(config), PYTHONPYCACHEPREFIX=str(work / "pycache"))
    fluid = [fluidsynth, "-ni", "-q", "-F", str(work / "command-fluid.wav"), "-r", "44100", str(soundfont), str(song)]
    continuo = [sys.executable, "-m", "bridge", "render", str(song), "--out", str(out), "--soundfont", str(soundfont)]
    runs: list[tuple[str, list[str], dict[str, str] | None, str | None]] = [
        ("fluid", fluid, None, None), ("continuo", continuo, env, None)]
    if baseline:  # run from that folder: its bridge and models come first on the path
        runs.append(("baseline", continuo, dict(env, PYTHONPYCACHEPREFIX=str(work / "pycache-baseline")), baseline))

    def clear() -> None:
        shutil.rmtree(out, ignore_errors=True)
        (work / "command-fluid.wav").unlink(missing_ok=True)

    for _, command, command_env, cwd in runs[1:]:  # compiles continuo's bytecode, once
        subprocess.run(command, check=True, capture_output=True, env=command_env, cwd=cwd)
        clear()
    walls: dict[str, list[float]] = {label: [] for label, *_ in runs}
    cpus: dict[str, list[float]] = {label: [] for label, *_ in runs}
    for _ in range(repeats):
        for label, command, command_env, cwd in runs:
            clear()
            cpu, started = cpu_seconds(), time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=command_env, cwd=cwd)
            walls[label].append(time.perf_counter() - started)
            cpus[label].append(cpu_seconds() - cpu)
    fluid_wall, ours_wall = statistics.median(walls["fluid"]), statistics.median(walls["continuo"])
    fluid_cpu, ours_cpu = statistics.median(cpus["fluid"]), statistics.median(cpus["continuo"])
    ratios = sorted(ours / theirs for ours, theirs in zip(walls["continuo"], walls["fluid"]))
    ratio = statistics.median(ratios)
    print(f"\ncommands end to end, {len(COMMAND_PARTS)} tracks, {seconds:.0f} s of music, medians of {repeats}:")
    print(f"  fluidsynth -F (one file, its reverb and chorus)          wall {fluid_wall:5.2f} s, CPU {fluid_cpu:5.2f} s")
    print(f"  continuo render (stems + mix, default preset, {os.cpu_count()} cores) wall {ours_wall:5.2f} s, "
          f"CPU {ours_cpu:5.2f} s")
    print(f"  continuo render / fluidsynth -F: {ratio:.2f}x wall, median of the turns' ratios (target: 1.30x at "
          f"most; each turn: {', '.join(f'{r:.2f}' for r in ratios)}); {ours_cpu / fluid_cpu:.2f}x CPU")
    if baseline:
        theirs = sorted(old / peer for old, peer in zip(walls["baseline"], walls["fluid"]))
        change = sorted(new / old for new, old in zip(walls["continuo"], walls["baseline"]))
        print(f"  baseline ({baseline}) wall {statistics.median(walls['baseline']):5.2f} s, CPU "
              f"{statistics.median(cpus['baseline']):5.2f} s: {statistics.median(theirs):.2f}x fluidsynth -F; this "
              f"code / baseline {statistics.median(change):.3f} (median of the turns' ratios)")
    return ratio


@contextlib.contextmanager
def ahead_of_other_work() -> Iterator[None]:
    """Run this session's processes ahead of other sessions' (Linux schedules each session as a group; this
    group at nice -20): on a machine others share, the figures an idle one gives. Put back afterwards."""
    group = Path("/proc/self/autogroup")
    try:
        before = group.read_text().split()[-1]
        group.write_text("-20")
    except OSError as err:
        sys.exit(f"--priority needs Linux scheduling groups (/proc/self/autogroup) and root: {err}")
    try:
        yield
    finally:
        group.write_text(before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4, help="files in the scaling batch")
    parser.add_argument("--soundfont", default="")
    parser.add_argument("--commands", action="store_true",
                        help="only `continuo render` against `fluidsynth -F` as commands, end to end")
    parser.add_argument("--baseline", default="", metavar="DIR",
                        help="with --commands: also run `continuo render` from the checkout in DIR, in the same turns")
    parser.add_argument("--priority", action="store_true",
                        help="run ahead of other sessions' work (Linux, root): an idle machine's figures on a "
                        "shared one")
    args = parser.parse_args()
    if args.priority:
        with ahead_of_other_work():
            return run(args)
    return run(args)


def run(args: argparse.Namespace) -> int:
    fluidsynth = shutil.which("fluidsynth")
    if fluidsynth is None:
        sys.exit("the fluidsynth program is needed for the comparison: apt install fluidsynth")
    soundfont = require_soundfont(args.soundfont)
    work = Path(tempfile.mkdtemp(prefix="continuo-bench-"))
    if args.commands:
        print(f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}; SoundFont {soundfont}"
              + ("; ahead of other work (--priority)" if args.priority else ""))
        commands_end_to_end(work, fluidsynth, soundfont, args.repeats, args.baseline)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    song = work / "song.mid"
    seconds = write_song(song, args.bars)
    batch = [work / f"batch{i}.mid" for i in range(args.batch)]
    for i, path in enumerate(batch):
        write_song(path, args.bars, seed=i)
    print(f"song: {len(PARTS)} parts, {args.bars} bars at {TEMPO:g} bpm = {seconds:.0f} s; SoundFont {soundfont}; "
          f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}")

    def peer() -> None:
        subprocess.run([fluidsynth, "-ni", "-q", "-F", str(work / "fluid.wav"), "-r", "44100", str(soundfont),
                        str(song)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    dry = parse_render({"soundfont": str(soundfont), "default": {"instrument": "soundfont"}}, "bench (dry)")
    full = with_instrument(load_preset("default").render, "soundfont").replace(soundfont=str(soundfont))
    sketch = load_preset("sketch").render
    out = work / "out"
    render_files([song], sketch, out, jobs=1)  # warm-up: imports, SoundFont file in the page cache
    render_files([song], full, out, jobs=1)

    def peer_stems() -> None:  # stems the fluidsynth way: one fast render per part, then a mix
        for part in PARTS:
            subprocess.run([fluidsynth, "-ni", "-q", "-F", str(work / f"fluid-{part}.wav"), "-r", "44100",
                            str(soundfont), str(work / f"song.{part}.mid")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def peer_batch(jobs: int) -> None:  # what the machine gives to two independent processes
        pending = list(batch)
        while pending:
            running = [subprocess.Popen([fluidsynth, "-ni", "-q", "-F", str(work / f"fluid-{path.stem}.wav"), "-r",
                                         "44100", str(soundfont), str(path)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for path in pending[:jobs]]
            pending = pending[jobs:]
            for process in running:
                process.wait()

    cases: list[tuple[str, Callable[[], object], float]] = [
        ("fluidsynth -F (whole file, one process)", peer, seconds),
        ("fluidsynth -F once per part (its way to stems, no mix)", peer_stems, seconds)]
    for label, preset in (("continuo stems+mix, SoundFont, dry", dry),
                          ("continuo stems+mix, SoundFont, default preset (effects, -16 LUFS)", full),
                          ("continuo stems+mix, sketch instruments, default effects", sketch)):
        cases.append((label + ", 1 process", lambda p=preset: render_files([song], p, out, jobs=1), seconds))
    command = [sys.executable, "-m", "bridge", "render", str(song), "--out", str(out), "--instrument", "soundfont",
               "--soundfont", str(soundfont), "--jobs", "1"]
    cases.append(("`continuo render` command, default preset, 1 process (with start-up)",
                  lambda: subprocess.run(command, check=True, capture_output=True), seconds))
    cases.append(("one song, dry, 2 jobs (parts on threads)",
                  lambda: render_files([song], dry, out, jobs=2), seconds))
    cases.append(("one song, default preset, 2 jobs (parts on threads)",
                  lambda: render_files([song], full, out, jobs=2), seconds))
    for jobs in (1, 2):
        cases.append((f"batch of {args.batch} files, fluidsynth -F, {jobs} at a time",
                      lambda j=jobs: peer_batch(j), seconds * args.batch))
    for jobs in (1, 2):
        cases.append((f"batch of {args.batch} files, dry, {jobs} process(es)",
                      lambda j=jobs: render_files(batch, dry, out, jobs=j), seconds * args.batch))

    def remove_outputs() -> None:
        """Every run writes new files, as a user's render does: replacing a file frees the old one's
        blocks, 10-15 ms per stem here, a cost of the previous run rather than of this one."""
        shutil.rmtree(out, ignore_errors=True)
        for old in work.glob("fluid*.wav"):
            old.unlink()

    rows = measure(cases, args.repeats, remove_outputs)

    print(f"\n{'what':<72} {'wall s':>7} {'x realtime':>10} {'CPU s':>7} {'x per CPU s':>11}")
    for label, wall, cpu, audio in rows:
        print(f"{label:<72} {wall:7.2f} {audio / wall:10.1f} {cpu:7.2f} {audio / cpu:11.1f}")
    fluid_wall, fluid_cpu = seconds / rows[0][1], seconds / rows[0][2]
    stems_wall, stems_cpu = seconds / rows[1][1], seconds / rows[1][2]
    for label, wall, cpu, audio in rows[2:5]:
        print(f"ratio to fluidsynth: wall {audio / wall / fluid_wall:5.2f}, CPU {audio / cpu / fluid_cpu:5.2f}; "
              f"to its stems: wall {audio / wall / stems_wall:5.2f}, CPU {audio / cpu / stems_cpu:5.2f}  ({label})")
    print(f"scaling 1 -> 2 processes, batch: {rows[-2][1] / rows[-1][1]:.2f}x wall (linear: 2.00x; fluidsynth "
          f"on the same files: {rows[-4][1] / rows[-3][1]:.2f}x); one song: {rows[2][1] / rows[-6][1]:.2f}x wall "
          f"dry, {rows[3][1] / rows[-5][1]:.2f}x wall with the default preset")
    print(f"one song on 2 jobs vs fluidsynth -F: wall {rows[0][1] / rows[-6][1]:.2f} dry, "
          f"{rows[0][1] / rows[-5][1]:.2f} with the default preset")
    commands_end_to_end(work, fluidsynth, soundfont, args.repeats)
    daemon = daemon_renders(work, soundfont)
    print(f"daemon render of 8 bars, default preset, request to answer: first {daemon[0]:.2f} s, then "
          f"{', '.join(f'{t:.2f}' for t in daemon[1:])} s (the next render's process waits ready)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
