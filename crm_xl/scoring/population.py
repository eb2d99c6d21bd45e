"""What scoring needs from the whole population when it sees the customers a part at a time.

Quintiles (RFM) and a split at the mean (value segments) depend on every customer, not one row.
`population_part` takes, from one part, exactly the values score_customers ranks or averages;
`Population.of` puts the parts together (in order: the same arrays the whole table would give),
so `score_customers(part, ..., population=...)` scores every part as the whole table would.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.model.schema import ScoringModel
from crm_xl.scoring import rfm, value
from crm_xl.scoring.problems import Problems


@dataclass(frozen=True)
class Population:
    as_of: pd.Timestamp
    rfm: dict[str, np.ndarray]  # dimension -> every ranked value, sorted (recency negated, as ranked)
    value_means: tuple[float, float]  # (current, potential) means over customers that have them
    size: int

    @classmethod
    def of(cls, parts: list[dict[str, np.ndarray]], as_of: pd.Timestamp) -> Population:
        whole = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in PART_KEYS}
        ranked = {}
        for name in rfm.RANKED:
            v = whole[name][~np.isnan(whole[name])]
            ranked[name] = np.sort(-v if name in rfm.REVERSED else v)
        means = tuple(float(np.nanmean(whole[k])) if (~np.isnan(whole[k])).any() else np.nan
                      for k in ("value_current", "value_potential"))
        return cls(as_of, ranked, means, len(whole["frequency"]))


PART_KEYS = (*rfm.RANKED, "value_current", "value_potential")


def population_part(frame: pd.DataFrame, model: ScoringModel, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """The values of one part that the population figures are made of (problems are found later)."""
    problems = Problems(len(frame))
    recency, frequency, monetary, _ = rfm.customer_inputs(frame, as_of, problems)
    part = rfm.ranked_values(recency, frequency, monetary, model.rfm)
    part["value_current"] = value.weighted(frame, model.value.current, problems)
    part["value_potential"] = value.weighted(frame, model.value.potential, problems)
    return part
