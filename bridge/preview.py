"""Piano-roll pictures (PNG) of a result: every part in its colour, bar lines, chord symbols."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bridge.paths import write_atomic
from models.music.meter import beats_per_bar
from models.types import ChordSpan, Note, Result

COLOURS = {
    "melody": (230, 90, 70), "counter": (240, 160, 50), "keys": (70, 130, 220), "bass": (40, 170, 110),
    "pad": (150, 110, 210), "arp": (220, 90, 170), "drums": (120, 120, 120),
}
OTHER = (90, 160, 190)
BACKGROUND, BLACK_KEY_ROW, BAR_LINE, BEAT_LINE, TEXT = (250, 250, 247), (238, 238, 233), (150, 150, 150), (220, 220, 215), (40, 40, 40)
LEFT, TOP, LEGEND = 44, 40, 22
MAX_WIDTH = 6000


def draw_piano_roll(parts: dict[str, Sequence[Note]], chords: Sequence[ChordSpan], bars: int,
                    beats_per_bar: float, title: str) -> Image.Image:
    """An RGB image of the parts; the time axis covers ``bars`` bars."""
    notes = [n for part in parts.values() for n in part]
    low = min((n.pitch for n in notes), default=48) - 2
    high = max((n.pitch for n in notes), default=72) + 2
    total_beats = max(bars * beats_per_bar, max((n.end_beats for n in notes), default=1.0))
    per_beat = max(8, min(32, int((MAX_WIDTH - LEFT - 10) / total_beats)))
    per_pitch = 6 if high - low < 60 else 4
    width = LEFT + int(total_beats * per_beat) + 10
    height = TOP + (high - low + 1) * per_pitch + LEGEND + 8
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()

    def y_of(pitch: int) -> int:
        return TOP + (high - pitch) * per_pitch

    for pitch in range(low, high + 1):
        if pitch % 12 in (1, 3, 6, 8, 10):
            draw.rectangle([LEFT, y_of(pitch), width - 10, y_of(pitch) + per_pitch - 1], fill=BLACK_KEY_ROW)
        if pitch % 12 == 0:
            draw.text((4, y_of(pitch) - 4), f"C{pitch // 12 - 1}", fill=TEXT, font=font)
    beat = 0.0
    while beat <= total_beats + 1e-9:
        x = LEFT + int(beat * per_beat)
        on_bar = abs(beat / beats_per_bar - round(beat / beats_per_bar)) < 1e-6
        draw.line([x, TOP, x, y_of(low) + per_pitch], fill=BAR_LINE if on_bar else BEAT_LINE)
        if on_bar and beat < total_beats:
            draw.text((x + 2, TOP - 24), str(int(round(beat / beats_per_bar)) + 1), fill=BAR_LINE, font=font)
        beat += 1.0
    for chord in chords:
        draw.text((LEFT + int(chord.start_beats * per_beat) + 2, TOP - 13), chord.symbol, fill=TEXT, font=font)
    for name, part in parts.items():
        colour = COLOURS.get(name, OTHER)
        for note in part:
            x0 = LEFT + int(note.start_beats * per_beat)
            x1 = max(x0 + 2, LEFT + int(note.end_beats * per_beat) - 1)
            y0 = y_of(note.pitch)
            shade = tuple(int(c + (255 - c) * (1 - note.velocity / 127) * 0.5) for c in colour)
            draw.rectangle([x0, y0, x1, y0 + per_pitch - 1], fill=shade, outline=colour)
    x = LEFT
    legend_y = height - LEGEND
    for name in parts:
        draw.rectangle([x, legend_y + 4, x + 10, legend_y + 14], fill=COLOURS.get(name, OTHER))
        draw.text((x + 14, legend_y + 3), name, fill=TEXT, font=font)
        x += 20 + int(draw.textlength(name, font=font)) + 10
    draw.text((LEFT, 4), title, fill=TEXT, font=font)
    return image


def write_preview(result: Result, path: Path, title: str) -> Path:
    """Write the piano roll of ``result`` as a PNG at ``path`` (atomically)."""
    numerator, denominator = result.meter
    summary = f"{title}  ·  {result.bars} bars  ·  {numerator}/{denominator}  ·  {result.tempo:g} bpm"
    image = draw_piano_roll(result.parts, result.chords, result.bars, beats_per_bar(result.meter), summary)
    return write_atomic(path, lambda tmp: image.save(tmp, format="PNG"))
