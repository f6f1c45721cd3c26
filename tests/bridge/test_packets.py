"""OSC bytes: the python-osc traps are caught before parsing; replies fit the size limit."""

from __future__ import annotations

import struct
import time

import pytest

from bridge.errors import MalformedPacket
from bridge.osc.packets import encode_message, note_chunks, parse_message, split_packet


def _bundle(*elements: bytes) -> bytes:
    body = b"".join(struct.pack(">i", len(e)) + e for e in elements)
    return b"#bundle\x00" + b"\x00" * 7 + b"\x01" + body


def test_message_round_trip() -> None:
    data = encode_message("/continuo/generate", ["job", "bars", 8, "tempo", 96.5, True])
    assert parse_message(data) == ("/continuo/generate", ["job", "bars", 8, "tempo", 96.5, True])


def test_bundle_is_flattened_in_order() -> None:
    a, b = encode_message("/a", [1]), encode_message("/b", [2])
    assert split_packet(_bundle(a, _bundle(b))) == [a, b]


@pytest.mark.parametrize(
    "packet, words",
    [
        (b"", "empty"),
        (b"\xff\xfe\x00\x00", "neither"),
        (b"/a\xff\x00", "printable ASCII"),  # non-UTF-8 address: python-osc raises UnicodeDecodeError
        (b"/abc", "not NUL-terminated"),
        (b"/a\x00\x00i\x00\x00\x00", "start with ','"),  # missing comma before type tags
        (b"/a\x00\x00,x\x00\x00", "unsupported type tags"),
        (b"/a\x00\x00,[i\x00\x00\x00\x00\x01", "unbalanced"),
        (b"/a\x00\x00,ii\x00\x00\x00\x00\x01", "do not match"),  # more tags than data
        (b"/a\x00", "multiple of 4"),
        (b"/**********y\x00\x00\x00\x00", "pattern"),  # wildcards take seconds to match in python-osc
        (b"/{a,b,c}\x00\x00\x00\x00", "pattern"),
        (b"/a\x00\x00,s\x00\x00abcd", "do not match"),  # string without NUL
    ],
)
def test_malformed_messages_are_refused_with_a_reason(packet: bytes, words: str) -> None:
    with pytest.raises(MalformedPacket, match=words):
        split_packet(packet) and parse_message(packet)


@pytest.mark.parametrize("size", [0, -4, -8, 3, 1 << 30])
def test_bad_bundle_element_sizes_do_not_loop(size: int) -> None:
    # python-osc's own bundle parser never returns on a negative size
    packet = b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", size) + b"/a\x00\x00"
    with pytest.raises(MalformedPacket, match="size"):
        split_packet(packet)


def test_deeply_nested_bundles_are_refused_quickly() -> None:
    packet = encode_message("/continuo/ping", [])
    for _ in range(2000):
        packet = _bundle(packet)
    started = time.perf_counter()
    with pytest.raises(MalformedPacket, match="nested"):
        split_packet(packet)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("job, part", [("j", "bass"), ("a-much-longer-job-name-0123456789", "counter")])
@pytest.mark.parametrize("limit", [512, 4096, 8192])
def test_note_chunks_fit_the_datagram_limit(job: str, part: str, limit: int) -> None:
    notes = [(60 + i % 12, i * 0.25, 0.25, 100) for i in range(1000)]
    chunks = note_chunks(job, 2, part, notes, limit)
    sizes = [len(encode_message("/continuo/notes", c)) for c in chunks]
    assert max(sizes) <= limit
    assert max(sizes) > limit - 40  # and they are well filled
    assert [c[3] for c in chunks] == list(range(1, len(chunks) + 1))
    assert all(c[4] == len(chunks) for c in chunks)
    flat = [v for c in chunks for v in c[5:]]
    assert len(flat) == 4 * len(notes)
    assert flat[:4] == [60, 0.0, 0.25, 100]


def test_empty_part_still_gets_one_chunk() -> None:
    assert note_chunks("j", 1, "pad", [], 4096) == [["j", 1, "pad", 1, 1]]
