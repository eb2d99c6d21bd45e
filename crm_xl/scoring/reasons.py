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
from crm_xl.scoring.problems import Problems, display_value

DEFAULT_COUNT = 3
SEPARATOR = "; "


def points_lost(frame: pd.DataFrame, credit: CreditModel, problems: Problems, indicator_set: str | None = None,
                weights: dict[str, float] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Indicator keys, their 1-10 scores (rows x indicators) and the share of the level each lost."""
    weights = weights or credit.sets[indicator_set or credit.default_set]
    keys = list(weights)
    scores = indicator_block(frame, [credit.indicators[k] for k in keys], problems)
    w = np.fromiter(weights.values(), float, len(keys))
    lost = w * (SCORE_HIGH - scores) / (w.sum() * SCORE_HIGH)
    return keys, scores, lost


def reason_texts(keys: list[str], scores: np.ndarray, lost: np.ndarray, credit: CreditModel,
                 count: int = DEFAULT_COUNT, language: str | None = None) -> np.ndarray:
    """Per row, the `count` indicators that lost the most, as text; "" when none lost any; None when unscored."""
    template = credit.text("reason", language)
    language = language or credit.default_language
    labels = [credit.indicators[k].label_in(language) for k in keys]
    out = np.full(len(lost), None, dtype=object)
    scored = ~np.isnan(lost).any(axis=1)
    rows = np.flatnonzero(scored)
    if not len(rows):
        return out
    if len(rows) <= 64:  # a few rows (a formula's one customer): plain Python beats numpy's set-up
        out[rows] = [_row_text(lost[r].tolist(), scores[r].tolist(), labels, template, count) for r in rows.tolist()]
        return out
    ranked = np.argsort(-lost[rows], axis=1, kind="stable")[:, :max(count, 0)]  # ties keep model order
    text = None
    for k in range(ranked.shape[1]):
        j = ranked[:, k]
        score, share = scores[rows, j], lost[rows, j]
        part = _parts(j, score, share, labels, template)
        text = part if text is None else np.where(part != "", text + SEPARATOR + part, text)
    out[rows] = text if text is not None else ""
    return out


def _parts(indicator: np.ndarray, score: np.ndarray, share: np.ndarray, labels: list[str], template: str) -> np.ndarray:
    """One reason per row, each distinct (indicator, score) formatted once: a million rows hold few."""
    codes, uniques = pd.factorize(indicator * 1000.0 + score)
    first = np.zeros(len(uniques), np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row holding each distinct pair
    texts = np.array([_reason(labels[indicator[i]], score[i], share[i], template) for i in first.tolist()]
                     + [""], dtype=object)
    return texts[codes]


def _row_text(lost: list[float], scores: list[float], labels: list[str], template: str, count: int) -> str:
    """One row's reasons, as the column code ranks them: most lost first, model order among ties."""
    ranked = sorted(range(len(lost)), key=lambda j: -lost[j])[:max(count, 0)]
    parts = (_reason(labels[j], scores[j], lost[j], template) for j in ranked)
    return SEPARATOR.join(p for p in parts if p)


def _reason(label: str, score, share: float, template: str) -> str:
    return template.format(indicator=label, score=display_value(score), points=f"{share:.3f}") if share > 0 else ""
