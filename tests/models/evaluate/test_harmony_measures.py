"""Yeh et al.'s harmonization measures and the key / root shares: a fitting harmony scores above a clashing one."""

from __future__ import annotations

import math

from models.evaluate.harmony import half_bar_chords, harmony_measures, root_agreement, triads_in_key
from models.music.chords import parse_progression
from tests.models.harmony.tunes import twinkle

FITTING = "C | F C | G C | G C | C G | C G | C G | C G"
CLASHING = "Db | Gb Db | Ab Db | Ab Db | Db Ab | Db Ab | Db Ab | Db Ab"  # the same moves a semitone up


def test_a_fitting_harmony_beats_a_clashing_one_on_every_measure():
    melody = twinkle()
    good = harmony_measures(melody, parse_progression(FITTING), parse_progression(FITTING), (0, "major"), 8)
    bad = harmony_measures(melody, parse_progression(CLASHING), parse_progression(FITTING), (0, "major"), 8)
    assert good["chord_tones"] > 0.8 > 0.2 > bad["chord_tones"]
    assert good["ctnctr"] > 0.9 > 0.5 > bad["ctnctr"]
    assert good["pcs"] > 0.3 > 0 > bad["pcs"]
    assert good["mctd"] < bad["mctd"]
    assert (good["in_key"], bad["in_key"]) == (1.0, 0.0)
    assert (good["root_agreement"], bad["root_agreement"]) == (1.0, 0.0)
    assert good["cc"] == 3 and math.isclose(good["che"], bad["che"])  # same shape, same entropy


def test_root_agreement_and_key_share_count_half_bars():
    mine = half_bar_chords(parse_progression("C G | Am F"), 2)
    theirs = half_bar_chords(parse_progression("C | Am"), 2)
    assert root_agreement(mine, theirs) == 0.5
    assert triads_in_key(half_bar_chords(parse_progression("C | E"), 2), (9, "minor")) == 1.0  # E: V of A minor
