"""The report's figures as aggregates of parts: each function here reads some of the rows and returns
small counts and sums that add up (`add_up`), so the figures need never see the whole table at once.

The pandas path calls each function once on the whole table; the dask engine (crm_xl.engines.report)
calls it per partition and adds the parts. Either way the figures come from the same code. Where
the order of rows decides (the longest-silent customers, the worse grades, ties among the top
customers) each row carries its position in the whole table (`positions`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.credit import monitoring
from crm_xl.fields import columns
from crm_xl.model import ScoringModel
from crm_xl.scoring.rfm import Transactions
from crm_xl.scoring.tags import SEPARATOR

TOP_CUSTOMERS = 20
TREND_MONTHS = 12
STALE_LISTED = 100  # the Data quality sheet lists the longest silent; the Summary counts them all
LABELLED = ("credit_grade", "customer_tier", "value_segment", "rfm_segment", "class_code")
PAIRED = ("credit_grade", "customer_tier", "rfm_segment")  # last month's label beside this month's
POS = "__pos"  # a row's position in the whole table


def add_up(parts: list):
    """Parts combined: counts and sums added (by label), row lists put together, None stays None."""
    first = parts[0]
    if isinstance(first, dict):
        return {k: add_up([p[k] for p in parts]) for k in first}
    if first is None:
        return None
    if isinstance(first, pd.Series):
        kept = [p for p in parts if len(p)] or [first]  # an empty part's index may lack the levels
        return pd.concat(kept).groupby(level=list(range(kept[0].index.nlevels)), sort=False).sum()
    if isinstance(first, pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return sum(parts[1:], first)


# one month's scored customers -----------------------------------------------------------------

def side_part(table: pd.DataFrame, model: ScoringModel) -> dict:
    """Label counts, limits and levels of some scored customers of one month."""
    grade = table["credit_grade"].astype(object)
    limit = pd.to_numeric(table["credit_limit"], errors="coerce").astype(float)
    level = pd.to_numeric(table["credit_level"], errors="coerce").to_numpy(float)
    return {"rows": len(table),
            "labels": {c: table[c].astype(object).value_counts(sort=False) for c in LABELLED},
            "limit_sum": limit.groupby(grade).sum(), "limit_n": limit.groupby(grade).count(),
            "limit_total": float(limit.sum()),
            "level_sum": float(np.nansum(level)), "level_n": int(np.count_nonzero(~np.isnan(level))),
            "psi_bins": monitoring.bin_counts(level, model.credit.monitoring.psi_bins)}


def aligned_before(cur: pd.DataFrame, prev: pd.DataFrame, by_code: bool) -> pd.DataFrame:
    """Last month's labels beside each of this month's rows: the same row when last month was scored
    from this table, else the first row of last month's table with the same customer code."""
    if not by_code:
        return pd.DataFrame({c: prev[c].astype(object).to_numpy() for c in PAIRED})
    first = prev.drop_duplicates("customer_code")
    first = first.set_axis(first["customer_code"].astype(str).to_numpy())
    codes = cur["customer_code"].astype(str)
    return pd.DataFrame({c: codes.map(first[c].astype(object)).to_numpy() for c in PAIRED})


def moves_part(cur: pd.DataFrame, before: pd.DataFrame, model: ScoringModel, positions: np.ndarray) -> dict:
    """Pairs of (last month, this month) labels counted, and the customers whose grade got worse."""
    return {"tier_moves": pair_counts(before["customer_tier"], cur["customer_tier"]),
            "rfm_moves": pair_counts(before["rfm_segment"], cur["rfm_segment"]),
            "worse": _worse(cur, before["credit_grade"], model, positions)}


def pair_counts(before, now) -> pd.Series:
    pairs = pd.DataFrame({"before": np.asarray(before, object), "now": np.asarray(now, object)})
    return pairs.value_counts(sort=False)  # pairs with a missing label are left out


def _worse(cur: pd.DataFrame, before_grade, model: ScoringModel, positions: np.ndarray) -> pd.DataFrame:
    rank = {g.label: i for i, g in enumerate(model.credit.grades)}
    previous = pd.Series(np.asarray(before_grade, object), index=cur.index)
    worse = (cur["credit_grade"].astype(object).map(rank) < previous.map(rank)).to_numpy()
    rows = cur[worse]
    names = rows["store_name"] if "store_name" in rows else rows["customer_code"]
    return pd.DataFrame({"code": rows["customer_code"].astype(str).to_numpy(), "name": names.to_numpy(),
                         "previous": previous[worse].to_numpy(),
                         "grade": rows["credit_grade"].astype(object).to_numpy(),
                         "limit": rows["credit_limit"].to_numpy(float), POS: positions[worse]})


