"""Generation model benchmark: transformer vs LSTM vs Markov on POP909's held-out split, in one run.

    .venv/bin/python bench/bench_model.py [--data ../shared/datasets/pop909] [--prompts 12] [--runs 15]

Prints NLL per note (and the transformer/Markov ratio, target <= 0.75), the chord-tone ratio of
accompaniment generated from the test songs' chords (target >= 0.90), the p50 latency of an 8-bar
3-part accompaniment on this machine (target <= 300 ms on 2 CPU cores) with the time per forward
pass and per token, the p50 of an 8-bar full band with the default model (target <= 600 ms), and decode tokens/s of
the shipped transformer's sampler against a Hugging Face GPT-2 of identical size and configuration
running generate() (target >= 1.5x). Needs the `bench` extra (transformers) for the last figure.
`--latency-only` prints the two latency rows alone; `--compare-steps` runs the decoder's NumPy step and its
compiled step (models/transformer/fused_step.py) alternately on the same requests and prints both.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from models.data.pop909 import read_pop909
from models.data.token_cache import TokenCache
from models.evaluate.generation import generation_metrics
from models.evaluate.likelihood import markov_pitch_nll, model_nll
from models.registry import load_generator
from models.transformer.tokens import BOS, STYLE0
from models.types import Request

PROGRESSION = "Am7 | D7 | Gmaj7 Em7 | Cmaj7 | Am7 | D7 | G | G"


def nll_table(data: str, limit: int = 0) -> dict[str, dict[str, float]]:
    pieces = [p for p in read_pop909(data) if p.is_test][: limit or None]
    cache = TokenCache.from_pieces(pieces)
    table = {}
    for name in ("transformer", "lstm"):
        generator = load_generator(name, "cpu")
        table[name] = model_nll(generator.model, cache).summary()
    table["transformer, int8"] = model_nll(int8_copy(load_generator("transformer", "cpu").model), cache).summary()
    table["markov"] = markov_pitch_nll(load_generator("markov").table, pieces).summary()
    return table


def int8_copy(model: torch.nn.Module) -> torch.nn.Module:
    """The model with its block weights replaced by what the int8 decoder multiplies with (for the NLL)."""
    from models.transformer.numpy_decoder import quantize_int8

    with torch.no_grad():
        for block in model.blocks:
            for layer in (block.attn.qkv, block.attn.proj, block.fc, block.out):
                values, scale = quantize_int8(layer.weight)
                layer.weight.copy_(values.float() * scale.float()[:, None])
    return model


class _Passes:
    """Counts the NumPy decoder's forward passes and the tokens they feed while active (``many``: those fed in
    passes of several tokens: forced runs, given parts, the context's restart)."""

    def __enter__(self) -> _Passes:
        from models.transformer.numpy_decoder import NumpyDecoder

        self.passes = self.tokens = self.many = 0
        self._forward = forward = NumpyDecoder.forward

        def counted(decoder, tokens, rows=None):
            self.passes += 1
            self.tokens += len(tokens)
            self.many += len(tokens) if len(tokens) > 1 else 0
            return forward(decoder, tokens, rows)

        NumpyDecoder.forward = counted
        return self

    def __exit__(self, *exc) -> None:
        from models.transformer.numpy_decoder import NumpyDecoder

        NumpyDecoder.forward = self._forward


def latency(runs: int) -> dict[str, tuple[list[float], list[float], list[int], list[int], list[int]]]:
    """Wall-clock and process CPU seconds of an 8-bar, 3-part accompaniment, and its forward passes, tokens
    and tokens fed in passes of several, per run, with int8 and float32 weights (the runs alternate, so both
    see the same machine load)."""
    generator = load_generator("transformer", "cpu")
    request = Request(chords=PROGRESSION, bars=8, parts=("bass", "keys", "pad"))
    weights = generator  # the int8 switch is the transformer's own, under the layers and the style router
    while hasattr(weights, "inner") or "primary" in vars(weights):
        weights = weights.inner if hasattr(weights, "inner") else weights.primary
    results: dict[str, tuple[list[float], list[float], list[int], list[int], list[int]]] = {
        "int8": ([], [], [], [], []), "float32": ([], [], [], [], [])}
    for int8 in (True, False):
        weights.int8 = int8
        generator.generate(request.replace(seed=0))  # warm-up
    for seed in range(runs):
        for label in results:
            weights.int8 = label == "int8"
            with _Passes() as counted:
                began, began_cpu = time.perf_counter(), time.process_time()
                generator.generate(request.replace(seed=seed + 1))
                results[label][0].append(time.perf_counter() - began)
                results[label][1].append(time.process_time() - began_cpu)
            results[label][2].append(counted.passes)
            results[label][3].append(counted.tokens)
            results[label][4].append(counted.many)
    return results


