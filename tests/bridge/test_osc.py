"""Every OSC address over real loopback UDP, TCP (length-prefixed) and TCP (SLIP) round trips."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import mido
import pytest

from bridge import __version__
from bridge.client import Client, ContinuoReplyError
from bridge.osc.packets import encode_message

TRANSPORTS = ["udp", "tcp", "slip"]
MELODY = [(72, 0.0, 1.0, 90), (74, 1.0, 1.0, 90), (76, 2.0, 2.0, 90), (77, 4.0, 1.0, 90), (76, 5.0, 1.0, 90),
          (74, 6.0, 2.0, 90), (72, 8.0, 2.0, 90), (71, 10.0, 2.0, 90), (72, 12.0, 4.0, 90)]


def _error(client: Client, timeout: float = 5.0) -> list:
    """The /continuo/error that must be the very next reply, with nothing before or after it."""
    (args,) = client.expect("/continuo/error", timeout=timeout)
    client.expect_no_more()
    return args


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_ping_and_status(connect, transport: str) -> None:
    client = connect(transport)
    assert client.ping() == __version__
    client.send("/continuo/status")
    (args,) = client.expect("/continuo/status")
    status = dict(zip(args[0::2], args[1::2]))
    assert status["version"] == __version__
    assert {"queued", "running", "model", "model_state", "device", "done", "failed"} <= set(status)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_clip_upload_in_chunks(connect, transport: str) -> None:
    client = connect(transport)
    notes = [(60 + i % 12, i * 0.5, 0.5, 100) for i in range(400)]
    client.upload_clip("dense", notes)  # three datagrams
    client.send("/continuo/clip/list")
    assert client.expect("/continuo/clip/list") == [["dense"]]
    client.send("/continuo/clip/append", "dense", 60, 300.0, 1.0, 64)
    assert client.expect("/continuo/clip/stored") == [["dense", 401]]
    client.send("/continuo/clip/clear", "dense")
    assert client.expect("/continuo/clip/stored") == [["dense", 0]]
    client.expect_no_more()


@pytest.mark.parametrize(
    "args, words",
    [
        (["../up"], "not a usable name"),
        (["c", 60, 0.0, 1.0], "groups of 4"),
        (["c", 128, 0.0, 1.0, 100], "pitch 128"),
        (["c", 60, -1.0, 1.0, 100], "start_beats"),
        (["c", 60, 0.0, 0.0, 100], "duration_beats"),
        (["c", 60, 0.0, float("nan"), 100], "finite"),
        (["c", 60, 0.0, 1.0, 0], "velocity 0"),
        (["c", 60.5, 0.0, 1.0, 100], "whole number"),
        (["c", "C4", 0.0, 1.0, 100], "must be a number"),
        ([], "expected"),
    ],
)
def test_bad_clip_uploads_get_errors(connect, args: list, words: str) -> None:
    client = connect()
    client.send("/continuo/clip/set", *args)
    job, code, message = _error(client)
    assert code == "bad_request" and words in message


def test_pd_style_float_notes_are_accepted(connect) -> None:
    client = connect()
    client.send("/continuo/clip/set", "pd", 60.0, 0.0, 1.0, 100.0)  # Pd sends every number as a float
    assert client.expect("/continuo/clip/stored") == [["pd", 1]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_generate_accompaniment_end_to_end(connect, app, transport: str) -> None:
    client = connect(transport)
    client.send("/continuo/generate", "song", "task", "accompany", "chords", "Am7 | D7 | Gmaj7 | Cmaj7",
                "parts", "bass,keys", "bars", 8, "tempo", 96, "meter", "4/4", "seed", 3)
    assert client.expect("/continuo/accepted") == [["song"]]
    result = client.collect("song")
    assert set(result.parts) == {"bass", "keys"}
    assert all(len(notes) >= 8 for notes in result.parts.values())
    for notes in result.parts.values():
        assert all(0 <= start < 32 and duration > 0 for _, start, duration, _ in notes)
    path = Path(result.paths[0])
    assert path.parent == app.settings.output_dir.resolve() and path.suffix == ".mid"
    midi = mido.MidiFile(path)
    names = [track.name for track in midi.tracks]
    assert names[1:] == ["bass", "keys"]
    tempo = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    assert round(mido.tempo2bpm(tempo)) == 96
    signature = next(m for m in midi.tracks[0] if m.type == "time_signature")
    assert (signature.numerator, signature.denominator) == (4, 4)
    bass_file = sum(1 for m in midi.tracks[1] if m.type == "note_on" and m.velocity > 0)
    assert bass_file == len(result.parts["bass"])


def test_same_seed_same_notes_and_variations_differ(connect) -> None:
    client = connect("tcp")
    keys = dict(task="accompany", chords="C | Am | F | G", parts="bass,keys", bars=4, seed=11)
    first = client.generate("a", **keys)
    again = client.generate("b", **keys)
    assert first.parts == again.parts
    several = client.generate("c", variations=3, **keys)
    assert sorted(several.variations) == [1, 2, 3] and len(several.paths) == 3
    assert several.variations[1] != several.variations[2]


def test_harmonize_a_clip_with_json_request(connect) -> None:
    client = connect()
    client.upload_clip("tune", MELODY)
    client.send("/continuo/generate", "h1", '{"task": "harmonize", "melody": "tune", "parts": "bass,pad", "bars": 4}')
    result = client.collect("h1")
    assert set(result.parts) == {"bass", "pad"} and result.parts["bass"]
    markers = [m.text for m in mido.MidiFile(result.paths[0]).tracks[0] if m.type == "marker"]
    assert markers, "the chords found are written as markers"


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["j", "colour", "red"], "bad_request", "unknown key 'colour'"),
        (["j", "task", "remix"], "bad_request", "choose from"),
        (["j", "bars", 9999], "bad_request", "out of range"),
        (["j", "chords", "Am7 | X"], "bad_request", "'X'"),
        (["j", "task", "harmonize", "melody", "nosuchclip"], "unknown_clip", "upload it first"),
        (["j", "output", "../../escape"], "bad_request", "not a usable name"),
        (["../j"], "bad_request", "job name"),
        ([], "bad_request", "expected"),
        ([42], "bad_request", "job name must be a text"),
    ],
)
def test_bad_generate_requests_are_refused_before_acceptance(connect, args, code, words) -> None:
    client = connect()
    client.send("/continuo/generate", *args)
    job, got_code, message = _error(client)
    assert (got_code, words in message) == (code, True), message
    if args and isinstance(args[0], str):
        assert job == args[0]


def test_model_refusal_after_acceptance_is_one_error(connect) -> None:
    client = connect()
    client.upload_clip("src", [(60, 0.0, 1.0, 90), (62, 1.0, 1.0, 90)])
    # only the model, with the clip in hand, knows the clip has one bar (the rest is checked before accepting)
    client.send("/continuo/generate", "m", "task", "infill", "source", "src", "parts", "bass", "infill_bars", "9")
    assert client.expect("/continuo/accepted") == [["m"]]
    with pytest.raises(ContinuoReplyError) as info:
        client.collect("m")
    assert info.value.code == "bad_request" and "infill bars [9]" in info.value.message
    client.expect_no_more()  # one ending, no done after the error


def test_unknown_address_and_garbage_keep_the_server_answering(connect) -> None:
    client = connect()
    client.send("/continuo/nothing", 1)
    assert _error(client)[1] == "unknown_address"
    for junk in (b"\x00" * 8, b"garbage!", b"/continuo/ping\x00\x00,q\x00\x00", b"#bundle\x00" + b"\x00" * 8 + b"\xff\xff\xff\xfc"):
        client.send_raw(junk)
        assert _error(client)[1] == "malformed_packet"
    assert client.ping() == __version__


def test_oversized_udp_packet_is_refused(start_app, tmp_path) -> None:
    app = start_app(packet_max_bytes=1024)
    with Client(port=app.osc.port) as client:
        client.send("/continuo/clip/set", "big", *[60, 0.0, 1.0, 100] * 100)
        assert _error(client)[1] == "packet_too_large"
        assert client.ping()


def test_reply_datagrams_respect_the_size_limit(app) -> None:
    # a raw socket sees every datagram exactly as sent
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        with Client(port=app.osc.port) as client:
            client.upload_clip("long", [(60 + i % 24, i * 0.25, 0.25, 90) for i in range(512)])
        request = encode_message("/continuo/generate", ["v", "task", "variations", "source", "long", "parts", "melody", "seed", 1])
        sock.sendto(request, ("127.0.0.1", app.osc.port))
        sizes = []
        while True:
            data = sock.recv(65536)
            sizes.append(len(data))
            if data.startswith(b"/continuo/done") or data.startswith(b"/continuo/error"):
                assert data.startswith(b"/continuo/done"), data
                break
        assert max(sizes) <= app.settings.reply_max_bytes
        assert len(sizes) > 3
    finally:
        sock.close()


def test_tcp_frame_over_the_limit_closes_the_connection_with_an_error(start_app) -> None:
    app = start_app(packet_max_bytes=1024)
    with socket.create_connection(("127.0.0.1", app.osc.port), timeout=5) as sock:
        sock.sendall(struct.pack(">I", 0xFFFFFFFF) + b"/abc")
        data = sock.recv(65536)
        assert b"/continuo/error" in data and b"over the 1024-byte limit" in data
        assert sock.recv(65536) == b""  # closed


def test_idle_tcp_client_is_closed_and_does_not_block_others(start_app) -> None:
    app = start_app(tcp_idle_seconds=2.0)
    idle = socket.create_connection(("127.0.0.1", app.osc.port), timeout=5)
    idle.sendall(b"\xc0/continuo/pi")  # half a SLIP frame, then silence
    try:
        with Client(port=app.osc.port, transport="tcp") as busy:
            assert busy.ping() == __version__
        idle.setblocking(False)
        with pytest.raises(BlockingIOError):  # still open: the pong did not wait for the idle one to go
            idle.recv(100)
        idle.setblocking(True)
        idle.settimeout(5)
        assert idle.recv(100) == b""  # closed after the idle timeout
    finally:
        idle.close()


def test_tcp_connection_limit(start_app) -> None:
    app = start_app(tcp_max_connections=2)
    clients = [Client(port=app.osc.port, transport="tcp") for _ in range(2)]
    try:
        assert all(c.ping() for c in clients)
        extra = socket.create_connection(("127.0.0.1", app.osc.port), timeout=5)
        extra.settimeout(5)
        assert extra.recv(100) == b""  # refused: closed at once
        extra.close()
        assert clients[0].ping()
    finally:
        for client in clients:
            client.close()


def test_concurrent_clients_each_get_their_own_results(connect) -> None:
    # UDP clients on different loopback addresses (replies go to the sender's address),
    # plus TCP clients, all at once.
    clients = [connect("udp", host=f"127.0.0.{i}") for i in (2, 3)]
    clients += [connect("tcp") for _ in range(3)] + [connect("slip")]
    for n, client in enumerate(clients):
        for k in range(2):
            client.send("/continuo/generate", f"c{n}-{k}", "chords", "C | G | Am | F", "bars", 4, "seed", n * 10 + k)
    for n, client in enumerate(clients):
        done = {client.collect(f"c{n}-{k}").job for k in range(2)}
        assert done == {f"c{n}-0", f"c{n}-1"}
        client.expect_no_more()  # no other client's results, no second ending
