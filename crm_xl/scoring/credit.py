"""Credit by the feature-analysis method: level, grade, limit, policy and scorecard points."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crm_xl.model.schema import CreditModel, Indicator
from crm_xl.values import outside as out_of_range
from crm_xl.scoring.inputs import SMALL, number_block
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.categories import categorical

SCORE_LOW, SCORE_HIGH = 1, 10


def indicator_scores(frame: pd.DataFrame, indicator: Indicator, problems: Problems) -> np.ndarray:
    """1-10 scores of one indicator: typed scores checked for range, raw figures banded."""
    return indicator_block(frame, [indicator], problems)[:, 0]


def indicator_block(frame: pd.DataFrame, indicators: list[Indicator], problems: Problems) -> np.ndarray:
    """1-10 scores of several indicators (rows x indicators), checked as one block: typed scores
    checked for range, raw figures banded. Each indicator's problems are listed as if it were
    checked on its own (its cells, then its range), indicator after indicator."""
    raw, checks = number_block(frame, [i.column for i in indicators], required=True)
    banded = [(j, i) for j, i in enumerate(indicators) if i.bands is not None]
    scores = raw
    if len(banded) < len(indicators):  # typed as 1-10: one range check over the block
        outside = out_of_range(raw, SCORE_LOW, SCORE_HIGH)
        if banded:
            outside &= np.array([i.bands is None for i in indicators])
        checks.append(("out-of-range", outside, raw, {"low": SCORE_LOW, "high": SCORE_HIGH}))
        scores = np.where(outside, np.nan, raw) if np.count_nonzero(outside) else raw
    if banded:  # raw figures: each through its own bands
        below = np.zeros(raw.shape, bool)
        scores = scores.copy() if scores is raw else scores
        for j, indicator in banded:
            idx = indicator.bands.index(raw[:, j])
            below[:, j] = ~np.isnan(raw[:, j]) & (idx < 0)
            band_scores = np.asarray(indicator.bands.labels, float)[np.maximum(idx, 0)]
            scores[:, j] = np.where(idx < 0, np.nan, band_scores)
        fields = [{"low": display_value(i.bands.edges[0])} if i.bands is not None else {} for i in indicators]
        checks.append(("below-bands", below, raw, fields))
    problems.add_block([i.column for i in indicators], checks)
    return scores


def levels(frame: pd.DataFrame, credit: CreditModel, problems: Problems,
           indicator_set: str | None = None, weights: dict[str, float] | None = None) -> np.ndarray:
    """Credit level = sum(w*s) / sum(w*10) per row, rounded so band edges are exact; NaN when unscorable."""
    if weights:  # chosen weights (a formula's own, a what-if)
        indicators, w = [credit.indicators[k] for k in weights], np.fromiter(weights.values(), float, len(weights))
        total = w.sum()
    else:  # the model's: worked out once per model
        indicators, w, total = credit.set_weights[indicator_set or credit.default_set]
    scores = indicator_block(frame, indicators, problems)
    level = scores @ w / (total * SCORE_HIGH)  # NaN in any score makes the level NaN
    return level.round(credit.level_decimals)


def grade_positions(level: np.ndarray, credit: CreditModel, problems: Problems) -> np.ndarray:
    """Position of each level's grade in credit.grades; -1 where there is no level."""
    bands = credit.grade_bands
    idx = bands.index(level)
    outside = out_of_range(level, 0, 1)
    problems.add("out-of-range", "credit_level", outside, level, low=0, high=1)
    idx[outside] = -1
    below = ~np.isnan(level) & (idx < 0)
    problems.add("below-bands", "credit_level", below, level, low=display_value(bands.edges[0]))
    return idx


def grades(positions: np.ndarray, credit: CreditModel) -> pd.Categorical:
    return categorical(positions, [g.label for g in credit.grades], ordered=True)


