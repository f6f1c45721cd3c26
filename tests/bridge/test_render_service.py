"""Renders in the daemon: crash and hang isolation, and the OSC addresses end to end."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bridge.client import Client
from bridge.presets import load_preset
from bridge.render.service import RenderJob, RenderService
from tests.bridge.fakes import load_fake
from tests.bridge.render_fakes import crash_child, hang_child, noting_child, write_song
from tests.conftest import make_settings


def _run(service: RenderService, job_id: str, midi: Path, timeout: float = 30.0) -> tuple[str, object, float]:
    """Submit one render and wait for its single ending: ("done", songs) or ("error", error)."""
    ended = threading.Event()
    outcome: list = []

    def finish(kind: str):
        def callback(job: RenderJob, value: object) -> None:
            outcome.append((kind, value, time.monotonic()))
            ended.set()
        return callback

    started = time.monotonic()
    service.submit(RenderJob(job_id, [midi], load_preset("sketch").render, finish("done"), finish("error")))
    assert ended.wait(timeout), f"render {job_id} never ended"
    kind, value, at = outcome[0]
    return kind, value, at - started


@pytest.fixture
def service_with(tmp_path: Path):
    services: list[RenderService] = []

    def start(child_main=None, **overrides) -> RenderService:
        settings = make_settings(tmp_path, render_jobs=1, **overrides)
        settings.output_dir.mkdir(parents=True, exist_ok=True)
        service = RenderService(settings, child_main)
        service.start()
        services.append(service)
        return service

    yield start
    for service in services:
        service.stop()


def test_a_crashing_render_fails_fast_and_the_next_one_works(service_with, tmp_path: Path) -> None:
    midi = write_song(tmp_path / "tune.mid", ("keys",))
    crashing = service_with(crash_child)
    kind, error, _ = _run(crashing, "boom", midi)
    failed_at = time.time()
    assert kind == "error" and error.code == "render_failed" and "crashed" in str(error)
    crashed_at = float((tmp_path / "out" / "boom.crashed-at").read_text())
    assert failed_at - crashed_at < 2.0  # the bound; the service polls every 50 ms
    kind, songs, _ = _run(service_with(), "after", midi)
    assert kind == "done" and songs[0].mix.is_file()


def test_the_next_render_process_waits_ready_with_its_libraries(service_with, tmp_path: Path) -> None:
    """After a render, the process for the next one is started and loads its libraries while nothing
    waits; each render still gets a process of its own, and stopping the daemon ends the waiting one."""
    midi = write_song(tmp_path / "tune.mid", ("keys",))
    service = service_with(noting_child)
    processes = []
    for job in ("first", "second", "third"):
        kind, songs, _ = _run(service, job, midi)
        assert kind == "done" and songs[0].mix.is_file()
        pid, loaded = (tmp_path / "out" / f"{job}.process").read_text().split()
        processes.append(int(pid))
        if job != "first":
            assert loaded == "True"  # started ahead of time: NumPy, pedalboard and the renderer already in
    assert len(set(processes)) == 3 and not any(_alive(pid) for pid in processes)
    deadline = time.monotonic() + 10
    while not service.spare_pid and time.monotonic() < deadline:  # started just after the answer
        time.sleep(0.02)
    waiting = service.spare_pid
    assert _alive(waiting) and waiting not in processes
    service.stop()
    assert not _alive(waiting)


@pytest.mark.slow
def test_a_hanging_render_times_out_and_its_helpers_are_killed(service_with, tmp_path: Path) -> None:
    midi = write_song(tmp_path / "tune.mid", ("keys",))
    service = service_with(hang_child, render_timeout_seconds=1.0)
    kind, error, _ = _run(service, "stuck", midi)
    assert kind == "error" and error.code == "timeout" and "render_timeout_seconds" in str(error)
    helper = int((tmp_path / "out" / "stuck.helper-pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper), "the hung render's helper process survived"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def render_app(start_app):
    def start(**overrides):
        app = start_app(loader=load_fake, render_preset="sketch", render_jobs=1, **overrides)
        deadline = time.monotonic() + 30
        while app.engine.status()["model_state"] != "ready":
            assert time.monotonic() < deadline, "fake model did not load"
            time.sleep(0.05)
        return app

    return start


@pytest.mark.slow
def test_generate_with_render_then_render_again_over_osc(render_app) -> None:
    app = render_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "song", "parts", "bass,keys", "bars", 1, "render", True)
        _, rendered = client.wait_for("/continuo/rendered", timeout=60)
        assert rendered[0] == "song" and len(rendered) == 4  # job, mix, bass, keys
        assert all(Path(p).is_file() for p in rendered[1:]) and rendered[1].endswith("-mix.wav")
        _, done = client.wait_for("/continuo/done", timeout=10)
        assert done[0] == "song" and done[1].endswith(".mid")

        client.send("/continuo/render", "song", "format", "flac", "bit_depth", 16, "output", "again")
        client.wait_for("/continuo/accepted")
        _, rendered = client.wait_for("/continuo/rendered", timeout=60)
        assert rendered[1] == str(app.settings.output_dir.resolve() / "again-mix.flac")

        midi_name = Path(done[1]).name
        client.send("/continuo/render", "file", "midi", midi_name, "instrument", "sketch")
        _, rendered = client.wait_for("/continuo/rendered", timeout=60)
        # the job's own render already wrote stems of that name: these get the next number
        assert rendered[0] == "file" and Path(rendered[1]).name == Path(midi_name).stem + "-2-mix.wav"


@pytest.mark.parametrize("args, code, words", [
    (["nojob"], "bad_request", "no finished job named 'nojob'"),
    (["x", "midi", "../../etc/passwd"], "bad_request", "not a usable name"),
    (["x", "midi", "absent.mid"], "bad_request", "no MIDI file named"),
    (["x", "preset", "nope"], "bad_preset", "known presets"),
    (["x", "colour", "red"], "bad_request", "render keys are"),
    (["x", "format", "mp3"], "bad_request", "wav, flac, aiff"),
    (["x", "sample_rate", 12345, "midi", "a"], "bad_preset", "sample_rate 12345"),
])
def test_bad_render_requests_are_refused_with_the_fix(render_app, args, code, words) -> None:
    app = render_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/render", *args)
        _, error = client.wait_for("/continuo/error")
        assert error[1] == code and words in error[2], error
