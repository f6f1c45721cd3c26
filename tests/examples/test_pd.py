"""Pure Data (vanilla, headless) runs the example patches against a live daemon as a real client."""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

PD = shutil.which("pd")
pytestmark = pytest.mark.skipif(PD is None, reason="Pure Data is not installed (Debian: puredata)")


def _run_pd(patch: str, daemon, tmp_path: Path, timeout: float = 30.0) -> list[str]:
    """Open ``patch`` as an abstraction aimed at the daemon, start it, return what it printed."""
    wrapper = tmp_path / f"run-{patch}.pd"  # creation arguments: host, port, reply port
    wrapper.write_text(f"#N canvas 0 0 450 300 12;\n#X obj 10 10 {patch} 127.0.0.1 {daemon.osc.port} "
                       f"{daemon.settings.reply_port};\n")
    argv = [PD, "-nogui", "-noaudio", "-nomidi", "-stderr", "-path", str(REPO / "examples" / "pd"),
            "-open", str(wrapper), "-send", "continuo-demo-run bang"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip()) for line in process.stderr], daemon=True).start()
    printed = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if process.poll() is not None:
                    break
                continue
            printed.append(line)
            if line.startswith(("continuo: done", "continuo: error")):
                break
    finally:
        process.terminate()
        process.wait(timeout=5)
    return printed


@pytest.mark.parametrize("patch, first", [("harmonize", "continuo: clip stored tune 9"),
                                          ("accompany", "continuo: accepted pd-accompany")])
def test_pd_patch_pings_uploads_and_generates(daemon, tmp_path: Path, patch: str, first: str) -> None:
    printed = _run_pd(patch, daemon, tmp_path)
    text = "\n".join(printed)
    assert "continuo: pong 0.1.0" in printed, text
    assert first in printed, text
    notes = [line.split() for line in printed if line.startswith(f"continuo: notes pd-{patch} 1 ")]
    assert {words[4] for words in notes} == {"bass", "keys"}, text
    for words in notes:  # pitch start duration velocity, as Pd read them from continuo's datagrams
        values = [float(w) for w in words[7:]]
        assert values and len(values) % 4 == 0
        assert all(0 <= p <= 127 and 1 <= v <= 127 for p, v in zip(values[0::4], values[3::4]))
    done = printed[-1].split()
    assert done[:3] == ["continuo:", "done", f"pd-{patch}"] and Path(done[3]).suffix == ".mid", text
    assert Path(done[3]).is_file()
