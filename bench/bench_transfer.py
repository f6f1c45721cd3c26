"""Style transfer and variations benchmark on POP909's held-out songs (docs/models.md, "Style transfer and variations").

    .venv/bin/python bench/bench_transfer.py [--data ../shared/datasets/pop909] [--songs 24] [--bars 8]
        [--roles bass,keys,melody] [--styles pop,ballad,...] [--grooves 6] [--pop-songs 40] [--corpus-scale 1]
        [--cache FILE | --no-cache]

Per target style, over the held-out songs' bass, keys and melody parts (8 bars each, given as the source with no
chords): the chord-tone ratio of the transfer against the song's annotated chords (target >= 0.85; beside it for a
melody, that ratio against the source melody's own and the melody's CTnCTR after Yeh et al. 2021, where a non-chord
tone resolving by step counts: the source's are printed below), the onset Jaccard with the source (rhythm changed:
<= 0.85 in >= 75 % of styles), the strong-beat pitches a melody keeps (>= 70 %), the register shift (median pitch,
within 7 semitones), how much two styles' takes share against two seeds' (note Jaccard: styles should share less),
and the share of transfers a style classifier recognises as the target (>= 70 %). The classifier is a softmax
regression on rhythm, articulation and motion features (models/transfer/style_features.py) fitted per part on
human music of each style the project has: POP909's training songs (pop), Bach's chorales (chorale), Palestrina
(renaissance), the string quartets (classical) and Ryan's Mammoth Collection (folk, melody only); its accuracy on
held-out human windows is printed beside. Ballad, upbeat, jazz, rock and the drum genres have no human pitched data
of their own, so they are not classified; their onset density against pop's is printed instead. Then variations at
similarity 0.1, 0.5 and 0.9, and held-out Groove beats moved to other drum styles. The classifier's windows are
cached (``--cache``): the first run reads the corpora for about 12 minutes.
"""

from __future__ import annotations

import argparse
import json
import itertools
import logging
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.data.music21_corpora import read_music21
from models.data.pop909 import read_pop909
from models.drums.styles import PITCHED_FOR_DRUMS
from models.evaluate.harmony import ctnctr
from models.music.metrics import chord_tone_ratio
from models.registry import load_generator
from models.transfer.measures import kept_share, note_jaccard, onset_jaccard, register_shift, strong_beats_kept
from models.transfer.style_features import FEATURES, StyleClassifier, style_features
from models.types import ChordSpan, Note, Request

ROOT = Path(__file__).resolve().parent.parent
STYLES = ("pop", "ballad", "upbeat", "chorale", "renaissance", "classical", "folk", "jazz", "rock", "funk", "reggae")
# music21 corpus -> pieces the classifier reads (parsing is slow: about a second a piece, eight a quartet movement)
CORPORA = {"bach": 80, "palestrina": 20, "haydn": 3, "mozart": 3, "beethoven": 3, "ryansMammoth": 80}
# the tracks that play a part in each corpus (the four voices: keys is the inner two, as the models write it)
TRACKS = {"melody": ("melody", "soprano"), "bass": ("bass", "bassvoice"), "keys": ("keys", "alto", "tenor")}
WINDOW = 4  # bars per classifier window
PITCHED_STYLES = ("pop", "ballad", "upbeat", "chorale", "renaissance", "classical", "folk")


def window(notes, start: float, end: float) -> tuple[Note, ...]:
    return tuple(Note(n.pitch, n.start_beats - start, min(n.end_beats, end) - n.start_beats, n.velocity)
                 for n in notes if start - 1e-6 <= n.start_beats < end - 1e-6 and min(n.end_beats, end) > n.start_beats)


def part_notes(piece, role: str) -> list[Note]:
    if piece.style in ("chorale", "renaissance") and role == "keys":
        return sorted(piece.tracks.get("alto", []) + piece.tracks.get("tenor", []), key=lambda n: n.start_beats)
    return next((piece.tracks[t] for t in TRACKS[role] if t in piece.tracks), [])


