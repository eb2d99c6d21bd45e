"""Behaviour (RFM): per-customer figures from transactions, 1-5 scores and R x F segments."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.model.schema import RfmDimension, RfmModel
from crm_xl.scoring.inputs import dates, numbers
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.ranks import equal_frequency
from crm_xl.scoring.categories import categorical

QUINTILES = 5
SYSTEM_COLUMNS = ("last_order_date", "orders_12m", "amount_12m", "avg_monthly_qty", "avg_monthly_amount")


def _seconds(when: pd.Timestamp) -> np.datetime64:
    """A timestamp in the unit dates are kept in: comparing in nanoseconds would wrap after 2262."""
    return np.datetime64(when, "s")


def default_as_of(last_order: np.ndarray) -> pd.Timestamp:
    """The day after the latest order: a run over the same data always gives the same recency."""
    latest = pd.Series(last_order).max()
    return (latest.normalize() + pd.Timedelta(days=1)) if pd.notna(latest) else pd.Timestamp.today().normalize()


@dataclass
class Transactions:
    """A transaction table read and checked once: customers as integer codes, typed columns."""

    customer: np.ndarray  # position in `codes` per order
    codes: np.ndarray  # distinct customer codes (text)
    date: np.ndarray  # datetime64[s] (crm_xl.values), NaT where unreadable
    quantity: np.ndarray  # float, 0 where unreadable
    amount: np.ndarray

    def __len__(self) -> int:
        return len(self.date)

    def only(self, codes) -> "Transactions":
        """The orders of these customers only (positions into `codes` stay as they are)."""
        # A hash lookup: np.isin over object arrays compares every code with every code (quadratic).
        wanted = pd.Index(pd.unique(np.asarray(list(codes), dtype=object)))
        keep = (wanted.get_indexer(self.codes) >= 0)[self.customer]
        return Transactions(self.customer[keep], self.codes, self.date[keep], self.quantity[keep], self.amount[keep])

    def between(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        return (self.date >= _seconds(start)) & (self.date < _seconds(end))


def prepare_transactions(tx: pd.DataFrame, problems: Problems) -> Transactions:
    """Type a transaction table (customer_code, date, quantity, amount); bad cells become problems."""
    when = dates(tx, "date", problems)
    qty = np.nan_to_num(numbers(tx, "quantity", problems))
    amount = np.nan_to_num(numbers(tx, "amount", problems))
    customer, codes = pd.factorize(tx["customer_code"].astype(str).str.strip())
    return Transactions(customer, np.asarray(codes, dtype=object), when, qty, amount)


def summarise_transactions(tx: pd.DataFrame | Transactions, as_of: pd.Timestamp | None, window_months: int,
                           problems: Problems) -> tuple[pd.DataFrame, pd.Timestamp]:
    """System-generated customer figures from transactions (customer_code, date, quantity, amount).

    Orders inside the window (window_months before as_of) count for frequency, amounts and
    monthly averages; the latest order before as_of counts for recency.
    """
    t = tx if isinstance(tx, Transactions) else prepare_transactions(tx, problems)
    as_of = as_of if as_of is not None else default_as_of(t.date)
    start = as_of - pd.DateOffset(months=window_months)
    inside = t.between(start, as_of)
    before = t.date < _seconds(as_of)
    k = len(t.codes)
    last = np.full(k, np.iinfo(np.int64).min)
    np.maximum.at(last, t.customer[before], t.date[before].view(np.int64))
    amount = np.bincount(t.customer[inside], weights=t.amount[inside], minlength=k)
    out = pd.DataFrame({
        "last_order_date": np.where(last == np.iinfo(np.int64).min, np.datetime64("NaT"), last.view(t.date.dtype)),
        "orders_12m": np.bincount(t.customer[inside], minlength=k).astype(float),
        "amount_12m": amount,
        "avg_monthly_qty": np.bincount(t.customer[inside], weights=t.quantity[inside], minlength=k) / window_months,
        "avg_monthly_amount": amount / window_months,
    }, index=pd.Index(t.codes, name="customer_code"))
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
    return RfmScores(r, f, m, categorical(seg, model.segment_labels))


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
    delta = (_seconds(as_of) - last_order.astype(values.DATE_UNIT)) / np.timedelta64(1, "D")
    return np.floor(delta)


def from_customers(frame: pd.DataFrame, model: RfmModel, as_of: pd.Timestamp | None,
                   problems: Problems) -> tuple[RfmScores, pd.Timestamp]:
    """RFM over the customer table's system-generated columns (last order, orders, amount)."""
    last = dates(frame, "last_order_date", problems)
    as_of = as_of if as_of is not None else default_as_of(last)
    return scores(recency_days(last, as_of), numbers(frame, "orders_12m", problems, required=True),
                  numbers(frame, "amount_12m", problems), model, problems), as_of
