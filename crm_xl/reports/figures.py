"""The figures of the monthly report: every number a manager reads, computed from scored customers.

The month is scored as of its last day and the previous month as of the day before it started,
with the same model and the same code as `crm-xl score`, so a movement between the two is a
real change in the customer's figures, never a change of method.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.credit import monitoring
from crm_xl.findings import CATALOGUE
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.rfm import Transactions, prepare_transactions
from crm_xl.reports import parts
from crm_xl.reports.parts import STALE_LISTED, TOP_CUSTOMERS, TREND_MONTHS  # noqa: F401 - the report's limits


@dataclass
class CreditHistory:
    """What the store remembers: monthly snapshots and collection data (crm_xl.store.credit)."""

    snapshots: pd.DataFrame  # month, customer_code and the snapshot columns
    receivables: pd.DataFrame  # as_of, customer_code, overdue_days


@dataclass
class ReportFigures:
    month: str
    previous_month: str
    model: str
    kpi: dict  # name -> {"label", "value", "previous", "change"}
    tables: dict = field(default_factory=dict)  # name -> list of row dicts
    matrices: dict = field(default_factory=dict)  # name -> {"rows": [...], "columns": [...], "cells": [[...]]}
    notes: list = field(default_factory=list)  # what could not be computed, and why
    snapshot: bool = True  # last month's customer table was given: grade changes are real changes


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day of the month and first day of the next."""
    start = values.month_start(month)
    if start is None:  # checked where the month is given (reports.monthly.check_request)
        raise ValueError(f"{month!r}: {values.MONTH_PROBLEM}")
    return start, start + pd.DateOffset(months=1)


def build_figures(customers: pd.DataFrame, transactions: pd.DataFrame | None, month: str, model: ScoringModel,
                  previous_customers: pd.DataFrame | None = None, stale_months: int = 6,
                  pending_reviews: int | None = None, history: CreditHistory | None = None) -> ReportFigures:
    start, end = month_bounds(month)
    if transactions is not None and not isinstance(transactions, Transactions):
        transactions = prepare_transactions(transactions, Problems(len(transactions)))  # typed once, used 3 times
    if transactions is not None:  # orders of customers outside this report do not count in its figures
        transactions = transactions.only(customers["customer_code"].astype(str).str.strip())
    now = score_customers(customers, model, transactions=transactions, as_of=end)
    before = score_customers(previous_customers if previous_customers is not None else customers, model,
                             transactions=transactions, as_of=start)
    cur, prev = now.table(), before.table()
    from_snapshot = False
    if previous_customers is None and history is not None:
        from_snapshot = _previous_from_snapshot(prev, cur, history, month_label(start - pd.DateOffset(months=1)))
    orders = parts.orders_part(parts.orders_per_code(transactions, end)) if transactions is not None else None
    positions = np.arange(len(cur))
    month_parts = MonthParts(
        now=parts.side_part(cur, model), before=parts.side_part(prev, model),
        moves=parts.moves_part(cur, parts.aligned_before(cur, prev, by_code=previous_customers is not None), model,
                               positions),
        current=parts.current_part(cur, customers, end, stale_months, parts.top_codes(orders) if orders else [],
                                   positions),
        has_updated="updated_at" in cur.columns)
    figures = figures_from_parts(month, model, month_parts, orders, stale_months,
                                 snapshot=previous_customers is not None or from_snapshot)
    return with_history_and_notes(figures, model, cur, history, pending_reviews,
                                  snapshot_missing=previous_customers is None and not from_snapshot)


def with_history_and_notes(figures: ReportFigures, model: ScoringModel, cur: pd.DataFrame | None,
                           history: CreditHistory | None, pending_reviews: int | None,
                           snapshot_missing: bool) -> ReportFigures:
    """What the store adds (credit trend, back-test, pending reviews), or notes saying it is missing."""
    if snapshot_missing:
        figures.notes.append(CATALOGUE["snapshot-missing"].message(
            month=figures.previous_month, affects="last month is scored from this month's 5C scores (no --previous "
            f"file either), so only limits move; take it with crm-xl snapshot --month {figures.previous_month}"))
    _credit_history(figures, cur, history, figures.month, model)
    figures.kpi["pending_reviews"] = _kpi("Changes waiting for review", pending_reviews, None, good=None)
    if pending_reviews is None:
        figures.notes.append("Pending reviews are counted in the master data: report with --db to see them.")
    return figures


def month_label(day: pd.Timestamp) -> str:
    return day.strftime("%Y-%m")


@dataclass
class MonthParts:
    """The customers' side of the figures, added up over the parts (crm_xl.reports.parts)."""

    now: dict  # side_part of this month's scored customers
    before: dict  # side_part of last month's
    moves: dict  # moves_part: last month's label beside this month's, per customer
    current: dict  # current_part: tags, stale customers, filled cells, the top customers' names
    has_updated: bool  # the table has updated_at (master data): stale means not updated


