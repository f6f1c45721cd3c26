"""Style balance in the drum trainer's windows: the small styles are drawn more than their share of bars."""

from __future__ import annotations

import numpy as np
import pytest

from models.data.groove import DrumHit, Performance
from models.drums.train import GrooveWindows


def _groove(index: int, style: str, bars: int) -> Performance:
    hits = tuple(DrumHit(float(beat), 36 if beat % 2 == 0 else 38, 90) for beat in range(4 * bars))
    return Performance(id=f"{style}{index}", drummer="d1", session=f"s{index}", style=style, substyle=style,
                       bpm=100.0, fill=False, meter=(4, 4), split="train", hits=hits)


def _share(windows: GrooveWindows) -> dict[str, float]:
    out: dict[str, float] = {}
    for (performance, _), weight in zip(windows.grooves, windows.weights):
        out[performance.style] = out.get(performance.style, 0.0) + float(weight)
    return out


@pytest.fixture(scope="module")
def performances() -> list[Performance]:
    return [_groove(i, "rock", 16) for i in range(9)] + [_groove(9, "soul", 16)]  # rock has 9x soul's bars


def test_without_balance_a_style_is_drawn_as_often_as_its_bars(performances) -> None:
    share = _share(GrooveWindows(performances, 64, 0.0, 1.0))
    assert share["soul"] == pytest.approx(0.1)


def test_full_balance_draws_every_style_alike_and_half_balance_between(performances) -> None:
    assert _share(GrooveWindows(performances, 64, 0.0, 1.0, style_balance=1.0))["soul"] == pytest.approx(0.5)
    half = _share(GrooveWindows(performances, 64, 0.0, 1.0, style_balance=0.5))["soul"]
    assert half == pytest.approx(1 / (1 + 3))  # shares go as bars^(1 - 0.5): sqrt(9) = 3 against 1
    rng = np.random.default_rng(0)
    windows = GrooveWindows(performances, 64, 0.0, 1.0, style_balance=1.0)
    drawn = [windows.grooves[rng.choice(len(windows.grooves), p=windows.weights)][0].style for _ in range(2000)]
    assert 0.45 < drawn.count("soul") / len(drawn) < 0.55
