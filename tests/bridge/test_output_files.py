"""Result files as another program sees them: readable as the umask allows, never written over unasked."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.client import Client
from bridge.jobs.outputs import save_previews, save_results
from bridge.midi.files import build_midi, write_midi
from bridge.presets import load_preset
from bridge.render.stems import render_files
from models.types import Note, Result


def _result(parts: tuple[str, ...] = ("bass", "keys")) -> Result:
    notes = {part: tuple(Note(40 + 12 * i + b, float(b), 1.0, 80) for b in range(4)) for i, part in enumerate(parts)}
    return Result(notes, (), 1, (4, 4), 120.0)


@pytest.fixture
def umask():
    """Set the process umask for one test, then put the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_midi_png_and_audio_are_as_readable_as_the_umask_allows(tmp_path: Path, umask, mask: int,
                                                                 expected: int) -> None:
    umask(mask)
    [midi] = save_results([_result()], "song", tmp_path, title="t")
    [png] = save_previews([_result()], [midi], "t")
    preset = load_preset("sketch").render
    [song] = render_files([midi], preset, tmp_path, jobs=1, prefixes=[midi.stem])
    written = [midi, png, song.mix, *song.stems.values()]
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: oct(expected) for p in written}
    other = write_midi(tmp_path / "cli.mid", build_midi(_result().parts, 120.0, (4, 4)))
    assert _mode(other) == expected


def test_a_second_result_under_a_taken_name_gets_the_next_number(tmp_path: Path) -> None:
    first = save_results([_result()], "mysong", tmp_path, title="t")
    second = save_results([_result()], "mysong", tmp_path, title="t")
    third = save_results([_result(), _result()], "mysong", tmp_path, title="t")
    assert [p.name for p in first + second + third] == ["mysong.mid", "mysong-2.mid", "mysong-3-v1.mid",
                                                        "mysong-3-v2.mid"]
    assert [p.name for p in save_previews([_result()], second, "t")] == ["mysong-2.png"]


def test_overwrite_writes_over_the_taken_name(tmp_path: Path) -> None:
    save_results([_result(("bass",))], "mysong", tmp_path, title="t")
    [again] = save_results([_result(("keys",))], "mysong", tmp_path, title="t", overwrite=True)
    assert again.name == "mysong.mid" and sorted(p.name for p in tmp_path.iterdir()) == ["mysong.mid"]


def test_stems_left_by_an_earlier_take_keep_the_name_taken(tmp_path: Path) -> None:
    (tmp_path / "mysong-bass.wav").write_bytes(b"an earlier take's stem")
    [path] = save_results([_result()], "mysong", tmp_path, title="t")
    assert path.name == "mysong-2.mid"
    (tmp_path / "other-2-bass.wav").write_bytes(b"the stem of another set")
    assert save_results([_result()], "other", tmp_path, title="t")[0].name == "other.mid"


def test_results_finishing_at_once_under_one_name_all_get_their_own_number(tmp_path: Path) -> None:
    names: list[str] = []
    start = threading.Barrier(8)

    def save() -> None:
        start.wait()
        names.extend(p.name for p in save_results([_result()], "take", tmp_path, title="t"))

    threads = [threading.Thread(target=save) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(names) == sorted(["take.mid", *(f"take-{n}.mid" for n in range(2, 9))])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary file left behind


def _job(client: Client, job: str, *keys: object) -> tuple[list[str], list[str]]:
    """Run a generate job; its MIDI paths and, with preview true, its picture paths."""
    client.send("/continuo/generate", job, *keys)
    pictures: list[str] = []
    while True:
        address, args = client.wait_for("/continuo/preview", "/continuo/done", "/continuo/error", timeout=30)
        if address == "/continuo/error":
            raise AssertionError(args)
        if address == "/continuo/preview":
            pictures = args[1:]
        else:
            return args[1:], pictures


def test_a_job_name_used_again_over_osc_numbers_the_midi_file_and_its_preview(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        first = _job(client, "take", "parts", "bass", "bars", 1, "output", "mysong", "preview", True)
        second = _job(client, "take", "parts", "bass", "bars", 1, "output", "mysong", "preview", True)
        again = _job(client, "take", "parts", "bass", "bars", 1, "output", "mysong", "overwrite", True)
    names = [[Path(p).name for p in paths] for paths in (*first, *second, *again)]
    assert names == [["mysong.mid"], ["mysong.png"], ["mysong-2.mid"], ["mysong-2.png"], ["mysong.mid"], []]


@pytest.mark.slow
def test_stems_of_a_job_rendered_again_get_their_own_number(fake_app) -> None:
    app = fake_app(render_preset="sketch", render_jobs=1)
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "take", "parts", "bass", "bars", 1, "output", "mysong", "render", True)
        first = client.wait_for("/continuo/rendered", timeout=60)[1]
        assert Path(client.wait_for("/continuo/done")[1][1]).name == "mysong.mid"
        client.send("/continuo/generate", "take", "parts", "bass", "bars", 1, "output", "mysong", "render", True)
        second = client.wait_for("/continuo/rendered", timeout=60)[1]
        assert Path(client.wait_for("/continuo/done")[1][1]).name == "mysong-2.mid"
        renders = []
        for _ in range(2):
            client.send("/continuo/render", "take")
            renders.append(client.wait_for("/continuo/rendered", timeout=60)[1])
    assert [[Path(p).name for p in args[1:]] for args in (first, second, *renders)] == [
        ["mysong-mix.wav", "mysong-bass.wav"], ["mysong-2-mix.wav", "mysong-2-bass.wav"],
        ["take-mix.wav", "take-bass.wav"], ["take-2-mix.wav", "take-2-bass.wav"]]


def test_the_cli_numbers_a_taken_output_name_and_out_file_unless_asked_to_overwrite(tmp_path: Path, capsys) -> None:
    results = tmp_path / "results"
    base = ["generate", "--chords", "C | G", "--parts", "bass", "--output-dir", str(results)]
    for extra in ([], [], ["--overwrite"]):
        assert main([*base, "--output", "mysong", *extra]) == 0
    out = tmp_path / "mine.mid"
    for _ in range(2):
        assert main([*base, "--out", str(out)]) == 0
    printed = [line.split("  ")[0] for line in capsys.readouterr().out.splitlines() if ".mid" in line]
    assert [Path(p).name for p in printed] == ["mysong.mid", "mysong-2.mid", "mysong.mid", "mine.mid", "mine-2.mid"]
    assert sorted(p.name for p in results.iterdir()) == ["mysong-2.mid", "mysong.mid"]


def test_the_render_command_numbers_stems_already_there_unless_asked_to_overwrite(tmp_path: Path, capsys) -> None:
    song = save_results([_result(("bass",))], "song", tmp_path, title="t")[0]
    stems = tmp_path / "stems"
    for extra in ([], [], ["--overwrite"]):
        assert main(["render", str(song), "--out", str(stems), "--preset", "sketch", "--jobs", "1", *extra]) == 0
    assert sorted(p.name for p in stems.iterdir()) == ["song-2-bass.wav", "song-2-mix.wav", "song-bass.wav",
                                                       "song-mix.wav"]
    assert "song-mix.wav" in capsys.readouterr().out.splitlines()[-2]
