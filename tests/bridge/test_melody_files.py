"""Melody files as a producer exports them: their tempo, meter and key kept; drums and other tracks left out."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from bridge.cli import main
from bridge.errors import InvalidRequest
from bridge.midi.tracks import read_clip

TUNE = [72, 74, 76, 77, 79, 77, 76, 74, 72]  # one note a beat, high
BASS = [36, 43, 41, 36, 43, 41, 36, 43, 41]  # one note a beat, low
DRUMS = [36, 42, 38, 42, 36, 42, 38, 42, 36]  # kick, hat, snare


def _track(name: str, channel: int, pitches: list[int], chord: bool = False) -> mido.MidiTrack:
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    for pitch in pitches:
        notes = [pitch, pitch + 4, pitch + 7] if chord else [pitch]
        for note in notes:
            track.append(mido.Message("note_on", channel=channel, note=note, velocity=80, time=0))
        for index, note in enumerate(notes):
            track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=480 if index == 0 else 0))
    return track


def _file(path: Path, *tracks: mido.MidiTrack, bpm: float = 100, meter=(3, 4), key: str | None = "F") -> Path:
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)),
                                mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])])
    if key:
        conductor.append(mido.MetaMessage("key_signature", key=key))
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.extend([conductor, *tracks])
    midi.save(str(path))
    return path


def _pitches(clip) -> list[int]:
    return [n.pitch for n in clip.notes]


def test_tempo_meter_and_key_come_from_the_file(tmp_path: Path) -> None:
    clip = read_clip(_file(tmp_path / "t.mid", _track("Flute", 0, TUNE)), "--melody file", melody=True)
    assert (round(clip.tempo, 2), clip.meter, clip.key) == (100.0, (3, 4), "F")
    assert _pitches(clip) == TUNE


def test_the_drum_channel_is_never_the_melody(tmp_path: Path) -> None:
    path = _file(tmp_path / "t.mid", _track("Drums", 9, DRUMS), _track("Lead", 0, TUNE))
    clip = read_clip(path, "--melody file", melody=True)
    assert _pitches(clip) == TUNE and "Lead" in clip.used


def test_the_melody_is_the_highest_mostly_one_note_track(tmp_path: Path) -> None:
    path = _file(tmp_path / "t.mid", _track("Bass", 1, BASS), _track("Pad", 2, [60] * 9, chord=True),
                 _track("Drums", 9, DRUMS), _track("Vox", 3, TUNE), _track("Bell", 4, [96]))
    clip = read_clip(path, "--melody file", melody=True)
    assert _pitches(clip) == TUNE and clip.used.startswith("track 4 'Vox'")


@pytest.mark.parametrize("choice", ["Bass", "bass", "1", "ch2", "channel 2"])
def test_the_melody_track_can_be_chosen_by_name_number_or_channel(tmp_path: Path, choice: str) -> None:
    path = _file(tmp_path / "t.mid", _track("Bass", 1, BASS), _track("Vox", 3, TUNE))
    assert _pitches(read_clip(path, "--melody file", melody=True, track=choice)) == BASS


@pytest.mark.parametrize("choice, words", [("Tuba", "no track named 'Tuba'"), ("9", "no track 9"),
                                           ("2", "drums"), ("ch10", "drums"), ("ch17", "1 to 16")])
def test_a_track_that_is_not_there_or_is_drums_is_refused_with_the_list(tmp_path: Path, choice: str,
                                                                         words: str) -> None:
    path = _file(tmp_path / "t.mid", _track("Bass", 1, BASS), _track("Drums", 9, DRUMS))
    with pytest.raises(InvalidRequest) as info:
        read_clip(path, "--melody file", melody=True, track=choice)
    assert words in str(info.value) and "--melody-track" in str(info.value)
    assert "1 'Bass'" in str(info.value)


def test_a_file_of_only_drums_has_no_melody(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="only drums"):
        read_clip(_file(tmp_path / "t.mid", _track("Drums", 9, DRUMS)), "--melody file", melody=True)


def test_a_type_0_file_is_split_by_channel(tmp_path: Path) -> None:
    merged = _file(tmp_path / "multi.mid", _track("Bass", 1, BASS), _track("Vox", 3, TUNE))
    single = mido.merge_tracks(mido.MidiFile(merged).tracks)
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    midi.tracks.append(single)
    midi.save(str(tmp_path / "zero.mid"))
    assert _pitches(read_clip(tmp_path / "zero.mid", "--melody file", melody=True)) == TUNE
    assert _pitches(read_clip(tmp_path / "zero.mid", "--melody file", melody=True, track="ch2")) == BASS


def test_the_cli_keeps_the_files_tempo_and_meter_and_says_which_track(tmp_path: Path, capsys) -> None:
    path = _file(tmp_path / "tune.mid", _track("Drums", 9, DRUMS), _track("Lead", 0, TUNE))
    out = tmp_path / "harmony.mid"
    assert main(["generate", "--chords", "F | C | F", "--melody", str(path), "--parts", "melody,bass",
                 "--model", "markov", "--seed", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "track 2 'Lead'" in printed and "tempo 100" in printed and "meter 3/4" in printed and "key F" in printed
    midi = mido.MidiFile(out)
    metas = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(metas["set_tempo"].tempo), 2) == 100.0
    assert (metas["time_signature"].numerator, metas["time_signature"].denominator) == (3, 4)
    melody = [m.note for t in midi.tracks if t.name == "melody" for m in t if m.type == "note_on"]
    assert melody == TUNE  # no kick, snare or hat in it


def test_flags_win_over_the_file(tmp_path: Path, capsys) -> None:
    path = _file(tmp_path / "tune.mid", _track("Lead", 0, TUNE))
    out = tmp_path / "harmony.mid"
    assert main(["generate", "--chords", "F | C | F", "--melody", str(path), "--parts", "bass", "--model", "markov",
                 "--tempo", "90", "--meter", "4/4", "--out", str(out)]) == 0
    metas = {m.type: m for m in mido.MidiFile(out).tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(metas["set_tempo"].tempo), 2) == 90.0 and metas["time_signature"].numerator == 4
    assert "tempo 100" not in capsys.readouterr().out