def worse_rows(worse: pd.DataFrame) -> list[dict]:
    worse = worse.sort_values(POS, kind="stable")
    return [{"code": code, "name": name, "previous": was, "grade": grade,
             "limit": None if pd.isna(limit) else float(limit)}
            for code, name, was, grade, limit in zip(worse.code, worse.name, worse.previous, worse.grade, worse.limit)]


# this month's customers only ------------------------------------------------------------------

def current_part(cur: pd.DataFrame, raw: pd.DataFrame, end: pd.Timestamp, stale_months: int,
                 top_codes: list[str], positions: np.ndarray) -> dict:
    return {"tags": _tag_counts(cur), "stale": _stale_count(cur, end, stale_months),
            "stale_rows": _stale_rows(cur, end, stale_months, positions), "quality": _filled(raw),
            "quality_rows": len(raw), "top_info": _top_info(cur, top_codes, positions)}


def _tag_counts(cur: pd.DataFrame) -> pd.Series:
    return cur["tags"].dropna().astype(str).str.split(SEPARATOR).explode().value_counts(sort=False)


def tag_rows(counts: pd.Series, rows: int, model: ScoringModel) -> list[dict]:
    """Most frequent tag first; equal counts in the model's order of tags."""
    order = {rule.label: i for i, rule in enumerate(model.tags)}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]))
    return [{"label": k, "count": int(v), "share": float(v / rows) if rows else 0.0} for k, v in ranked if v]


def _filled(raw: pd.DataFrame) -> pd.Series:
    """Filled cells per input field the file has (system-generated fields left out)."""
    schema = columns()
    names = [n for n in raw.columns if n in schema and schema[n].kind != "system"]
    return pd.Series([int(raw[n].notna().sum()) for n in names], index=pd.Index(names, dtype=object), dtype=np.int64)


def quality_rows(filled: pd.Series, rows: int) -> list[dict]:
    schema = columns()
    out = [{"field": name, "group": schema[name].group, "filled": int(n), "empty": int(rows - n),
            "completeness": float(n / rows) if rows else 1.0} for name, n in filled.items()]
    return sorted(out, key=lambda r: r["completeness"])


