"""Styles a loaded model lacks: played by a shipped model that has them, which says so; unknown ones get the nearest."""

from __future__ import annotations

import pytest
import torch

from models.registry import load_generator
from models.styles import nearest_style
from models.transformer.checkpoint import save_checkpoint
from models.transformer.network import ModelConfig, build_model
from models.transformer.tokens import VOCAB
from models.types import Request

PARTS = ["melody", "counter", "keys", "bass", "pad", "arp"]


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """A checkpoint like `continuo train --finetune DIR:custom` on pop songs: it learnt pop and custom only."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(vocab_size=len(VOCAB), n_ctx=256, n_layer=2, n_head=2, n_embd=32))
    path = tmp_path_factory.mktemp("ft") / "mine.safetensors"
    return save_checkpoint(path, model, 10, {"styles": ["custom", "pop"], "parts": PARTS})


@pytest.mark.parametrize("style, writer", [("upbeat", "markov-pop909"), ("ballad", "markov-pop909"),
                                           ("chorale", "transformer")])
def test_a_style_the_checkpoint_lacks_is_played_by_a_model_that_has_it(finetuned, style, writer) -> None:
    generator = load_generator(str(finetuned), "cpu")
    [result] = generator.generate(Request(chords="C | G | Am | F", parts=("bass", "keys"), style=style, seed=3))
    assert result.info["model"] == writer and result.parts["bass"]
    assert result.info["notice"] == (f"style '{style}' is not one the transformer-mine model learnt: "
                                     f"the {writer} model wrote this")


def test_its_own_styles_stay_with_it_without_a_notice(finetuned) -> None:
    generator = load_generator(str(finetuned), "cpu")
    assert generator.trained_styles == {"custom", "pop"}
    [result] = generator.generate(Request(chords="C | G", parts=("bass",), style="custom", seed=3))
    assert result.info["model"] == "transformer-mine" and "notice" not in result.info


def test_a_style_no_model_knows_names_the_nearest_and_all_of_them(finetuned) -> None:
    generator = load_generator(str(finetuned), "cpu")
    with pytest.raises(ValueError, match="style 'jazz' is not one .* knows: the nearest is 'upbeat'; choose from "
                                         "ballad, chorale, classical, custom, folk, pop, renaissance, upbeat"):
        generator.generate(Request(chords="C | G", parts=("bass",), style="jazz", seed=3))


def test_the_markov_model_hands_chorale_to_the_transformer() -> None:
    [result] = load_generator("markov", "cpu").generate(Request(chords="C | G", parts=("bass",), style="chorale", seed=1))
    assert result.info["model"] == "transformer" and "markov-pop909" in result.info["notice"]


@pytest.mark.parametrize("style, known, nearest", [
    ("jazz", ("pop", "ballad", "upbeat", "chorale"), "upbeat"),
    ("jazz", ("pop", "chorale"), "pop"),
    ("rock", ("chorale", "folk"), None),
    ("chorales", ("pop", "chorale"), "chorale"),  # a spelling
    ("Pop", ("pop",), "pop"),
])
def test_nearest_style(style, known, nearest) -> None:
    assert nearest_style(style, known) == nearest
