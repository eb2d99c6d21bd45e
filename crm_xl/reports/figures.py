"""The figures of the monthly report: every number a manager reads, computed from scored customers.

The month is scored as of its last day and the previous month as of the day before it started,
with the same model and the same code as `crm-xl score`, so a movement between the two is a
real change in the customer's figures, never a change of method.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_xl.credit import monitoring
from crm_xl.fields import columns
from crm_xl.findings import CATALOGUE
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.rfm import Transactions, prepare_transactions
from crm_xl.scoring.tags import SEPARATOR

TOP_CUSTOMERS = 20
TREND_MONTHS = 12


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
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.DateOffset(months=1)


def build_figures(customers: pd.DataFrame, transactions: pd.DataFrame | None, month: str, model: ScoringModel,
                  previous_customers: pd.DataFrame | None = None, stale_months: int = 6,
                  pending_reviews: int | None = None, history: CreditHistory | None = None) -> ReportFigures:
    start, end = month_bounds(month)
    prev_start = start - pd.DateOffset(months=1)
    if transactions is not None and not isinstance(transactions, Transactions):
        transactions = prepare_transactions(transactions, Problems(len(transactions)))  # typed once, used 4 times
    if transactions is not None:  # orders of customers outside this report do not count in its figures
        transactions = transactions.only(customers["customer_code"].astype(str).str.strip())
    now = score_customers(customers, model, transactions=transactions, as_of=end)
    before = score_customers(previous_customers if previous_customers is not None else customers, model,
                             transactions=transactions, as_of=start)
    cur, prev = now.table(), before.table()
    figures = ReportFigures(month, prev_start.strftime("%Y-%m"), model.title, {})
    from_snapshot = False
    if previous_customers is None and history is not None:
        from_snapshot = _previous_from_snapshot(prev, cur, history, figures.previous_month)
    figures.snapshot = previous_customers is not None or from_snapshot
    in_month = _month_orders(transactions, start, end)
    in_prev = _month_orders(transactions, prev_start, start)
    earlier_orders = transactions is not None and bool(transactions.between(pd.Timestamp("1900-01-01"), start).any())
    figures.kpi = _kpis(cur, prev, in_month, in_prev, snapshot=figures.snapshot, history=earlier_orders)
    tier_labels = list(reversed(model.tiers[model.default_tier_preset].labels))  # top tier first
    for name, column, labels in (("tiers", "customer_tier", tier_labels),
                                 ("segments", "value_segment", model.value.labels),
                                 ("rfm", "rfm_segment", model.rfm.segment_labels)):
        figures.tables[name] = distribution(cur[column], prev[column], labels)
    figures.tables["grades"] = _grades(cur, prev, model)
    figures.tables["worse_grades"] = _worse_grades(cur, prev, model)
    figures.tables["top_customers"] = _top_customers(cur, in_month)
    figures.tables["tags"] = _tags(cur)
    figures.tables["quality"] = _quality(customers)
    figures.tables["stale_customers"] = _stale_customers(cur, end, stale_months)
    figures.tables["trend"] = _trend(transactions, end)
    figures.matrices["classes"] = _class_matrix(cur, model)
    figures.matrices["tier_moves"] = movement(prev.customer_tier, cur.customer_tier, tier_labels)
    figures.matrices["rfm_moves"] = movement(prev.rfm_segment, cur.rfm_segment, list(model.rfm.segment_labels))
    figures.kpi["stale"] = _stale(cur, end, stale_months)
    if previous_customers is None and not from_snapshot:
        figures.notes.append(CATALOGUE["snapshot-missing"].message(
            month=figures.previous_month, affects="last month is scored from this month's 5C scores (no --previous "
            f"file either), so only limits move; take it with crm-xl snapshot --month {figures.previous_month}"))
    _credit_monitoring(figures, cur, prev, history, month, model, compared=from_snapshot or previous_customers is not None)
    figures.kpi["pending_reviews"] = _kpi("Changes waiting for review", pending_reviews, None, good=None)
    if pending_reviews is None:
        figures.notes.append("Pending reviews are counted in the master data: report with --db to see them.")
    return figures


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


def _credit_monitoring(figures: ReportFigures, cur: pd.DataFrame, prev: pd.DataFrame, history: CreditHistory | None,
                       month: str, model: ScoringModel, compared: bool) -> None:
    """PSI of the credit level, the 12-month credit trend and the back-test, from the snapshots."""
    value, bins = monitoring.psi(prev.credit_level, cur.credit_level, model.credit.monitoring.psi_bins) \
        if compared else (None, [])
    figures.kpi["psi"] = {**_kpi("Credit level PSI vs last month", value, None),
                          "reading": monitoring.psi_reading(value, model)}
    figures.tables["psi_bins"] = bins
    figures.tables["credit_trend"], figures.tables["backtest"] = [], []
    figures.kpi["backtest"] = {"label": "", "value": None, "previous": None, "change": None}
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


def _month_orders(tx: Transactions | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per customer who ordered in [start, end): amount and number of orders."""
    if tx is None or not len(tx):
        return pd.DataFrame({"customer_code": [], "amount": [], "orders": []})
    inside = tx.between(start, end)
    k = len(tx.codes)
    orders = np.bincount(tx.customer[inside], minlength=k)
    amount = np.bincount(tx.customer[inside], weights=tx.amount[inside], minlength=k)
    ordered = orders > 0
    return pd.DataFrame({"customer_code": tx.codes[ordered], "amount": amount[ordered], "orders": orders[ordered]})


