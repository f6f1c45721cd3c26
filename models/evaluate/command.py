"""``continuo eval`` (``python -m models.evaluate``): read held-out pieces, load a model, print its metrics."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from models.data.midi import read_midi_folder
from models.data.pieces import Piece
from models.data.pop909 import read_pop909
from models.data.sources import read_source
from models.data.token_cache import TokenCache
from models.evaluate.generation import generation_metrics
from models.evaluate.likelihood import markov_pitch_nll, model_nll
from models.evaluate.music_eval import format_music, music_metrics
from models.registry import load_generator


def read_eval_data(data: str, style: str = "pop", test_only: bool = True, files: int = 0) -> list[Piece]:
    """Pieces to evaluate on: a POP909 copy (its test split), a source spec, or a MIDI folder.

    ``files`` caps how many files of a source spec are read (0: all).
    """
    path = Path(data).expanduser()
    if path.is_dir() and any((p / f"{p.name}.mid").exists() for p in path.iterdir() if p.is_dir()):
        return list(read_pop909(path, test_only=test_only))
    elif path.is_dir():
        return list(read_midi_folder(path, style))
    else:
        pieces = list(read_source(data, files))
    return [p for p in pieces if p.is_test] if test_only else pieces


def evaluate(model_name: str, pieces: Sequence[Piece], generate_count: int = 12, device: str = "cpu") -> dict[str, float]:
    """NLL and generation metrics of one registered model on ``pieces``."""
    generator = load_generator(model_name, device)
    scored = getattr(generator, "primary", generator)  # "default" routes to the transformer: score that
    if hasattr(scored, "model"):
        totals = model_nll(scored.model, TokenCache.from_pieces(pieces))
    else:
        totals = markov_pitch_nll(scored.table, pieces)
    out = totals.summary()
    if generate_count:
        out.update(generation_metrics(generator, pieces, generate_count))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """``continuo eval --data DIR [--model NAME]``: print NLL per note and musical metrics."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="POP909 folder (test split), MIDI folder, or a source "
                        "spec such as music21:bach")
    parser.add_argument("--model", default="default", help="registered model name (default, transformer, lstm, markov)")
    parser.add_argument("--style", default="pop", help="style label of a MIDI folder")
    parser.add_argument("--all", action="store_true", help="use every piece, not only the held-out split")
    parser.add_argument("--generate", type=int, default=12, help="prompts to generate from (0: NLL only)")
    parser.add_argument("--limit", type=int, default=0, help="evaluate at most this many pieces")
    parser.add_argument("--files", type=int, default=0, help="read at most this many files of a source spec")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--metrics", choices=("nll", "music", "all", "harmony"), default="nll",
                        help="nll: likelihood and chord metrics; music: what a musician hears, beside the held-out "
                        "songs' own piano (docs/models.md, 'How the music is measured'); all: both")
    parser.add_argument("--songs", type=int, default=20, help="held-out songs to accompany for --metrics music")
    parser.add_argument("--bars", type=int, default=8, help="bars per excerpt for --metrics music")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first song (song i uses seed + i)")
    parser.add_argument("--melody", choices=("true", "false"), default="true",
                        help="give the model each song's melody as well as its chords (--metrics music)")


def run(args: argparse.Namespace) -> dict[str, float]:
    if args.metrics == "harmony":  # the harmonize task's chords against held-out POP909 songs' own (docs/models.md)
        from models.evaluate.harmony import run_harmony

        return run_harmony(args.model, args.data, args.songs, args.device)
    pieces = read_eval_data(args.data, args.style, not args.all, args.files)
    if args.limit:
        pieces = pieces[: args.limit]
    if not pieces:
        raise ValueError(f"no pieces to evaluate in {args.data}")
    results: dict[str, float] = {}
    lines = [f"model {args.model} on {len(pieces)} pieces from {args.data}"]
    if args.metrics in ("nll", "all"):
        results = evaluate(args.model, pieces, args.generate, args.device)
        lines += [f"  {key:28s} {value:.4f}" for key, value in results.items()]
    if args.metrics in ("music", "all"):
        music = music_metrics(load_generator(args.model, args.device), pieces, args.songs, args.bars, args.seed,
                              args.melody == "true")
        lines.append(format_music(music))
        results.update(music)
    sys.stdout.write("\n".join(lines) + "\n")
    return results
