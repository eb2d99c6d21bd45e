"""Rank-based scores with one documented tie rule, shared by tiers and RFM."""
from __future__ import annotations

import numpy as np


def position_share(values: np.ndarray, population: np.ndarray | None = None) -> np.ndarray:
    """Share of valid values strictly below each value, in [0, 1); NaN stays NaN.

    Tie rule: tied values share the position of the first of their group (rank "min"),
    so equal inputs always get equal scores and a heavily tied column cannot break the cut.
    With `population` (every valid value of the whole population, sorted) the share is taken
    in it rather than in `values`: a part of the population scores as it would within the whole.
    """
    out = np.full(len(values), np.nan)
    valid = ~np.isnan(values)
    if population is not None:
        if len(population):
            out[valid] = np.searchsorted(population, values[valid], side="left") / len(population)
        return out
    present = values[valid]
    n = len(present)
    if n <= 1000:  # rank "min" - 1 of each value: how many valid values sort strictly before it
        out[valid] = np.searchsorted(np.sort(present), present, side="left") / n if n else present
    else:  # the same, searched in sorted order (a long column's random searches miss the cache)
        order = np.argsort(present)
        ordered = present[order]
        below = np.empty(n, np.int64)
        below[order] = np.searchsorted(ordered, ordered, side="left")
        out[valid] = below / n
    return out


def equal_frequency(values: np.ndarray, levels: int, population: np.ndarray | None = None) -> np.ndarray:
    """Level 1..levels by equal-frequency cut of the position share; 0 where NaN."""
    share = position_share(values, population)
    level = np.floor(share * levels) + 1
    return np.where(np.isnan(share), 0, level).astype(np.int64)