def figures_from_parts(month: str, model: ScoringModel, p: MonthParts, orders: dict | None, stale_months: int,
                       snapshot: bool) -> ReportFigures:
    """Every figure of the month from the added-up parts; the same for one part or many."""
    start, end = month_bounds(month)
    orders = orders or _no_orders()
    figures = ReportFigures(month, month_label(start - pd.DateOffset(months=1)), model.title, {}, snapshot=snapshot)
    figures.kpi = _kpis(p.now, p.before, orders, snapshot=snapshot, history=orders["earlier"] > 0)
    tier_labels = list(reversed(model.tiers[model.default_tier_preset].labels))  # top tier first
    for name, column, labels in (("tiers", "customer_tier", tier_labels),
                                 ("segments", "value_segment", model.value.labels),
                                 ("rfm", "rfm_segment", model.rfm.segment_labels)):
        figures.tables[name] = distribution_of_counts(p.now["labels"][column], p.before["labels"][column], labels)
    figures.tables["grades"] = _grades(p.now, p.before, model)
    figures.tables["worse_grades"] = parts.worse_rows(p.moves["worse"])
    figures.tables["top_customers"] = parts.top_rows(orders, p.current["top_info"])
    figures.tables["tags"] = parts.tag_rows(p.current["tags"], p.now["rows"], model)
    figures.tables["quality"] = parts.quality_rows(p.current["quality"], p.current["quality_rows"])
    figures.tables["stale_customers"] = parts.stale_rows(p.current["stale_rows"], end)
    figures.tables["trend"] = parts.trend_rows(orders, end)
    figures.matrices["classes"] = _class_matrix(p.now["labels"]["class_code"], model)
    figures.matrices["tier_moves"] = movement_of_counts(p.moves["tier_moves"], tier_labels)
    figures.matrices["rfm_moves"] = movement_of_counts(p.moves["rfm_moves"], list(model.rfm.segment_labels))
    figures.kpi["stale"] = parts.stale_kpi(p.current["stale"], p.has_updated, stale_months)
    _psi(figures, p.before["psi_bins"], p.now["psi_bins"], model, compared=snapshot)
    return figures


def _no_orders() -> dict:
    zeros = np.zeros(parts.TREND_MONTHS)
    return {"active": zeros, "orders": zeros, "amount": zeros, "earlier": 0, "all": 0,
            "top": pd.DataFrame({"code": [], "amount": [], "orders": [], "first": []})}


def _previous_from_snapshot(prev: pd.DataFrame, cur: pd.DataFrame, history: CreditHistory, month: str) -> bool:
    """Last month's grades, limits, tiers, segments and RFM cells as the snapshot kept them, row for row."""
    snap = history.snapshots[history.snapshots.month == month]
    if not len(snap):
        return False
    kept = snap.drop_duplicates("customer_code").set_index("customer_code")
    codes = cur.customer_code.astype(str)
    for name in ("credit_level", "credit_grade", "credit_limit", "customer_tier", "class_code", "value_segment",
                 "rfm_segment"):
        prev[name] = codes.map(kept[name]).to_numpy()
    return True


def _psi(figures: ReportFigures, before: np.ndarray, now: np.ndarray, model: ScoringModel, compared: bool) -> None:
    """PSI of the credit level against last month's (only when last month's figures are real)."""
    value, bins = monitoring.psi_of_counts(before, now, model.credit.monitoring.psi_bins) if compared else (None, [])
    figures.kpi["psi"] = {**_kpi("Credit level PSI vs last month", value, None),
                          "reading": monitoring.psi_reading(value, model)}
    figures.tables["psi_bins"] = bins
    figures.tables["credit_trend"], figures.tables["backtest"] = [], []
    figures.kpi["backtest"] = {"label": "", "value": None, "previous": None, "change": None}


def _credit_history(figures: ReportFigures, cur: pd.DataFrame | None, history: CreditHistory | None, month: str,
                    model: ScoringModel) -> None:
    """The 12-month credit trend and the back-test, from the store's snapshots."""
    if history is None:
        figures.notes.append("Credit trend, stability and back-test come from the store's snapshots: report with --db.")
        return
    months = [p.strftime("%Y-%m") for p in pd.period_range(end=month, periods=TREND_MONTHS, freq="M")]
    now = cur[["customer_code", "credit_level", "credit_grade", "credit_limit"]].assign(month=month)
    now["credit_grade"] = now.credit_grade.astype(object)
    earlier = history.snapshots[history.snapshots.month.isin(months[:-1])]
    figures.tables["credit_trend"] = monitoring.trend(pd.concat([earlier, now], ignore_index=True), months, model)
    _backtest(figures, history, month, model)


