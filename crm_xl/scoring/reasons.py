"""Reason codes for a credit grade: the indicators that cost the most points against the maximum.

Indicator i loses w_i x (10 - s_i) / (sum(w) x 10) of the level, so the points lost by all
indicators add up to 1 - level exactly (before the level is rounded for banding). The reasons
name the indicators that lost the most, largest first (model order breaks ties), in the chosen
language, so a manager can tell a customer why they are grade B.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.model.schema import CreditModel
from crm_xl.scoring.credit import SCORE_HIGH, indicator_block
from crm_xl.scoring.inputs import SMALL
from crm_xl.scoring.problems import Problems, display_value

DEFAULT_COUNT = 3
SEPARATOR = "; "


def points_lost(frame: pd.DataFrame, credit: CreditModel, problems: Problems, indicator_set: str | None = None,
                weights: dict[str, float] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Indicator keys, their 1-10 scores (rows x indicators) and the share of the level each lost."""
    if weights:  # chosen weights (a what-if)
        indicators, w = [credit.indicators[k] for k in weights], np.fromiter(weights.values(), float, len(weights))
        total = w.sum()
    else:  # the model's: worked out once per model
        indicators, w, total = credit.set_weights[indicator_set or credit.default_set]
    scores = indicator_block(frame, indicators, problems)
    lost = w * (SCORE_HIGH - scores) / (total * SCORE_HIGH)
    return [i.key for i in indicators], scores, lost


def reason_texts(keys: list[str], scores: np.ndarray, lost: np.ndarray, credit: CreditModel,
                 count: int = DEFAULT_COUNT, language: str | None = None) -> np.ndarray:
    """Per row, the `count` indicators that lost the most, as text; "" when none lost any; None when unscored."""
    if len(lost) <= SMALL:  # a few rows (a formula's one customer): plain Python beats numpy's set-up
        out = np.empty(len(lost), dtype=object)
        out[:] = reason_list(keys, scores, lost, credit, count, language)
        return out
    template = credit.text("reason", language)
    language = language or credit.default_language
    labels = [credit.indicators[k].label_in(language) for k in keys]
    out = np.full(len(lost), None, dtype=object)
    rows = np.flatnonzero(~np.isnan(lost).any(axis=1))
    if not len(rows):
        return out
    ranked = np.argsort(-lost[rows], axis=1, kind="stable")[:, :max(count, 0)]  # ties keep model order
    parts = [_parts(j, scores[rows, j], lost[rows, j], labels, template) for j in ranked.T]
    combination, example = _distinct_rows([codes for codes, _ in parts], len(rows))
    texts = [SEPARATOR.join(t for t in (known[codes[r]] for codes, known in parts) if t) for r in example.tolist()]
    out[rows] = np.array(texts + [""], dtype=object)[combination]  # each distinct row's text joined once
    return out


def reason_list(keys: list[str], scores: np.ndarray, lost: np.ndarray, credit: CreditModel,
                count: int = DEFAULT_COUNT, language: str | None = None) -> list:
    """`reason_texts` of a few rows as a plain list, row by row (a formula's customer: no array to fill)."""
    template = credit.text("reason", language)
    labels = [credit.indicators[k].label_in(language or credit.default_language) for k in keys]
    return [None if any(x != x for x in row) else _row_text(row, s, labels, template, count)
            for row, s in zip(lost.tolist(), scores.tolist())]  # NaN: unscored


def _parts(indicator: np.ndarray, score: np.ndarray, share: np.ndarray, labels: list[str],
           template: str) -> tuple[np.ndarray, list[str]]:
    """One reason per row, as a code into the texts of the distinct (indicator, score) pairs,
    each formatted once: a million rows hold few."""
    codes, uniques = pd.factorize(indicator * 1000.0 + score)
    example = np.zeros(len(uniques), np.int64)
    example[codes] = np.arange(len(codes))  # a row holding each distinct pair
    return codes, [_reason(labels[indicator[i]], score[i], share[i], template) for i in example.tolist()]


def _distinct_rows(codes: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """A code per distinct combination of the columns of codes (all >= 0), and a row holding each."""
    combination = np.zeros(n, np.int64)
    for c in codes:  # factorized at each step, so the combined code stays below n
        combination = pd.factorize(combination * (int(c.max()) + 1 if len(c) else 1) + c)[0]
    example = np.zeros(int(combination.max()) + 1 if n else 0, np.int64)
    example[combination] = np.arange(n)
    return combination, example


def _row_text(lost: list[float], scores: list[float], labels: list[str], template: str, count: int) -> str:
    """One row's reasons, as the column code ranks them: most lost first, model order among ties."""
    ranked = sorted(range(len(lost)), key=[-x for x in lost].__getitem__)[:max(count, 0)]
    parts = (_reason(labels[j], scores[j], lost[j], template) for j in ranked)
    return SEPARATOR.join(p for p in parts if p)


def _reason(label: str, score, share: float, template: str) -> str:
    return template.format(indicator=label, score=display_value(score), points=f"{share:.3f}") if share > 0 else ""
