"""The `continuo` command as a user runs it: real processes, real ports, liblo's oscsend/oscdump."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mido
import pytest

from bridge import __version__
from bridge.cli import main
from bridge.client import Client
from tests.conftest import free_port

CONTINUO = [sys.executable, "-m", "bridge"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}


def test_version_and_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out
    for command in ("serve", "generate", "ports", "doctor"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "usage: continuo " + command in capsys.readouterr().out


def test_generate_writes_a_midi_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.mid"
    code = main(["generate", "--task", "accompany", "--chords", "Am7 | D7 | Gmaj7 | Cmaj7", "--parts", "bass,keys",
                 "--bars", "8", "--tempo", "96", "--seed", "3", "--out", str(out)])
    assert code == 0 and str(out) in capsys.readouterr().out
    midi = mido.MidiFile(out)
    assert [t.name for t in midi.tracks[1:]] == ["bass", "keys"]
    assert midi.length == pytest.approx(8 * 4 * 60 / 96, abs=2.0)


def test_generate_from_a_melody_file_into_the_output_folder(tmp_path: Path, capsys) -> None:
    melody = tmp_path / "tune.mid"
    code = main(["generate", "--chords", "C | G", "--parts", "melody", "--bars", "2", "--out", str(melody)])
    assert code == 0
    capsys.readouterr()
    code = main(["generate", "--task", "harmonize", "--melody", str(melody), "--parts", "bass,pad",
                 "--output-dir", str(tmp_path / "results"), "--output", "harmony"])
    assert code == 0
    assert (tmp_path / "results" / "harmony.mid").is_file()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["generate", "--chords", "Am7 | Q"], "'Q'"),
        (["generate", "--melody", "/nonexistent/tune.mid", "--task", "harmonize"], "does not exist"),
        (["generate", "--chords", "C", "--bars", "many"], "whole number"),
        (["generate", "--chords", "C", "--model", "nosuch"], "unknown model"),
    ],
)
def test_generate_errors_are_one_clear_line(argv: list[str], words: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("continuo: ") and words in err and "Traceback" not in err


def test_not_a_midi_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"this is not MIDI")
    assert main(["generate", "--task", "harmonize", "--melody", str(bad)]) == 2
    assert "not a readable standard MIDI file" in capsys.readouterr().err


def test_print_config_shows_the_layers(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("queue_size = 7\nport = 7400\n")
    env = {**_env(tmp_path), "CONTINUO_PORT": "7500"}
    out = subprocess.run([*CONTINUO, "serve", "--config", str(config), "--reply-port", "7600", "--print-config"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "queue_size = 7" in out.stdout and "port = 7500" in out.stdout and "reply_port = 7600" in out.stdout
    bad = subprocess.run([*CONTINUO, "serve", "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--allow" in bad.stderr


def test_doctor_and_ports_explain_themselves(tmp_path: Path) -> None:
    out = subprocess.run([*CONTINUO, "doctor", "--port", str(free_port()), "--output-dir", str(tmp_path / "o")],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert "[ok  ] model" in out.stdout and "[ok  ] output folder" in out.stdout
    assert "[ok  ] torch" in out.stdout
    for line in out.stdout.splitlines():
        if line.startswith("[FAIL]"):
            assert "fix:" in out.stdout
    assert out.returncode == (1 if "[FAIL]" in out.stdout else 0)
    ports = subprocess.run([*CONTINUO, "ports"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert ports.returncode == 0 and ("inputs:" in ports.stdout or "fix:" in ports.stdout)


def _serve(tmp_path: Path, port: int, reply_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [*CONTINUO, "serve", "--port", str(port), "--reply-port", str(reply_port),
         "--output-dir", str(tmp_path / "out")],
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_serve_answers_ping_within_two_seconds_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, reply_port = free_port(), free_port()
    with Client(port=port, reply_port=reply_port) as client:
        started = time.monotonic()
        process = _serve(tmp_path, port, reply_port)
        try:
            pong = None
            while pong is None and time.monotonic() - started < 10:
                try:
                    pong = client.ping(timeout=0.2)
                except TimeoutError:
                    pass
            assert pong == __version__
            assert time.monotonic() - started < 2.0 + 1.0  # 2 s target; 1 s slack for the interpreter start
            result = client.generate("cli", chords="C | F | G | C", bars=4, timeout=30)
            assert Path(result.paths[0]).is_file()
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "stopped" in err


@pytest.mark.skipif(not shutil.which("oscsend") or not shutil.which("oscdump"), reason="liblo-tools not installed")
def test_oscsend_ping_makes_oscdump_print_the_pong(tmp_path: Path) -> None:
    port, reply_port = free_port(), free_port()
    process = _serve(tmp_path, port, reply_port)
    dumped = tmp_path / "oscdump.txt"
    with open(dumped, "w") as sink:
        dump = subprocess.Popen(["oscdump", "-L", str(reply_port)], stdout=sink)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "/continuo/pong" not in dumped.read_text():
            subprocess.run(["oscsend", "localhost", str(port), "/continuo/ping"], check=True, timeout=5)
            time.sleep(0.3)
        assert f'/continuo/pong s "{__version__}"' in dumped.read_text()
    finally:
        dump.kill()
        dump.communicate()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert process.returncode == 0


def test_doctor_says_how_to_allow_real_time_priority(monkeypatch) -> None:
    from bridge import doctor

    def refuse(*args) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(doctor.os, "sched_setscheduler", refuse, raising=False)
    check = doctor._timing()
    assert not check.ok and "Operation not permitted" in check.detail
    assert "rtprio" in check.fix and "audio group" in check.fix