def _kpi(label: str, value, previous, good: str | None = "up") -> dict:
    """A figure with last month's value; `good` says which way is good news (up, down, or None: neither)."""
    change = None if value is None or previous is None else value - previous
    return {"label": label, "value": value, "previous": previous, "change": change, "good": good}


def _kpis(cur: pd.DataFrame, prev: pd.DataFrame, month: pd.DataFrame, before: pd.DataFrame, *,
          snapshot: bool = True, history: bool = True) -> dict:
    """Figures of the month and the one before. A figure from the customer table has no previous
    value without last month's table (`snapshot`), one from orders none without earlier orders
    (`history`): a change of +0 against the same data would be no news posing as news."""
    def was(value, known: bool):
        return value if known else None

    def share(frame, column, label):
        n = frame[column].notna().sum()
        return float((frame[column] == label).sum() / n) if n else None

    def mean(series):
        return None if series.dropna().empty else float(series.mean())

    return {
        "customers": _kpi("Customers", int(len(cur)), was(int(len(prev)), snapshot)),
        "active": _kpi("Customers who ordered", int(len(month)), was(int(len(before)), history)),
        "sales": _kpi("Sales amount", float(month["amount"].sum()), was(float(before["amount"].sum()), history)),
        "orders": _kpi("Orders", int(month["orders"].sum()), was(int(before["orders"].sum()), history)),
        "credit_level": _kpi("Average credit level", mean(cur.credit_level), was(mean(prev.credit_level), snapshot)),
        "credit_limit": _kpi("Total credit limit", float(cur.credit_limit.sum()),
                             was(float(prev.credit_limit.sum()), snapshot or history), good=None),
        "core_share": _kpi("Share of core customers", share(cur, "value_segment", "core"),
                           was(share(prev, "value_segment", "core"), snapshot)),
        "at_risk": _kpi("Customers at risk (RFM)", int(cur.rfm_segment.isin(["At Risk", "Can't Lose"]).sum()),
                        was(int(prev.rfm_segment.isin(["At Risk", "Can't Lose"]).sum()), history), good="down"),
    }


def distribution(now: pd.Series, before: pd.Series, labels) -> list[dict]:
    """Count and share per label this month, with last month's count and the change."""
    counts, previous = now.astype(object).value_counts(), before.astype(object).value_counts()
    total = int(counts.sum())
    return [{"label": label, "count": int(counts.get(label, 0)), "share": float(counts.get(label, 0) / total) if total else 0.0,
             "previous": int(previous.get(label, 0)), "change": int(counts.get(label, 0)) - int(previous.get(label, 0))}
            for label in labels]


def movement(before: pd.Series, now: pd.Series, labels: list[str]) -> dict:
    """How many customers went from each label (rows, last month) to each label (columns, this month)."""
    pairs = pd.crosstab(before.astype(object), now.astype(object))
    cells = [[int(pairs.at[a, b]) if a in pairs.index and b in pairs.columns else 0 for b in labels] for a in labels]
    return {"rows": list(labels), "columns": list(labels), "cells": cells, "corner": "from \\ to"}


def _grades(cur: pd.DataFrame, prev: pd.DataFrame, model: ScoringModel) -> list[dict]:
    labels = [g.label for g in reversed(model.credit.grades)]
    rows = distribution(cur.credit_grade, prev.credit_grade, labels)
    limits = cur.groupby(cur.credit_grade.astype(object))["credit_limit"].agg(["sum", "mean"])
    policies = {g.label: g.policy for g in model.credit.grades}
    for row in rows:
        row["limit_total"] = float(limits["sum"].get(row["label"], 0.0))
        row["limit_average"] = float(limits["mean"].get(row["label"], 0.0)) if row["count"] else 0.0
        row["policy"] = policies[row["label"]]
    return rows


def _worse_grades(cur: pd.DataFrame, prev: pd.DataFrame, model: ScoringModel) -> list[dict]:
    rank = {g.label: i for i, g in enumerate(model.credit.grades)}
    was = prev.drop_duplicates("customer_code").set_index(prev.customer_code.drop_duplicates().astype(str))
    previous = cur.customer_code.astype(str).map(was["credit_grade"].astype(object))
    now_rank = cur.credit_grade.astype(object).map(rank)
    before_rank = previous.map(rank)
    worse = cur[(now_rank < before_rank).to_numpy()]
    names = worse["store_name"] if "store_name" in worse else worse["customer_code"]
    return [{"code": str(code), "name": name, "previous": previous[i], "grade": grade,
             "limit": None if pd.isna(limit) else float(limit)}
            for i, code, name, grade, limit in zip(worse.index, worse.customer_code, names,
                                                   worse.credit_grade.astype(object), worse.credit_limit)]