def windows(piece, role: str):
    """4-bar windows (hop 2 bars) of one part with at least 4 notes, as (notes from 0, beats)."""
    notes = part_notes(piece, role)
    starts = [b for b, _ in piece.bars] + [piece.bars[-1][0] + 4 * piece.bars[-1][1][0] / piece.bars[-1][1][1]]
    for k in range(0, len(piece.bars) - WINDOW + 1, WINDOW // 2):
        clip = window(notes, starts[k], starts[k + WINDOW])
        if len(clip) >= 4:
            yield clip, starts[k + WINDOW] - starts[k]


def _read(source: str, data: Path, limit: int) -> list[dict]:
    """The classifier's pieces of one source, each as its name, style, split and per-part window features."""
    pieces = read_pop909(data, limit=limit) if source == "pop909" else read_music21((source,), limit=limit)
    return [{"name": p.name, "style": p.style, "test": p.is_test,
             "windows": {role: [style_features(c, b).tolist() for c, b in windows(p, role)] for role in TRACKS}}
            for p in pieces]


def style_windows(data: Path, songs: int, scale: float, cache: Path | None) -> dict[tuple[str, bool], list]:
    """(part, held out) -> [(features, style)] of the classifier's pieces. Held out: POP909's held-out songs
    (``is_test``, the transfers' sources among them) and every 4th music21 piece of each style. Each source's
    pieces are kept in ``cache`` (JSON) for the next run: reading the corpora takes minutes."""
    saved = json.loads(cache.read_text()) if cache is not None and cache.exists() else {}
    if saved.get("features") != FEATURES:
        saved = {"features": FEATURES}
    rows: dict[tuple[str, bool], list] = defaultdict(list)
    seen: Counter = Counter()  # pieces of each style so far: every 4th music21 piece is held out
    limits = {"pop909": songs} | {name: max(1, round(most * scale)) for name, most in CORPORA.items()}
    for source, most in limits.items():
        key = f"{source}:{most}"
        if key not in saved:
            saved[key] = _read(source, data, most)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(saved))
        for piece in saved[key]:
            seen[piece["style"]] += 1
            held = piece["test"] if source == "pop909" else seen[piece["style"]] % 4 == 0
            for role, features in piece["windows"].items():
                rows[(role, held)] += [(np.array(f), piece["style"]) for f in features]
    return rows


def fit_classifiers(rows: dict[tuple[str, bool], list]) -> dict[str, tuple[StyleClassifier, float, dict]]:
    """Per part: the classifier fitted on training windows of every style, its accuracy on held-out windows."""
    out = {}
    for role in TRACKS:
        train, test = rows[(role, False)], rows[(role, True)]
        model = StyleClassifier.fit(np.array([r for r, _ in train]), [s for _, s in train])
        guesses = model.predict(np.array([r for r, _ in test]))
        per_style = defaultdict(list)
        for guess, (_, style) in zip(guesses, test):
            per_style[style].append(guess == style)
        balanced = statistics.mean(statistics.mean(v) for v in per_style.values())
        out[role] = (model, balanced, {s: (statistics.mean(v), len(v)) for s, v in per_style.items()})
    return out


def excerpts(data: Path, songs: int, bars: int, roles: list[str]):
    """(song, role, source notes, annotated chords) for ``bars`` bars of each held-out song from its 9th bar."""
    for piece in read_pop909(data, limit=0, test_only=True):
        if songs <= 0:
            return
        if len(piece.bars) < bars + 8:
            continue
        start = piece.bars[8][0]
        end = start + 4 * bars
        chords = tuple(ChordSpan(c.symbol, max(c.start_beats, start) - start,
                                 min(c.start_beats + c.duration_beats, end) - max(c.start_beats, start))
                       for c in piece.chords if c.start_beats < end and c.start_beats + c.duration_beats > start)
        found = False
        for role in roles:
            clip = window(piece.tracks.get(role, []), start, end)
            if len(clip) >= 2 * bars:
                found = True
                yield piece.name, role, clip, chords
        songs -= found


def run_transfers(generator, items, styles, bars: int):
    takes = {}
    for (song, role, clip, _), style, seed in itertools.product(items, styles, (1, 2)):
        request = Request(task="transfer", source=clip, parts=(role,), style=style, bars=bars, seed=seed)
        takes[(song, role, style, seed)] = generator.generate(request)[0].parts[role]
    return takes


def _mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.mean(values) if values else float("nan")


def _pitched_style(style: str) -> str:
    """The style the pitched models play for ``style`` (a drum genre plays its mapped one: jazz as ballad)."""
    return style if style in PITCHED_STYLES else PITCHED_FOR_DRUMS.get(style, style)


