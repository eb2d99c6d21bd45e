"""Behaviour (RFM): per-customer figures from transactions, 1-5 scores and R x F segments."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.model.schema import RfmDimension, RfmModel
from crm_xl.scoring.inputs import dates, numbers
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.ranks import equal_frequency

QUINTILES = 5
SYSTEM_COLUMNS = ("last_order_date", "orders_12m", "amount_12m", "avg_monthly_qty", "avg_monthly_amount")


def default_as_of(last_order: np.ndarray) -> pd.Timestamp:
    """The day after the latest order: a run over the same data always gives the same recency."""
    latest = pd.Series(last_order).max()
    return (latest.normalize() + pd.Timedelta(days=1)) if pd.notna(latest) else pd.Timestamp.today().normalize()


def summarise_transactions(tx: pd.DataFrame, as_of: pd.Timestamp | None, window_months: int,
                           problems: Problems) -> tuple[pd.DataFrame, pd.Timestamp]:
    """System-generated customer figures from a transaction table (customer_code, date, quantity, amount).

    Orders inside the window (window_months before as_of) count for frequency, amounts and
    monthly averages; the latest order of all counts for recency.
    """
    when = dates(tx, "date", problems)
    qty = numbers(tx, "quantity", problems)
    amount = numbers(tx, "amount", problems)
    code = tx["customer_code"].astype(str).str.strip().to_numpy(dtype=object)
    as_of = as_of if as_of is not None else default_as_of(when)
    start = as_of - pd.DateOffset(months=window_months)
    inside = (when >= start.to_datetime64()) & (when < as_of.to_datetime64())
    frame = pd.DataFrame({"customer_code": code, "date": when,
                          "qty": np.where(inside, np.nan_to_num(qty), 0.0),
                          "amount": np.where(inside, np.nan_to_num(amount), 0.0),
                          "order": inside.astype(np.int64)})
    frame = frame[frame["date"] < as_of.to_datetime64()]
    g = frame.groupby("customer_code", sort=False)
    out = pd.DataFrame({
        "last_order_date": g["date"].max(),
        "orders_12m": g["order"].sum(),
        "amount_12m": g["amount"].sum(),
        "avg_monthly_qty": g["qty"].sum() / window_months,
        "avg_monthly_amount": g["amount"].sum() / window_months,
    })
    return out, as_of


@dataclass
class RfmScores:
    r: np.ndarray  # 1..5, 0 where unscored
    f: np.ndarray
    m: np.ndarray
    segment: pd.Categorical


def scores(recency_days: np.ndarray, frequency: np.ndarray, monetary: np.ndarray,
           model: RfmModel, problems: Problems) -> RfmScores:
    """1-5 scores (5 best, recency reversed) and the R x F segment; customers without orders get none."""
    ordered = ~np.isnan(frequency) & (frequency > 0) & ~np.isnan(recency_days)
    problems.add("no-orders", "orders_12m", frequency == 0, months=model.window_months)
    money = np.round(monetary, model.money_decimals)
    r = _score(np.where(ordered, recency_days, np.nan), model.recency, "recency", problems, reverse=True)
    f = _score(np.where(ordered, frequency, np.nan), model.frequency, "frequency", problems)
    m = _score(np.where(ordered, money, np.nan), model.monetary, "monetary", problems)
    scored = (r > 0) & (f > 0)
    seg = np.where(scored, model.grid[np.maximum(r - 1, 0), np.maximum(f - 1, 0)], -1)
    return RfmScores(r, f, m, pd.Categorical.from_codes(seg, categories=list(model.segment_labels)))


def _score(values: np.ndarray, dim: RfmDimension, name: str, problems: Problems,
           reverse: bool = False) -> np.ndarray:
    valid = ~np.isnan(values)
    if dim.method == "bands":
        idx = dim.bands.index(values)
        problems.add("below-bands", name, valid & (idx < 0), values, low=display_value(dim.bands.edges[0]))
        out = np.asarray(dim.bands.labels, np.int64)[np.maximum(idx, 0)]
        return np.where(idx < 0, 0, out)
    count = int(valid.sum())
    if 0 < count < QUINTILES:
        problems.add("needs-population", name, valid, method="quintile", needed=QUINTILES, count=count)
        return np.zeros(len(values), np.int64)
    return equal_frequency(-values if reverse else values, QUINTILES)


def recency_days(last_order: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    delta = (as_of.to_datetime64() - last_order.astype("datetime64[ns]")) / np.timedelta64(1, "D")
    return np.floor(delta)


def from_customers(frame: pd.DataFrame, model: RfmModel, as_of: pd.Timestamp | None,
                   problems: Problems) -> tuple[RfmScores, pd.Timestamp]:
    """RFM over the customer table's system-generated columns (last order, orders, amount)."""
    last = dates(frame, "last_order_date", problems)
    as_of = as_of if as_of is not None else default_as_of(last)
    return scores(recency_days(last, as_of), numbers(frame, "orders_12m", problems, required=True),
                  numbers(frame, "amount_12m", problems), model, problems), as_of