def _backtest(figures: ReportFigures, history: CreditHistory, month: str, model: ScoringModel) -> None:
    rules = model.credit.monitoring
    _, end = month_bounds(month)
    taken = sorted(m for m in history.snapshots.month.unique() if m < month)
    wanted = (pd.Period(month, "M") - rules.backtest_months).strftime("%Y-%m")
    base = wanted if wanted in taken else (taken[0] if taken else None)
    if base is None or not len(history.receivables):
        figures.notes.append("No back-test: it needs an earlier snapshot and collection data "
                             "(crm-xl credit balances) dated after it.")
        return
    _, after = month_bounds(base)
    figures.tables["backtest"] = monitoring.backtest(
        history.snapshots[history.snapshots.month == base], history.receivables,
        (after - pd.Timedelta(days=1)).strftime("%Y-%m-%d"), (end - pd.Timedelta(days=1)).strftime("%Y-%m-%d"), model)
    figures.kpi["backtest"] = {"label": f"Grades of {base}: share of customers more than "
                                        f"{rules.backtest_overdue_days:g} days overdue by {month}",
                               "value": base, "previous": None, "change": None}


def _kpi(label: str, value, previous, good: str | None = "up") -> dict:
    """A figure with last month's value; `good` says which way is good news (up, down, or None: neither)."""
    change = None if value is None or previous is None else value - previous
    return {"label": label, "value": value, "previous": previous, "change": change, "good": good}


def _kpis(now: dict, before: dict, orders: dict, *, snapshot: bool = True, history: bool = True) -> dict:
    """Figures of the month and the one before. A figure from the customer table has no previous
    value without last month's table (`snapshot`), one from orders none without earlier orders
    (`history`): a change of +0 against the same data would be no news posing as news."""
    def was(value, known: bool):
        return value if known else None

    def share(side, column, label):
        n = side["labels"][column].sum()
        return float(side["labels"][column].get(label, 0) / n) if n else None

    def mean(side):
        return side["level_sum"] / side["level_n"] if side["level_n"] else None

    def at_risk(side):
        return int(side["labels"]["rfm_segment"].reindex(["At Risk", "Can't Lose"]).fillna(0).sum())

    def month(name, i, kind=int):
        return kind(orders[name][i])

    return {
        "customers": _kpi("Customers", int(now["rows"]), was(int(before["rows"]), snapshot)),
        "active": _kpi("Customers who ordered", month("active", -1), was(month("active", -2), history)),
        "sales": _kpi("Sales amount", month("amount", -1, float), was(month("amount", -2, float), history)),
        "orders": _kpi("Orders", month("orders", -1), was(month("orders", -2), history)),
        "credit_level": _kpi("Average credit level", mean(now), was(mean(before), snapshot)),
        "credit_limit": _kpi("Total credit limit", now["limit_total"], was(before["limit_total"], snapshot or history),
                             good=None),
        "core_share": _kpi("Share of core customers", share(now, "value_segment", "core"),
                           was(share(before, "value_segment", "core"), snapshot)),
        "at_risk": _kpi("Customers at risk (RFM)", at_risk(now), was(at_risk(before), history), good="down"),
    }


def distribution(now: pd.Series, before: pd.Series, labels) -> list[dict]:
    """Count and share per label this month, with last month's count and the change."""
    return distribution_of_counts(now.astype(object).value_counts(), before.astype(object).value_counts(), labels)


def distribution_of_counts(counts: pd.Series, previous: pd.Series, labels) -> list[dict]:
    total = int(counts.sum())
    return [{"label": label, "count": int(counts.get(label, 0)), "share": float(counts.get(label, 0) / total) if total else 0.0,
             "previous": int(previous.get(label, 0)), "change": int(counts.get(label, 0)) - int(previous.get(label, 0))}
            for label in labels]


def movement(before: pd.Series, now: pd.Series, labels: list[str]) -> dict:
    """How many customers went from each label (rows, last month) to each label (columns, this month)."""
    return movement_of_counts(parts.pair_counts(before, now), labels)


def movement_of_counts(pairs: pd.Series, labels: list[str]) -> dict:
    cells = [[int(pairs.get((a, b), 0)) for b in labels] for a in labels]
    return {"rows": list(labels), "columns": list(labels), "cells": cells, "corner": "from \\ to"}


def _grades(now: dict, before: dict, model: ScoringModel) -> list[dict]:
    labels = [g.label for g in reversed(model.credit.grades)]
    rows = distribution_of_counts(now["labels"]["credit_grade"], before["labels"]["credit_grade"], labels)
    policies = {g.label: g.policy for g in model.credit.grades}
    for row in rows:
        total, n = float(now["limit_sum"].get(row["label"], 0.0)), int(now["limit_n"].get(row["label"], 0))
        row["limit_total"] = total
        row["limit_average"] = (total / n if n else float("nan")) if row["count"] else 0.0
        row["policy"] = policies[row["label"]]
    return rows


def _class_matrix(counts: pd.Series, model: ScoringModel) -> dict:
    """Customers per class: formats down, market x scale across (the 42 classes)."""
    cls = model.classification
    cols = [(m, s) for m in cls.markets for s in cls.scales]
    cells = [[int(counts.get(m.code + f.code + s.code, 0)) for m, s in cols] for f in cls.formats]
    return {"rows": [f"{f.code} {f.label}" for f in cls.formats],
            "columns": [f"{m.code}{s.code} {m.label} {s.label}" for m, s in cols], "cells": cells}
