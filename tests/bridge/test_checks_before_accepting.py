"""A request the model cannot serve is refused before /continuo/accepted, in the words the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.cli import main
from bridge.client import Client
from models.checks import serves
from models.types import Note, Request
from models.validation import RequestError


@pytest.mark.parametrize("keys, named", [
    (["task", "accompany", "chords", "", "parts", "bass"], "(chords)"),
    (["task", "accompany", "parts", "bass"], "(chords)"),
    (["task", "harmonize", "parts", "bass"], "(melody)"),
    (["chords", "C | G", "style", "nosuch"], "style 'nosuch'"),
    (["chords", "C | G", "key", "H minor"], "key 'H minor'"),
    (["chords", "C | G", "parts", "bass,drums"], "(parts)"),
    (["task", "infill", "source", "tune", "parts", "bass"], "(infill_bars)"),
])
def test_the_error_comes_instead_of_accepted_and_names_the_key(start_app, keys: list, named: str) -> None:
    app = start_app()  # the Markov model: no drums; styles pop, ballad, upbeat
    with Client(port=app.osc.port) as client:
        client.upload_clip("tune", [(60, 0.0, 1.0, 90), (62, 1.0, 1.0, 90)])
        client.send("/continuo/generate", "j", *keys)
        [error] = client.expect("/continuo/error")
        assert error[:2] == ["j", "bad_request"] and named in error[2], error
        assert "Request." not in error[2]
        client.expect_no_more()
        client.send("/continuo/status")
        status = dict(zip(*[iter(client.wait_for("/continuo/status")[1])] * 2))
    assert (status["accepted"], status["failed"]) == (0, 0)


@pytest.mark.parametrize("changes, named", [
    ({"style": "nosuch"}, "style 'nosuch'"),
    ({"style": "chorale", "parts": ("bass", "drums")}, "style"),  # no drummer plays a chorale
    ({"parts": ("tuba",)}, "(parts)"),
    ({"chords": " "}, "(chords)"),
])
def test_the_default_model_is_checked_from_its_files_without_loading_it(changes: dict, named: str) -> None:
    check = serves("default")
    assert check is not None
    check.check(Request(chords="C | G"))  # what it serves passes
    check.check(Request(chords="C | G", style="funk", parts=("bass", "drums")))
    with pytest.raises(RequestError) as info:
        check.check(Request(chords="C | G").replace(**changes))
    assert named in str(info.value)


def test_the_cli_names_the_flag(tmp_path: Path, capsys) -> None:
    assert main(["generate", "--task", "accompany", "--parts", "bass", "--model", "markov"]) == 2
    err = capsys.readouterr().err
    assert "(--chords)" in err and "Request." not in err
    assert main(["generate", "--chords", "C", "--style", "nosuch", "--model", "markov"]) == 2
    assert "--style 'nosuch'" in capsys.readouterr().err


def test_a_file_that_is_not_midi_is_explained_without_library_words(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"this is not MIDI")
    assert main(["generate", "--task", "harmonize", "--melody", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--melody file" in err and "not a readable standard MIDI file" in err and "MiniMidi" not in err
    assert main(["render", str(bad), "--out", str(tmp_path / "stems")]) == 2
    err = capsys.readouterr().err
    assert "not a readable standard MIDI file" in err and "MiniMidi" not in err


def test_notes_of_a_request_reach_the_check() -> None:
    check = serves("markov")
    assert check is not None
    check.check(Request(task="harmonize", melody=(Note(60, 0.0, 1.0),)))
