"""Which genre idiom a request's style plays, and the style the models behind the idioms are asked for."""

from __future__ import annotations

from collections.abc import Iterable

# Genre names the idioms add: each plays the drum style (when drums are asked for) and the pitched style of the
# models behind them, and its own bass and comping on top.
GENRE_STYLES = {
    "bossa": ("latin", "upbeat"),
    "edm": ("dance", "upbeat"),
    "lofi": ("hiphop", "pop"),
    "cinematic": ("ballad", "ballad"),
}

# A request's style (a pitched style, a drum style or a genre name) -> the idiom that rewrites its bass and keys.
# Styles not named here (chorale, renaissance, classical, custom) keep the model's notes: only `density` and
# `register` shape them.
IDIOM_FOR_STYLE = {
    "jazz": "jazz",
    "latin": "bossa", "bossa": "bossa",
    "dance": "edm", "edm": "edm",
    "hiphop": "lofi", "lofi": "lofi",
    "ballad": "ballad", "soul": "ballad", "gospel": "ballad",
    "cinematic": "cinematic",
    "folk": "folk", "country": "folk",
    "rock": "rock", "punk": "rock",
    "funk": "funk",
    "pop": "pop", "upbeat": "pop", "reggae": "pop", "blues": "pop",
    "afrocuban": "pop", "afrobeat": "pop", "neworleans": "pop",
}

# Genres whose bass plays with the kick drum: a bass onset near a kick moves onto it.
KICK_LOCKED = frozenset({"pop", "edm", "rock", "funk"})


def idiom_for(style: str) -> str | None:
    """The idiom for ``style``, None for a style whose notes the model writes alone."""
    return IDIOM_FOR_STYLE.get(style)


def inner_style(style: str, with_drums: bool) -> str:
    """The style the models behind the idioms get: a genre name becomes its drum style with drums, its pitched
    style without; any other style passes unchanged."""
    if style not in GENRE_STYLES:
        return style
    drums, pitched = GENRE_STYLES[style]
    return drums if with_drums else pitched


def with_genres(styles: Iterable[str]) -> tuple[str, ...]:
    """``styles`` and the genre names a model serving them can play (those whose pitched style is among them)."""
    styles = tuple(styles)
    return tuple(dict.fromkeys((*styles, *(g for g, (_, pitched) in GENRE_STYLES.items() if pitched in styles))))
