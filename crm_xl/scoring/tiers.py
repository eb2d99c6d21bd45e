"""Customer tier: a banded measure, or equal-frequency levels over a composite of ranks."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.model.schema import TierPreset
from crm_xl.scoring.inputs import numbers
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.ranks import equal_frequency, position_share
from crm_xl.scoring.categories import categorical

COMPOSITE_DECIMALS = 9


def tiers(frame: pd.DataFrame, preset: TierPreset, problems: Problems) -> pd.Categorical:
    if preset.bands is not None:
        return banded(numbers(frame, preset.measure, problems, required=True), preset, problems, preset.measure)
    return _levels(frame, preset, problems)


def banded(measure: np.ndarray, preset: TierPreset, problems: Problems, column: str) -> pd.Categorical:
    idx = preset.bands.index(measure)
    below = ~np.isnan(measure) & (idx < 0)
    problems.add("below-bands", column, below, measure, low=display_value(preset.bands.edges[0]))
    return categorical(idx, preset.labels, ordered=True)


def _levels(frame: pd.DataFrame, preset: TierPreset, problems: Problems) -> pd.Categorical:
    parts = {name: numbers(frame, name, problems, required=True) for name in preset.composite}
    complete = np.logical_and.reduce([~np.isnan(v) for v in parts.values()])
    weights = np.array(list(preset.composite.values()))
    shares = np.vstack([np.where(complete, position_share(np.where(complete, v, np.nan)), np.nan)
                        for v in parts.values()])
    # Rounded so that equal composites summed in a different order still tie.
    composite = np.round(weights @ shares / weights.sum(), COMPOSITE_DECIMALS)
    count = int(complete.sum())
    if count < preset.levels:
        problems.add("needs-population", "customer_tier", complete, method=f"{preset.levels}-level",
                     needed=preset.levels, count=count)
        return categorical(np.full(len(complete), -1), preset.labels, ordered=True)
    level = equal_frequency(composite, preset.levels)
    return categorical(level - 1, preset.labels, ordered=True)
