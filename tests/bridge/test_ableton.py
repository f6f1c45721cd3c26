"""/continuo/ableton/<task> against a fake Live speaking AbletonOSC over loopback UDP."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator

import mido
import pytest

from bridge.ableton import REPLY_LIMIT_BYTES, LiveClient, LiveNote, ReplyTooLarge
from bridge.app import App
from bridge.client import Client
from bridge.errors import AbletonError
from bridge.osc.packets import encode_message, parse_message
from tests.bridge.live_fake import FakeClip, FakeLive
from tests.conftest import REPO, free_port, make_settings

MELODY = [(72, 0.0, 1.0, 90, False), (74, 1.0, 1.0, 90, False), (76, 2.0, 2.0, 90.5, False),
          (60, 3.0, 1.0, 90, True), (77, 4.0, 1.0, 90, False), (72, 6.0, 2.0, 90, False)]
END = ("/continuo/done", "/continuo/error")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory) -> Iterator[tuple[App, FakeLive]]:
    """One daemon (fake model) and one fake Live for the module; each test resets Live's set."""
    folder = tmp_path_factory.mktemp("ableton")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        live = FakeLive(reply_port=free_port())
        from tests.bridge.fakes import load_fake

        app = App(make_settings(folder, ableton_port=live.port, ableton_reply_port=live.reply_port,
                                ableton_timeout_seconds=1.0), load_fake)
        app.start()
        yield app, live
        app.stop()
        live.close()


@pytest.fixture
def live(daemon) -> FakeLive:
    daemon[1].reset()
    return daemon[1]


@pytest.fixture
def client(daemon) -> Iterator[Client]:
    with Client(port=daemon[0].osc.port) as opened:
        yield opened


def _ending(client: Client, job: str, timeout: float = 20.0) -> tuple[str, list, list[tuple[str, list]]]:
    """Every reply for ``job`` up to its one ending; fails on a second ending."""
    seen = []
    while True:
        address, args = client.wait_for("/continuo/accepted", "/continuo/notes", "/continuo/ableton/written",
                                        *END, timeout=timeout)
        if args and args[0] == job:
            seen.append((address, args))
            if address in END:
                with pytest.raises(TimeoutError):
                    client.wait_for(*END, timeout=0.2)
                return address, args, seen


def test_harmonize_reads_the_clip_and_writes_each_part(client, live, daemon) -> None:
    live.tracks[0].slots[0] = FakeClip(8.0, list(MELODY))
    client.send("/continuo/ableton/harmonize", "h1", "track", 1, "slot", 1, "parts", "bass,keys", "seed", 2)
    address, args, seen = _ending(client, "h1")
    assert address == "/continuo/done", args
    written = [a for addr, a in seen if addr == "/continuo/ableton/written"]
    assert [w[1:5] for w in written] == [[1, "bass", 2, 1], [1, "keys", 3, 1]]
    sent = {}
    for addr, a in seen:
        if addr == "/continuo/notes":
            sent.setdefault(a[2], []).extend(a[5:])
    for (_, _, part, track, _, count), index in zip(written, (1, 2)):
        clip = live.tracks[index].slots[0]
        assert clip.name == f"h1 {part}" and clip.length == 8.0  # the source clip's two bars
        assert len(clip.notes) == count == len(sent[part]) // 4
        assert [n[0] for n in clip.notes] == sent[part][0::4]
    midi = mido.MidiFile(args[1])
    tempo = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    assert round(mido.tempo2bpm(tempo)) == 96  # Live's tempo: the request named none
    assert live.tracks[0].slots[0].notes == MELODY  # the source is only read


def test_dense_parts_are_written_in_datagrams_and_read_back_in_windows(client, live) -> None:
    live.tracks[0].slots[0] = FakeClip(512.0, [(60 + i % 12, i * 0.5, 0.5, 100, False) for i in range(600)])
    client.send("/continuo/ableton/variations", "dense", "track", 1, "parts", "bass,keys", "bars", 128)
    address, args, _ = _ending(client, "dense")
    assert address == "/continuo/done", args
    adds = live.sent_to("/live/clip/add/notes")
    assert len(adds) >= 2 * 512 // 60 and max(size for _, size in adds) < 1500
    for index in (1, 2):
        assert len(live.tracks[index].slots[0].notes) == 512  # the fake model: one note a beat
    assert max(size for a, size in live.answers if a == "/live/clip/get/notes") <= REPLY_LIMIT_BYTES