def report_transfers(items, takes, styles, classifiers) -> None:
    roles = list(dict.fromkeys(role for _, role, _, _ in items))
    melody = "melody" in roles
    print(f"{'style':12} " + " ".join(f"{'CT ' + r:>10}" for r in roles) +
          (f" {'mel/src':>7} {'CTnCTR':>6}" if melody else "") + f" {'onset J':>8} {'melody SB':>9} "
          f"{'reg max':>7} {'styles J':>8} {'seeds J':>7} {'recognised':>10} {'density':>7}")
    source_ct = {r: _mean([chord_tone_ratio(c, ch) for _, role, c, ch in items if role == r]) for r in roles}
    changed, pop_density, recognised_all = 0, None, []
    for style in styles:
        ctr, onset, strong, shift, across, seeds, hits, density = defaultdict(list), [], [], [], [], [], [], []
        proper = []  # a melody's CTnCTR (Yeh et al. 2021: non-chord tones resolving by step count as proper)
        others = [o for o in styles if _pitched_style(o) != _pitched_style(style)]
        for song, role, clip, chords in items:
            out = takes[(song, role, style, 1)]
            ctr[role].append(chord_tone_ratio(out, chords))
            onset.append(onset_jaccard(clip, out))
            shift.append(abs(register_shift(clip, out)))
            density.append(len({n.start_beats for n in out}) / max(len({n.start_beats for n in clip}), 1))
            if role == "melody":
                strong.append(strong_beats_kept(clip, out))
                proper.append(ctnctr(out, chords))
            seeds.append(note_jaccard(out, takes[(song, role, style, 2)]))
            across += [note_jaccard(out, takes[(song, role, other, 1)]) for other in others]
            model = classifiers[role][0]
            if style in model.styles:
                for first in range(0, int(max(n.end_beats for n in clip) // 4 + 1), WINDOW):
                    part = window(out, 4.0 * first, 4.0 * (first + WINDOW))
                    if len(part) >= 4:
                        hits.append(model.predict(style_features(part, 4.0 * WINDOW))[0] == style)
        recognised_all += hits
        pop_density = pop_density or _mean(density)
        changed += _mean(onset) <= 0.85
        recognised = f"{_mean(hits):.0%} ({len(hits)})" if hits else "n/a"
        relative = f" {_mean(ctr['melody']) / source_ct['melody']:7.3f} {_mean(proper):6.3f}" if melody else ""
        print(f"{style:12} " + " ".join(f"{_mean(ctr[r]):10.3f}" for r in roles) + relative + f" {_mean(onset):8.3f} "
              f"{(f'{_mean(strong):.0%}' if strong else '-'):>9} {max(shift):7.1f} {_mean(across):8.3f} "
              f"{_mean(seeds):7.3f} {recognised:>10} {_mean(density) / pop_density:7.2f}")
    print(f"rhythm changed (onset J <= 0.85) in {changed}/{len(styles)} styles ({changed / len(styles):.0%}); "
          "the sources' own chord tones: " + ", ".join(f"{r} {source_ct[r]:.3f}" for r in roles) +
          (f"; the source melodies' CTnCTR "
           f"{_mean([ctnctr(c, ch) for _, role, c, ch in items if role == 'melody']):.3f}" if melody else ""))
    for style in ("rock", "funk"):  # the pitched models play both as upbeat: only the idioms tell them apart
        if style in styles and "upbeat" in styles:
            shared = {r: _mean([note_jaccard(takes[(song, role, style, 1)], takes[(song, role, "upbeat", 1)])
                                for song, role, _, _ in items if role == r]) for r in roles}
            print(f"{style} against upbeat, note Jaccard: " + ", ".join(f"{r} {v:.2f}" for r, v in shared.items()))
    if recognised_all:
        print(f"the classifier recognises the target style in {_mean(recognised_all):.0%} of "
              f"{len(recognised_all)} transfer windows (styles with human data)")
    for role, (model, balanced, per_style) in classifiers.items():
        print(f"style classifier ({role}) on held-out human windows: {balanced:.0%} balanced accuracy; " +
              ", ".join(f"{s} {a:.0%} of {n}" for s, (a, n) in sorted(per_style.items())))


def report_variations(generator, items, bars: int) -> None:
    print(f"{'similarity':>10} {'kept notes':>10} {'max |shift|':>11} {'flat velocity':>13} {'onset J':>8}")
    for similarity in (0.1, 0.5, 0.9):
        kept, shift, flat, onset = [], [], 0, []
        for song, role, clip, _ in items:
            out = generator.generate(Request(task="variations", source=clip, parts=(role,), style="pop", bars=bars,
                                             seed=3, similarity=similarity))[0].parts[role]
            kept.append(kept_share(clip, out))
            shift.append(abs(register_shift(clip, out)))
            flat += len({n.velocity for n in out}) <= 1
            onset.append(onset_jaccard(clip, out))
        print(f"{similarity:10.1f} {statistics.mean(kept):10.0%} {max(shift):11.1f} {flat:13d} "
              f"{statistics.mean(onset):8.3f}")


def report_drums(generator, grooves: int, bars: int) -> None:
    """Held-out Groove beats (its validation split, which the drum model never trains on) moved to other drum
    styles at strength 0.5 and 1."""
    from models.data.groove import DEFAULT_GROOVE, read_groove
    from models.transfer.drums import lane

    beats = [p for p in read_groove(DEFAULT_GROOVE, splits=("validation",), meters=((4, 4),)) if not p.fill][:grooves]
    print(f"{'drums to':10} {'strength':>8} {'onset J':>8} {'kick+snare kept':>15} {'cymbals kept':>12} {'notes':>6}")
    for style, strength in itertools.product(("rock", "funk", "jazz", "latin", "reggae", "hiphop"), (0.5, 1.0)):
        onset, core, cymbals, count = [], [], [], []
        for performance in beats:
            clip = tuple(Note(h.note, h.onset_beats, 0.25, h.velocity) for h in performance.hits
                         if h.onset_beats < 4 * bars)
            out = generator.generate(Request(task="transfer", source=clip, parts=("drums",), style=style, bars=bars,
                                             seed=1, strength=strength))[0].parts["drums"]
            onset.append(onset_jaccard(clip, out))
            for name, lanes in (("core", ("kick", "snare")), ("cymbals", ("cymbals",))):
                part = [n for n in clip if lane(n.pitch) in lanes]
                (core if name == "core" else cymbals).append(kept_share(part, out) if part else float("nan"))
            count.append(len(out) / max(len(clip), 1))
        print(f"{style:10} {strength:8.1f} {_mean(onset):8.3f} {_mean(core):15.0%} {_mean(cymbals):12.0%} "
              f"{_mean(count):6.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "pop909")
    parser.add_argument("--songs", type=int, default=24,
                        help="held-out songs to transfer (at 8, only 3 have a bass part in the bars taken)")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--roles", default="bass,keys,melody")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--cache", type=Path,
                        default=Path.home() / ".cache" / "continuo" / "transfer-style-windows.json",
                        help="where the classifier's windows are kept between runs")
    parser.add_argument("--no-cache", action="store_true", help="read the corpora again")
    parser.add_argument("--grooves", type=int, default=6, help="held-out Groove beats to move to other drum styles")
    parser.add_argument("--pop-songs", type=int, default=40, help="POP909 songs for the style classifier")
    parser.add_argument("--corpus-scale", type=float, default=1.0, help="share of the usual music21 pieces "
                        "(CORPORA) for the style classifier")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    rows = style_windows(args.data, args.pop_songs, args.corpus_scale, None if args.no_cache else args.cache)
    classifiers = fit_classifiers(rows)
    print(f"classifiers fitted in {time.perf_counter() - started:.0f} s")
    generator = load_generator("default", "cpu")
    items = list(excerpts(args.data, args.songs, args.bars, args.roles.split(",")))
    styles = args.styles.split(",")
    started = time.perf_counter()
    takes = run_transfers(generator, items, styles, args.bars)
    print(f"{len(takes)} transfers of {len(items)} held-out parts ({args.bars} bars) in "
          f"{time.perf_counter() - started:.0f} s")
    report_transfers(items, takes, styles, classifiers)
    report_variations(generator, items, args.bars)
    if args.grooves:
        report_drums(generator, args.grooves, args.bars)


if __name__ == "__main__":
    main()
