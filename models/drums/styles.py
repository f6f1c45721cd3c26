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
    others = ", ".join(f"{name} ({drums})" for name, drums in DRUMS_FOR_STYLE.items() if name not in DRUM_STYLES)
    raise ValueError(f"unknown drum style '{style}': drums play {', '.join(DRUM_STYLES)}, and for the styles "
                     f"{others}; choose one with --style (OSC key style) or leave drums out of parts")
