"""Melodies the issue names, written out note by note (times in beats)."""

from __future__ import annotations

from models.types import Note

C4, D4, E4, F4, G4, A4, B4, C5 = 60, 62, 64, 65, 67, 69, 71, 72


def line(pitches_and_beats: list[tuple[int, float]]) -> tuple[Note, ...]:
    """A monophonic line from (pitch, duration in beats) pairs, one after the other."""
    out, t = [], 0.0
    for pitch, beats in pitches_and_beats:
        out.append(Note(pitch, t, beats, 90))
        t += beats
    return tuple(out)


def twinkle() -> tuple[Note, ...]:
    """Twinkle, Twinkle, Little Star in C, the first 8 bars."""
    phrase = [(C4, 1), (C4, 1), (G4, 1), (G4, 1), (A4, 1), (A4, 1), (G4, 2),
              (F4, 1), (F4, 1), (E4, 1), (E4, 1), (D4, 1), (D4, 1), (C4, 2)]
    middle = [(G4, 1), (G4, 1), (F4, 1), (F4, 1), (E4, 1), (E4, 1), (D4, 2)] * 2
    return line(phrase + middle)


def ode_to_joy() -> tuple[Note, ...]:
    """Ode to Joy in D (F# major third), 8 bars, ending on D."""
    fs, g, a, e, d = 66, 67, 69, 64, 62
    first = [(fs, 1), (fs, 1), (g, 1), (a, 1), (a, 1), (g, 1), (fs, 1), (e, 1),
             (d, 1), (d, 1), (e, 1), (fs, 1)]
    return line(first + [(fs, 1.5), (e, 0.5), (e, 2)] + first + [(e, 1.5), (d, 0.5), (d, 2)])


def d_minor_song() -> tuple[Note, ...]:
    """An 8-bar tune in D minor (B flat, C sharp as the leading tone), opening on the tonic triad."""
    d, e, f, g, a, bb, cs, d5 = 62, 64, 65, 67, 69, 70, 73, 74
    return line([(d, 1), (f, 1), (a, 2), (g, 1), (f, 1), (e, 2),
                 (f, 1), (g, 1), (a, 1), (bb, 1), (a, 4),
                 (d5, 1), (a, 1), (f, 1), (d, 1), (bb, 1), (a, 1), (g, 2),
                 (e, 1), (cs, 1), (e, 1), (g, 1), (f, 2), (e, 1), (cs, 1), (d, 4)])


def bundled_ode_to_joy() -> tuple[Note, ...]:
    """The 16-bar Ode to Joy in D the demo plays (``bridge/bundled/ode-to-joy.mid``)."""
    from importlib import resources

    from bridge.midi.files import read_notes

    with resources.as_file(resources.files("bridge") / "bundled" / "ode-to-joy.mid") as path:
        return read_notes(path, "the demo melody")


def arpeggios_in_c() -> tuple[Note, ...]:
    """Four bars in C whose second bar arpeggiates F major: C-E-G-E | F-A-C-A | G-B-D-B | C."""
    return line([(C4, 1), (E4, 1), (G4, 1), (E4, 1), (F4, 1), (A4, 1), (C5, 1), (A4, 1),
                 (G4, 1), (B4, 1), (74, 1), (B4, 1), (C5, 4)])
