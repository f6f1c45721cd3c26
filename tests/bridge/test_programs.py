"""A preset's instrument programs reach the MIDI file and the MIDI output, not only the audio render."""

from __future__ import annotations

import time
from pathlib import Path

import mido
import pytest

from bridge.app import App
from bridge.cli import main
from bridge.client import Client
from tests.bridge.fakes import load_fake
from tests.bridge.midi_fakes import FakeMidiSystem
from tests.conftest import make_settings


def programs_in(path: Path) -> dict[str, int]:
    """Track name → the program its program change sets."""
    return {track.name: message.program for track in mido.MidiFile(path).tracks
            for message in track if message.type == "program_change"}


@pytest.mark.parametrize("preset, expected", [
    ("jazz-trio", {"bass": 32, "keys": 0}),  # upright bass, not the fingered electric bass (33)
    ("bossa-nova", {"bass": 32, "keys": 24}),  # nylon guitar, not a piano
])
def test_the_generate_command_writes_the_presets_programs(tmp_path: Path, capsys, preset, expected) -> None:
    out = tmp_path / "song.mid"
    assert main(["generate", "--preset", preset, "--chords", "C | G", "--bars", "2", "--model", "markov",
                 "--parts", "keys,bass", "--style", "upbeat", "--out", str(out)]) == 0  # Markov: no drums
    assert programs_in(out) == expected


def test_without_a_preset_each_part_keeps_its_general_midi_program(tmp_path: Path) -> None:
    out = tmp_path / "song.mid"
    assert main(["generate", "--chords", "C | G", "--parts", "bass,keys", "--model", "markov", "--out", str(out)]) == 0
    assert programs_in(out) == {"bass": 33, "keys": 0}


def test_the_daemon_writes_the_presets_programs(start_app) -> None:
    app = start_app()
    with Client(port=app.osc.port) as client:
        paths = client.generate("bossa", preset="bossa-nova", chords="C | G", bars=2, parts="keys,bass",
                                style="upbeat").paths  # the fake model writes no drums
    assert programs_in(Path(paths[0])) == {"bass": 32, "keys": 24}


@pytest.fixture
def midi_daemon(tmp_path):
    system = FakeMidiSystem()
    app = App(make_settings(tmp_path, midi_backend="jack", midi_sync="free"), load_fake, system)
    app.start()
    assert app.midi.wait_started(60) == "on"
    client = Client(port=app.osc.port)
    yield app, system, client
    client.close()
    app.stop()


def first_program_then_notes(system: FakeMidiSystem) -> dict[int, int]:
    """Channel → program sent there; each program change comes before the channel's first note."""
    sent = [m for _, m in system.outputs["continuo out"].sent]
    programs: dict[int, int] = {}
    for message in sent:
        if message.type == "program_change":
            programs.setdefault(message.channel, message.program)
        elif message.type == "note_on":
            assert message.channel in programs, f"a note on channel {message.channel + 1} before its program"
    return programs


def wait_for_notes(system: FakeMidiSystem, channels: set[int]) -> None:
    deadline = time.monotonic() + 5
    while not channels <= {m.channel for _, m in system.outputs["continuo out"].sent if m.type == "note_on"}:
        assert time.monotonic() < deadline, "timed out waiting for notes"
        time.sleep(0.01)


def test_midi_output_plays_the_presets_programs(midi_daemon) -> None:
    app, system, client = midi_daemon
    client.generate("bossa", preset="bossa-nova", chords="C | G", bars=2, tempo=400.0, play="loop", parts="keys,bass",
                    style="upbeat")
    wait_for_notes(system, {2, 3})
    assert first_program_then_notes(system) == {2: 24, 3: 32}  # keys on channel 3, bass on 4
    client.send("/continuo/stop")
    client.wait_for("/continuo/stopped")
    system.outputs["continuo out"].sent.clear()
    client.send("/continuo/play", "bossa")  # played again later: the same programs
    client.wait_for("/continuo/playing")
    wait_for_notes(system, {2, 3})
    assert first_program_then_notes(system) == {2: 24, 3: 32}
