"""The job engine under faults: full queue, cancel, crash, hang, timeout, shutdown; each job ends once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bridge.client import Client, ContinuoReplyError




def _ends(client: Client, seconds: float = 0.5) -> list[tuple[str, list]]:
    """Every done/error reply that arrives within ``seconds``."""
    time.sleep(seconds)
    out = []
    while not client.replies.empty():
        address, args = client.replies.get()
        if address in ("/continuo/done", "/continuo/error"):
            out.append((address, args))
    return out


def test_progress_then_done(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        result = client.generate("p", style="slow", parts="bass", bars=2)
        assert result.progress and all(0 <= f <= 1 for f in result.progress)
        assert result.parts["bass"]


def test_full_queue_is_refused_with_an_error(fake_app) -> None:
    app = fake_app(queue_size=1)
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "running", "style", "slow")
        client.wait_for("/continuo/progress")  # it has left the queue
        client.send("/continuo/generate", "waiting", "style", "slow")
        client.wait_for("/continuo/accepted")
        client.send("/continuo/generate", "refused", "style", "slow")
        _, args = client.wait_for("/continuo/error")
        assert args[:2] == ["refused", "queue_full"] and "queue_size" in args[2]
        for job in ("running", "waiting"):
            client.send("/continuo/cancel", job)
        codes = sorted(args[1] for _, args in _ends(client, 2.5))
        assert codes == ["cancelled", "cancelled"]


def test_duplicate_job_name_is_refused(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "same", "style", "slow")
        client.wait_for("/continuo/accepted")
        client.send("/continuo/generate", "same", "style", "slow")
        assert client.wait_for("/continuo/error")[1][:2] == ["same", "duplicate_job"]
        client.send("/continuo/cancel", "same")
        assert [a[1] for _, a in _ends(client, 1.0)] == ["cancelled"]


def test_cancel_running_job_then_next_job_succeeds(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "long", "style", "slow")
        client.wait_for("/continuo/progress")
        started = time.monotonic()
        client.send("/continuo/cancel", "long")
        with pytest.raises(ContinuoReplyError) as info:
            client.collect("long", timeout=5)
        assert info.value.code == "cancelled"
        assert time.monotonic() - started < 1.0
        assert client.generate("after", parts="keys").parts["keys"]
        client.send("/continuo/cancel", "nosuchjob")
        assert client.wait_for("/continuo/error")[1][:2] == ["nosuchjob", "bad_request"]


def test_worker_crash_fails_the_job_and_the_worker_restarts(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("boom", style="crash", timeout=20)
        assert info.value.code == "worker_crashed" and "send the job again" in info.value.message
        assert client.ping()
        assert client.generate("next", timeout=30).parts
        assert app.engine.status()["worker_restarts"] == 1


def test_model_exception_is_one_error_and_the_worker_stays(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("e", style="boom")
        assert info.value.code == "model_error" and "boom" in info.value.message
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("r", style="refuse")
        assert info.value.code == "bad_request" and "refuse" in info.value.message
        assert client.generate("ok").parts
        assert app.engine.status()["worker_restarts"] == 0


def test_hung_model_times_out_and_is_replaced(fake_app) -> None:
    app = fake_app(job_timeout_seconds=1.0)
    with Client(port=app.osc.port) as client:
        started = time.monotonic()
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("stuck", style="hang", timeout=20)
        assert info.value.code == "timeout" and "job_timeout_seconds" in info.value.message
        assert time.monotonic() - started < 6  # 1 s timeout + 2 s grace + restart
        assert client.generate("fresh", timeout=30).parts


def test_shutdown_ends_running_and_queued_jobs_with_errors(fake_app, tmp_path: Path) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "run", "style", "slow")
        client.wait_for("/continuo/progress")
        client.send("/continuo/generate", "queued", "style", "slow")
        client.wait_for("/continuo/accepted")
        started = time.monotonic()
        app.stop()
        assert time.monotonic() - started < 5
        ends = _ends(client, 0.3)
        assert sorted((args[0], args[1]) for _, args in ends) == [("queued", "shutdown"), ("run", "shutdown")]
    output = app.settings.output_dir
    assert not list(output.glob("*.part")) and not list(output.glob(".*"))


def test_every_accepted_job_ends_exactly_once(fake_app) -> None:
    app = fake_app(queue_size=64)
    with Client(port=app.osc.port) as client:
        jobs = [f"j{i}" for i in range(30)]
        for i, job in enumerate(jobs):
            style = ("pop", "boom", "refuse")[i % 3]
            client.send("/continuo/generate", job, "style", style, "bars", 1)
        for job in jobs[5:10]:
            client.send("/continuo/cancel", job)
        deadline = time.monotonic() + 30
        ends: dict[str, int] = {}
        while len(ends) < len(jobs) and time.monotonic() < deadline:
            address, args = client.wait_for("/continuo/done", "/continuo/error", timeout=30)
            ends[args[0]] = ends.get(args[0], 0) + 1
        late = _ends(client, 0.5)
        assert sorted(ends) == sorted(jobs) and set(ends.values()) == {1}
        assert late == []
        status = app.status()
        assert status["done"] + status["failed"] == len(jobs)
