"""One customer at a time: the scalar forms, each a one-row call of the column code.

A bad or missing input raises ScoringInputError carrying the same message the column forms give.
"""
from __future__ import annotations

from typing import Mapping

from crm_xl.findings import CrmError, Finding, finding
from crm_xl.model import ScoringModel, default_model
from crm_xl.scoring import columns
from crm_xl.scoring.columns import Column


class ScoringInputError(CrmError, ValueError):
    """The input of a single-value score is missing or invalid: its finding says why (str() is the message)."""

    @property
    def finding(self) -> Finding:
        return self.findings[0]


def _one(column: Column, first_input: str):
    if column.values[0] is not None:
        return column.values[0]
    raise ScoringInputError([column.reasons[0] or finding("missing-value", column=first_input)])


def credit_level(scores: Mapping[str, float], model: ScoringModel | None = None,
                 indicator_set: str | None = None) -> float:
    """Credit level from indicator scores keyed by indicator (`character`) or column (`score_character`)."""
    m = model or default_model()
    keys = list(m.credit.sets[indicator_set or m.credit.default_set])
    row = [scores.get(k, scores.get(m.credit.indicators[k].column)) for k in keys]
    return _one(columns.credit_levels([row], m, indicator_set=indicator_set), m.credit.indicators[keys[0]].column)


def credit_grade(level: float, model: ScoringModel | None = None) -> str:
    return _one(columns.credit_grades([level], model or default_model()), "credit_level")


def credit_limit(grade: str, monthly_purchases: float, terms_days: float | None = None,
                 net_worth: float | None = None, model: ScoringModel | None = None) -> float:
    column = columns.credit_limits([grade], [monthly_purchases], [terms_days], [net_worth], model or default_model())
    return _one(column, "credit_grade")


def credit_policy(grade: str, model: ScoringModel | None = None) -> str:
    return _one(columns.credit_policies([grade], model or default_model()), "credit_grade")


def customer_tier(monthly_sales: float, preset: str | None = None, model: ScoringModel | None = None) -> str:
    m = model or default_model()
    return _one(columns.customer_tiers([monthly_sales], m, preset), m.tiers[preset or m.default_tier_preset].measure)


def customer_class(business_format: str, market_type: str, business_scale: str | None = None,
                   scale_measure: float | None = None, model: ScoringModel | None = None) -> str:
    scale = business_scale if business_scale is not None else scale_measure
    return _one(columns.customer_classes([business_format], [market_type], [scale], model or default_model()),
                "business_format")


def value_segment(contribution: float, support: float, credit_index: float, growth: float,
                  influence: float, model: ScoringModel | None = None) -> str:
    column = columns.value_segments([contribution], [support], [credit_index], [growth], [influence],
                                    model or default_model())
    return _one(column, "value_contribution")


def rfm_segment(r_score: int, f_score: int, model: ScoringModel | None = None) -> str:
    """The segment of one R x F cell (scores 1-5)."""
    m = model or default_model()
    for name, v in (("rfm_r", r_score), ("rfm_f", f_score)):
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and 1 <= v <= 5):
            raise ScoringInputError([finding("out-of-range", column=name, value=v, low=1, high=5)])
    return m.rfm.segment_labels[m.rfm.grid[int(r_score) - 1, int(f_score) - 1]]
