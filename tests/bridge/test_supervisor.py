"""The supervisor shared by the job engine and the render service: queue limits, one ending per job,
bugs reported as internal errors, and a hung child process killed in both services."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bridge.errors import ContinuoError
from bridge.jobs.engine import Job, JobEngine
from bridge.jobs.supervisor import Once, Supervisor
from bridge.presets import load_preset
from bridge.render.service import RenderJob, RenderService
from models.types import Request
from tests.bridge.fakes import load_fake
from tests.bridge.render_fakes import hang_child, write_song
from tests.conftest import make_settings


@dataclass
class Task:
    id: str
    action: str = "ok"  # ok, block, bug
    ends: list[str] = field(default_factory=list)
    _once: Once = field(default_factory=Once)

    @property
    def ended(self) -> bool:  # what the supervisor asks of a queued job (QueuedJob)
        return self._once.ended


class Toy(Supervisor[Task]):
    """Runs tasks on its thread: ``block`` waits for the gate, ``bug`` raises like a bug would."""

    def __init__(self, queue_size: int = 2):
        super().__init__(queue_size, "toy")
        self.gate = threading.Event()
        self.ended = threading.Condition()

    def _end(self, task: Task, how: str) -> None:
        with self.ended:
            task.ends.append(how)
            self.ended.notify_all()

    def _run(self, task: Task) -> None:
        if task.action == "block":
            self.gate.wait(10)
        if task.action == "bug":
            raise TypeError("a bug")
        self._end(task, "done")

    def _fail(self, task: Task, error: ContinuoError) -> None:
        self._end(task, error.code)

    def wait_ended(self, *tasks: Task) -> None:
        with self.ended:
            assert self.ended.wait_for(lambda: all(t.ends for t in tasks), timeout=10), [t.ends for t in tasks]


def _wait_running(toy: Toy, name: str) -> None:
    deadline = time.monotonic() + 10
    while toy.queue_status() != (0, name):  # the supervisor has taken it
        assert time.monotonic() < deadline, toy.queue_status()
        time.sleep(0.01)


@pytest.fixture
def toy():
    supervisor = Toy()
    supervisor.start()
    yield supervisor
    supervisor.gate.set()
    supervisor.stop(join_seconds=5)


def test_a_bug_in_a_job_is_an_internal_error_and_the_next_job_runs(toy: Toy) -> None:
    bug, after = Task("bug", "bug"), Task("after")
    toy.submit(bug)
    toy.submit(after)
    toy.wait_ended(bug, after)
    assert bug.ends == ["internal"] and after.ends == ["done"]


def test_full_queue_and_duplicate_names_are_refused_before_acceptance(toy: Toy) -> None:
    running = Task("running", "block")
    accepted: list[str] = []
    toy.submit(running, on_accepted=lambda: accepted.append("running"))
    _wait_running(toy, "running")
    toy.submit(Task("a"))
    toy.submit(Task("b"))
    with pytest.raises(ContinuoError) as full:
        toy.submit(Task("c"), on_accepted=lambda: accepted.append("c"))
    with pytest.raises(ContinuoError) as duplicate:
        toy.submit(Task("a"))
    assert full.value.code == "queue_full" and "queue_size 2" in str(full.value)
    assert duplicate.value.code == "duplicate_job" and "'a'" in str(duplicate.value)
    assert accepted == ["running"]


def test_stop_ends_every_waiting_job_once_with_shutdown(toy: Toy) -> None:
    running, waiting = Task("running", "block"), [Task("w1"), Task("w2")]
    toy.submit(running)
    _wait_running(toy, "running")
    for task in waiting:
        toy.submit(task)
    stopping = threading.Thread(target=toy.stop, args=(5,))
    stopping.start()  # it waits for the running job
    toy.wait_ended(*waiting)
    toy.gate.set()
    stopping.join(10)
    assert [task.ends for task in waiting] == [["shutdown"], ["shutdown"]]
    assert running.ends == ["done"]
    with pytest.raises(ContinuoError) as refused:
        toy.submit(Task("late"))
    assert refused.value.code == "shutdown"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
def test_the_engine_kills_a_hung_worker_and_answers_the_job_with_one_error(tmp_path: Path) -> None:
    engine = JobEngine(make_settings(tmp_path, job_timeout_seconds=1.0), load_fake)
    ends: list[tuple[str, object]] = []
    ended = threading.Event()

    def end(kind: str):
        def callback(job: Job, value: object) -> None:
            ends.append((kind, value))
            ended.set()
        return callback

    engine.start()
    try:
        deadline = time.monotonic() + 30
        while engine.status()["model_state"] != "ready":
            assert time.monotonic() < deadline, "the fake model did not load"
            time.sleep(0.05)
        hung = engine.status()["worker_pid"]
        engine.submit(Job("stuck", Request(task="accompany", chords="C", style="hang"), end("result"), end("error")))
        assert ended.wait(20), "the hung job never ended"
        assert _wait_gone(hung), "the hung worker survived"
    finally:
        engine.stop()
    assert [(kind, error.code) for kind, error in ends] == [("error", "timeout")]  # type: ignore[attr-defined]
    assert "job_timeout_seconds" in str(ends[0][1])


@pytest.mark.slow
def test_the_render_service_kills_a_hung_render_and_answers_it_with_one_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, render_jobs=1, render_timeout_seconds=1.0)
    settings.output_dir.mkdir(parents=True)
    service = RenderService(settings, hang_child)
    ends: list[tuple[str, object]] = []
    ended = threading.Event()

    def end(kind: str):
        def callback(job: RenderJob, value: object) -> None:
            ends.append((kind, value))
            ended.set()
        return callback

    midi = write_song(tmp_path / "tune.mid", ("keys",))
    service.start()
    try:
        service.submit(RenderJob("stuck", [midi], load_preset("sketch").render, end("done"), end("error")))
        assert ended.wait(20), "the hung render never ended"
        helper = int((settings.output_dir / "stuck.helper-pid").read_text())
        assert _wait_gone(helper), "the hung render's helper process survived"
    finally:
        service.stop()
    assert [(kind, error.code) for kind, error in ends] == [("error", "timeout")]  # type: ignore[attr-defined]
    assert "render_timeout_seconds" in str(ends[0][1])
