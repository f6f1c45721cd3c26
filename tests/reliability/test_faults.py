"""Faults: a killed worker, a full disk, a vanished output folder, GPU out of memory."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import mido
import pytest

from bridge.client import Client, ContinuoReplyError




def test_worker_killed_mid_job(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "victim", "style", "slow")
        client.wait_for("/continuo/progress")
        os.kill(app.engine.status()["worker_pid"], signal.SIGKILL)
        with pytest.raises(ContinuoReplyError) as info:
            client.collect("victim", timeout=10)
        assert info.value.code == "worker_crashed"
        assert client.generate("survivor", timeout=30).parts


def test_disk_full_is_a_clear_error_and_leaves_no_file(fake_app, monkeypatch) -> None:
    app = fake_app()

    def full_disk(self, filename=None, file=None):
        Path(filename).write_bytes(b"MThd\x00\x00")  # half a file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(mido.MidiFile, "save", full_disk)
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("full", parts="bass")
        assert info.value.code == "write_failed"
        assert "No space left on device" in info.value.message and "free space" in info.value.message
        assert list(app.settings.output_dir.iterdir()) == []
        monkeypatch.undo()
        assert client.generate("again", parts="bass").paths


def test_output_folder_replaced_by_a_file(fake_app) -> None:
    app = fake_app()
    output = app.settings.output_dir
    output.rmdir()
    output.write_text("not a folder")
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("nowhere", parts="bass")
        assert info.value.code == "write_failed" and "--output-dir" in info.value.message


def test_gpu_out_of_memory_falls_back_and_says_so(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        result = client.generate("big", style="oom", variations=3, parts="keys", timeout=30)
        assert sorted(result.variations) == [1, 2, 3]
        assert len(result.warnings) == 2
        assert "one at a time" in result.warnings[0] and "on the CPU" in result.warnings[1]
        single = client.generate("small", style="oom", parts="keys", timeout=30)
        assert single.parts and len(single.warnings) == 1 and "CPU" in single.warnings[0]
    assert app.status()["failed"] == 0 and app.status()["worker_restarts"] == 0
