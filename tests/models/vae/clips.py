"""Clips the VAE tests play with: block chords, an arpeggio, a drum groove, in 4/4 at quarter-note beats."""

from __future__ import annotations

from models.types import Note

TRIADS = {"C": (48, 60, 64, 67), "Am": (45, 60, 64, 69), "F": (41, 60, 65, 69), "G": (43, 59, 62, 67),
          "Dm": (38, 62, 65, 69), "E": (40, 59, 64, 68), "Bb": (46, 58, 62, 65), "Eb": (39, 58, 63, 67)}


def block_chords(names: tuple[str, ...] = ("C", "Am", "F", "G")) -> tuple[Note, ...]:
    """A bass note on beat 1 and a triad struck on every beat, one chord per bar."""
    notes = []
    for bar, name in enumerate(names):
        bass, *upper = TRIADS[name]
        notes.append(Note(bass, bar * 4.0, 4.0, 84))
        notes += [Note(p, bar * 4.0 + beat, 1.0, 72 + 6 * (beat == 0)) for beat in range(4) for p in upper]
    return tuple(notes)


def arpeggio(names: tuple[str, ...] = ("Dm", "E", "Bb", "Eb")) -> tuple[Note, ...]:
    """Broken chords on eighths (root, fifth, third, fifth...), a bass note every half bar."""
    notes = []
    for bar, name in enumerate(names):
        bass, *upper = TRIADS[name]
        order = (upper[0], upper[2], upper[1], upper[2])
        notes += [Note(bass, bar * 4.0 + half * 2, 2.0, 80) for half in range(2)]
        notes += [Note(order[i % 4], bar * 4.0 + 0.5 * i, 0.5, 60 + 8 * (i % 2 == 0)) for i in range(8)]
    return tuple(notes)


def groove(bars: int = 2) -> tuple[Note, ...]:
    """Kick, snare and closed hi-hat as channel 10 holds them."""
    notes = []
    for bar in range(bars):
        for eighth in range(8):
            notes.append(Note(42, bar * 4 + eighth / 2, 0.1, 70))
        notes += [Note(36, bar * 4.0, 0.1, 100), Note(36, bar * 4 + 2.5, 0.1, 90), Note(38, bar * 4 + 1.0, 0.1, 96),
                  Note(38, bar * 4 + 3.0, 0.1, 96)]
    return tuple(notes)
