"""The default model: the transformer, with the Markov chain for the styles only it knows."""

from __future__ import annotations

import pytest

from models.music.chords import parse_chord
from models.types import Note, Request, Result
from models.registry import StyleRouter


class _Named:
    def __init__(self, name: str, styles: frozenset[str] | None = None) -> None:
        self.name, self.device, self.trained_styles, self.requests = name, "cpu", styles, []

    def generate(self, request: Request, progress=None) -> list[Result]:
        self.requests.append(request)
        return [Result({"bass": (Note(36, 0.0, 1.0),)}, (), 1, (4, 4), 120.0, {"model": self.name})]


def test_styles_go_to_the_model_that_learnt_them() -> None:
    primary, fallback = _Named("transformer", frozenset({"pop", "chorale", "folk"})), _Named("markov")
    loads = []
    router = StyleRouter(primary, lambda: loads.append(1) or fallback)
    assert "transformer" in router.name and router.device == "cpu"
    for style, model in (("pop", "transformer"), ("chorale", "transformer"), ("ballad", "markov"),
                         ("upbeat", "markov")):
        assert router.model_for(style) == model, style
        [result] = router.generate(Request(task="accompany", chords="C", style=style))
        assert result.info["model"] == model and "notice" not in result.info  # the default's design, no warning
    assert loads == [1]  # the Markov chain is loaded once, when first needed
    # a style neither knows: the nearest one there is, and all of them
    with pytest.raises(ValueError, match="style 'jazz' is not one the transformer or markov model knows: the nearest "
                                         "is 'upbeat'; choose from ballad, chorale, folk, pop, upbeat"):
        router.generate(Request(task="accompany", chords="C", style="jazz"))
    assert [r.style for r in primary.requests] == ["pop", "chorale"]


def test_a_checkpoint_without_style_records_answers_every_style() -> None:
    router = StyleRouter(_Named("transformer", None), lambda: pytest.fail("the Markov chain was loaded"))
    assert router.model_for("ballad") == "transformer"


@pytest.mark.slow
def test_the_daemon_serves_the_transformer_by_default(start_app, connect) -> None:
    """The notes of the default model fit the chords they were asked for; a Markov-only style still answers."""
    app = start_app(model="default")
    client = connect("udp", target=app)
    result = client.generate("pop", timeout=120, task="accompany", chords="Am | F | C | G", parts="bass,keys",
                             bars=4, style="pop", seed=5)
    assert "transformer" in app.engine.status()["model"]
    chords = [parse_chord(name).pitch_classes for name in ("Am", "F", "C", "G")]
    for part, notes in result.parts.items():
        assert len(notes) >= 4, part
        assert all(0 <= start < 16 and duration > 0 for _, start, duration, _ in notes)
        fitting = sum(pitch % 12 in chords[int(start // 4)] for pitch, start, _, _ in notes)
        assert fitting >= 0.8 * len(notes), (part, notes)
    ballad = client.generate("ballad", timeout=60, task="accompany", chords="C | G", parts="bass", bars=2,
                             style="ballad", seed=1)
    assert ballad.parts["bass"]
