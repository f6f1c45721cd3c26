"""The arpeggiator: notes in every bar of every meter, the controls as a musician expects, chord tones, rests, seeds."""

from __future__ import annotations

import pytest

from models.arp.figure import HIGHEST, LOWEST
from models.arp.generator import ArpGenerator
from models.music.chords import chord_at, parse_progression
from models.music.meter import beats_per_bar
from models.types import METERS, Note, Request, Result
from models.validation import RequestError


class Inner:
    """A stand-in model: the progression as chords, the given keys and arp notes, nothing else."""

    name, device = "fake", "cpu"

    def __init__(self, keys: tuple[Note, ...] = (), arp: tuple[Note, ...] = (), chords: bool = True) -> None:
        self.keys, self.arp, self.chords, self.asked = keys, arp, chords, []

    def generate(self, request: Request, progress=None) -> list[Result]:
        self.asked.append(request)
        spans = parse_progression(request.chords, request.meter, request.bars)
        bars = round((spans[-1].start_beats + spans[-1].duration_beats) / beats_per_bar(request.meter))
        given = {"keys": self.keys, "arp": self.arp}
        return [Result({part: given.get(part, (Note(36, 0.0, 1.0),)) for part in request.parts},
                       tuple(spans) if self.chords else (), bars,
                       tuple(request.meter), request.tempo, {"seed": str((request.seed or 0) + i)})
                for i in range(request.variations)]


def arp(inner: Inner | None = None, **changes) -> tuple[Note, ...]:
    request = Request(chords="C | Am | F | G", parts=("arp", "bass"), bars=4, seed=7).replace(**changes)
    return ArpGenerator(inner or Inner()).generate(request)[0].parts["arp"]


def in_bar(notes, bar: int, meter=(4, 4)) -> list[Note]:
    beats = beats_per_bar(meter)
    return [n for n in notes if bar * beats <= n.start_beats < (bar + 1) * beats]