def test_a_clip_of_1000_notes_is_read_and_1000_written_within_macos_datagrams(client, live) -> None:
    clip = [(36 + i % 92, i * 0.25, 0.25, 64 + i % 60, False) for i in range(999)] + [(127, 10.1, 1.0, 100, False)]
    live.tracks[0].slots[0] = FakeClip(256.0, list(clip))
    client.send("/continuo/ableton/variations", "big", "track", 1, "parts", "bass", "bars", 250)
    address, args, seen = _ending(client, "big", timeout=60)
    assert address == "/continuo/done", args
    written = live.tracks[1].slots[0].notes
    assert len(written) == 1000 and [w[5] for a, w in seen if a == "/continuo/ableton/written"] == [1000]
    assert not live.errors  # no answer was ever too large for a 9216-byte datagram
    assert {tuple(a[2:4]) for a, _ in live.sent_to("/live/clip/get/notes")} == {(0, 128)}  # every pitch, 127 too


@pytest.fixture
def live_alone() -> Iterator[tuple[FakeLive, LiveClient]]:
    """A fake Live and a client of its own (the daemon holds the module's reply port)."""
    fake = FakeLive(reply_port=free_port())
    client = LiveClient("127.0.0.1", fake.port, fake.reply_port, timeout_seconds=2.0)
    yield fake, client
    client.close()
    fake.close()


def test_the_client_reads_and_writes_1000_notes_including_pitch_127(live_alone) -> None:
    fake, client = live_alone
    notes = [LiveNote(30 + i % 97, i * 0.125, 0.5, 90.0, i % 7 == 0) for i in range(999)]
    notes.append(LiveNote(127, 3.0, 1.0, 100.0))
    fake.tracks[0].slots[0] = FakeClip(128.0, [(n.pitch, n.start_beats, n.duration_beats, n.velocity, n.mute)
                                               for n in notes])
    assert sorted(client.get_notes(0, 0, 128.0), key=_key) == sorted(notes, key=_key)

    client.send("/live/clip_slot/create_clip", 1, 0, 128.0)
    client.add_notes(1, 0, notes)
    back = client.get_notes(1, 0, 128.0)
    assert sorted(back, key=_key) == sorted(notes, key=_key) and len(back) == 1000
    assert max(size for address, size in fake.answers if address == "/live/clip/get/notes") <= REPLY_LIMIT_BYTES
    assert not fake.errors


def test_the_fake_fails_as_abletonosc_does(live_alone) -> None:
    """One string on /live/error; an answer over the datagram limit is lost; the default range has no 127."""
    fake, client = live_alone
    fake.tracks[0].slots[0] = FakeClip(64.0, [(60 + i % 12, i * 0.0625, 0.1, 90, False) for i in range(1000)])
    fake.tracks[0].slots[1] = FakeClip(4.0, [(127, 0.0, 1.0, 90, False), (126, 1.0, 1.0, 90, False)])
    with pytest.raises(ReplyTooLarge, match="Message too long"):
        client.ask("/live/clip/get/notes", 0, 0, echo=2)  # AbletonOSC's whole-clip answer: 21 KB
    assert [p for p, *_ in _groups(client.ask("/live/clip/get/notes", 0, 1, echo=2))] == [126]
    with pytest.raises(AbletonError, match="no attribute 'length'"):
        client.clip("length", 0, 2)
    client.open()
    raw = client._sock
    raw.sendto(encode_message("/live/clip/get/notes", [0, 3, 0]), ("127.0.0.1", fake.port))
    address, args = parse_message(raw.recvfrom(65536)[0])
    assert address == "/live/error" and len(args) == 1 and "Either 0 or 4 arguments" in args[0]


def _key(note: LiveNote) -> tuple:
    return note.pitch, round(note.start_beats, 4)


def _groups(values: list) -> list[tuple]:
    return [tuple(values[i : i + 5]) for i in range(0, len(values), 5)]


def test_accompany_from_chords_writes_variations_into_successive_slots(client, live) -> None:
    client.send("/continuo/ableton/accompany", "acc", '{"chords": "Am7 | D7", "parts": "bass", '
                '"out_track": 3, "out_slot": 2, "variations": 2, "tempo": 100, "meter": "3/4"}')
    address, args, _ = _ending(client, "acc")
    assert address == "/continuo/done" and len(args) == 3
    clips = [live.tracks[2].slots[1], live.tracks[2].slots[2]]
    assert all(c is not None and c.length == 12.0 and c.notes for c in clips)  # the fake writes 4 bars of 3/4
    assert not any(a.startswith("/live/song/get/tempo") for a, _, _ in live.received)


def _refused(client: Client, job: str, code: str) -> str:
    address, args, seen = _ending(client, job)
    assert address == "/continuo/error" and args[1] == code, args
    assert "/continuo/accepted" not in [a for a, _ in seen]
    return args[2]


