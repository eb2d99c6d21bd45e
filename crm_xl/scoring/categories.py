"""Labelled results as pandas Categoricals, cheaply enough for a one-cell spreadsheet call."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd


@lru_cache(maxsize=256)
def _empty(labels: tuple, ordered: bool) -> tuple[pd.Categorical, np.dtype]:
    """An empty Categorical of these labels and its codes' integer type: made once per label list
    (checking the labels costs ~100 µs), then every result of that list shares its dtype."""
    empty = pd.Categorical.from_codes(np.zeros(0, np.int64), dtype=pd.CategoricalDtype(list(labels), ordered=ordered),
                                      validate=False)
    return empty, empty.codes.dtype


def categorical(codes: np.ndarray, labels, ordered: bool = False) -> pd.Categorical:
    """Codes (-1 for no label) as a Categorical of `labels`.

    Codes come from band/lookup positions, always -1..len(labels)-1. Built from the cached empty
    Categorical's dtype without a second check (`from_codes` re-derives the dtype, tens of µs a
    call, more than a one-row score); pandas without that constructor gets `from_codes`.
    """
    empty, code_type = _empty(tuple(labels), ordered)
    codes = np.asarray(codes).astype(code_type, copy=False)
    if _FAST:
        return empty._from_backing_data(codes)
    return pd.Categorical.from_codes(codes, dtype=empty.dtype, validate=False)


def _fast_works() -> bool:
    try:
        probe = _empty(("a", "b"), True)[0]._from_backing_data(np.array([1, -1], np.int8))
    except (AttributeError, TypeError):
        return False
    return isinstance(probe, pd.Categorical) and list(probe.astype(object)) == ["b", np.nan] and probe.ordered


_FAST = _fast_works()
