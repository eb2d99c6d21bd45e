"""Behaviour (RFM): per-customer figures from transactions, 1-5 scores and R x F segments."""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.model.schema import RfmDimension, RfmModel
from crm_xl.fields import columns
from crm_xl.scoring.inputs import SMALL, dates, numbers, plain_number
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.ranks import equal_frequency, equal_frequency_of_few
from crm_xl.scoring.categories import categorical

QUINTILES = 5
NO_ORDER = np.iinfo(np.int64).min  # "latest order" of a customer without one, in seconds
LAST_ORDER_DAY = values.LAST_DAY - np.timedelta64(1, "D")  # recency counts to the day after the latest order
SYSTEM_COLUMNS = ("last_order_date", "orders_12m", "amount_12m", "avg_monthly_qty", "avg_monthly_amount")


def _seconds(when: pd.Timestamp) -> np.datetime64:
    """A timestamp in the unit dates are kept in: comparing in nanoseconds would wrap after 2262."""
    return np.datetime64(when, "s")


def default_as_of(last_order: np.ndarray) -> pd.Timestamp:
    """The day after the latest order: a run over the same data always gives the same recency.
    An order after LAST_ORDER_DAY (reported as out-of-range where it is read) has no day after it."""
    last_order = np.asarray(last_order).astype(values.DATE_UNIT)
    latest = pd.Series(last_order[last_order <= LAST_ORDER_DAY]).max()
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


FUTURE_DAYS = 366  # an order in the history dated more than a year ahead is a typo


def prepare_transactions(tx: pd.DataFrame, problems: Problems) -> Transactions:
    """Type a transaction table (customer_code, date, quantity, amount) by the value contract.

    Every bad cell is a problem at its row (`problems` counts the table's rows), and its order is left
    out: an order without a usable customer, day, quantity or amount never counts, as 0 or otherwise.
    Bad: a date that is empty, no date, or past the last day that has a day after it (recency needs
    it); a quantity or amount that is no number, out of range or below 0; a customer code that is
    empty, unstorable or would run as a formula. An empty quantity or amount is a warning, and counts as 0.
    """
    day = _parsed(tx, "date", "date", problems)
    when, bad = day.values, np.isnat(day.values)
    problems.add("required-missing", "date", day.empty)
    late = ~bad & (when > LAST_ORDER_DAY)
    problems.add("out-of-range", "date", late, when, low=str(values.FIRST_DAY.astype("datetime64[D]")),
                 high=str(LAST_ORDER_DAY.astype("datetime64[D]")))
    bad |= late
    ahead = ~bad & (when > np.datetime64(dt.date.today() + dt.timedelta(days=FUTURE_DAYS), "s"))
    problems.add("order-in-future", "date", ahead, when, days=FUTURE_DAYS)
    bad |= ahead  # one typo'd year (9999) would otherwise set as_of and rescore everyone
    figures = []
    for name in ("quantity", "amount"):
        parsed = _parsed(tx, name, "money" if name == "amount" else "number", problems)
        column = parsed.values
        negative = column < 0
        problems.add("out-of-range", name, negative, column, low=0, high=f"{values.MAX_NUMBER:,.0f}")
        if name in tx.columns:
            problems.add("missing-value", name, parsed.empty)
        bad |= negative | (np.isnan(column) & ~parsed.empty)
        figures.append(np.where(parsed.empty, 0.0, column))
    code = _parsed(tx, "customer_code", "text", problems)
    problems.add("required-missing", "customer_code", code.empty)
    positions, distinct = pd.factorize(np.where(code.bad, None, code.values), use_na_sentinel=True)  # -1: none
    formula = np.append([values.runs_as_formula(c) for c in distinct.tolist()], False).astype(bool)[positions]
    problems.add("bad-pattern", "customer_code", formula, code.values, hint=columns()["customer_code"].pattern_hint)
    keep = ~(bad | (positions < 0) | formula)
    customer, codes = pd.factorize(positions[keep])  # only customers with an order that counts
    return Transactions(customer, np.asarray(distinct, dtype=object)[codes], when[keep], figures[0][keep],
                        figures[1][keep])


def _parsed(tx: pd.DataFrame, name: str, kind: str, problems: Problems) -> values.Parsed:
    """A column parsed by the value contract (an absent one: empty throughout), its rejected cells reported."""
    raw = tx[name] if name in tx.columns else pd.Series(None, index=tx.index, dtype=object)
    parsed = values.money(raw) if kind == "money" else values.parse(raw, kind)
    for rejected in parsed.rejected:
        problems.add(rejected.code, name, rejected.mask, raw.to_numpy(dtype=object) if rejected.show_value else None,
                     **rejected.fields)
    return parsed