@pytest.mark.parametrize("setup, keys, words", [
    (lambda live: None, [], "holds no clip"),
    (lambda live: setattr(live.tracks[1], "midi", False), [], "track 2 is not a MIDI track"),
    (lambda live: live.tracks[2].slots.__setitem__(0, FakeClip(4.0)), [], "already holds a clip"),
    (lambda live: None, ["out_track", 4], "Live has 4 tracks"),
    (lambda live: None, ["out_slot", 4, "variations", 2], "Live has 4 scenes"),
    (lambda live: setattr(live, "signature", (5, 4)), [], "5/4"),
    (lambda live: live.tracks[0].slots.__setitem__(0, FakeClip(4.0, midi=False)), [], "audio clip"),
])
def test_what_live_holds_is_checked_before_the_job(client, live, setup, keys, words) -> None:
    if words != "holds no clip":
        live.tracks[0].slots[0] = live.tracks[0].slots[0] or FakeClip(8.0, list(MELODY))
    setup(live)
    client.send("/continuo/ableton/harmonize", "chk", "track", 1, *keys)
    assert words in _refused(client, "chk", "ableton")
    assert not live.sent_to("/live/clip_slot/create_clip")


def test_replace_true_overwrites_the_target_clips(client, live) -> None:
    live.tracks[0].slots[0] = FakeClip(8.0, list(MELODY))
    live.tracks[1].slots[0] = FakeClip(4.0, [(1, 0.0, 1.0, 1, False)], name="old")
    client.send("/continuo/ableton/harmonize", "rep", "track", 1, "parts", "bass", "replace", "true")
    assert _ending(client, "rep")[0] == "/continuo/done"
    assert live.tracks[1].slots[0].name == "rep bass" and (1, 0.0, 1.0, 1, False) not in live.tracks[1].slots[0].notes


def test_live_refusing_a_write_ends_the_job_with_one_error(client, live) -> None:
    live.tracks[0].slots[0] = FakeClip(8.0, list(MELODY))
    live.refuse = {"/live/clip/add/notes"}
    client.send("/continuo/ableton/harmonize", "bad", "track", 1)
    address, args, seen = _ending(client, "bad")
    assert "/continuo/accepted" in [a for a, _ in seen]
    assert address == "/continuo/error" and args[1] == "ableton" and "refused by the test" in args[2]
    assert "the result is in /" in args[2] and ".mid" in args[2]  # the MIDI file can still be used


def test_silent_live_times_out_clearly_and_never_blocks_other_requests(client, live) -> None:
    live.silent = True
    started = time.monotonic()
    client.send("/continuo/ableton/harmonize", "quiet", "track", 1)
    assert client.ping(timeout=0.8)  # answered while the Ableton thread waits for Live
    assert time.monotonic() - started < 0.9
    message = _refused(client, "quiet", "ableton_timeout")
    assert "is AbletonOSC installed and Live running?" in message
    live.silent = False
    client.send("/continuo/ableton/ping")  # the next conversation is not confused by the last one
    assert client.wait_for("/continuo/ableton/pong", timeout=5)[1] == ["11.3", 4, 96.0]


@pytest.mark.parametrize("args, words", [
    (["j", "colour", "red"], "unknown key 'colour'"),
    (["j", "task", "continue"], "the address names the task"),
    (["j", "melody", "tune"], "the clip comes from Live"),
    (["j", "track", 0], "count from 1"),
    (["j", "track", 1.5], "whole number"),
    (["j", "slot", 2], "name the clip to harmonize"),
    (["j", "track", 1, "bars", 9999], "out of range"),
    (["j", "track"], "has no value"),
])
def test_bad_requests_are_refused_at_once(client, live, args, words) -> None:
    client.send("/continuo/ableton/harmonize", *args)
    job, code, message = client.wait_for("/continuo/error", timeout=5)[1]
    assert (job, code) == ("j", "bad_request") and words in message, message
    assert not live.received


@pytest.mark.skipif(not shutil.which("oscsend"), reason="liblo-tools not installed")
def test_the_first_request_in_docs_works(daemon, live) -> None:
    doc = (REPO / "docs" / "daw" / "ableton.md").read_text(encoding="utf-8")
    command = re.search(r"oscsend localhost 7300 /continuo/ableton/harmonize.*?\n.*?\n", doc).group(0)
    argv = shlex.split(command.replace("\\\n", " "))
    argv[2] = str(daemon[0].osc.port)
    live.tracks[0].slots[0] = FakeClip(8.0, list(MELODY))
    done_before = daemon[0].status()["done"]
    subprocess.run(argv, check=True, timeout=10)
    deadline = time.monotonic() + 20
    while daemon[0].status()["done"] == done_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [live.tracks[i].slots[0].name for i in (1, 2)] == ["live1 bass", "live1 keys"]
