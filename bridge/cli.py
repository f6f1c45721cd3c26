"""The `continuo` command: argument parsing → Settings → run; the one place that sets up logging (bridge/logs.py)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bridge import __version__
from bridge.errors import ContinuoError
from bridge.logs import configure_logging
from bridge.settings import LOG_LEVELS, Settings, load_settings

log = logging.getLogger("continuo")

SETTING_FLAGS = ("host", "port", "reply_port", "allow", "output_dir", "log_level", "model", "device",
                 "queue_size", "job_timeout_seconds", "midi_backend")


def _add_settings_flags(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    from dataclasses import fields

    helps = {f.name: f.metadata["help"] for f in fields(Settings)}
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML settings file (default: the user config folder's continuo/config.toml)")
    for name in names:
        kwargs = {"choices": LOG_LEVELS} if name == "log_level" else {}
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=None,
                            help=helps[name], **kwargs)


def _settings(args: argparse.Namespace, names: tuple[str, ...]) -> Settings:
    return load_settings(args.config, flags={name: getattr(args, name) for name in names})


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args, SETTING_FLAGS)
    if args.print_config:
        sys.stdout.write(settings.to_toml())
        return 0
    configure_logging(settings.log_level)
    from bridge.app import App

    App(settings).run_until_signal()
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from bridge.jobs.outputs import result_stem, save_results
    from bridge.keys import CLIP_KEYS, KEYS
    from bridge.midi.tracks import file_settings, read_clip
    from bridge.paths import check_folder
    from bridge.presets import preset_programs
    from bridge.requests import JobSpec, parse_mapping
    from models.checks import serves
    from models.registry import load_generator
    from models.validation import RequestError

    names = ("output_dir", "log_level", "model", "device")
    settings = _settings(args, names)
    configure_logging(settings.log_level)
    given = {k: getattr(args, k) for k in KEYS if k not in CLIP_KEYS and getattr(args, k) is not None}
    if given.get("play", "no") != "no":
        raise ContinuoError("--play needs the daemon's MIDI ports: run `continuo serve` and send "
                            "/continuo/generate ... play loop (see docs/midi.md)")
    spec = parse_mapping(given, preset_paths=True)
    out_dir = check_folder(Path(args.out).parent, "--out") if args.out else None
    if args.melody_track is not None and not args.melody:
        raise ContinuoError("--melody-track picks a track of the melody file: give --melody FILE.mid too")
    clips = {k: read_clip(getattr(args, k), f"--{k} file", melody=k == "melody",
                          track=args.melody_track if k == "melody" else None) for k in CLIP_KEYS if getattr(args, k)}
    from_files, lines = file_settings(clips, set(given))  # the file's tempo, meter and key unless given
    for line in lines:
        print(line)
    request = JobSpec({**spec.values, **from_files, **{k: c.notes for k, c in clips.items()}}).build(lambda name: ())
    try:
        checks = serves(settings.model)  # the model's checks, before the time it takes to load it
        if checks is not None:
            checks.check(request)
        started = time.perf_counter()
        generator = load_generator(settings.model, device=settings.device)
        log.info("loaded %s on %s in %.2f s", generator.name, generator.device, time.perf_counter() - started)
        started = time.perf_counter()
        results = generator.generate(request)
    except RequestError as err:
        raise ContinuoError(err.worded(flags=True)) from None
    except (ValueError, OSError) as err:
        raise ContinuoError(str(err)) from None
    log.info("generated %d result(s) in %.3f s", len(results), time.perf_counter() - started)
    programs = preset_programs(spec.preset, allow_path=True) if spec.preset else {}
    if args.out:  # a taken name gets a number, as in the output folder
        out = Path(args.out)
        paths = save_results(results, out.stem, out_dir, title=out.stem, programs=programs, overwrite=spec.overwrite,
                             suffix=out.suffix or ".mid")
    else:
        paths = save_results(results, result_stem("cli", spec.output), settings.output_dir, title="continuo",
                             programs=programs, overwrite=spec.overwrite)
    for path, result in zip(paths, results):
        counts = ", ".join(f"{part} {len(notes)} notes" for part, notes in result.parts.items())
        print(f"{path}  ({counts})")
        if "chords" in result.info:  # harmonize: the chords, ready to send back as --chords
            print(f"  key {result.info['key']} (from the {result.info['key_source']})  chords: {result.info['chords']}")
    if spec.preview:
        from bridge.jobs.outputs import save_previews

        for path in save_previews(results, paths, spec.output or "continuo"):
            print(f"{path}  (piano roll)")
    if spec.render:
        from bridge.presets import load_preset
        from bridge.render.batch import describe
        from bridge.render.stems import render_files

        preset = load_preset(spec.preset or settings.render_preset).render.replace(overwrite=spec.overwrite)
        for song in render_files(paths, preset, paths[0].parent, settings.soundfont, settings.render_jobs,
                                 prefixes=[p.stem for p in paths]):
            print("\n".join(describe(song)))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from bridge.presets import list_presets, load_preset
    from bridge.render.presets import preset_dirs

    if args.show:
        print(load_preset(args.show).path.read_text(encoding="utf-8"), end="")
        return 0
    print("presets (the user's folder first: " + ", ".join(str(d) for d in preset_dirs()) + ")")
    for preset in list_presets():
        if isinstance(preset, Exception):
            print(f"  (unusable) {preset}")
            continue
        values = preset.generate
        summary = ", ".join(f"{k} {_shown(values[k])}" for k in ("style", "parts", "tempo", "meter") if k in values)
        print(f"  {preset.name:<18} {preset.title or ''}: {preset.description}")
        if summary:
            print(f"  {'':<18} {summary}")
    return 0


def _shown(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}/{value[1]}"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cmd_demo(args: argparse.Namespace) -> int:
    from bridge.demo import run_demo
    from bridge.presets import load_preset
    from models.registry import load_generator

    settings = _settings(args, ("output_dir", "log_level", "model", "device", "soundfont"))
    configure_logging(settings.log_level)
    preset = load_preset(args.preset)
    try:
        generator = load_generator(settings.model, device=settings.device)
    except (ValueError, OSError) as err:
        raise ContinuoError(str(err)) from None
    print(f"continuo demo: Ode to Joy arranged as {preset.title or preset.name} with {generator.name}")
    for line in run_demo(generator, preset, settings.output_dir, settings.soundfont, settings.render_jobs, args.seed):
        print(line)
    return 0


def _cmd_ports(args: argparse.Namespace) -> int:
    from bridge.midi.ports import list_backends

    for info in list_backends():
        print(f"{info.api}: {info.name}")
        if info.error:
            print(f"  unavailable: {info.error}\n  fix: {info.fix}")
            continue
        print("  inputs:  " + (", ".join(info.inputs) or "(none)"))
        print("  outputs: " + (", ".join(info.outputs) or "(none)"))
    from bridge.midi.ports import describe_plan

    print(describe_plan(load_settings(args.config)))
    return 0


DOCTOR_FLAGS = ("host", "port", "reply_port", "allow", "output_dir", "model", "device", "midi_backend", "soundfont")


def _cmd_doctor(args: argparse.Namespace) -> int:
    from bridge.doctor import run_checks

    settings = _settings(args, DOCTOR_FLAGS)
    problems = 0
    for check in run_checks(settings):
        mark = "ok  " if check.ok else "FAIL"
        print(f"[{mark}] {check.name}: {check.detail}")
        if not check.ok:
            problems += 1
            print(f"       fix: {check.fix}")
    print("all good" if not problems else f"{problems} problem(s) found")
    return 1 if problems else 0


RENDER_FLAGS = ("log_level", "soundfont")  # --preset and --jobs stand for render_preset and render_jobs


def _cmd_render(args: argparse.Namespace) -> int:
    from bridge.render import batch

    settings = _settings(args, RENDER_FLAGS)
    configure_logging(settings.log_level)
    for song in batch.run(args, settings):
        print("\n".join(batch.describe(song)))
    return 0


# train and eval need torch: module, help, description and example of each; their parsers are built
# only when they run (see _torch_command), so every other command starts in well under a second
TORCH_COMMANDS = {
    "train": ("models.transformer.train", "train or fine-tune the generation model (docs/models.md)",
              "Train the transformer (or the LSTM baseline); resumes from OUT/last.safetensors.",
              "continuo train --finetune ~/midi/mine:custom --steps 500 --out ~/continuo-finetune"),
    "eval": ("models.evaluate.command", "measure a model: NLL per note and musical metrics on a MIDI folder",
             "Print NLL per note on the held-out pieces of DIR and metrics of music generated from them.",
             "continuo eval --data ../shared/datasets/pop909 --model transformer"),
}


# `continuo train --kind drums` trains the drum model, with that trainer's own flags
DRUMS_TRAINER = ("models.drums.train", "Train the drum model on the Groove set and MIDI folders' drum tracks; resumes "
                 "from OUT/last.safetensors.", "continuo train --kind drums --finetune ~/grooves:funk --steps 300 "
                 "--out ~/drums-finetune")


def _torch_parser(name: str, rest: Sequence[str] = ()) -> argparse.ArgumentParser:
    import importlib

    module_name, _, description, example = TORCH_COMMANDS[name]
    if name == "train" and _kind(rest) == "drums":
        module_name, description, example = DRUMS_TRAINER
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"continuo {name}", description=description, epilog=f"example: {example}")
    module.add_arguments(parser)
    _add_settings_flags(parser, ("log_level",))
    parser.set_defaults(run=lambda args: _run_torch_command(name, module.run, args))
    return parser


def _run_torch_command(name: str, run: Callable[[argparse.Namespace], object], args: argparse.Namespace) -> int:
    configure_logging(_settings(args, ("log_level",)).log_level)
    try:
        outcome = run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"continuo: {err}", file=sys.stderr)
        return 2
    if name == "train":
        print(f"best checkpoint: {outcome}")
    return 0


def _kind(rest: Sequence[str]) -> str:
    """The value of ``--kind`` in a command line's arguments ("" when not given)."""
    for index, arg in enumerate(rest):
        if arg == "--kind" and index + 1 < len(rest):
            return rest[index + 1]
        if arg.startswith("--kind="):
            return arg.partition("=")[2]
    return ""


