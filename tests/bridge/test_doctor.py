"""`continuo doctor` on a working set-up: the MIDI system in use, a daemon already running, the SoundFont."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import __version__
from bridge.cli import main
from bridge.midi import ports
from bridge.midi.ports import BackendInfo
from bridge.render import soundfont
from tests.bridge.test_cli import _doctor_report
from tests.conftest import free_port

JACK = BackendInfo("mido.backends.rtmidi/UNIX_JACK", "jack", ["system:capture"], ["system:playback"])
ALSA_DOWN = BackendInfo("mido.backends.rtmidi/LINUX_ALSA", "alsa",
                        error="MidiInAlsa::initialize: error creating ALSA sequencer client object.",
                        fix="load the ALSA sequencer (`sudo modprobe snd-seq`) and check you can open /dev/snd/seq")
JACK_DOWN = BackendInfo("mido.backends.rtmidi/UNIX_JACK", "jack", error="MidiInJack::initialize: JACK server not running?",
                        fix="start a JACK server")


def doctor(capsys, tmp_path: Path, *flags: str) -> dict[str, tuple[str, str, str]]:
    main(["doctor", "--model", "markov", "--output-dir", str(tmp_path), *flags])
    return _doctor_report(capsys.readouterr().out)


def test_a_working_jack_is_reported_in_use_and_an_unused_alsa_is_no_failure(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(ports, "list_backends", lambda: [ALSA_DOWN, JACK])
    checks = doctor(capsys, tmp_path, "--port", str(free_port()))
    assert checks["midi"] == ("ok", "jack, in use: 1 input(s), 1 output(s)", "")
    mark, detail, _ = checks["midi alsa"]
    assert mark == "ok" and detail.startswith("not used (jack is): MidiInAlsa::initialize")
    assert not [name for name, (mark, _, _) in checks.items() if mark == "FAIL" and name.startswith("midi")]


def test_midi_fails_only_when_no_system_works(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(ports, "list_backends", lambda: [ALSA_DOWN, JACK_DOWN])
    checks = doctor(capsys, tmp_path, "--port", str(free_port()))
    mark, detail, fix = checks["midi"]
    assert mark == "FAIL" and detail.startswith("no MIDI system works")
    assert "start a JACK server" in fix and "modprobe snd-seq" in fix and "OSC works without MIDI" in fix
    assert "midi alsa" not in checks and "midi jack" not in checks  # one line says it all


def test_midi_turned_off_is_no_failure(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(ports, "list_backends", lambda: [ALSA_DOWN, JACK_DOWN])
    checks = doctor(capsys, tmp_path, "--port", str(free_port()), "--midi-backend", "none")
    assert checks["midi"][:2] == ("ok", "off (midi_backend = none): OSC only")


def test_a_running_daemon_is_named_with_its_version(start_app, tmp_path, capsys) -> None:
    app = start_app()
    checks = doctor(capsys, tmp_path, "--port", str(app.osc.port))
    for label in ("UDP", "TCP"):
        assert checks[f"osc {label} port {app.osc.port}"] == (
            "ok", f"a continuo daemon (version {__version__}) is already listening on 127.0.0.1", "")


def test_the_soundfont_found_is_named(monkeypatch, tmp_path, capsys) -> None:
    font = tmp_path / "fonts" / "General.sf2"
    font.parent.mkdir()
    font.write_bytes(b"RIFF")
    monkeypatch.setattr(soundfont, "soundfont_dirs", lambda: (font.parent,))
    checks = doctor(capsys, tmp_path, "--port", str(free_port()))
    assert checks["soundfont"] == ("ok", f"{font}: General MIDI parts render with it", "")


def test_without_a_soundfont_it_says_how_to_install_one(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(soundfont, "soundfont_dirs", lambda: (tmp_path / "none",))
    checks = doctor(capsys, tmp_path, "--port", str(free_port()))
    mark, detail, _ = checks["soundfont"]
    assert mark == "ok"  # renders still work, on the sketch instruments
    assert detail.startswith("none found: parts render on the built-in sketch instruments; for General MIDI sounds "
                             "install one (Debian/Ubuntu: apt install timgm6mb-soundfont")


@pytest.mark.parametrize("wanted", ["Missing.sf2"])
def test_a_named_soundfont_that_is_not_there_fails(monkeypatch, tmp_path, capsys, wanted) -> None:
    monkeypatch.setattr(soundfont, "soundfont_dirs", lambda: (tmp_path / "none",))
    checks = doctor(capsys, tmp_path, "--port", str(free_port()), "--soundfont", wanted)
    mark, detail, fix = checks["soundfont"]
    assert mark == "FAIL" and wanted in detail and "apt install timgm6mb-soundfont" in fix
