"""What scoring needs from the whole population when it sees the customers a part at a time.

Quintiles (RFM) and a split at the mean (value segments) depend on every customer, not one row.
`population_part` takes, from one part, exactly the values score_customers ranks or averages;
`Population.of` puts the parts together (in order: the same arrays the whole table would give),
so `score_customers(part, ..., population=...)` scores every part as the whole table would.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from crm_xl.model.schema import ScoringModel, TierPreset
from crm_xl.scoring import rfm, tiers, value
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.tiers import TierPopulation


@dataclass(frozen=True)
class Population:
    as_of: pd.Timestamp
    rfm: dict[str, np.ndarray]  # dimension -> every ranked value, sorted (recency negated, as ranked)
    value_means: tuple[float, float]  # (current, potential) means over customers that have them
    size: int
    tiers: TierPopulation | None = None  # a composite tier preset's measures (and composites)

    @classmethod
    def of(cls, parts: list[dict[str, np.ndarray]], as_of: pd.Timestamp) -> Population:
        whole = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in PART_KEYS}
        ranked = {}
        for name in rfm.RANKED:
            v = whole[name][~np.isnan(whole[name])]
            ranked[name] = np.sort(-v if name in rfm.REVERSED else v)
        means = tuple(float(np.nanmean(whole[k])) if (~np.isnan(whole[k])).any() else np.nan
                      for k in ("value_current", "value_potential"))
        tier_keys = [k for k in parts[0] if k.startswith(TIER)] if parts else []
        measures = {k[len(TIER):]: np.sort(np.concatenate([p[k] for p in parts])) for k in tier_keys}
        return cls(as_of, ranked, means, len(whole["frequency"]), TierPopulation(measures, None) if measures else None)

    def with_composites(self, parts: list[np.ndarray]) -> Population:
        """The population with every complete customer's tier composite (tiers.composite_part of each part)."""
        composites = np.sort(np.concatenate(parts)) if parts else np.empty(0)
        return replace(self, tiers=TierPopulation(self.tiers.measures, composites))


PART_KEYS = (*rfm.RANKED, "value_current", "value_potential")


def population_part(frame: pd.DataFrame, model: ScoringModel, as_of: pd.Timestamp,
                    tier_preset: TierPreset | None = None) -> dict[str, np.ndarray]:
    """The values of one part that the population figures are made of (problems are found later);
    with a composite `tier_preset`, its measures too."""
    problems = Problems(len(frame))
    recency, frequency, monetary, _ = rfm.customer_inputs(frame, as_of, problems)
    part = rfm.ranked_values(recency, frequency, monetary, model.rfm)
    part["value_current"] = value.weighted(frame, model.value.current, problems)
    part["value_potential"] = value.weighted(frame, model.value.potential, problems)
    if tier_preset is not None and tier_preset.bands is None:
        part.update({TIER + name: v for name, v in tiers.measure_part(frame, tier_preset).items()})
    return part


TIER = "tier:"  # a part's key prefix for a composite tier measure
