"""A preset whose style the served model lacks plays anyway, and the daemon says which model wrote it."""

from __future__ import annotations

import pytest

from tests.models.test_style_routing import finetuned  # noqa: F401 - the fixture


@pytest.mark.slow
def test_a_preset_in_a_style_the_model_lacks_warns_and_plays(start_app, connect, finetuned) -> None:  # noqa: F811
    app = start_app(model=str(finetuned))
    client = connect("udp", target=app)
    result = client.generate("edm", timeout=120, task="accompany", chords="C | G | Am | F", preset="edm-arp", seed=2,
                             parts="arp,bass,pad", style="upbeat")  # the preset's drums need the drum model
    assert result.parts and any(result.parts.values())
    assert any("style 'upbeat' is not one the transformer-mine model learnt: the markov-pop909 model wrote this" in w
               for w in result.warnings), result.warnings
