"""Value segment from five 0-100 indices: current and potential value, each high or low."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.model.schema import ValueModel
from crm_xl.values import outside
from crm_xl.scoring.inputs import number_columns
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.categories import categorical

INDEX_LOW, INDEX_HIGH = 0, 100


def weighted(frame: pd.DataFrame, weights: dict[str, float], problems: Problems) -> np.ndarray:
    """Weighted average of indices; NaN when any is missing or outside 0-100."""
    names = list(weights)
    w = np.fromiter(weights.values(), float)
    return weighted_indices(frame, names, [(np.arange(len(names)), w, w.sum())], problems)[0]


def weighted_indices(frame: pd.DataFrame, names, averages, problems: Problems) -> list[np.ndarray]:
    """Weighted averages of indices, each (positions in `names`, weights, their sum), every index checked once
    as one block: NaN where any of its indices is missing or outside 0-100."""
    values = number_columns(frame, list(names), problems, required=True,
                            check=lambda v: ("out-of-range", outside(v, INDEX_LOW, INDEX_HIGH), v,
                                             {"low": INDEX_LOW, "high": INDEX_HIGH}))
    return [values[:, positions] @ w / total for positions, w, total in averages]


def segments(frame: pd.DataFrame, value: ValueModel, problems: Problems,
             means: tuple[float, float] | None = None) -> pd.Categorical:
    """`means`: the whole population's (current, potential) means, when these rows are part of it."""
    current, potential = weighted_indices(frame, value.indices, value.averages, problems)
    low_current = current < (_threshold(current, value.split) if means is None or value.split != "mean" else means[0])
    low_potential = potential < (_threshold(potential, value.split) if means is None or value.split != "mean"
                                 else means[1])
    idx = low_current.astype(np.int64) * 2 + low_potential  # labels are hh, hl, lh, ll
    unvalued = np.isnan(current + potential)  # either NaN; indices are 0-100, never infinite
    if np.count_nonzero(unvalued):
        idx[unvalued] = -1
    return categorical(idx, value.labels)


def _threshold(values: np.ndarray, split) -> float:
    if split == "mean":
        return float(np.nanmean(values)) if (~np.isnan(values)).any() else np.nan
    return float(split)
