"""The drum kit: the Roland TD-11's notes mapped to General MIDI drum notes, the instrument classes, the styles."""

from __future__ import annotations

# The instrument classes the model writes, as General MIDI drum notes (channel 10). The nine classes of
# the Groove paper (Gillick et al. 2019, table 2) plus side stick, pedal hi-hat and ride bell, which the
# drummers play often enough to keep (jazz feathering, cross-stick grooves, bell patterns).
INSTRUMENTS = (36, 38, 37, 42, 44, 46, 43, 47, 50, 49, 51, 53)
INSTRUMENT_NAMES = ("kick", "snare", "side stick", "closed hi-hat", "pedal hi-hat", "open hi-hat",
                    "floor tom", "low-mid tom", "high tom", "crash", "ride", "ride bell")

# Roland TD-11 note -> General MIDI drum note kept (the paper's mapping, with 37, 44 and 53 kept apart).
TD11_TO_GM = {
    36: 36,  # kick
    38: 38, 40: 38,  # snare head, snare rim shot
    37: 37,  # snare cross-stick -> side stick
    48: 50, 50: 50,  # tom 1 head and rim -> high tom
    45: 47, 47: 47,  # tom 2 head and rim -> low-mid tom
    43: 43, 58: 43,  # tom 3 head and rim -> high floor tom
    46: 46, 26: 46,  # hi-hat open bow and edge -> open hi-hat
    42: 42, 22: 42,  # hi-hat closed bow and edge -> closed hi-hat
    44: 44,  # hi-hat pedal
    49: 49, 55: 49, 57: 49, 52: 49,  # crash 1 bow and edge, crash 2 bow and edge -> crash
    51: 51, 59: 51,  # ride bow and edge -> ride
    53: 53,  # ride bell
}

# Other General MIDI drum notes a user's file may hold, folded onto the nearest class.
_GM_EXTRA = {35: 36, 39: 38, 40: 38, 41: 43, 45: 47, 48: 50, 52: 49, 54: 42, 55: 49, 57: 49, 59: 51}

# Top-level styles of the Groove set's info.csv the model learns; highlife (one file) is read as afrobeat,
# middleeastern (one file, no validation take) is left out.
DRUM_STYLES = ("rock", "funk", "jazz", "latin", "hiphop", "soul", "pop", "reggae", "afrocuban", "neworleans",
               "country", "punk", "gospel", "afrobeat", "dance", "blues")
STYLE_ALIASES = {"highlife": "afrobeat"}

# The meters the model has tokens for (4/4 first); 2/4 and 12/8 are made from 4/4 and 6/8 bars.
DRUM_METERS = ((4, 4), (3, 4), (6, 8), (5, 4), (5, 8))


def instrument_of(note: int, *, roland: bool = False) -> int | None:
    """The class index of a drum note (a TD-11 note when ``roland``, else General MIDI); None if unknown."""
    gm = TD11_TO_GM.get(note) if roland else (note if note in INSTRUMENTS else _GM_EXTRA.get(note))
    return INSTRUMENTS.index(gm) if gm in INSTRUMENTS else None


def top_style(style: str) -> str | None:
    """The model's style for an info.csv style such as ``neworleans/funk``; None when it is left out."""
    top = style.split("/")[0].strip().lower()
    top = STYLE_ALIASES.get(top, top)
    return top if top in DRUM_STYLES else None
