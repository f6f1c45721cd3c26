"""Same request, same notes: whatever the thread settings, the machine's load, the heap layout or the other variations."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from threadpoolctl import threadpool_limits

from models.registry import load_model
from models.types import Note, Request

ROOT = Path(__file__).resolve().parents[2]
# 12 bars of a busy melody with bass and keys: more than the shipped model's 512-token context, so
# the decoder restarts its context mid-request (the bar where issue 19's takes parted)
MELODY = tuple(Note(67 + (5 * i) % 9 - 4, i * 0.5, 0.5, 90) for i in range(96))
REQUEST = Request(task="accompany", chords="Abm | F# | C# | C#/Ab | C#/Ab | F# | C# | Ab", melody=MELODY,
                  parts=("bass", "keys"), bars=12, tempo=122.45, seed=1, variations=2)

# run in a fresh interpreter: a heap of another size, the given torch threads, then the request twice,
# the second time on one CPU only and with torch's threads doubled
CHILD = """
import hashlib, os, sys
import numpy as np
ballast = np.ones(int(sys.argv[1]), dtype=np.uint8)  # moves every later allocation
import torch
torch.set_num_threads(int(sys.argv[2]))
from models.registry import load_model
from tests.models.test_determinism import REQUEST, fingerprint
generator = load_model("transformer", "cpu")
first = fingerprint(generator.generate(REQUEST))
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
torch.set_num_threads(2 * torch.get_num_threads())
print(first, fingerprint(generator.generate(REQUEST)))
"""


def fingerprint(results) -> str:
    """A short hash of every note of every result."""
    notes = [(part, [(n.pitch, n.start_beats, n.duration_beats, n.velocity) for n in r.parts[part]])
             for r in results for part in sorted(r.parts)]
    return hashlib.sha1(repr(notes).encode()).hexdigest()[:12]


@pytest.fixture(scope="module")
def generator():
    return load_model("transformer", "cpu")


def test_each_variation_is_the_take_of_its_own_seed(generator) -> None:
    """Variation i of seed s is what one variation of seed s + i gives, and says so in its seed."""
    request = REQUEST.replace(bars=4, variations=3, seed=7)
    takes = generator.generate(request)
    assert [t.info["seed"] for t in takes] == ["7", "8", "9"]
    for index, take in enumerate(takes):
        [alone] = generator.generate(request.replace(variations=1, seed=7 + index))
        assert take.parts == alone.parts, f"variation {index + 1} differs from seed {7 + index} alone"
    assert takes[0].parts != takes[1].parts


BAND = Request(chords="Am7 | D7", parts=("bass", "keys", "drums"), bars=2, style="pop", seed=3, variations=2)


@pytest.fixture(scope="module")
def band():
    return load_model("default", "cpu")  # the pitched parts and the drums (models/drums/combine.py)


def test_a_band_request_without_a_seed_plays_the_drums_of_the_seed_it_reports(band) -> None:
    [take] = band.generate(BAND.replace(seed=None, variations=1))
    [again] = band.generate(BAND.replace(seed=int(take.info["seed"]), variations=1))
    assert take.parts == again.parts


@pytest.mark.parametrize("torch_threads, blas_threads", [(2, 2), (2, 1), (1, 2)])
def test_the_callers_thread_settings_change_nothing(generator, torch_threads: int, blas_threads: int) -> None:
    torch.set_num_threads(1)
    with threadpool_limits(1):
        reference = fingerprint(generator.generate(REQUEST))
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(torch_threads)
        with threadpool_limits(blas_threads, user_api="blas"):
            assert fingerprint(generator.generate(REQUEST)) == reference
            assert torch.get_num_threads() == torch_threads  # the caller's setting is given back
    finally:
        torch.set_num_threads(previous)


@pytest.mark.slow
def test_same_notes_under_load_and_any_thread_settings(tmp_path: Path) -> None:
    """Four processes, two at a time beside a busy loop, with other OpenMP/MKL/OpenBLAS/torch thread
    counts and heap layouts, each running the request twice: one fingerprint in all."""
    settings = [({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}, 0, 1),
                ({"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}, 123_457, 2),
                ({"MKL_CBWR": "AUTO", "OMP_DYNAMIC": "true"}, 4_000_003, 2),
                ({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}, 77_777, 1)]
    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_CBWR", "OMP_DYNAMIC")}
    base["PYTHONPATH"] = str(ROOT)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    prints = []
    try:
        for pair in (settings[:2], settings[2:]):
            children = [subprocess.Popen([sys.executable, "-c", CHILD, str(ballast), str(threads)], cwd=ROOT,
                                         env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                        for env, ballast, threads in pair]
            for child in children:
                out, err = child.communicate(timeout=600)
                assert child.returncode == 0, err[-2000:]
                prints += out.split()
    finally:
        busy.kill()
        busy.wait()
    assert len(prints) == 8 and len(set(prints)) == 1, prints