def positions_of_grades(labels, credit: CreditModel, problems: Problems, column: str = "credit_grade",
                        optional: bool = False) -> np.ndarray:
    """Grade positions from grade labels typed by people (e.g. an Excel cell holding "AA");
    -1 where unknown or empty (an empty cell is reported unless the grade is `optional`)."""
    lookup = credit.grade_lookup

    def position(v) -> int:  # -2: empty cell, -1: not a grade
        return lookup.get(str(v).strip().casefold(), -1) if v is not None and v == v else -2

    values = np.asarray(labels, dtype=object)
    if len(values) <= SMALL:  # a few cells: a loop beats factorize's set-up
        found = [position(v) for v in values.tolist()]
        idx, empty, unknown = np.array(found, dtype=np.int64), -2 in found, -1 in found
    else:  # each distinct label looked up once
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        idx = np.array([position(u) for u in uniques] + [-2], dtype=np.int64)[codes]
        empty, unknown = True, True  # the masks tell
    if empty and not optional:
        problems.add("missing-value", column, idx == -2)
    if unknown and np.count_nonzero(idx == -1):  # the list of choices is made only for a message
        problems.add("unknown-code", column, idx == -1, values, kind="credit grade",
                     choices=", ".join(g.label for g in credit.grades))
    return np.maximum(idx, -1) if empty else idx  # -2 (empty) is -1 (no grade) too


def limits(positions: np.ndarray, monthly_purchases: np.ndarray, terms_days: np.ndarray,
           net_worth: np.ndarray, credit: CreditModel, problems: Problems,
           purchases_column: str = "avg_monthly_amount", report_missing: bool = True) -> np.ndarray:
    """min(purchases * terms/30 * k(grade), cap * net worth when known), rounded down; NaN when unknown."""
    k = credit.limit_factors[positions]  # position -1 (no grade) picks the trailing NaN
    no_terms = np.isnan(terms_days)
    terms = np.where(no_terms, credit.default_terms_days, terms_days) if np.count_nonzero(no_terms) else terms_days
    purchases = _not_negative(monthly_purchases, purchases_column, problems)
    limit = purchases * _not_negative(terms, "terms_days", problems) / 30 * k
    limit[k == 0] = 0.0  # a cash-only grade has no credit whatever the purchases
    no_purchases = np.isnan(monthly_purchases)
    if report_missing and np.count_nonzero(no_purchases):  # an absent column is reported once per file
        problems.add("missing-value", purchases_column, no_purchases & (k > 0))  # k NaN: no grade
    if np.count_nonzero(~np.isnan(net_worth)):  # no net worth, no cap (the checks cost more than the rest)
        cap = credit.net_worth_cap * np.maximum(net_worth, 0)  # negative net worth: no credit; NaN stays NaN
        limit = np.where(np.isnan(cap), limit, np.minimum(limit, cap))  # minimum keeps an unknown limit unknown
    step = credit.limit_round_to
    return np.floor(limit / step + 1e-9) * step


def _not_negative(values: np.ndarray, column: str, problems: Problems) -> np.ndarray:
    """The values, NaN where negative (each reported as out of range); the same array when none is."""
    negative = values < 0
    if not np.count_nonzero(negative):
        return values
    problems.add("out-of-range", column, negative, values, low=0, high="∞")
    return np.where(negative, np.nan, values)


def policies(positions: np.ndarray, credit: CreditModel) -> pd.Categorical:
    texts = list(dict.fromkeys(g.policy for g in credit.grades))
    code_of_grade = np.array([texts.index(g.policy) for g in credit.grades] + [-1])
    return categorical(code_of_grade[positions], texts)


def scorecard_points(probability_good: np.ndarray, credit: CreditModel) -> np.ndarray:
    """points = offset + factor * ln(odds), factor = PDO / ln 2, base points at base odds (good:bad)."""
    card = credit.scorecard
    factor = card["pdo"] / math.log(2)
    offset = card["base_points"] - factor * math.log(card["base_odds"])
    p = np.atleast_1d(np.asarray(probability_good, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = p / (1 - p)
        points = offset + factor * np.log(odds)
    points[(p <= 0) | (p >= 1) | np.isnan(p)] = np.nan
    return points
