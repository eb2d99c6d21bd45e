"""Monitoring the credit model from the monthly snapshots: stability, trend and a back-test.

- Population stability index of the credit level against the previous month:
  PSI = sum over bins (a - e) x ln(a / e), a and e this and last month's shares per bin; an empty
  bin counts as a share of 0.0001 so the index stays finite. Read through the model's bands
  (below 0.1 stable, from 0.25 a significant shift).
- Trend: per month of snapshots, customers, average level, total limit, grade moves and PSI.
- Back-test, where collection data exists: of each grade's customers in a month's snapshot, the
  share that went more than N days overdue in the following months.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.model import ScoringModel

EMPTY_SHARE = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray, edges: np.ndarray) -> tuple[float | None, list[dict]]:
    """PSI of `actual` (this month) against `expected` (last month) over bins with these lower edges."""
    return psi_of_counts(bin_counts(expected, edges), bin_counts(actual, edges), edges)


def bin_counts(values, edges: np.ndarray) -> np.ndarray:
    """How many of the values fall in each bin: counts of parts of the values add up."""
    return np.bincount(_bin(_clean(values), edges), minlength=len(edges))


def psi_of_counts(expected: np.ndarray, actual: np.ndarray, edges: np.ndarray) -> tuple[float | None, list[dict]]:
    """PSI from the counts per bin of last month (`expected`) and this month (`actual`)."""
    if not expected.sum() or not actual.sum():
        return None, []
    e, a = expected / expected.sum(), actual / actual.sum()
    e_safe, a_safe = np.maximum(e, EMPTY_SHARE), np.maximum(a, EMPTY_SHARE)
    parts = (a_safe - e_safe) * np.log(a_safe / e_safe)
    uppers = [f"{hi:.2f}" for hi in edges[1:]] + ["1.00"]
    rows = [{"label": f"{lo:.2f}–{hi}", "previous": float(pe), "share": float(pa), "psi": float(p)}
            for lo, hi, pe, pa, p in zip(edges, uppers, e, a, parts)]
    return float(parts.sum()), rows


def psi_reading(value: float | None, model: ScoringModel) -> str | None:
    if value is None:
        return None
    bands = model.credit.monitoring.psi_bands
    return bands.labels[max(bands.index(np.array([value])).item(), 0)]


def _clean(values) -> np.ndarray:
    values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    return values[~np.isnan(values)]


def _bin(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 1)


def trend(snapshots: pd.DataFrame, months: list[str], model: ScoringModel) -> list[dict]:
    """One row per month that has a snapshot, oldest first."""
    rank = {g.label: i for i, g in enumerate(model.credit.grades)}
    edges = model.credit.monitoring.psi_bins
    rows, before = [], None
    for month in months:
        now = snapshots[snapshots.month == month]
        if not len(now):
            before = None
            continue
        row = {"month": month, "customers": len(now), "average_level": _mean(now.credit_level),
               "total_limit": float(pd.to_numeric(now.credit_limit, errors="coerce").sum()),
               "down": None, "up": None, "psi": None, "reading": None}
        if before is not None:
            joined = now.merge(before, on="customer_code", suffixes=("", "_before"))
            step = joined.credit_grade.map(rank) - joined.credit_grade_before.map(rank)
            row["down"], row["up"] = (step < 0).sum().item(), (step > 0).sum().item()
            row["psi"], _ = psi(before.credit_level, now.credit_level, edges)
            row["reading"] = psi_reading(row["psi"], model)
        rows.append(row)
        before = now
    return rows


def backtest(snapshot: pd.DataFrame, receivables: pd.DataFrame, after: str, until: str,
             model: ScoringModel) -> list[dict]:
    """Per grade of `snapshot`: customers, how many went past the model's overdue days in collection
    data dated after `after` up to `until` (YYYY-MM-DD), and their share."""
    days = model.credit.monitoring.backtest_overdue_days
    later = receivables[(receivables.as_of > after) & (receivables.as_of <= until)]
    late = set(later.customer_code[pd.to_numeric(later.overdue_days, errors="coerce") > days])
    rows = []
    for grade in reversed(model.credit.grades):
        codes = snapshot.customer_code[snapshot.credit_grade == grade.label]
        bad = int(codes.isin(late).sum())
        rows.append({"grade": grade.label, "customers": len(codes), "late": bad,
                     "share": float(bad / len(codes)) if len(codes) else None})
    return rows


def _mean(values) -> float | None:
    clean = _clean(values)
    return float(clean.mean()) if len(clean) else None
