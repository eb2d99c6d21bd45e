"""Customer tier: a banded measure, or equal-frequency levels over a composite of ranks."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.model.schema import TierPreset
from crm_xl.scoring.inputs import numbers
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.ranks import equal_frequency, position_share
from crm_xl.scoring.categories import categorical

COMPOSITE_DECIMALS = 9


@dataclass(frozen=True)
class TierPopulation:
    """A composite preset's view of the whole population, for scoring it a part at a time."""

    measures: dict[str, np.ndarray]  # each composite measure of the complete customers, sorted
    composites: np.ndarray | None  # every complete customer's composite, sorted (once measures are known)


def tiers(frame: pd.DataFrame, preset: TierPreset, problems: Problems,
          population: TierPopulation | None = None) -> pd.Categorical:
    if preset.bands is not None:
        return banded(numbers(frame, preset.measure, problems, required=True), preset, problems, preset.measure)
    return _levels(frame, preset, problems, population)


def banded(measure: np.ndarray, preset: TierPreset, problems: Problems, column: str) -> pd.Categorical:
    idx = preset.bands.index(measure)
    below = ~np.isnan(measure) & (idx < 0)
    problems.add("below-bands", column, below, measure, low=display_value(preset.bands.edges[0]))
    return categorical(idx, preset.labels, ordered=True)


def _levels(frame: pd.DataFrame, preset: TierPreset, problems: Problems,
            population: TierPopulation | None) -> pd.Categorical:
    parts, complete = _measures(frame, preset, problems)
    composite = _composites(parts, complete, preset, population.measures if population else None)
    count = int(complete.sum()) if population is None else len(population.composites)
    if count < preset.levels:
        problems.add("needs-population", "customer_tier", complete, method=f"{preset.levels}-level",
                     needed=preset.levels, count=count)
        return categorical(np.full(len(complete), -1), preset.labels, ordered=True)
    level = equal_frequency(composite, preset.levels, population.composites if population else None)
    return categorical(level - 1, preset.labels, ordered=True)


def _measures(frame: pd.DataFrame, preset: TierPreset, problems: Problems) -> tuple[dict[str, np.ndarray], np.ndarray]:
    parts = {name: numbers(frame, name, problems, required=True) for name in preset.composite}
    return parts, np.logical_and.reduce([~np.isnan(v) for v in parts.values()])


def _composites(parts: dict[str, np.ndarray], complete: np.ndarray, preset: TierPreset,
                measures: dict[str, np.ndarray] | None) -> np.ndarray:
    """Weighted mean of each measure's position share among the complete customers (of the part,
    or of the whole population when its sorted `measures` are given); NaN where incomplete."""
    weights = np.array(list(preset.composite.values()))
    shares = np.vstack([position_share(np.where(complete, v, np.nan), None if measures is None else measures[name])
                        for name, v in parts.items()])
    # Rounded so that equal composites summed in a different order still tie.
    return np.round(weights @ shares / weights.sum(), COMPOSITE_DECIMALS)


def measure_part(frame: pd.DataFrame, preset: TierPreset) -> dict[str, np.ndarray]:
    """A part's composite measures, complete customers only (problems are found when scoring)."""
    parts, complete = _measures(frame, preset, Problems(len(frame)))
    return {name: v[complete] for name, v in parts.items()}


def composite_part(frame: pd.DataFrame, preset: TierPreset, measures: dict[str, np.ndarray]) -> np.ndarray:
    """A part's complete customers' composites, each measure ranked in the whole population."""
    parts, complete = _measures(frame, preset, Problems(len(frame)))
    return _composites(parts, complete, preset, measures)[complete]
