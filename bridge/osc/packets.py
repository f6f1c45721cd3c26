"""OSC bytes in and out: datagrams are checked before python-osc parses them; replies are sized to fit."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.errors import MalformedPacket

BUNDLE_HEADER = b"#bundle\x00"
MAX_BUNDLE_DEPTH = 8
MAX_MESSAGES_PER_PACKET = 1024
MAX_ARGS = 16_384
MAX_ADDRESS_BYTES = 256
_TAGS = frozenset(b"ifsbhdtTFN[]")
_PATTERN_CHARS = frozenset(b"*?[]{},#")


def split_packet(data: bytes) -> list[bytes]:
    """Return the messages of a packet, flattening bundles; timetags are ignored (run now).

    python-osc's bundle parser loops forever on a negative element size and recurses without
    limit, so bundles are walked here with explicit bounds.
    """
    if not data:
        raise MalformedPacket("empty packet: send an OSC message such as /continuo/ping")
    messages: list[bytes] = []
    stack = [(data, 0)]
    while stack:
        packet, depth = stack.pop()
        if packet.startswith(b"/"):
            messages.append(packet)
        elif packet.startswith(BUNDLE_HEADER):
            if depth >= MAX_BUNDLE_DEPTH:
                raise MalformedPacket(f"bundles nested deeper than {MAX_BUNDLE_DEPTH} levels are refused")
            stack.extend(reversed([(e, depth + 1) for e in _bundle_elements(packet)]))
        else:
            raise MalformedPacket("packet is neither an OSC message (starts with '/') nor a bundle ('#bundle')")
        if len(messages) + len(stack) > MAX_MESSAGES_PER_PACKET:
            raise MalformedPacket(f"more than {MAX_MESSAGES_PER_PACKET} messages in one packet")
    return messages


def _bundle_elements(bundle: bytes) -> Iterator[bytes]:
    index = len(BUNDLE_HEADER) + 8  # header + 64-bit timetag
    if len(bundle) < index:
        raise MalformedPacket("bundle is shorter than its header and timetag")
    while index < len(bundle):
        if index + 4 > len(bundle):
            raise MalformedPacket("bundle element size is cut off")
        (size,) = struct.unpack_from(">i", bundle, index)
        index += 4
        if size <= 0 or size % 4 or index + size > len(bundle):
            raise MalformedPacket(f"bundle element size {size} is invalid (must be a positive multiple of 4 within the packet)")
        yield bundle[index : index + size]
        index += size


def parse_message(data: bytes) -> tuple[str, list]:
    """Return (address, arguments) of one OSC message, or raise MalformedPacket saying why."""
    if len(data) % 4:
        raise MalformedPacket(f"message length {len(data)} is not a multiple of 4 bytes")
    end = data.find(b"\x00", 0, MAX_ADDRESS_BYTES + 1)
    if end < 0:
        raise MalformedPacket(f"address is not NUL-terminated within {MAX_ADDRESS_BYTES} bytes")
    raw_address = data[:end]
    if any(b < 0x21 or b > 0x7E for b in raw_address):
        raise MalformedPacket("address must be printable ASCII, e.g. /continuo/ping")
    if _PATTERN_CHARS.intersection(raw_address):
        raise MalformedPacket(
            f"address {raw_address.decode()!r} uses OSC pattern characters; send an exact address"
        )
    tags_at = (end + 4) & ~3
    if tags_at < len(data):
        if data[tags_at : tags_at + 1] != b",":
            raise MalformedPacket("type tags must follow the address and start with ','")
        tags_end = data.find(b"\x00", tags_at)
        if tags_end < 0:
            raise MalformedPacket("type tag string is not NUL-terminated")
        tags = data[tags_at + 1 : tags_end]
        if len(tags) > MAX_ARGS:
            raise MalformedPacket(f"more than {MAX_ARGS} arguments in one message")
        unknown = set(tags) - _TAGS
        if unknown:
            shown = "".join(sorted(chr(t) if 0x20 < t < 0x7F else "?" for t in unknown))
            raise MalformedPacket(f"unsupported type tags {shown!r}: use i, f, s, h, d, b, T, F, N")
        if tags.count(b"[") != tags.count(b"]"):
            raise MalformedPacket("unbalanced '[' ']' array tags")
    try:
        message = OscMessage(data)
    except Exception as err:  # python-osc raises several types for malformed bytes
        raise MalformedPacket(f"arguments do not match their type tags ({type(err).__name__})") from err
    return raw_address.decode("ascii"), list(message.params)


def encode_message(address: str, args: Sequence[object]) -> bytes:
    """Build a message with ints as 'i', floats as 'f', text as 's', True/False as T/F."""
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def _padded(nbytes: int) -> int:
    return (nbytes + 4) & ~3  # includes the terminating NUL


def note_chunks(
    job: str, variation: int, part: str, notes: Sequence[tuple[int, float, float, int]], max_bytes: int
) -> list[list[object]]:
    """Split notes into /continuo/notes argument lists, each encoding to at most ``max_bytes``.

    Arguments: job, variation, part, chunk (1-based), chunks, then flat note groups.
    A part with no notes still gets one (empty) chunk so a client knows it exists.
    """
    fixed = _padded(len("/continuo/notes")) + _padded(len(job.encode())) + _padded(len(part.encode())) + 12
    per_chunk = 0
    while fixed + _padded(6 + 4 * (per_chunk + 1)) + 16 * (per_chunk + 1) <= max_bytes:
        per_chunk += 1
    if per_chunk == 0:
        raise ValueError(f"reply size limit {max_bytes} is too small for one note")
    groups = [notes[i : i + per_chunk] for i in range(0, len(notes), per_chunk)] or [[]]
    chunks = []
    for number, group in enumerate(groups, start=1):
        flat: list[object] = [job, variation, part, number, len(groups)]
        for pitch, start, duration, velocity in group:
            flat.extend((int(pitch), float(start), float(duration), int(velocity)))
        chunks.append(flat)
    return chunks