def _top_customers(cur: pd.DataFrame, month: pd.DataFrame) -> list[dict]:
    if not len(month):
        return []
    top = month.nlargest(TOP_CUSTOMERS, "amount")
    info = cur.set_index(cur.customer_code.astype(str))
    rows = []
    for code, amount, orders in zip(top.customer_code, top.amount, top.orders):
        row = info.loc[code] if code in info.index else None
        get = (lambda c: None if row is None or c not in row or pd.isna(row[c]) else row[c])
        rows.append({"code": code, "name": get("store_name"), "amount": float(amount), "orders": int(orders),
                     "tier": get("customer_tier"), "grade": get("credit_grade"), "segment": get("value_segment")})
    return rows


def _tags(cur: pd.DataFrame) -> list[dict]:
    tags = cur.tags.dropna().astype(str).str.split(SEPARATOR).explode()
    counts = tags.value_counts()
    total = len(cur)
    return [{"label": k, "count": int(v), "share": float(v / total) if total else 0.0} for k, v in counts.items()]


def _quality(customers: pd.DataFrame) -> list[dict]:
    """Share of filled cells per input field the file has (system-generated fields left out)."""
    rows = []
    schema = columns()
    for name in customers.columns:
        spec = schema.get(name)
        if spec is None or spec.kind == "system":
            continue
        filled = customers[name].notna()  # readers turn empty and blank cells into None
        rows.append({"field": name, "group": spec.group, "filled": int(filled.sum()),
                     "empty": int((~filled).sum()), "completeness": float(filled.mean()) if len(filled) else 1.0})
    return sorted(rows, key=lambda r: r["completeness"])


def _stale(cur: pd.DataFrame, end: pd.Timestamp, months: int) -> dict:
    """Customers whose record was not updated for `months` months (master data), else with no order for as long."""
    if "updated_at" in cur.columns:
        updated = pd.to_datetime(cur["updated_at"], errors="coerce")
        cutoff = end - pd.DateOffset(months=months)
        return _kpi(f"Records not updated for {months}+ months", int(((updated < cutoff) | updated.isna()).sum()), None,
                    good="down")
    if "last_order_date" not in cur.columns:
        return _kpi(f"No order for {months}+ months", None, None, good="down")
    last = pd.to_datetime(cur["last_order_date"], errors="coerce")
    cutoff = end - pd.DateOffset(months=months)
    return _kpi(f"No order for {months}+ months", int(((last < cutoff) | last.isna()).sum()), None, good="down")


STALE_LISTED = 100  # the Data quality sheet lists the longest silent; the Summary counts them all


def _stale_customers(cur: pd.DataFrame, end: pd.Timestamp, months: int) -> list[dict]:
    """The customers with no order for `months`+ months (or none at all), longest silent first."""
    if "last_order_date" not in cur.columns:
        return []
    last = pd.to_datetime(cur["last_order_date"], errors="coerce")
    cutoff = end - pd.DateOffset(months=months)
    silent = cur.loc[((last < cutoff) | last.isna()).to_numpy()].assign(_last=last)
    silent = silent.sort_values("_last", na_position="first").head(STALE_LISTED)
    rows = []
    for _, r in silent.iterrows():
        when = r["_last"]
        known = {c: (None if pd.isna(r.get(c)) else r.get(c)) for c in ("store_name", "account_manager")}
        rows.append({"code": r["customer_code"], "name": known["store_name"], "manager": known["account_manager"],
                     "last_order": None if pd.isna(when) else when.date().isoformat(),
                     "months": None if pd.isna(when) else int((end - when).days // 30)})
    return rows


def _trend(tx: Transactions | None, end: pd.Timestamp) -> list[dict]:
    if tx is None or not len(tx):
        return []
    rows = []
    for m in pd.period_range(end - pd.DateOffset(months=TREND_MONTHS), end - pd.Timedelta(days=1), freq="M"):
        month = _month_orders(tx, m.start_time, m.end_time + pd.Timedelta(1, "ns"))
        rows.append({"month": m.strftime("%Y-%m"), "active": int(len(month)), "orders": int(month.orders.sum()),
                     "amount": float(month.amount.sum())})
    return rows


def _class_matrix(cur: pd.DataFrame, model: ScoringModel) -> dict:
    """Customers per class: formats down, market x scale across (the 42 classes)."""
    cls = model.classification
    counts = cur.class_code.astype(object).value_counts()
    cols = [(m, s) for m in cls.markets for s in cls.scales]
    cells = [[int(counts.get(m.code + f.code + s.code, 0)) for m, s in cols] for f in cls.formats]
    return {"rows": [f"{f.code} {f.label}" for f in cls.formats],
            "columns": [f"{m.code}{s.code} {m.label} {s.label}" for m, s in cols], "cells": cells}



