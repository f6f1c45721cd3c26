"""How the project's style names meet the drum model's: the drum style a request's style plays, and back."""

from __future__ import annotations

from models.drums.kit import DRUM_STYLES

# A style of the pitched models -> the drum style that accompanies it.
DRUMS_FOR_STYLE = {"pop": "pop", "ballad": "soul", "upbeat": "rock", "folk": "country", "jazz": "jazz", "rock": "rock"}

# A drum style the pitched models did not learn -> the pitched style that plays the other parts.
PITCHED_FOR_DRUMS = {
    "rock": "upbeat", "punk": "upbeat", "funk": "upbeat", "dance": "upbeat", "hiphop": "pop", "latin": "upbeat",
    "afrocuban": "upbeat", "afrobeat": "upbeat", "neworleans": "upbeat", "reggae": "ballad", "soul": "ballad",
    "gospel": "ballad", "blues": "ballad", "jazz": "ballad", "country": "folk", "pop": "pop",
}


def drum_style(style: str) -> str:
    """The drum style for a request's ``style`` (a drum style, or a pitched style that has one).

    Raises:
        ValueError: the style has no drums, with the styles that do.
    """
    if style in DRUM_STYLES:
        return style
    if style in DRUMS_FOR_STYLE:
        return DRUMS_FOR_STYLE[style]
    raise ValueError(f"unknown drum style '{style}': drums play {', '.join(DRUM_STYLES)} "
                     f"(and {', '.join(DRUMS_FOR_STYLE)}, which use the drum styles "
                     f"{', '.join(sorted(set(DRUMS_FOR_STYLE.values())))}); choose one with --style or the OSC key style")
