"""The genre presets' styles change the notes the default model writes: each preset's bass is its own, not pop's;
the genre names pass the checks the daemon runs before accepting a request."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from models.checks import serves
from models.idioms.generator import IdiomGenerator
from models.registry import load_model
from models.types import Request
from models.validation import RequestError

PRESETS = Path(__file__).resolve().parents[3] / "bridge" / "bundled" / "presets"
GENRE_PRESETS = ("bossa-nova", "cinematic-strings", "edm-arp", "folk", "jazz-trio", "lofi-keys", "pop-ballad")


@pytest.fixture(scope="module")
def band():
    return IdiomGenerator(load_model("default", "cpu"))


def _preset(name: str) -> dict:
    with (PRESETS / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)["generate"]


def _rhythm(notes) -> list[tuple[float, float]]:
    return [(round(n.start_beats, 2), round(n.duration_beats, 1)) for n in sorted(notes, key=lambda n: n.start_beats)]


@pytest.mark.parametrize("name", GENRE_PRESETS)
def test_a_genre_presets_bass_is_not_pops(band, name) -> None:
    preset = _preset(name)
    meter = tuple(int(x) for x in preset["meter"].split("/"))
    parts = tuple(dict.fromkeys(("bass", *preset["parts"])))
    asked = Request(chords="Am7 | D7 | Gmaj7 | Cmaj7", bars=4, parts=parts, meter=meter, tempo=preset["tempo"], seed=2)
    [genre] = band.generate(asked.replace(style=preset["style"]))
    [pop] = band.generate(asked.replace(style="pop"))
    assert genre.info["idiom"] != "pop" and genre.parts["bass"]
    assert _rhythm(genre.parts["bass"]) != _rhythm(pop.parts["bass"])


@pytest.mark.parametrize("style", ["bossa", "edm", "lofi", "cinematic", "latin", "jazz"])
def test_genre_names_pass_the_checks_before_a_job_is_accepted(style) -> None:
    serves("default").check(Request(chords="C | G", style=style, parts=("bass", "keys", "drums")))
    serves("markov").check(Request(chords="C | G", style=style if style not in ("latin", "jazz") else "bossa"))


def test_the_checks_refuse_bad_control_text_naming_the_key() -> None:
    with pytest.raises(RequestError) as caught:
        serves("default").check(Request(chords="C | G", register="bass:loud"))
    assert caught.value.key == "register"
