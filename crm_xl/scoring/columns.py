"""Scores over plain columns of cell values, with a reason for every row that has no result.

This is what a spreadsheet function needs: lists in (cells, None for empty), a list of results
out and, for each row without a result, the catalogue code and message saying why. Rows whose
inputs are all empty get no result and no reason. Everything here calls the vectorised scoring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from crm_xl.findings import CATALOGUE, Finding, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring import classes, credit, rfm, tags, tiers, value
from crm_xl.scoring.inputs import numbers
from crm_xl.scoring.problems import Problems, display_value


@dataclass
class Column:
    values: list  # one result per row; None where there is none
    reasons: list  # a Finding for rows with inputs but no result; None elsewhere

    def __len__(self) -> int:
        return len(self.values)


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _result(values, problems: Problems, empty_rows: np.ndarray) -> Column:
    """Results, and for each row without one the first of its most severe problems."""
    series = pd.Series(values, dtype=object)
    out = series.where(series.notna(), None).tolist()
    best: dict[int, tuple[int, Finding]] = {}
    for b in problems.batches:
        rank = SEVERITY_RANK[CATALOGUE[b.code].severity]
        picked = b.values if b.values is not None else [None] * len(b.rows)
        for row, typed in zip(b.rows.tolist(), picked):
            if out[row] is None and (row not in best or rank < best[row][0]):
                best[row] = (rank, finding(b.code, column=b.column, value=display_value(typed), **b.fields))
    reasons: list = [None] * len(out)
    for row, (_, reason) in best.items():
        reasons[row] = reason
    for i in np.flatnonzero(empty_rows):
        out[i], reasons[i] = None, None
    return Column(out, reasons)


def _frame(columns: dict[str, Sequence]) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame({k: _column(v) for k, v in columns.items()})
    empty = frame.isna().all(axis=1).to_numpy()  # spreadsheet layers pass empty cells as None
    return frame, empty


def _column(values: Sequence) -> pd.Series:
    """Plain numbers (and empty cells) as a float column, anything else kept as it is, to be checked."""
    values = list(values)
    if all(v is None or type(v) in (int, float) for v in values):
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=float))
    return pd.Series(values, dtype=object)


def credit_levels(scores: Sequence[Sequence], model: ScoringModel, weights: Sequence[float] | None = None,
                  indicator_set: str | None = None) -> Column:
    """Credit level of each row of indicator scores (columns in the indicator set's order)."""
    keys = list(model.credit.sets[indicator_set or model.credit.default_set])
    names = [model.credit.indicators[k].column for k in keys]
    grid = np.array([list(row[:len(names)]) + [None] * (len(names) - len(row)) for row in scores], dtype=object)
    grid = grid.reshape(len(scores), len(names))
    frame, empty = _frame({n: grid[:, j] for j, n in enumerate(names)})
    chosen = dict(zip(keys, weights)) if weights is not None else None
    problems = Problems(len(frame))
    return _result(credit.levels(frame, model.credit, problems, indicator_set, chosen), problems, empty)


def credit_grades(levels: Sequence, model: ScoringModel) -> Column:
    frame, empty = _frame({"credit_level": levels})
    problems = Problems(len(frame))
    level = numbers(frame, "credit_level", problems, required=True)
    idx = credit.grade_positions(level, model.credit, problems)
    return _result(credit.grades(idx, model.credit), problems, empty)


def credit_limits(grades: Sequence, purchases: Sequence, terms_days: Sequence, net_worth: Sequence,
                  model: ScoringModel) -> Column:
    frame, empty = _frame({"credit_grade": grades, "monthly_purchases": purchases, "terms_days": terms_days,
                           "net_worth": net_worth})
    empty = frame[["credit_grade", "monthly_purchases"]].isna().all(axis=1).to_numpy()
    problems = Problems(len(frame))
    idx = credit.positions_of_grades(frame["credit_grade"].tolist(), model.credit, problems)
    numbers_ = [numbers(frame, c, problems) for c in ("monthly_purchases", "terms_days", "net_worth")]
    limit = credit.limits(idx, *numbers_, model.credit, problems, "monthly_purchases")
    return _result(limit, problems, empty)


def credit_policies(grades: Sequence, model: ScoringModel) -> Column:
    frame, empty = _frame({"credit_grade": grades})
    problems = Problems(len(frame))
    idx = credit.positions_of_grades(frame["credit_grade"].tolist(), model.credit, problems)
    return _result(credit.policies(idx, model.credit), problems, empty)


def customer_tiers(sales: Sequence, model: ScoringModel, preset: str | None = None) -> Column:
    chosen = model.tiers[preset or model.default_tier_preset]
    if chosen.bands is None:  # equal-frequency levels rank a whole table over several measures
        reason = finding("needs-population", column="customer_tier", method=f"{chosen.levels}-level",
                         needed=chosen.levels, count=len(sales))
        return Column([None] * len(sales), [reason] * len(sales))
    frame, empty = _frame({chosen.measure: sales})
    problems = Problems(len(frame))
    return _result(tiers.tiers(frame, chosen, problems), problems, empty)


def customer_classes(formats: Sequence, markets: Sequence, scales: Sequence, model: ScoringModel) -> Column:
    """Class codes; a scale cell may hold a scale (L/M/S, 대형, 大型 ...) or the monthly amount."""
    cls = model.classification
    numeric = [isinstance(s, (int, float)) and not isinstance(s, bool) for s in scales]
    frame, empty = _frame({"business_format": formats, "market_type": markets, "business_scale":
                           [None if n else s for s, n in zip(scales, numeric)]})
    frame[cls.scale_measure] = [s if n else None for s, n in zip(scales, numeric)]
    problems = Problems(len(frame))
    return _result(classes.classes(frame, cls, problems), problems, empty)


def value_segments(contribution, support, credit_index, growth, influence, model: ScoringModel) -> Column:
    frame, empty = _frame({"value_contribution": contribution, "value_support": support,
                           "value_credit": credit_index, "value_growth": growth, "value_influence": influence})
    problems = Problems(len(frame))
    return _result(value.segments(frame, model.value, problems), problems, empty)


def rfm_segments(recency_days: Sequence, frequency: Sequence, monetary: Sequence, model: ScoringModel) -> Column:
    """Segments for a population of customers (quintiles rank within the given rows)."""
    frame, empty = _frame({"recency_days": recency_days, "frequency": frequency, "monetary": monetary})
    problems = Problems(len(frame))
    r, f, m = (numbers(frame, c, problems, required=True) for c in ("recency_days", "frequency", "monetary"))
    scored = rfm.scores(r, f, m, model.rfm, problems)
    return _result(scored.segment, problems, empty)


def customer_tags(columns: dict[str, Sequence], model: ScoringModel) -> Column:
    frame, empty = _frame(columns)
    return _result(tags.tags(frame, model.tags), Problems(len(frame)), empty)


def credit_reasons(scores: Sequence[Sequence], model: ScoringModel, count: int = 3, language: str | None = None,
                   indicator_set: str | None = None) -> Column:
    """The indicators that cost each row the most points (the credit_reasons column of a scored table)."""
    from crm_xl.scoring import reasons

    keys = list(model.credit.sets[indicator_set or model.credit.default_set])
    names = [model.credit.indicators[k].column for k in keys]
    grid = np.array([list(row[:len(names)]) + [None] * (len(names) - len(row)) for row in scores], dtype=object)
    frame, empty = _frame({n: grid.reshape(len(scores), len(names))[:, j] for j, n in enumerate(names)})
    problems = Problems(len(frame))
    keys, values, lost = reasons.points_lost(frame, model.credit, problems, indicator_set)
    return _result(reasons.reason_texts(keys, values, lost, model.credit, count, language), problems, empty)


def credit_checks(amounts: Sequence, outstanding: Sequence, limits: Sequence, grades: Sequence,
                  overdue_days: Sequence, model: ScoringModel, language: str | None = None) -> Column:
    """(decision, reason) of each order against its own outstanding balance, limit and grade."""
    from crm_xl.scoring import credit_check

    frame, _ = _frame({"amount": amounts, "outstanding": outstanding, "credit_limit": limits,
                       "credit_grade": grades, "overdue_days": overdue_days})
    empty = frame["amount"].isna().to_numpy()  # no order on this row (other arguments may be one repeated cell)
    problems = Problems(len(frame))
    amount = numbers(frame, "amount", problems)
    balance = numbers(frame, "outstanding", problems)
    limit = numbers(frame, "credit_limit", problems)
    days = numbers(frame, "overdue_days", problems)
    for name, values in (("amount", amount), ("credit_limit", limit), ("overdue_days", days)):
        problems.add("out-of-range", name, values < 0, values, low=0, high="∞")
    position = credit.positions_of_grades(frame["credit_grade"].tolist(), model.credit, problems, optional=True)
    checks = credit_check.decide_with_grades(amount, balance, limit, position, days, model.credit, language)
    found = problems.frame()
    bad = np.zeros(len(frame), bool)
    bad[found.row[found.severity == "error"].to_numpy(int)] = True  # a bad cell anywhere: no decision
    bad |= np.isnan(amount)
    values = np.empty(len(frame), dtype=object)
    values[:] = list(zip(checks.labels.tolist(), checks.reason.tolist()))
    values[bad] = None
    return _result(values, problems, empty)