def _torch_command(name: str):
    def run(args: argparse.Namespace) -> int:
        full = _torch_parser(name, args.rest).parse_args(args.rest)
        return full.run(full)

    return run


def build_parser() -> argparse.ArgumentParser:
    from bridge.keys import CLIP_KEYS, KEYS

    parser = argparse.ArgumentParser(prog="continuo", description="Music generation for your DAW, over OSC and MIDI.")
    parser.add_argument("--version", action="version", version=f"continuo {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the daemon (OSC on UDP and TCP)",
                                description="Run the continuo daemon until Ctrl-C or SIGTERM.")
    _add_settings_flags(serve, SETTING_FLAGS)
    serve.add_argument("--print-config", action="store_true", help="print the effective settings as TOML and exit")
    serve.set_defaults(run=_cmd_serve)

    generate = commands.add_parser(
        "generate", help="generate once from the shell and write a MIDI file",
        description="Run one generation job with the same keys as /continuo/generate.",
        epilog='example: continuo generate --task accompany --chords "Am7 | D7 | Gmaj7 | Cmaj7" '
               "--parts bass,keys --bars 8 --tempo 96 --seed 3 --out out.mid",
    )
    for key in KEYS.values():
        flag = "--" + key.name.replace("_", "-")
        if key.name in CLIP_KEYS:
            generate.add_argument(flag, dest=key.name, metavar="FILE.mid", help=f"{key.help} (a MIDI file)")
        elif key.name == "output":
            generate.add_argument(flag, dest=key.name, metavar="NAME", help=key.help)
        elif key.kind == "flag":  # --preview alone means --preview true
            generate.add_argument(flag, dest=key.name, nargs="?", const="true", metavar="true|false", help=key.help)
        else:
            generate.add_argument(flag, dest=key.name, help=key.help)
    generate.add_argument("--out", metavar="FILE.mid", help="write the MIDI file here instead of the output folder "
                          "(a name a file already has gets a number: out-2.mid)")
    generate.add_argument("--melody-track", metavar="TRACK", help="the track of the --melody file that holds the "
                          "melody: its name, its number from 1, or ch1-ch16 (default: the highest track that plays "
                          "one note at a time; drums never)")
    _add_settings_flags(generate, ("output_dir", "log_level", "model", "device"))
    generate.set_defaults(run=_cmd_generate)

    render = commands.add_parser(
        "render", help="render MIDI files to audio stems and a mix (docs/render.md)",
        description="Render one audio stem per part plus a mix, all starting at bar 1 with the same length.",
        epilog="example: continuo render song.mid --preset default --out stems/",
    )
    from bridge.render.batch import add_arguments

    add_arguments(render)
    _add_settings_flags(render, RENDER_FLAGS)
    render.set_defaults(run=_cmd_render)

    for name, (_, help_text, _, _) in TORCH_COMMANDS.items():  # parsed in full only when run
        lazy = commands.add_parser(name, help=help_text, add_help=False, prefix_chars="\0")
        lazy.add_argument("rest", nargs=argparse.REMAINDER)
        lazy.set_defaults(run=_torch_command(name))

    presets = commands.add_parser("presets", help="list the named presets (styles and sounds)",
                                  description="List the presets; a file in your preset folder overrides a bundled one.")
    presets.add_argument("--show", metavar="NAME", help="print one preset's TOML")
    presets.set_defaults(run=_cmd_presets)

    demo = commands.add_parser("demo", help="arrange a bundled melody in a preset and render stems and a mix",
                               epilog="example: continuo demo --preset bossa-nova")
    demo.add_argument("--preset", default="pop-ballad", help="preset name (see `continuo presets`)")
    demo.add_argument("--seed", type=int, default=1, help="random seed")
    _add_settings_flags(demo, ("output_dir", "log_level", "model", "device", "soundfont"))
    demo.set_defaults(run=_cmd_demo)

    ports = commands.add_parser("ports", help="list MIDI backends and ports, and the ports serve opens")
    ports.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    ports.set_defaults(run=_cmd_ports)

    doctor = commands.add_parser("doctor", help="check this computer and say how to fix problems")
    _add_settings_flags(doctor, DOCTOR_FLAGS)
    doctor.set_defaults(run=_cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; ``argv`` None means the program's own arguments (the `continuo` command)."""
    code = _run(argv)
    if argv is None and "torch" in sys.modules:
        _exit_now(code)
    return code


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ContinuoError as err:
        print(f"continuo: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `continuo presets | head`
        return 0


def _exit_now(code: int) -> None:
    """Leave without the interpreter's teardown, which takes torch 0.3-1 s after every file is written,
    closed and renamed into place: the command's own work is done, so its logs and output are flushed
    and the process ends."""
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)
