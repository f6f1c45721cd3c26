"""The `continuo` command as a user runs it: real processes, real ports, liblo's oscsend/oscdump."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
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
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("continuo: ") and words in lines[0], lines


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


def _doctor_report(stdout: str) -> dict[str, tuple[str, str, str]]:
    """Check name -> (mark, detail, fix) from `continuo doctor`'s lines, which must all be in its format."""
    lines = stdout.splitlines()
    checks: dict[str, tuple[str, str, str]] = {}
    failed = 0
    for index, line in enumerate(lines[:-1]):
        if line.startswith("       fix: "):
            assert lines[index - 1].startswith("[FAIL] "), f"a fix without a failed check: {line!r}"
            continue
        match = re.fullmatch(r"\[(ok  |FAIL)\] ([^:]+): (.+)", line)
        assert match, f"not a check line: {line!r}"
        mark, name, detail = match.groups()
        fix = ""
        if mark == "FAIL":
            failed += 1
            following = lines[index + 1]
            assert re.fullmatch(r"       fix: \S.*", following), f"{name} failed without a fix: {following!r}"
            fix = following.removeprefix("       fix: ")
        checks[name] = (mark.strip(), detail, fix)
    assert lines[-1] == (f"{failed} problem(s) found" if failed else "all good")
    return checks


def test_doctor_names_each_problem_and_its_fix(tmp_path: Path) -> None:
    port = free_port()
    taken = tmp_path / "a-file"  # an output folder that cannot be made
    taken.write_text("")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind(("127.0.0.1", port))
        tcp.bind(("127.0.0.1", port))
        out = subprocess.run([*CONTINUO, "doctor", "--port", str(port), "--output-dir", str(taken / "out")],
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    checks = _doctor_report(out.stdout)
    assert out.returncode == 1, out.stderr
    assert checks["model"][0] == checks["torch"][0] == checks["python"][0] == "ok"
    assert "midi" in checks and all(mark == "ok" for name, (mark, _, _) in checks.items()
                                    if name.startswith("midi ") and name != "midi timing")  # one MIDI verdict
    port_fix = "stop the program using it (another continuo?) or choose --port"
    for label in ("UDP", "TCP"):
        assert checks[f"osc {label} port {port}"] == ("FAIL", "Address already in use", port_fix)
    mark, detail, fix = checks["output folder"]
    assert (mark, fix) == ("FAIL", "choose a writable folder with --output-dir or output_dir in the config")
    assert detail.startswith(f"{taken / 'out'}: ")


def test_ports_lists_each_midi_system_or_says_how_to_fix_it(tmp_path: Path) -> None:
    ports = subprocess.run([*CONTINUO, "ports"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert ports.returncode == 0, ports.stderr
    lines = ports.stdout.splitlines()
    assert lines[-1].startswith("continuo serve: ")
    systems = lines[:-1]
    assert systems and len(systems) % 3 == 0, systems
    for head, first, second in zip(systems[0::3], systems[1::3], systems[2::3]):
        assert re.fullmatch(r"\w+: .+", head), head
        if first.startswith("  unavailable: "):
            assert re.fullmatch(r"  fix: \S.*", second), f"{head} is unavailable without a fix: {second!r}"
        else:
            assert first.startswith("  inputs:  ") and second.startswith("  outputs: "), (first, second)


def _serve(tmp_path: Path, port: int, reply_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [*CONTINUO, "serve", "--port", str(port), "--reply-port", str(reply_port),
         "--output-dir", str(tmp_path / "out")],
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_serve_answers_ping_while_the_model_loads_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, reply_port = free_port(), free_port()
    with Client(port=port, reply_port=reply_port) as client:
        started = time.monotonic()
        process = _serve(tmp_path, port, reply_port)
        try:
            pong = None
            while pong is None and time.monotonic() - started < 30:
                try:
                    pong = client.ping(timeout=0.2)
                except TimeoutError:
                    pass
            assert pong == __version__
            client.send("/continuo/status")
            (status,) = client.expect("/continuo/status")
            assert dict(zip(status[0::2], status[1::2]))["model_state"] in ("loading", "ready")
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


def test_doctor_says_how_to_allow_real_time_priority(monkeypatch, tmp_path: Path, capsys) -> None:
    from bridge import doctor

    def refuse(*args) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(doctor.os, "sched_setscheduler", refuse, raising=False)
    assert main(["doctor", "--model", "markov", "--port", str(free_port()), "--output-dir", str(tmp_path)]) == 1
    mark, detail, fix = _doctor_report(capsys.readouterr().out)["midi timing"]
    assert (mark, detail) == ("FAIL", "no real-time priority for the MIDI sender (Operation not permitted): "
                                      "sends can be late by a few ms while the computer is busy")
    assert fix == ("allow real-time priority: add yourself to the audio group with an rtprio limit "
                   "(@audio - rtprio 95 in /etc/security/limits.d/audio.conf), then log in again")
