"""Labelled results as pandas Categoricals, cheaply enough for a one-cell spreadsheet call."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd


@lru_cache(maxsize=256)
def _dtype(labels: tuple, ordered: bool) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(labels), ordered=ordered)


def categorical(codes: np.ndarray, labels, ordered: bool = False) -> pd.Categorical:
    """Codes (-1 for no label) as a Categorical of `labels`.

    The dtype is made once per label list: checking the labels costs ~100 µs a call, far more
    than a one-row score. Codes come from band/lookup positions, always -1..len(labels)-1.
    """
    return pd.Categorical.from_codes(np.asarray(codes), dtype=_dtype(tuple(labels), ordered), validate=False)
