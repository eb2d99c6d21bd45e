"""Rank-based scores with one documented tie rule, shared by tiers and RFM."""
from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from crm_xl.values import SMALL


def position_share(values: np.ndarray, population: np.ndarray | None = None) -> np.ndarray:
    """Share of valid values strictly below each value, in [0, 1); NaN stays NaN.

    Tie rule: tied values share the position of the first of their group (rank "min"),
    so equal inputs always get equal scores and a heavily tied column cannot break the cut.
    With `population` (every valid value of the whole population, sorted) the share is taken
    in it rather than in `values`: a part of the population scores as it would within the whole.
    """
    empty = np.isnan(values)
    if not np.count_nonzero(empty):  # no mask to apply (most calls)
        return _shares(values, population)
    valid = ~empty
    out = np.full(len(values), np.nan)
    out[valid] = _shares(values[valid], population)
    return out


def _shares(present: np.ndarray, population: np.ndarray | None) -> np.ndarray:
    """position_share of values that are all present."""
    if population is not None:
        if not len(population):
            return np.full(len(present), np.nan)
        return np.searchsorted(population, present, side="left") / len(population)
    n = len(present)
    if n <= 1000:  # rank "min" - 1 of each value: how many valid values sort strictly before it
        return np.sort(present).searchsorted(present, side="left") / n if n else present
    order = np.argsort(present)  # the same, searched in sorted order (a long column's random searches miss the cache)
    ordered = present[order]
    below = np.empty(n, np.int64)
    below[order] = np.searchsorted(ordered, ordered, side="left")
    return below / n


def equal_frequency(values: np.ndarray, levels: int, population: np.ndarray | None = None) -> np.ndarray:
    """Level 1..levels by equal-frequency cut of the position share; 0 where NaN."""
    if population is None and len(values) <= SMALL:  # a few values (RFM of a short range): a loop beats numpy
        return equal_frequency_of_few(values.tolist(), levels)
    level = np.floor(position_share(values, population) * levels) + 1
    return np.fmax(level, 0).astype(np.int64)  # fmax: NaN (no share) becomes 0


def equal_frequency_of_few(values: list[float], levels: int) -> np.ndarray:
    """`equal_frequency` of a few values, the same arithmetic in plain Python (parity is tested)."""
    ordered = sorted(v for v in values if v == v)
    n = len(ordered)
    return np.array([math.floor(bisect_left(ordered, v) / n * levels) + 1 if v == v else 0 for v in values], np.int64)