def band_latency(runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU seconds of an 8-bar full band with the default model (bass, keys, pad, arp,
    counter, drums; pop), per run."""
    band = load_generator("default", "cpu")
    request = Request(task="accompany", chords="C | F | G | C", bars=8, style="pop", tempo=100,
                      parts=("bass", "keys", "pad", "arp", "counter", "drums"))
    band.generate(request.replace(seed=99))  # warm-up: loads the drum model
    times: list[float] = []
    cpu: list[float] = []
    for seed in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        band.generate(request.replace(seed=seed))
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return times, cpu


def print_latency(runs: int) -> None:
    import os

    for label, (times, cpu, passes, tokens, many) in latency(runs).items():
        p50 = statistics.median(times)
        print(f"8-bar 3-part accompaniment, {label} weights: p50 {p50 * 1000:.0f} ms wall ({p50 / 0.3:.2f}x the "
              f"300 ms target), p50 {statistics.median(cpu) * 1000:.0f} ms of process CPU time, max "
              f"{max(times) * 1000:.0f} ms, {len(times)} runs (decoding on one thread, {os.cpu_count()} cores), "
              f"load average {os.getloadavg()[0]:.1f}; {sum(cpu) / sum(passes) * 1000:.3f} ms of CPU per forward "
              f"pass, sampling included, {sum(cpu) / sum(tokens) * 1000:.3f} per token "
              f"({statistics.median(passes):.0f} passes, {statistics.median(tokens):.0f} tokens per request, "
              f"{statistics.median(many):.0f} of them in passes of several tokens)")
    times, cpu = band_latency(runs)
    print(f"8-bar full band (bass, keys, pad, arp, counter, drums): p50 {statistics.median(times) * 1000:.0f} ms "
          f"wall (target <= 600 ms), p50 {statistics.median(cpu) * 1000:.0f} ms of process CPU time, {len(times)} "
          f"runs, load average {os.getloadavg()[0]:.1f}")


def step_comparison(runs: int) -> None:
    """The NumPy step and the compiled step (fused_step.py) alternating on the same requests: process CPU
    p50 of the 3-part request and of the full band with each, and the median per-request ratio."""
    from models.transformer.numpy_decoder import NumpyDecoder, compiled_step_available

    if not compiled_step_available():
        print("compiled step: numba is not installed, nothing to compare")
        return
    generator = load_generator("default", "cpu")
    requests = {"8-bar 3-part accompaniment": Request(chords=PROGRESSION, bars=8, parts=("bass", "keys", "pad")),
                "8-bar full band": Request(task="accompany", chords="C | F | G | C", bars=8, style="pop", tempo=100,
                                           parts=("bass", "keys", "pad", "arp", "counter", "drums"))}
    one_token = NumpyDecoder._forward_one
    numpy_step = [False]

    def switched(decoder, token, rows):  # the drum model's decoder lives on: switch per pass, not per decoder
        if not numpy_step[0]:
            return one_token(decoder, token, rows)
        fused, decoder._fused = decoder._fused, None
        try:
            return one_token(decoder, token, rows)
        finally:
            decoder._fused = fused

    NumpyDecoder._forward_one = switched
    try:
        for request in requests.values():
            generator.generate(request.replace(seed=99))  # warm-up
        cpu: dict[tuple[str, bool], list[float]] = {(name, step): [] for name in requests for step in (True, False)}
        for seed in range(runs):
            for name, request in requests.items():
                for step in (True, False):
                    numpy_step[0] = step
                    began = time.process_time()
                    generator.generate(request.replace(seed=seed))
                    cpu[(name, step)].append(time.process_time() - began)
    finally:
        NumpyDecoder._forward_one = one_token
    for name in requests:
        old, new = cpu[(name, True)], cpu[(name, False)]
        ratio = statistics.median(b / a for a, b in zip(old, new))
        print(f"{name}: NumPy step p50 {statistics.median(old) * 1000:.0f} ms of process CPU, compiled step "
              f"{statistics.median(new) * 1000:.0f} ms, median ratio per request {ratio:.2f} ({runs} seeds, "
              f"alternating)")


def decode_speed(bars: int = 8, repeats: int = 3) -> tuple[float, float, float, int]:
    """(our tokens/s with int8 weights, with float32 weights, GPT-2 generate() tokens/s, tokens per run):
    same sizes and token counts, batch 1."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from models.sampling import Sampling
    from models.transformer.decoding import run_plans
    from models.transformer.grammar import Section
    from models.transformer.tokens import BAR, METER0, TRACKS, TTRACK0

    generator = load_generator("transformer", "cpu")
    config = generator.model.config
    plan: list = [BOS, STYLE0]
    for _ in range(bars):
        plan += [BAR, METER0, TTRACK0 + TRACKS.index("keys"), Section("keys", 48, BAR, density=6)]
    plan.append(BAR)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=config.vocab_size, n_positions=config.n_ctx, n_embd=config.n_embd,
                                      n_layer=config.n_layer, n_head=config.n_head, resid_pdrop=0.0, embd_pdrop=0.0,
                                      attn_pdrop=0.0, bos_token_id=BOS, eos_token_id=2, pad_token_id=0)).eval()
    prompt = torch.tensor([[BOS, STYLE0]])
    ours, ours_float, theirs = [], [], []
    for seed in range(repeats):  # interleaved, so all see the same machine load
        for int8, rates in ((True, ours), (False, ours_float)):
            began = time.perf_counter()
            tokens = run_plans(generator.model, [plan], Sampling(top_p=0.95), seed, int8=int8)[0]
            rates.append((len(tokens) - 2) / (time.perf_counter() - began))
        new_tokens = min(len(tokens) - 2, config.n_ctx - 2)  # GPT-2's learned positions stop at n_ctx
        began = time.perf_counter()
        with torch.inference_mode():
            out = gpt2.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=new_tokens,
                                min_new_tokens=new_tokens, do_sample=True, top_p=0.95, use_cache=True)
        theirs.append((out.shape[1] - 2) / (time.perf_counter() - began))
    return statistics.median(ours), statistics.median(ours_float), statistics.median(theirs), new_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/pop909")
    parser.add_argument("--prompts", type=int, default=12)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--songs", type=int, default=0, help="score at most this many held-out songs (0: all)")
    parser.add_argument("--latency-only", action="store_true", help="print the latency rows alone")
    parser.add_argument("--compare-steps", action="store_true",
                        help="only the NumPy step against the compiled step, alternating on the same requests")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    if args.compare_steps:
        step_comparison(args.runs)
        return
    if args.latency_only:
        print_latency(args.runs)
        return

    table = nll_table(args.data, args.songs)
    print(f"NLL per note on POP909's held-out split ({int(table['markov']['pitch_notes'])} melody/counter/bass notes)")
    print(f"  {'model':12s} {'pitch NLL/note':>15s} {'full NLL/note':>14s}")
    for name, row in table.items():
        print(f"  {name:12s} {row['pitch_nll_per_note']:15.3f} {row['nll_per_note']:14.3f}")
    ratio = table["transformer"]["pitch_nll_per_note"] / table["markov"]["pitch_nll_per_note"]
    print(f"  transformer / markov pitch NLL: {ratio:.2f}x (target <= 0.75)")
    print(f"  int8 / float32 weights, pitch NLL: "
          f"{table['transformer, int8']['pitch_nll_per_note'] / table['transformer']['pitch_nll_per_note']:.4f}x")
    print(f"  transformer / lstm   pitch NLL: "
          f"{table['transformer']['pitch_nll_per_note'] / table['lstm']['pitch_nll_per_note']:.2f}x, full NLL: "
          f"{table['transformer']['nll_per_note'] / table['lstm']['nll_per_note']:.2f}x")

    pieces = [p for p in read_pop909(args.data) if p.is_test]
    raw = load_generator("transformer", "cpu")
    raw.harmony = 0.0
    for name, generator in (("transformer", load_generator("transformer", "cpu")), ("transformer, no harmony bias", raw),
                            ("lstm", load_generator("lstm", "cpu")), ("markov", load_generator("markov"))):
        metrics = generation_metrics(generator, pieces, args.prompts)
        print(f"{name}: chord-tone ratio {metrics['chord_tone_ratio']:.3f} (target >= 0.90; "
              + ", ".join(f"{k[11:]} {v:.3f}" for k, v in metrics.items() if k.startswith("chord_tone_") and k != "chord_tone_ratio")
              + f"), pitch-class overlap {metrics['pc_overlap']:.3f}, "
              f"notes/bar {metrics['notes_per_bar']:.1f} vs reference {metrics['reference_notes_per_bar']:.1f}")

    print_latency(args.runs)
    try:
        ours, ours_float, theirs, count = decode_speed()
    except ImportError:
        print("decode speed: install the bench extra (pip install -e '.[bench]') to compare with GPT-2 generate()")
        return
    print(f"decode, {count} new tokens: {ours:.0f} tokens/s with int8 weights, {ours_float:.0f} with float32 "
          f"(grammar-constrained, KV cache) vs Hugging Face GPT-2 of the same size, float32, generate() "
          f"{theirs:.0f} tokens/s: {ours / theirs:.2f}x int8, {ours_float / theirs:.2f}x float32 (target >= 1.5x)")


if __name__ == "__main__":
    main()
