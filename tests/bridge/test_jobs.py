"""The job engine under faults: full queue, cancel, crash, hang, timeout, shutdown; each job ends once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.client import Client, ContinuoReplyError


def _endings(client: Client, jobs: set[str], timeout: float = 15.0) -> dict[str, list]:
    """The one ending (/continuo/done or /continuo/error arguments) of each of ``jobs``; nothing may follow."""
    ends: dict[str, list] = {}
    while set(ends) != jobs:
        address, args = client.wait_for("/continuo/done", "/continuo/error", timeout=timeout)
        assert args[0] in jobs and args[0] not in ends, f"unexpected ending {address} {args}; so far {ends}"
        ends[args[0]] = args
    client.expect_no_more()
    return ends


def _status(client: Client) -> dict:
    client.send("/continuo/status")
    (args,) = client.expect("/continuo/status")
    return dict(zip(args[0::2], args[1::2]))


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
        ends = _endings(client, {"running", "waiting"})
        assert [ends[job][1] for job in ("running", "waiting")] == ["cancelled", "cancelled"]


def test_duplicate_job_name_is_refused(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "same", "style", "slow")
        client.wait_for("/continuo/accepted")
        client.send("/continuo/generate", "same", "style", "slow")
        assert client.wait_for("/continuo/error")[1][:2] == ["same", "duplicate_job"]
        client.send("/continuo/cancel", "same")
        assert _endings(client, {"same"})["same"][1] == "cancelled"


def test_cancel_running_job_then_next_job_succeeds(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "long", "style", "slow")
        client.wait_for("/continuo/progress")
        client.send("/continuo/cancel", "long")
        with pytest.raises(ContinuoReplyError) as info:
            client.collect("long", timeout=5)  # the slow job takes 4 s: only a cancel ends it sooner
        assert info.value.code == "cancelled"
        assert client.generate("after", parts="keys").parts["keys"]
        client.expect_no_more()
        client.send("/continuo/cancel", "nosuchjob")
        assert client.expect("/continuo/error")[0][:2] == ["nosuchjob", "bad_request"]


def test_worker_crash_fails_the_job_and_the_worker_restarts(fake_app) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("boom", style="crash", timeout=20)
        assert info.value.code == "worker_crashed" and "send the job again" in info.value.message
        assert client.ping()
        assert client.generate("next", timeout=30).parts
        assert _status(client)["worker_restarts"] == 1


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
        assert _status(client)["worker_restarts"] == 0


def test_hung_model_times_out_and_is_replaced(fake_app) -> None:
    app = fake_app(job_timeout_seconds=1.0)
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("stuck", style="hang", timeout=20)  # the model would hang for an hour
        assert info.value.code == "timeout" and "job_timeout_seconds" in info.value.message
        assert client.generate("fresh", timeout=30).parts
        assert _status(client)["worker_restarts"] == 1


def test_shutdown_ends_running_and_queued_jobs_with_errors(fake_app, tmp_path: Path) -> None:
    app = fake_app()
    with Client(port=app.osc.port) as client:
        client.send("/continuo/generate", "run", "style", "slow")
        client.wait_for("/continuo/progress")
        client.send("/continuo/generate", "queued", "style", "slow")
        client.wait_for("/continuo/accepted")
        app.stop()  # the daemon is gone after this: its replies are already sent
        ends = [client.wait_for("/continuo/done", "/continuo/error", timeout=5)[1][:2] for _ in range(2)]
        assert sorted(ends) == [["queued", "shutdown"], ["run", "shutdown"]]
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
        _endings(client, set(jobs), timeout=30)
        status = _status(client)
        assert status["done"] + status["failed"] == len(jobs)
