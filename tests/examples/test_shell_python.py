"""Every shell and Python example runs against a live daemon and ends well."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bridge.live_fake import FakeClip
from tests.conftest import REPO

SHELL = sorted(p for p in (REPO / "examples" / "shell").glob("*.sh") if not p.name.startswith("_"))
PYTHON = sorted((REPO / "examples" / "python").glob("*.py"))


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.skipif(not shutil.which("oscsend") or not shutil.which("oscdump"), reason="liblo-tools not installed")
@pytest.mark.parametrize("script", SHELL, ids=lambda p: p.name)
def test_shell_example(daemon, script: Path) -> None:
    out = _run(["bash", str(script)], {"CONTINUO_PORT": str(daemon.osc.port),
                                       "CONTINUO_REPLY_PORT": str(daemon.settings.reply_port)})
    assert "/continuo/pong" in out if script.name == "ping.sh" else "/continuo/done" in out and ".mid" in out


@pytest.mark.parametrize("script", PYTHON, ids=lambda p: p.name)
def test_python_example(daemon, script: Path) -> None:
    if script.name.startswith("ableton"):  # Live is the fake AbletonOSC peer, with a tune in slot 1
        live = daemon.live
        live.reset()
        live.tracks[0].slots[0] = FakeClip(8.0, [(72, 0.0, 2.0, 90, False), (76, 2.0, 2.0, 90, False),
                                                 (79, 4.0, 4.0, 90, False)])
    out = _run([sys.executable, str(script), "--port", str(daemon.osc.port),
                "--reply-port", str(daemon.settings.reply_port)])
    assert "MIDI file:" in out or "continuo 0.1" in out or "variation 3" in out, out
    if script.name.startswith("ableton"):
        assert daemon.live.tracks[1].slots[0].notes and daemon.live.tracks[2].slots[0].notes
