"""One customer at a time: the scalar forms, each a one-row call of the vectorised code.

A bad input raises ScoringInputError carrying the same message the column forms give.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from crm_xl.model import ScoringModel, default_model
from crm_xl.findings import CATALOGUE
from crm_xl.scoring import classes, credit, tiers, value
from crm_xl.scoring.problems import Problems


class ScoringInputError(ValueError):
    """The input of a single-value score is missing or invalid; str() is the reason."""


def _one(problems: Problems, result):
    reason = problems.first()
    if reason is not None and _is_empty(result):
        raise ScoringInputError(reason)
    return result


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _first(values):
    v = values[0]
    return None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)


def credit_level(scores: Mapping[str, float], model: ScoringModel | None = None,
                 indicator_set: str | None = None) -> float:
    """Credit level from indicator scores keyed by indicator (`character`) or column (`score_character`)."""
    m = model or default_model()
    keys = m.credit.sets[indicator_set or m.credit.default_set]
    row = {m.credit.indicators[k].column: scores.get(k, scores.get(m.credit.indicators[k].column)) for k in keys}
    problems = Problems(1)
    level = credit.levels(pd.DataFrame([row]), m.credit, problems, indicator_set)
    return _one(problems, float(level[0]))


def credit_grade(level: float, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    problems = Problems(1)
    values = np.array([np.nan if level is None else level], float)
    if level is None:
        problems.add("missing-value", "credit_level", np.array([True]))
    idx = credit.grade_positions(values, m.credit, problems)
    return _one(problems, _first(credit.grades(idx, m.credit)))


def credit_limit(grade: str, monthly_purchases: float, terms_days: float | None = None,
                 net_worth: float | None = None, model: ScoringModel | None = None) -> float:
    m = model or default_model()
    problems = Problems(1)
    idx = credit.positions_of_grades([grade], m.credit, problems)
    arr = [np.array([np.nan if v is None else v], float) for v in (monthly_purchases, terms_days, net_worth)]
    return _one(problems, float(credit.limits(idx, *arr, m.credit, problems, "monthly_purchases")[0]))


def credit_policy(grade: str, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    problems = Problems(1)
    idx = credit.positions_of_grades([grade], m.credit, problems)
    return _one(problems, _first(credit.policies(idx, m.credit)))


def customer_tier(monthly_sales: float, preset: str | None = None, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    p = m.tiers[preset or m.default_tier_preset]
    problems = Problems(1)
    if p.bands is None:  # equal-frequency levels rank a population; one customer has no rank
        raise ScoringInputError(CATALOGUE["needs-population"].message(
            column="customer_tier", method=f"{p.levels}-level", needed=p.levels, count=1))
    frame = pd.DataFrame({p.measure: [monthly_sales]})
    return _one(problems, _first(tiers.tiers(frame, p, problems)))


def customer_class(business_format: str, market_type: str, business_scale: str | None = None,
                   scale_measure: float | None = None, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    frame = pd.DataFrame({"business_format": [business_format], "market_type": [market_type],
                          "business_scale": [business_scale], m.classification.scale_measure: [scale_measure]})
    problems = Problems(1)
    return _one(problems, _first(classes.classes(frame, m.classification, problems)))


def value_segment(contribution: float, support: float, credit_index: float, growth: float,
                  influence: float, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    frame = pd.DataFrame({"value_contribution": [contribution], "value_support": [support],
                          "value_credit": [credit_index], "value_growth": [growth],
                          "value_influence": [influence]})
    problems = Problems(1)
    return _one(problems, _first(value.segments(frame, m.value, problems)))


def rfm_segment(r_score: int, f_score: int, model: ScoringModel | None = None) -> str:
    """The segment of one R x F cell (scores 1-5)."""
    m = model or default_model()
    for name, v in (("rfm_r", r_score), ("rfm_f", f_score)):
        if v is None or not (isinstance(v, (int, float, np.integer)) and float(v).is_integer() and 1 <= v <= 5):
            raise ScoringInputError(CATALOGUE["out-of-range"].message(column=name, value=v, low=1, high=5))
    return m.rfm.segment_labels[m.rfm.grid[int(r_score) - 1, int(f_score) - 1]]


__all__ = ["ScoringInputError", "credit_level", "credit_grade", "credit_limit", "credit_policy",
           "customer_tier", "customer_class", "value_segment", "rfm_segment"]