def _last_order(cur: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(cur["last_order_date"], errors="coerce")


def _stale_count(cur: pd.DataFrame, end: pd.Timestamp, months: int) -> int | None:
    """Records not updated for `months` months (master data), else customers with no order for as long."""
    cutoff = end - pd.DateOffset(months=months)
    if "updated_at" in cur.columns:
        updated = pd.to_datetime(cur["updated_at"], errors="coerce")
        return int(((updated < cutoff) | updated.isna()).sum())
    if "last_order_date" not in cur.columns:
        return None
    last = _last_order(cur)
    return int(((last < cutoff) | last.isna()).sum())


def stale_kpi(count: int | None, has_updated: bool, months: int) -> dict:
    label = f"Records not updated for {months}+ months" if has_updated else f"No order for {months}+ months"
    return {"label": label, "value": count, "previous": None, "change": None, "good": "down"}


def _stale_rows(cur: pd.DataFrame, end: pd.Timestamp, months: int, positions: np.ndarray) -> pd.DataFrame | None:
    """This part's longest-silent customers (no order for `months`+ months, or none), at most as many as listed."""
    if "last_order_date" not in cur.columns:
        return None
    last = _last_order(cur)
    silent = ((last < end - pd.DateOffset(months=months)) | last.isna()).to_numpy()
    rows = pd.DataFrame({"code": cur["customer_code"].to_numpy(), "name": _column(cur, "store_name"),
                         "manager": _column(cur, "account_manager"), "last": last.to_numpy("datetime64[s]"),
                         POS: positions})[silent]
    return _longest_silent(rows)


def _longest_silent(rows: pd.DataFrame) -> pd.DataFrame:
    """Never ordered first, then the oldest last order; equal dates in table order."""
    order = np.lexsort((rows[POS].to_numpy(), rows["last"].to_numpy().view(np.int64)))  # NaT is the smallest
    return rows.iloc[order[:STALE_LISTED]]


def stale_rows(rows: pd.DataFrame | None, end: pd.Timestamp) -> list[dict]:
    if rows is None:
        return []
    out = []
    for code, name, manager, when in zip(*(_longest_silent(rows)[c] for c in ("code", "name", "manager", "last"))):
        known = pd.notna(when)
        out.append({"code": code, "name": _value(name), "manager": _value(manager),
                    "last_order": pd.Timestamp(when).date().isoformat() if known else None,
                    "months": int((end - pd.Timestamp(when)).days // 30) if known else None})
    return out


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(object) if name in frame.columns else np.full(len(frame), None, object)


def _value(v):
    return None if v is None or pd.isna(v) else v


INFO = {"name": "store_name", "tier": "customer_tier", "grade": "credit_grade", "segment": "value_segment"}


def _top_info(cur: pd.DataFrame, codes: list[str], positions: np.ndarray) -> pd.DataFrame:
    """Store name, tier, grade and segment of the top customers (their first row) in this part."""
    keys = cur["customer_code"].astype(str)
    mine = keys.isin(codes).to_numpy()
    rows = pd.DataFrame({"code": keys.to_numpy()[mine], POS: positions[mine],
                         **{k: _column(cur, c)[mine] for k, c in INFO.items()}})
    return rows.drop_duplicates("code")


# orders -----------------------------------------------------------------------------------------

def trend_months(end: pd.Timestamp) -> pd.PeriodIndex:
    return pd.period_range(end - pd.DateOffset(months=TREND_MONTHS), end - pd.Timedelta(days=1), freq="M")


def orders_per_code(tx: Transactions, end: pd.Timestamp, first_row: int = 0) -> pd.DataFrame:
    """Per customer code: orders and amount in each of the trend's months, orders before the month
    reported on, every order, and the code's first row (the order of first appearance breaks ties)."""
    months = trend_months(end)
    edges = np.array([m.start_time for m in months] + [end], dtype="datetime64[s]")
    month = np.searchsorted(edges, tx.date, side="right") - 1
    inside = ~np.isnat(tx.date) & (month >= 0) & (month < len(months))
    k, n = len(tx.codes), len(months)
    cell = tx.customer[inside] * n + month[inside]
    orders = np.bincount(cell, minlength=k * n).reshape(k, n)
    amount = np.bincount(cell, weights=tx.amount[inside], minlength=k * n).reshape(k, n)
    first = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first, tx.customer, np.arange(len(tx), dtype=np.int64) + first_row)
    earlier = tx.between(pd.Timestamp("1900-01-01"), months[-1].start_time)  # before the month reported on
    return pd.DataFrame({**{f"orders_{i}": orders[:, i] for i in range(n)},
                         **{f"amount_{i}": amount[:, i] for i in range(n)},
                         "earlier": np.bincount(tx.customer[earlier], minlength=k),
                         "all": np.bincount(tx.customer, minlength=k), "first": first},
                        index=pd.Index(tx.codes, name="customer_code"))


COMBINE_ORDERS = {**{f"orders_{i}": "sum" for i in range(TREND_MONTHS)},
                  **{f"amount_{i}": "sum" for i in range(TREND_MONTHS)}, "earlier": "sum", "all": "sum",
                  "first": "min"}


def orders_part(per_code: pd.DataFrame) -> dict:
    """Per month: customers who ordered, orders and amount; the part's candidates for top customers."""
    orders = per_code[[f"orders_{i}" for i in range(TREND_MONTHS)]].to_numpy()
    amount = per_code[[f"amount_{i}" for i in range(TREND_MONTHS)]].to_numpy()
    month = per_code[per_code[f"orders_{TREND_MONTHS - 1}"] > 0]
    top = pd.DataFrame({"code": month.index.to_numpy(object), "amount": month[f"amount_{TREND_MONTHS - 1}"].to_numpy(),
                        "orders": month[f"orders_{TREND_MONTHS - 1}"].to_numpy(), "first": month["first"].to_numpy()})
    return {"active": (orders > 0).sum(axis=0), "orders": orders.sum(axis=0), "amount": amount.sum(axis=0),
            "earlier": int(per_code["earlier"].sum()), "all": int(per_code["all"].sum()), "top": _top(top)}


def _top(candidates: pd.DataFrame) -> pd.DataFrame:
    """The largest amounts of the month; equal amounts in order of the customer's first order row."""
    order = np.lexsort((candidates["first"].to_numpy(), -candidates["amount"].to_numpy()))
    return candidates.iloc[order[:TOP_CUSTOMERS]]


def top_codes(orders: dict) -> list[str]:
    return [str(c) for c in _top(orders["top"])["code"]]


def top_rows(orders: dict, info: pd.DataFrame) -> list[dict]:
    first = info.sort_values(POS, kind="stable").drop_duplicates("code").set_index("code")
    rows = []
    for code, amount, count in zip(*(_top(orders["top"])[c] for c in ("code", "amount", "orders"))):
        known = first.loc[code] if code in first.index else None
        rows.append({"code": code, "name": None if known is None else _value(known["name"]),
                     "amount": float(amount), "orders": int(count),
                     **{k: None if known is None else _value(known[k]) for k in ("tier", "grade", "segment")}})
    return rows


def trend_rows(orders: dict, end: pd.Timestamp) -> list[dict]:
    if not orders["all"]:
        return []
    return [{"month": m.strftime("%Y-%m"), "active": int(a), "orders": int(o), "amount": float(s)}
            for m, a, o, s in zip(trend_months(end), orders["active"], orders["orders"], orders["amount"])]
