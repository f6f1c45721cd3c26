"""Decoding the whole progression: melody fit per slot, learnt transitions, cadences; Viterbi or seeded sampling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.harmony.melody_fit import log_softmax
from models.harmony.table import CLASSES, STATES, ChordTable, Progressions

MELODY_WEIGHT = 12.0  # scale of the melody fit against the progression's log-probabilities, slots of a bar or more
HALF_BAR_MELODY_WEIGHT = 8.0  # the same for half-bar slots (all three chosen on a development split of training songs)
BAR_CONTEXT_WEIGHT = 6.0  # the fit of the whole bar, added to each of its half-bar slots: a second opinion that sees more
SAMPLED_MELODY_WEIGHT = 5.0  # the melody's scale when a progression is sampled, which leaves a temperature room to choose
PRIOR_WEIGHT = 0.0  # how much of the chords' own frequency is taken out of the fit (the transitions hold it)
CLASH = 1.5  # extra cost per weighted beat of the melody's other third against the chord's third
CADENCE_BONUS = {4: 0.6, 8: 1.2}  # V-I / IV-I arriving on the last bar of a 4- or 8-bar phrase
TONIC_END_BONUS = 8.0  # the tonic under the last slot when the melody ends on the tonic
_THIRD = {CLASSES.index("maj"): (4, 3), CLASSES.index("min"): (3, 4)}  # class -> (its third, the clashing one)


def emission_scores(features: np.ndarray, evidence: np.ndarray, weights: np.ndarray, table: ChordTable,
                    mode: str, melody_weight: float = MELODY_WEIGHT) -> np.ndarray:
    """(S, STATES): how well each chord fits each slot's melody, with third clashes penalised.

    The learnt fit is log P(chord | melody) less a share of log P(chord) (towards a likelihood, so
    the transitions do not count the chord's frequency twice), scaled by the slot's evidence;
    ``weights`` are the slot's (S, 12) melody pitch classes above the tonic, for the clash penalty.
    """
    fit = log_softmax(features @ table.fit[mode]) - PRIOR_WEIGHT * table.prior[mode]  # (S, STATES)
    for state in range(STATES):
        degree, family = divmod(state, len(CLASSES))
        if family in _THIRD:
            fit[:, state] -= CLASH * weights[:, (degree + _THIRD[family][1]) % 12]
    return melody_weight * fit * evidence[:, None]


def transition_matrix(progressions: Progressions, stay: float) -> np.ndarray:
    """(STATES, STATES) log-probabilities from one slot's chord to the next's."""
    matrix = np.log(1 - stay) + progressions.change
    np.fill_diagonal(matrix, np.log(stay))
    return matrix


def cadence_targets(mode: str) -> tuple[int, tuple[int, ...]]:
    """The tonic state and the states that cadence onto it (V and IV; in minor also v and iv)."""
    maj, minor = CLASSES.index("maj"), CLASSES.index("min")
    if mode == "major":
        return 0 * 4 + maj, (7 * 4 + maj, 5 * 4 + maj)
    return 0 * 4 + minor, (7 * 4 + maj, 5 * 4 + minor, 7 * 4 + minor)


def slot_bonuses(slots: Sequence[tuple[float, float]], beats_per_bar: float, mode: str,
                 ends_on_tonic: bool, progressions: Progressions) -> tuple[np.ndarray, np.ndarray]:
    """Per-slot additions: (S, STATES) to the chord of a slot, (S, STATES) to arriving from a cadence chord."""
    tonic, cadential = cadence_targets(mode)
    unary = np.zeros((len(slots), STATES))
    cadence = np.zeros((len(slots), STATES))
    unary[0] += progressions.start
    unary[-1] += progressions.end
    if ends_on_tonic:
        unary[-1, tonic] += TONIC_END_BONUS
    for index, (start, _) in enumerate(slots):
        bar = start / beats_per_bar
        if index and abs(bar - round(bar)) < 1e-6:
            number = round(bar) + 1  # 1-based bar the slot opens
            bonus = CADENCE_BONUS[8] if number % 8 == 0 else CADENCE_BONUS[4] if number % 4 == 0 else 0.0
            cadence[index, tonic] = bonus
    if ends_on_tonic and len(slots) > 1:
        cadence[-1, tonic] = max(cadence[-1, tonic], CADENCE_BONUS[8])
    return unary, cadence


def step_scores(progressions: Progressions, stays: Sequence[float], cadence: np.ndarray,
                cadential: tuple[int, ...]) -> np.ndarray:
    """(S, STATES, STATES): log-scores from slot s-1's chord to slot s's (row 0 unused).

    ``stays[s]`` is the chance that slot s holds slot s-1's chord (learnt per slot length, place in the
    bar and how much the melody changes); cadence bonuses go to arrivals from the cadence chords.
    """
    out = np.empty((len(stays), STATES, STATES))
    for s, stay in enumerate(stays):
        out[s] = transition_matrix(progressions, stay)
        for source in cadential:
            out[s, source] += cadence[s]
    return out


def viterbi(emission: np.ndarray, steps: np.ndarray) -> tuple[list[int], float]:
    """The likeliest chord state per slot, and its score; ``emission`` includes the per-slot bonuses."""
    slots = emission.shape[0]
    score = emission[0].copy()  # (STATES,)
    back = np.zeros((slots, STATES), dtype=np.int64)
    for s in range(1, slots):
        total = score[:, None] + steps[s]  # (from, to)
        back[s] = total.argmax(axis=0)
        score = total.max(axis=0) + emission[s]
    path = [int(score.argmax())]
    best = float(score.max())
    for s in range(slots - 1, 0, -1):
        path.append(int(back[s, path[-1]]))
    return path[::-1], best


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    peak = x.max(axis=axis, keepdims=True)
    return np.squeeze(peak, axis) + np.log(np.exp(x - peak).sum(axis=axis))


def _forward(emission: np.ndarray, steps: np.ndarray) -> list[np.ndarray]:
    alphas = [emission[0]]
    for s in range(1, emission.shape[0]):
        alphas.append(_logsumexp(alphas[-1][:, None] + steps[s], axis=0) + emission[s])
    return alphas


def sample_path(emission: np.ndarray, steps: np.ndarray, temperature: float, rng: np.random.Generator) -> list[int]:
    """A whole progression drawn from the forward-filtered posterior, every score divided by ``temperature``."""
    inv = 1.0 / temperature
    alphas = _forward(emission * inv, steps * inv)

    def draw(logits: np.ndarray) -> int:
        p = np.exp(logits - logits.max())
        return int(rng.choice(STATES, p=p / p.sum()))

    path = [draw(alphas[-1])]
    for s in range(emission.shape[0] - 1, 0, -1):
        path.append(draw(alphas[s - 1] + steps[s][:, path[-1]] * inv))
    return path[::-1]
