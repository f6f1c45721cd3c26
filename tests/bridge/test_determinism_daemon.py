"""The daemon gives the same notes for the same request and seed: two jobs sent at once, and one sent alone."""

from __future__ import annotations

import pytest

KEYS = dict(task="accompany", chords="Abm | F# | C# | C#/Ab | C#/Ab | F# | C# | Ab", parts="bass,keys", bars=8,
            tempo=122.45, seed=1, variations=2)


@pytest.mark.slow
def test_two_jobs_at_once_and_one_alone_give_the_same_notes(start_app, connect) -> None:
    app = start_app(model="default")
    first, second = connect("udp", target=app), connect("tcp", target=app)
    flat = [value for pair in KEYS.items() for value in pair]
    first.send("/continuo/generate", "take-a", *flat)
    second.send("/continuo/generate", "take-b", *flat)  # queued behind take-a while its model works
    a, b = first.collect("take-a", timeout=300), second.collect("take-b", timeout=300)
    alone = first.generate("take-c", timeout=300, **KEYS)
    assert a.variations and a.variations[1]["keys"]
    assert a.variations == b.variations == alone.variations
    assert a.variations[1] != a.variations[2]