@pytest.mark.parametrize("meter", METERS)
@pytest.mark.parametrize("style", ["pop", "folk", "upbeat", "jazz"])
def test_every_bar_of_every_meter_has_arp_notes_though_the_model_wrote_none(meter, style):
    notes = arp(meter=meter, style=style, bars=8)
    beats = beats_per_bar(meter)
    assert {int(n.start_beats // beats) for n in notes} == set(range(8))
    assert all(n.end_beats <= 8 * beats + 1e-6 for n in notes)
    assert all(a.end_beats <= b.start_beats + 1e-6 for a, b in zip(notes, notes[1:]))  # one note at a time


@pytest.mark.parametrize(("rate", "per_beat"), [("1/16", 4), ("1/8", 2), ("1/8T", 3), ("1/16T", 6)])
def test_the_rate_sets_the_steps_in_a_beat(rate, per_beat):
    notes = arp(rate=rate)
    assert len(notes) == 4 * 4 * per_beat
    assert {round(n.start_beats * per_beat, 9) for n in notes} == set(range(16 * per_beat))


def test_up_climbs_and_down_descends_from_each_chord():
    for bar in range(4):
        up = [n.pitch for n in in_bar(arp(pattern="up", octaves=1, rate="1/8"), bar)]
        down = [n.pitch for n in in_bar(arp(pattern="down", octaves=1, rate="1/8"), bar)]
        assert up[0] < up[1] < up[2] < up[3] == up[0] + 12 and up[4] == up[0]  # C E G C', C E G C' ...
        assert down[0] > down[1] > down[2] > down[3] == down[0] - 12 and down[4] == down[0]
        assert sorted(up[:4]) == sorted(down[:4])


def test_up_down_turns_at_the_top_without_repeating_it():
    pitches = [n.pitch for n in in_bar(arp(pattern="up-down", octaves=2, rate="1/16"), 0)]
    top = pitches.index(max(pitches))
    assert pitches[:top + 1] == sorted(pitches[:top + 1])
    assert pitches[top + 1] < pitches[top] and pitches[top + 1] == pitches[top - 1]


@pytest.mark.parametrize("octaves", [1, 2, 3])
def test_octaves_widen_the_figure(octaves):
    for bar in range(4):
        pitches = [n.pitch for n in in_bar(arp(octaves=octaves, rate="1/16", pattern="up"), bar)]
        span = max(pitches) - min(pitches)
        assert span <= 12 if octaves == 1 else span > 12 * (octaves - 1)


def test_gate_shortens_the_notes_and_keeps_the_steps():
    short, long = arp(gate=0.25, rate="1/8"), arp(gate=1.0, rate="1/8")
    assert [n.start_beats for n in short] == [n.start_beats for n in long]
    assert all(n.duration_beats == pytest.approx(0.125) for n in short)
    assert all(n.duration_beats == pytest.approx(0.5) for n in long)


@pytest.mark.parametrize("pattern", ["up", "random", "up-down", "as-voiced", ""])
def test_arp_notes_are_tones_of_the_chord_sounding_also_when_it_changes_inside_a_bar(pattern):
    chords = "C G | Am7 | Fmaj7 Dm/F | Bb/D E7"
    notes = arp(chords=chords, pattern=pattern, rate="1/16T")
    spans = parse_progression(chords)
    assert all(n.pitch % 12 in chord_at(spans, n.start_beats).pitch_classes for n in notes)
    assert {n.pitch % 12 for n in notes if 2 <= n.start_beats < 4} == {7, 11, 2}  # G from beat 3 of bar 1
    assert all(LOWEST <= n.pitch <= HIGHEST for n in notes)


def test_the_same_seed_gives_the_same_notes_and_seeds_differ_where_the_model_decides():
    assert arp(pattern="random") == arp(pattern="random")
    assert arp(pattern="random") != arp(pattern="random", seed=8)
    takes = {arp(seed=seed, style="pop") for seed in range(8)}
    assert len(takes) > 1


def test_variations_each_follow_their_own_seed():
    request = Request(chords="C | F", parts=("arp",), bars=2, seed=3, variations=2, pattern="random")
    first, second = ArpGenerator(Inner()).generate(request)
    again = ArpGenerator(Inner()).generate(request.replace(seed=4))[0]
    assert first.parts["arp"] != second.parts["arp"] and second.parts["arp"] == again.parts["arp"]


def test_a_no_chord_bar_rests_and_every_other_bar_plays():
    for rest in ("N.C.", "N", "-"):
        notes = arp(chords=f"C | {rest} | F | G")
        assert not in_bar(notes, 1) and all(in_bar(notes, bar) for bar in (0, 2, 3))


def test_a_no_chord_half_bar_rests_only_there():
    notes = arp(chords="C N.C. | G", rate="1/8")
    assert [n.start_beats for n in in_bar(notes, 0)] == [0.0, 0.5, 1.0, 1.5]
    assert all(n.end_beats <= 2 + 1e-6 for n in in_bar(notes, 0))


def test_the_keys_voicing_is_arpeggiated_as_voiced():
    keys = (Note(64, 0.0, 4.0), Note(72, 0.0, 4.0), Note(67, 0.0, 4.0), Note(62, 4.0, 4.0), Note(65, 4.0, 4.0),
            Note(71, 4.0, 4.0), Note(61, 4.0, 1.0))  # C as E G C; G7 as D F B (C# is a passing tone)
    request = Request(chords="C | G7", parts=("arp", "keys"), bars=2, seed=1, pattern="as-voiced", octaves=1,
                      rate="1/8")
    notes = ArpGenerator(Inner(keys=keys)).generate(request)[0].parts["arp"]
    first, second = [n.pitch for n in in_bar(notes, 0)], [n.pitch for n in in_bar(notes, 1)]
    assert [p % 12 for p in first[:3]] == [4, 7, 0] and first[1] - first[0] == 3 and first[2] - first[1] == 5
    assert [p % 12 for p in second[:3]] == [2, 5, 11]  # G7 without its root: the keys' voicing, not the symbol


def test_only_the_parts_asked_for_come_back():
    result = ArpGenerator(Inner()).generate(Request(chords="C | F", parts=("arp",), bars=2, seed=1))[0]
    assert set(result.parts) == {"arp"} and "rate" in result.info["arp"]


def test_the_downbeat_is_a_little_louder_than_the_steps_between_beats():
    bar = in_bar(arp(rate="1/16", pattern="up"), 0)
    assert bar[0].velocity > bar[4].velocity > bar[1].velocity
    assert bar[0].velocity - bar[1].velocity <= 16


@pytest.mark.parametrize(("style", "meter", "tempo", "step"), [
    ("upbeat", (4, 4), 124, 0.25), ("dance", (4, 4), 124, 0.25), ("folk", (3, 4), 96, 0.5),
    ("ballad", (6, 8), 70, 0.5), ("jazz", (4, 4), 120, 1 / 3), ("upbeat", (4, 4), 200, 0.5),
])
def test_the_model_chooses_the_rate_from_style_meter_and_tempo(style, meter, tempo, step):
    notes = arp(style=style, meter=meter, tempo=tempo)
    assert notes[1].start_beats - notes[0].start_beats == pytest.approx(step)


def test_the_model_follows_the_step_and_direction_of_the_arp_it_wrote():
    written = tuple(Note(60 + (i % 4) * 3, i / 3, 0.3) for i in range(12))  # triplets, climbing
    notes = arp(Inner(arp=written), style="pop")
    assert notes[1].start_beats == pytest.approx(1 / 3)
    first = [n.pitch for n in in_bar(notes, 0)][:3]
    assert first == sorted(first)


def test_infill_rewrites_only_the_bars_asked_for():
    written = tuple(Note(70, float(beat), 1.0) for beat in range(16))
    request = Request(task="infill", chords="C | Am | F | G", source=written, parts=("arp",), bars=4, seed=1,
                      infill_bars=(2, 3))
    notes = ArpGenerator(Inner(arp=written)).generate(request)[0].parts["arp"]
    assert in_bar(notes, 0) == list(written[:4]) and in_bar(notes, 3) == list(written[12:])
    assert in_bar(notes, 1) != list(written[4:8]) and all(n.pitch % 12 in (9, 0, 4) for n in in_bar(notes, 1))


def test_a_melody_keeps_the_arp_below_its_middle():
    melody = tuple(Note(72, float(beat), 1.0) for beat in range(16))
    notes = arp(melody=melody, octaves=2)
    assert max(n.pitch for n in notes) <= 72


@pytest.mark.parametrize(("key", "value"), [("rate", "1/32"), ("pattern", "sideways"), ("octaves", 4),
                                            ("gate", 1.5), ("gate", 0.01), ("octaves", -1)])
def test_bad_controls_are_refused_naming_the_key(key, value):
    with pytest.raises(RequestError) as caught:
        arp(**{key: value})
    assert caught.value.key == key and key in str(caught.value)


def test_with_every_control_set_the_model_is_not_asked_for_an_arp_it_would_not_play():
    inner = Inner()
    request = Request(chords="C | F", parts=("bass", "arp"), bars=2, seed=1, rate="1/8", pattern="up", octaves=1,
                      gate=0.5)
    result = ArpGenerator(inner).generate(request)[0]
    assert inner.asked[-1].parts == ("bass",)
    assert list(result.parts) == ["bass", "arp"] and len(result.parts["arp"]) == 16
    ArpGenerator(inner).generate(request.replace(gate=0.0))
    assert inner.asked[-1].parts == ("bass", "arp")


@pytest.mark.parametrize(("meter", "tempo", "style", "octaves"), [
    ((3, 4), 96, "folk", 1), ((6, 8), 70, "ballad", 1), ((4, 4), 90, "ballad", 2), ((4, 4), 124, "upbeat", 1),
])
def test_the_model_climbs_two_octaves_only_where_a_bar_has_room_for_the_sweep(meter, tempo, style, octaves):
    notes = arp(meter=meter, tempo=tempo, style=style, chords="C", bars=2)
    span = max(n.pitch for n in notes) - min(n.pitch for n in notes)
    assert (span > 12) == (octaves == 2)


@pytest.mark.parametrize(("meter", "pattern", "cycle"), [
    ((6, 8), "up", [0, 3, 7]),  # D F A, D F A: threes in six-eight
    ((6, 8), "up-down", [0, 3, 7, 12, 7, 3]),  # D F A D' A F
    ((3, 4), "up", [0, 3, 7]),  # six eighths: two rounds of three
    ((4, 4), "up", [0, 3, 7, 12]),  # eight eighths: D F A D', a round every two beats
    ((12, 8), "down", [7, 3, 0]),
])
def test_the_figure_falls_in_with_the_meter(meter, pattern, cycle):
    notes = arp(chords="Dm", bars=2, meter=meter, pattern=pattern, rate="1/8", octaves=1)
    low = min(n.pitch for n in notes)
    bar = [n.pitch - low for n in in_bar(notes, 1, meter)]
    assert bar == (cycle * 4)[:len(bar)]


def test_an_open_fifth_in_the_keys_gets_its_third_and_a_wide_voicing_keeps_to_the_octaves_asked_for():
    keys = (Note(48, 0.0, 4.0), Note(55, 0.0, 4.0), Note(67, 0.0, 4.0), Note(76, 0.0, 4.0))  # C G G' E''
    request = Request(chords="C", parts=("arp", "keys"), bars=1, seed=1, pattern="up", rate="1/16")
    for octaves in (1, 2):
        notes = ArpGenerator(Inner(keys=keys)).generate(request.replace(octaves=octaves))[0].parts["arp"]
        pitches = [n.pitch for n in notes]
        assert {p % 12 for p in pitches} == {0, 4, 7}
        assert max(pitches) - min(pitches) <= 12 * octaves
    fifth = (Note(48, 0.0, 4.0), Note(55, 0.0, 4.0), Note(60, 0.0, 4.0))  # C G C: no third
    notes = ArpGenerator(Inner(keys=fifth)).generate(request.replace(octaves=1))[0].parts["arp"]
    assert 4 in {n.pitch % 12 for n in notes}


def test_beside_drums_alone_the_arp_follows_the_request_s_chords():
    inner = Inner(chords=False)  # the drum model answers without chords
    request = Request(chords="C | F", parts=("arp", "drums"), bars=2, seed=1, rate="1/8", pattern="up", octaves=1,
                      gate=0.5)
    notes = ArpGenerator(inner).generate(request)[0].parts["arp"]
    assert inner.asked[-1].parts == ("arp", "drums")
    assert {n.pitch % 12 for n in in_bar(notes, 0)} == {0, 4, 7}
    assert {n.pitch % 12 for n in in_bar(notes, 1)} == {5, 9, 0}
