"""OSC over TCP framing, for the server and the client: OSC 1.0 length prefixes and OSC 1.1 SLIP."""

from __future__ import annotations

import struct

from bridge.errors import MalformedPacket

SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD


def frame(message: bytes, slip: bool) -> bytes:
    """``message`` ready to send on a stream: between SLIP END bytes, or after its 32-bit length."""
    if slip:
        return b"\xc0" + message.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"
    return struct.pack(">I", len(message)) + message


def looks_like_slip(first_byte: int) -> bool:
    """A stream's framing from its first byte: SLIP frames start with END or the message itself."""
    return first_byte in (SLIP_END, ord("/"), ord("#"))


def cut_frames(buffer: bytearray, slip: bool, limit: int | None = None) -> list[bytes]:
    """Remove every complete frame from ``buffer`` and return their messages (empty frames skipped).

    Raises MalformedPacket for a bad SLIP escape, or when a frame exceeds ``limit`` bytes (a stream
    that can never be read again).
    """
    out = []
    if slip:
        while (end := buffer.find(SLIP_END)) >= 0:
            data = bytes(buffer[:end])
            del buffer[: end + 1]
            if data:
                out.append(slip_decode(data))
        if limit is not None and len(buffer) > limit:
            raise MalformedPacket(f"SLIP frame longer than {limit} bytes without an END byte")
        return out
    while len(buffer) >= 4:
        (size,) = struct.unpack_from(">I", buffer, 0)
        if limit is not None and size > limit:
            raise MalformedPacket(f"TCP frame of {size} bytes is over the {limit}-byte limit")
        if len(buffer) < 4 + size:
            break
        data = bytes(buffer[4 : 4 + size])
        del buffer[: 4 + size]
        if data:
            out.append(data)
    return out


def slip_decode(data: bytes) -> bytes:
    """The message inside one SLIP frame (without its END bytes)."""
    out = bytearray()
    escaped = False
    for byte in data:
        if escaped:
            if byte not in (SLIP_ESC_END, SLIP_ESC_ESC):
                raise MalformedPacket("invalid SLIP escape sequence")
            out.append(SLIP_END if byte == SLIP_ESC_END else SLIP_ESC)
            escaped = False
        elif byte == SLIP_ESC:
            escaped = True
        else:
            out.append(byte)
    return bytes(out)
