"""Hostile MIDI files: each is refused with a message naming the file, or read sensibly; none hangs."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from bridge.errors import InvalidRequest
from bridge.midi.files import MAX_FILE_NOTES, read_notes


def chunk(tag: bytes, data: bytes) -> bytes:
    return tag + struct.pack(">I", len(data)) + data


def smf(*tracks: bytes, division: int = 480, kind: int = 1) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", kind, len(tracks), division)) + b"".join(chunk(b"MTrk", t) for t in tracks)


NOTE = b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00"  # C4 for one beat
END = b"\x00\xff\x2f\x00"


@pytest.mark.parametrize(
    "name, data",
    [
        ("zero-length", b""),
        ("header only, truncated", b"MThd\x00\x00\x00\x06\x00\x01"),
        ("track chunk longer than the file", smf(NOTE + END)[:-6]),
        ("track length 0xFFFFFFFF", chunk(b"MThd", struct.pack(">HHH", 0, 1, 480)) + b"MTrk\xff\xff\xff\xff" + NOTE),
        ("not MIDI at all", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    ],
)
def test_broken_files_are_refused_by_name(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / "in.mid"
    path.write_bytes(data)
    started = time.perf_counter()
    with pytest.raises(InvalidRequest, match="in.mid"):
        read_notes(path)
    assert time.perf_counter() - started < 2.0, name


def test_a_million_notes_is_refused_quickly(tmp_path: Path) -> None:
    track = b"\x00\x90\x3c\x40" + b"\x00\x3c\x00\x01\x3c\x40" * 1_000_000 + END  # running status
    path = tmp_path / "million.mid"
    path.write_bytes(smf(track))
    started = time.perf_counter()
    with pytest.raises(InvalidRequest, match=f"at most {MAX_FILE_NOTES}"):
        read_notes(path)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    "meta",
    [
        b"\x00\xff\x51\x03\x00\x00\x00",  # tempo 0 µs per beat
        b"\x00\xff\x51\x03\xff\xff\xff",  # the slowest tempo there is
        b"\x00\xff\x58\x04\xff\x07\x18\x08",  # 255/128 time signature
        b"\x00\xf0\x05\x7e\x7f\x09\x01\xf7",  # a SysEx message
    ],
)
def test_absurd_tempos_and_meters_still_read_in_beats(tmp_path: Path, meta: bytes) -> None:
    path = tmp_path / "odd.mid"
    path.write_bytes(smf(meta + NOTE + END))
    notes = read_notes(path)
    assert [(n.pitch, n.start_beats, n.duration_beats) for n in notes] == [(60, 0.0, 1.0)]


def test_note_off_without_note_on_and_hanging_note(tmp_path: Path) -> None:
    orphan_off = b"\x00\x80\x40\x00"
    hanging = b"\x00\x90\x43\x40"  # never released
    path = tmp_path / "messy.mid"
    path.write_bytes(smf(orphan_off + NOTE + hanging + b"\x83\x60\xff\x2f\x00"))
    pitches = [n.pitch for n in read_notes(path)]
    assert 60 in pitches and 64 not in pitches