def transaction_totals(t: Transactions, as_of: pd.Timestamp, window_months: int) -> pd.DataFrame:
    """Per customer code: latest order before as_of (seconds), and orders, amount and quantity in the
    window. Each is a max or a sum, so totals of parts of the orders combine exactly (crm_xl.engines)."""
    start = as_of - pd.DateOffset(months=window_months)
    inside = t.between(start, as_of)
    before = t.date < _seconds(as_of)
    k = len(t.codes)
    last = np.full(k, NO_ORDER)
    np.maximum.at(last, t.customer[before], t.date[before].view(np.int64))
    return pd.DataFrame({
        "last_order": last,
        "orders": np.bincount(t.customer[inside], minlength=k).astype(float),
        "amount": np.bincount(t.customer[inside], weights=t.amount[inside], minlength=k),
        "quantity": np.bincount(t.customer[inside], weights=t.quantity[inside], minlength=k),
    }, index=pd.Index(t.codes, name="customer_code"))


TOTALS_COMBINE = {"last_order": "max", "orders": "sum", "amount": "sum", "quantity": "sum"}


def system_columns(totals: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """The system-generated customer columns from transaction totals."""
    last = totals["last_order"].to_numpy()
    return pd.DataFrame({
        "last_order_date": np.where(last == NO_ORDER, np.datetime64("NaT"), last.view(values.DATE_UNIT)),
        "orders_12m": totals["orders"].to_numpy(),
        "amount_12m": totals["amount"].to_numpy(),
        "avg_monthly_qty": totals["quantity"].to_numpy() / window_months,
        "avg_monthly_amount": totals["amount"].to_numpy() / window_months,
    }, index=totals.index)


def summarise_transactions(tx: pd.DataFrame | Transactions, as_of: pd.Timestamp | None, window_months: int,
                           problems: Problems) -> tuple[pd.DataFrame, pd.Timestamp]:
    """System-generated customer figures from transactions (customer_code, date, quantity, amount).

    Orders inside the window (window_months before as_of) count for frequency, amounts and
    monthly averages; the latest order before as_of counts for recency.
    """
    t = tx if isinstance(tx, Transactions) else prepare_transactions(tx, problems)
    as_of = as_of if as_of is not None else default_as_of(t.date)
    return system_columns(transaction_totals(t, as_of, window_months), window_months), as_of


@dataclass
class RfmScores:
    r: np.ndarray  # 1..5, 0 where unscored
    f: np.ndarray
    m: np.ndarray
    segment: pd.Categorical


RANKED = ("recency", "frequency", "monetary")
REVERSED = {"recency"}  # fewer days since the last order ranks higher


def ranked_values(recency_days: np.ndarray, frequency: np.ndarray, monetary: np.ndarray,
                  model: RfmModel) -> dict[str, np.ndarray]:
    """What each dimension scores, NaN for customers without orders in the window."""
    ordered = (frequency > 0) & ~np.isnan(recency_days)  # NaN compares False
    money = monetary.round(model.money_decimals)  # the method: np.round's wrapper costs more
    figures = (recency_days, frequency, money)
    if np.count_nonzero(ordered) == len(ordered):  # every customer ordered: nothing to blank
        return dict(zip(RANKED, figures))
    return {name: np.where(ordered, v, np.nan) for name, v in zip(RANKED, figures)}


def scores(recency_days: np.ndarray, frequency: np.ndarray, monetary: np.ndarray,
           model: RfmModel, problems: Problems, population: dict[str, np.ndarray] | None = None) -> RfmScores:
    """1-5 scores (5 best, recency reversed) and the R x F segment; customers without orders get none.

    `population`: per dimension, every ranked value of the whole population sorted (as ranked:
    recency negated), when these rows are only part of it.
    """
    problems.add("no-orders", "orders_12m", frequency == 0, months=model.window_months)
    ranked = ranked_values(recency_days, frequency, monetary, model)
    r, f, m = (_score(ranked[name], getattr(model, name), name, problems, name in REVERSED,
                      None if population is None else population[name]) for name in RANKED)
    return RfmScores(r, f, m, categorical(model.segment_of_scores[r, f], model.segment_labels))


def _score(values: np.ndarray, dim: RfmDimension, name: str, problems: Problems,
           reverse: bool = False, population: np.ndarray | None = None) -> np.ndarray:
    if dim.method == "bands":
        idx = dim.bands.index(values)
        below = (idx < 0) & ~np.isnan(values)
        if np.count_nonzero(below):  # the lowest edge is shown only in a message
            problems.add("below-bands", name, below, values, low=display_value(dim.bands.edges[0]))
        return dim.band_scores[idx]  # position -1 (below the bands, empty) picks the trailing 0
    count = len(values) - np.count_nonzero(np.isnan(values)) if population is None else len(population)
    if 0 < count < QUINTILES:
        problems.add("needs-population", name, ~np.isnan(values), method="quintile", needed=QUINTILES, count=count)
        return np.zeros(len(values), np.int64)
    return equal_frequency(-values if reverse else values, QUINTILES, population)


def segments_of_few(recency_days: list, frequency: list, monetary: list, model: RfmModel) -> list[str] | None:
    """`scores(...).segment` of a few customers (a formula's short range), rule for rule in plain
    Python, when no cell needs a word: every cell a plain number within range, every customer with
    orders, ranked dimensions of five or more and figures within the bands. None otherwise (the
    vectorised path then reports what it finds). ~50 numpy calls for five rows cost more than
    their rules; parity is tested (tests/test_columns_small.py)."""
    n = len(frequency)
    cells = (recency_days, frequency, monetary)
    if not QUINTILES <= n <= SMALL or any(len(c) != n for c in cells):
        return None
    recency, frequency, monetary = ([plain_number(v, -values.MAX_NUMBER, empty=None) for v in c] for c in cells)
    if None in recency or None in frequency or None in monetary:
        return None
    if min(frequency) <= 0:
        return None  # no orders in the window: reported (no-orders)
    money = np.round(np.array(monetary), model.money_decimals).tolist()  # numpy's rounding, as ranked_values
    ranked = {"recency": recency, "frequency": frequency, "monetary": money}
    found = [_score_of_few(ranked[name], getattr(model, name), name in REVERSED) for name in RANKED]
    if None in found:
        return None
    r, f, _ = found
    grid = model.segment_of_scores.tolist()
    return [model.segment_labels[grid[i][j]] for i, j in zip(r, f)]


def _score_of_few(values_: list[float], dim: RfmDimension, reverse: bool) -> list[int] | None:
    """`_score` of a few present values; None where it would report something (below the bands)."""
    if dim.method == "bands":
        edges = dim.bands.edges.tolist()
        positions = [bisect_right(edges, v) - 1 for v in values_]
        if min(positions) < 0:
            return None
        scores = dim.band_scores.tolist()
        return [scores[i] for i in positions]
    return equal_frequency_of_few([-v for v in values_] if reverse else values_, QUINTILES).tolist()


def recency_days(last_order: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    delta = (_seconds(as_of) - last_order.astype(values.DATE_UNIT)) / np.timedelta64(1, "D")
    return np.floor(delta)


def customer_inputs(frame: pd.DataFrame, as_of: pd.Timestamp | None,
                    problems: Problems) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Timestamp]:
    """Recency days, frequency and monetary from the customer table's system-generated columns."""
    last = dates(frame, "last_order_date", problems)
    late = last > LAST_ORDER_DAY  # no day after it to count recency to: as in the transactions
    if late.any():
        problems.add("out-of-range", "last_order_date", late, last, low=str(values.FIRST_DAY.astype("datetime64[D]")),
                     high=str(LAST_ORDER_DAY.astype("datetime64[D]")))
        last = np.where(late, np.datetime64("NaT"), last).astype(values.DATE_UNIT)
    as_of = as_of if as_of is not None else default_as_of(last)
    return (recency_days(last, as_of), numbers(frame, "orders_12m", problems, required=True),
            numbers(frame, "amount_12m", problems), as_of)


def from_customers(frame: pd.DataFrame, model: RfmModel, as_of: pd.Timestamp | None,
                   problems: Problems, population: dict[str, np.ndarray] | None = None
                   ) -> tuple[RfmScores, pd.Timestamp]:
    """RFM over the customer table's system-generated columns (last order, orders, amount)."""
    recency, frequency, monetary, as_of = customer_inputs(frame, as_of, problems)
    return scores(recency, frequency, monetary, model, problems, population), as_of
