"""bench/bench_music.py's target rows: the model against each target, and the human reference against it too."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_music.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_music", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results_meeting_every_target(bench) -> dict[str, float]:
    """Model and human figures that sit on the right side of every target."""
    out = {}
    for _, key, op, target, _ in bench.TARGETS:
        value = target * 0.5 if op == "<=" else target * 2 + 1
        out[key] = value
        if key.startswith("model."):
            out["human." + key[len("model."):]] = value
    out["oa.mean.human"] = out["oa.mean.model"]
    return out


def row(lines: list[str], label: str) -> str:
    return next(line for line in lines if line.strip().startswith(label))


def test_a_target_the_human_reference_fails_is_marked_on_its_row_and_counted(bench):
    results = results_meeting_every_target(bench)
    results["human.bass.root_first"] = 0.969  # the pianists' bass starts 96.9 % of bars on the root
    lines = bench.target_rows(results)
    assert row(lines, "bass first note = root").endswith("PASS  (the human reference fails it)")
    assert "96.9%" in row(lines, "bass first note = root")
    assert lines[-1] == f"  {len(bench.TARGETS)} of {len(bench.TARGETS)} targets met; the human reference fails 1"


def test_rows_the_human_meets_or_has_no_figure_for_carry_no_note(bench):
    results = results_meeting_every_target(bench)
    results["model.bass.root_first"] = 0.95
    results["human.keys.empty_bars"] = math.nan
    lines = bench.target_rows(results)
    assert row(lines, "bass first note = root").endswith("FAIL")
    assert row(lines, "keys empty bars").endswith("PASS")
    assert row(lines, "8-bar 3-part accompaniment").endswith("PASS")  # latency: no human figure
    assert lines[-1] == f"  {len(bench.TARGETS) - 1} of {len(bench.TARGETS)} targets met"
