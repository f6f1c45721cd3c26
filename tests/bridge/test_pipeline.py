"""The job pipeline: stages that warn and go on, one ending per job, completions counted once."""

from __future__ import annotations

import threading

import pytest

from bridge.client import Client, ContinuoReplyError
from bridge.errors import InvalidRequest, PortError
from bridge.jobs import pipeline
from bridge.osc.peer import Peer
from bridge.requests import parse_pairs


class Recorder(Peer):
    """Replies kept in order; ``ended`` is set at the first /continuo/done or /continuo/error."""

    name = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple]] = []
        self.ended = threading.Event()

    def send(self, address: str, *args: object) -> None:
        self.sent.append((address, args))
        if address in ("/continuo/done", "/continuo/error"):
            self.ended.set()

    def endings(self) -> list[str]:
        return [a for a, _ in self.sent if a in ("/continuo/done", "/continuo/error")]


def _status(client: Client) -> dict:
    client.send("/continuo/status")
    args = client.wait_for("/continuo/status")[1]
    return dict(zip(args[0::2], args[1::2]))


def test_a_result_midi_cannot_play_warns_and_the_job_still_ends_once_with_done(fake_app, monkeypatch) -> None:
    app = fake_app()

    def lost_port(*args, **kwargs):
        raise PortError("the MIDI port 'continuo out' is gone")

    monkeypatch.setattr(app.midi, "check_playable", lambda: None)  # the ports were there when it was asked
    monkeypatch.setattr(app.midi, "play", lost_port)
    with Client(port=app.osc.port) as client:
        result = client.generate("p", parts="bass", bars=1, play="once")
        assert result.paths and result.parts["bass"]
        assert any("cannot play" in text and "'continuo out' is gone" in text for text in result.warnings)
        status = _status(client)
    assert (status["accepted"], status["done"], status["failed"]) == (1, 1, 0)


def test_a_bug_in_a_stage_is_an_internal_error_and_counted_as_one_failure(fake_app, monkeypatch) -> None:
    app = fake_app()

    def broken(*args, **kwargs):
        raise TypeError("a bug in the preview")

    monkeypatch.setattr(pipeline, "save_previews", broken)
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError) as info:
            client.generate("b", parts="bass", bars=1, preview=True)
        assert info.value.code == "internal" and "TypeError" in info.value.message
        assert client.generate("after", parts="bass", bars=1).paths  # the daemon goes on
        status = _status(client)
    assert (status["accepted"], status["done"], status["failed"]) == (2, 1, 1)


def test_completions_are_counted_once_whatever_ends_the_job(fake_app) -> None:
    app = fake_app()
    handed: list[Recorder] = []

    def submit(job: str, hand_off=None) -> Recorder:
        peer = Recorder()
        app.pipeline.submit(peer, job, parse_pairs(["parts", "keys", "bars", 1]), hand_off)
        handed.append(peer)
        return peer

    def done_then_late_error(ending, results, paths) -> None:
        ending.done(paths)
        ending.fail(InvalidRequest("too late: the job has ended"))

    def fail_then_late_done(ending, results, paths) -> None:
        ending.fail(InvalidRequest("Live refused"))
        ending.done(paths)

    done = submit("h-done", done_then_late_error)
    failed = submit("h-failed", fail_then_late_done)
    plain = submit("plain")
    with Client(port=app.osc.port) as client:
        with pytest.raises(ContinuoReplyError):
            client.generate("boom", style="boom")
        for peer in handed:
            assert peer.ended.wait(20)
        status = _status(client)
    assert done.endings() == ["/continuo/done"] and failed.endings() == ["/continuo/error"]
    assert plain.endings() == ["/continuo/done"]
    assert [a for a, _ in done.sent][0] == "/continuo/accepted"
    assert (status["accepted"], status["done"], status["failed"]) == (4, 2, 2)
