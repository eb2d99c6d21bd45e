"""Scores over plain columns of cell values, with a reason for every row that has no result.

This is what a spreadsheet function needs: lists in (cells, None for empty), a list of results
out and, for each row without a result, the catalogue code and message saying why. Rows whose
inputs are all empty get no result and no reason. Everything here calls the vectorised scoring.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from crm_xl.findings import CATALOGUE, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring import classes, credit, credit_check, reasons, rfm, tags, tiers, value
from crm_xl.scoring.inputs import PLAIN_NUMBERS, SMALL, Table, number_columns, numbers, plain_number
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.values import MAX_NUMBER


# What a spreadsheet cell holding an error passes on (xlwings' err_to_str; readers' error text).
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


@dataclass
class Column:
    values: list  # one result per row; None where there is none
    reasons: list  # a Finding for rows with inputs but no result; None elsewhere

    def __len__(self) -> int:
        return len(self.values)


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
PLAIN_OR_EMPTY = PLAIN_NUMBERS | {type(None)}


def _result(values, problems: Problems, empty_rows: np.ndarray) -> Column:
    """Results, and for each row without one the first of its most severe problems.

    An Excel error in an input cell is the row's result whatever else it has, as in Excel
    (=A1+1 of a #DIV/0! is #DIV/0!).
    """
    out = _plain_list(values)
    best: dict[int, tuple[int, object, int]] = {}  # row -> (severity rank, batch, index in it)
    for b in problems.batches:
        rank = SEVERITY_RANK[CATALOGUE[b.code].severity]
        passes_on = b.code == "error-value"
        for i, row in enumerate(b.rows.tolist()):
            if passes_on and not (row in best and best[row][1].code == "error-value"):
                out[row], best[row] = None, (-1, b, i)
            elif out[row] is None and (row not in best or rank < best[row][0]):
                best[row] = (rank, b, i)
    reasons: list = [None] * len(out)
    for row, (_, b, i) in best.items():
        typed = None if b.values is None else b.values[i]
        reasons[row] = finding(b.code, column=b.column, value=display_value(typed), **b.fields)
    if np.count_nonzero(empty_rows):
        for i in np.flatnonzero(empty_rows).tolist():
            out[i], reasons[i] = None, None
    return Column(out, reasons)


def _plain_list(values) -> list:
    """Results as plain Python values, None where there is none (NaN, no label); a list is taken as
    plain values already (a copy)."""
    if type(values) is list:
        return values.copy()
    if isinstance(values, pd.Categorical):
        labels, as_list = _labels(values.dtype)
        codes = values.codes
        if len(codes) <= SMALL:  # a few cells: list lookups beat indexing an object array
            return [as_list[i] for i in codes.tolist()]  # code -1 picks the trailing None
        return labels[codes].tolist()
    array = np.asarray(values)
    if array.dtype.kind == "f" and len(array) <= SMALL:  # a few cells: a loop beats numpy's set-up
        return [None if v != v else v for v in array.tolist()]
    if array.dtype.kind == "f":
        out = array.astype(object)
        out[np.isnan(array)] = None
        return out.tolist()
    return [None if v is None or v != v else v for v in array.tolist()]


_LABELS: dict[int, tuple[pd.CategoricalDtype, tuple[np.ndarray, list]]] = {}


def _labels(dtype: pd.CategoricalDtype) -> tuple[np.ndarray, list]:
    """A Categorical's labels as plain objects, then None (as an array and as a list): made once per
    label list (model-dependent).

    Keyed by the dtype object, which categories.categorical reuses per label list: hashing a
    dtype hashes its labels, which would cost more than the lookup saves. The entry holds the
    dtype, so its id cannot be reused while cached.
    """
    hit = _LABELS.get(id(dtype))
    if hit is not None and hit[0] is dtype:
        return hit[1]
    labels = np.array([str(c) for c in dtype.categories] + [None], dtype=object)
    if len(_LABELS) > 256:
        _LABELS.clear()
    _LABELS[id(dtype)] = (dtype, (labels, labels.tolist()))
    return _LABELS[id(dtype)][1]


def _frame(columns: dict[str, Sequence], problems: Problems, key: tuple[str, ...] | None = None,
           block: np.ndarray | None = None) -> tuple[Table, np.ndarray]:
    """The cells as a Table, the rows whose `key` cells (default: all) are empty, and a problem at
    each Excel error. `block`: the same cells as one float array (rows x columns), when the caller
    has it.

    An error cell (`#DIV/0!`) is reported as the error it is and then read as empty, so no
    other check reports it again as text that is not a number or a code.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    data = {k: _column(v) for k, v in columns.items()}
    if block is None and len(data) > 1 and all(c.dtype.kind == "f" for c in data.values()):
        block = np.concatenate(list(data.values())).reshape(len(data), n).T  # numbers only: checked as one block
        # (rows x columns); concatenate costs less than np.array over a list of arrays
    if block is not None:  # numbers and empty cells only: no error values, one empty mask
        keyed = block if key is None else block[:, [j for j, name in enumerate(data) if name in key]]
        if n <= SMALL:  # a few rows: a loop beats isnan and a reduction along an axis
            return Table(data, n, block), np.array([all(v != v for v in row) for row in keyed.tolist()], dtype=bool)
        return Table(data, n, block), np.isnan(keyed).all(axis=1)
    table = Table(data, n)
    if n <= SMALL:  # a few cells: plain loops beat numpy's and a Series' set-up (a formula filled down)
        lists = {name: cells.tolist() for name, cells in data.items()}  # as given, before errors are read as empty
        for name, as_list in lists.items():
            if data[name].dtype.kind != "f" and any(isinstance(v, str) and v in EXCEL_ERRORS for v in as_list):
                _error_values(table, name, np.array([isinstance(v, str) and v in EXCEL_ERRORS for v in as_list]),
                              problems)
        keyed = [as_list for name, as_list in lists.items() if key is None or name in key]
        rows = zip(*keyed) if keyed else [()] * n  # no key column: every row counts as empty
        return table, np.array([all(v is None or v != v for v in row) for row in rows], dtype=bool)
    empty = np.ones(n, dtype=bool)
    for name, cells in list(table.data.items()):
        if cells.dtype.kind == "f":
            if key is None or name in key:
                empty &= np.isnan(cells)
            continue
        codes, uniques = table.factorized(name)  # hashed once, at C speed; later checks reuse it
        if key is None or name in key:
            empty &= codes < 0
        errors = np.array([isinstance(u, str) and u in EXCEL_ERRORS for u in uniques.tolist()] + [False])[codes]
        if np.count_nonzero(errors):
            _error_values(table, name, errors, problems)
    return table, empty


def _error_values(table: Table, name: str, errors: np.ndarray, problems: Problems) -> None:
    """Report each Excel error value of a column as the error it is, then read it as empty."""
    cells = table[name]
    problems.add("error-value", name, errors, cells)
    table[name] = _column(np.where(errors, None, cells))


def _column(values: Sequence) -> np.ndarray:
    """Plain numbers (and empty cells) as a float array, anything else kept as it is, to be checked."""
    array = None
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return values
        array = values if values.dtype.kind == "O" else None
        values = values.tolist()
    else:
        values = list(values)
    if (not values or type(values[0]) in PLAIN_OR_EMPTY) and set(map(type, values)) <= PLAIN_OR_EMPTY:
        # a text column is told by its first cell; map and set run at C speed
        return np.array(values, dtype=float)  # None becomes NaN
    if array is not None:  # read only from here on: no copy
        return array
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def credit_levels(scores: Sequence[Sequence], model: ScoringModel, weights: Sequence[float] | None = None,
                  indicator_set: str | None = None) -> Column:
    """Credit level of each row of indicator scores (columns in the indicator set's order)."""
    keys = list(model.credit.sets[indicator_set or model.credit.default_set])
    problems = Problems(len(scores))
    frame, empty = _score_frame(scores, [model.credit.indicators[k].column for k in keys], problems)
    chosen = dict(zip(keys, weights)) if weights is not None else None
    return _result(credit.levels(frame, model.credit, problems, indicator_set, chosen), problems, empty)


def _score_frame(scores: Sequence[Sequence], names: list[str], problems: Problems) -> tuple[Table, np.ndarray]:
    """Rows of indicator scores (a 2-D array as the Excel layer reads it, or lists) as `_frame` does."""
    grid = scores if isinstance(scores, np.ndarray) and scores.ndim == 2 else np.array(
        [list(row[:len(names)]) + [None] * (len(names) - len(row)) for row in scores], dtype=object).reshape(
        len(scores), len(names))
    grid = grid[:, :len(names)]
    if grid.shape[1] < len(names):  # fewer scores than indicators: the rest are empty
        pad = np.full((len(grid), len(names) - grid.shape[1]), np.nan if grid.dtype.kind == "f" else None)
        grid = np.hstack([grid, pad.astype(grid.dtype)])
    return _frame({n: grid[:, j] for j, n in enumerate(names)}, problems,
                  block=grid if grid.dtype.kind == "f" else None)


def credit_grades(levels: Sequence, model: ScoringModel) -> Column:
    problems = Problems(len(levels))
    frame, empty = _frame({"credit_level": levels}, problems)
    level = numbers(frame, "credit_level", problems, required=True)
    idx = credit.grade_positions(level, model.credit, problems)
    return _result(credit.grades(idx, model.credit), problems, empty)


def credit_limits(grades: Sequence, purchases: Sequence, terms_days: Sequence, net_worth: Sequence,
                  model: ScoringModel) -> Column:
    problems = Problems(len(grades))
    frame, empty = _frame({"credit_grade": grades, "monthly_purchases": purchases, "terms_days": terms_days,
                           "net_worth": net_worth}, problems, key=("credit_grade", "monthly_purchases"))
    idx = credit.positions_of_grades(frame["credit_grade"], model.credit, problems)
    figures = number_columns(frame, ["monthly_purchases", "terms_days", "net_worth"], problems)
    limit = credit.limits(idx, *figures.T, model.credit, problems, "monthly_purchases")
    return _result(limit, problems, empty)


def credit_policies(grades: Sequence, model: ScoringModel) -> Column:
    problems = Problems(len(grades))
    frame, empty = _frame({"credit_grade": grades}, problems)
    idx = credit.positions_of_grades(frame["credit_grade"], model.credit, problems)
    return _result(credit.policies(idx, model.credit), problems, empty)


def customer_tiers(sales: Sequence, model: ScoringModel, preset: str | None = None) -> Column:
    chosen = model.tiers[preset or model.default_tier_preset]
    if chosen.bands is None:  # equal-frequency levels rank a whole table over several measures
        reason = finding("needs-population", column="customer_tier", method=f"{chosen.levels}-level",
                         needed=chosen.levels, count=len(sales))
        return Column([None] * len(sales), [reason] * len(sales))
    problems = Problems(len(sales))
    frame, empty = _frame({chosen.measure: sales}, problems)
    return _result(tiers.tiers(frame, chosen, problems), problems, empty)


def customer_classes(formats: Sequence, markets: Sequence, scales: Sequence, model: ScoringModel) -> Column:
    """Class codes; a scale cell may hold a scale (L/M/S, 대형, 大型 ...) or the monthly amount."""
    cls = model.classification
    cells = {"business_format": formats, "market_type": markets}
    if isinstance(scales, np.ndarray) and scales.dtype.kind == "f":  # every cell a monthly amount (or empty)
        amounts = scales  # no named scale: the column is left out (read as empty, not checked cell by cell)
    else:
        numeric = [isinstance(s, (int, float)) and not isinstance(s, bool) for s in scales]
        cells["business_scale"] = [None if n else s for s, n in zip(scales, numeric)]
        amounts = _column([s if n else None for s, n in zip(scales, numeric)])
    problems = Problems(len(formats))
    frame, empty = _frame(cells, problems)
    frame[cls.scale_measure] = amounts
    return _result(classes.classes(frame, cls, problems), problems, empty)


def value_segments(contribution, support, credit_index, growth, influence, model: ScoringModel) -> Column:
    problems = Problems(len(contribution))
    frame, empty = _frame({"value_contribution": contribution, "value_support": support,
                           "value_credit": credit_index, "value_growth": growth, "value_influence": influence},
                          problems)
    return _result(value.segments(frame, model.value, problems), problems, empty)


def rfm_segments(recency_days: Sequence, frequency: Sequence, monetary: Sequence, model: ScoringModel) -> Column:
    """Segments for a population of customers (quintiles rank within the given rows).

    A recency cell holding a date is the customer's last order: its recency counts from the day
    after the latest order given, as the batch job counts it (rfm.default_as_of).
    """
    few = rfm.segments_of_few(*(c.tolist() if isinstance(c, np.ndarray) else list(c)
                                for c in (recency_days, frequency, monetary)), model.rfm)
    if few is not None:  # a few clean rows (a formula's short range): plain Python, same segments
        return Column(few, [None] * len(few))
    recency_days = _days_since_last_order(recency_days)
    problems = Problems(len(recency_days))
    frame, empty = _frame({"recency_days": recency_days, "frequency": frequency, "monetary": monetary}, problems)
    r, f, m = number_columns(frame, ["recency_days", "frequency", "monetary"], problems, required=True).T
    scored = rfm.scores(r, f, m, model.rfm, problems)
    return _result(scored.segment, problems, empty)


def customer_tags(columns: dict[str, Sequence], model: ScoringModel) -> Column:
    problems = Problems(len(next(iter(columns.values()))))
    frame, empty = _frame(columns, problems)
    return _result(tags.tags(frame, model.tags), problems, empty)


def _days_since_last_order(recency: Sequence) -> Sequence:
    if isinstance(recency, np.ndarray) and recency.dtype.kind == "f":  # numbers of days already
        return recency
    recency = recency.tolist() if isinstance(recency, np.ndarray) else list(recency)
    is_date = [isinstance(v, (dt.date, pd.Timestamp)) for v in recency]
    if not any(is_date):
        return recency
    last = np.array([np.datetime64(dt.date(v.year, v.month, v.day), "s") if d else np.datetime64("NaT", "s")
                     for v, d in zip(recency, is_date)])
    days = rfm.recency_days(last, rfm.default_as_of(last))
    counted = ~np.isnat(last) & (last <= rfm.LAST_ORDER_DAY)  # a later date has no day after it: left as typed, reported
    return [float(days[i]) if d and counted[i] else v for i, (v, d) in enumerate(zip(recency, is_date))]


def credit_reasons(scores: Sequence[Sequence], model: ScoringModel, count: int = 3, language: str | None = None,
                   indicator_set: str | None = None) -> Column:
    """The indicators that cost each row the most points (the credit_reasons column of a scored table)."""
    keys = list(model.credit.sets[indicator_set or model.credit.default_set])
    problems = Problems(len(scores))
    frame, empty = _score_frame(scores, [model.credit.indicators[k].column for k in keys], problems)
    keys, values, lost = reasons.points_lost(frame, model.credit, problems, indicator_set)
    texts = reasons.reason_list if len(lost) <= SMALL else reasons.reason_texts  # a formula's few rows: a list
    return _result(texts(keys, values, lost, model.credit, count, language), problems, empty)


def credit_checks(amounts: Sequence, outstanding: Sequence, limits: Sequence, grades: Sequence,
                  overdue_days: Sequence, model: ScoringModel, language: str | None = None) -> Column:
    """(decision, reason) of each order against its own outstanding balance, limit and grade."""
    clean = _clean_orders(amounts, outstanding, limits, grades, overdue_days, model.credit.grade_lookup)
    if clean is not None:
        decided = [credit_check.decide_row_with_grade(*row, model.credit, language) for row in clean]
        return Column([[credit_check.DECISIONS[code], reason] for code, reason in decided], [None] * len(decided))
    problems = Problems(len(amounts))
    # no order on this row: no result (the other arguments may be one repeated cell)
    frame, empty = _frame({"amount": amounts, "outstanding": outstanding, "credit_limit": limits,
                           "credit_grade": grades, "overdue_days": overdue_days}, problems, key=("amount",))
    amount = numbers(frame, "amount", problems)
    balance = numbers(frame, "outstanding", problems)
    limit = numbers(frame, "credit_limit", problems)
    days = numbers(frame, "overdue_days", problems)
    for name, values in (("amount", amount), ("credit_limit", limit), ("overdue_days", days)):
        problems.add("out-of-range", name, values < 0, values, low=0, high="∞")
    position = credit.positions_of_grades(frame["credit_grade"], model.credit, problems, optional=True)
    checks = credit_check.decide_with_grades(amount, balance, limit, position, days, model.credit, language)
    bad = np.isnan(amount)
    for b in problems.batches:  # a bad cell anywhere: no decision
        if CATALOGUE[b.code].severity == "error":
            bad[b.rows] = True
    # [decision, reason] lists, the two cells a formula spills: made by numpy's tolist of a two-column
    # grid, a third faster than a comprehension over zipped lists
    pairs = np.empty((len(frame), 2), dtype=object)
    pairs[:, 0], pairs[:, 1] = checks.labels, checks.reason
    values = pairs.tolist()
    for i in np.flatnonzero(bad).tolist():
        values[i] = None
    return _result(values, problems, empty)


def _clean_orders(amounts, outstanding, limits, grades, overdue_days, grade_lookup: dict[str, int]) -> list | None:
    """A few orders as rows of (amount, outstanding, limit, grade position, overdue days), floats
    with NaN for empty cells, when every cell would pass the checks of credit_checks without a word
    and every order has its amount: what credit_check.decide_row takes. None otherwise."""
    columns = [c.tolist() if isinstance(c, np.ndarray) else c for c in (amounts, outstanding, limits, grades,
                                                                        overdue_days)]
    if len(columns[0]) > SMALL or any(len(c) != len(columns[0]) for c in columns):
        return None
    out = []
    for amount, balance, limit, grade, days in zip(*columns):
        row = (plain_number(amount, 0.0, empty=None), plain_number(balance, -MAX_NUMBER),
               plain_number(limit, 0.0), _grade_position(grade, grade_lookup), plain_number(days, 0.0))
        if None in row:
            return None
        out.append(row)
    return out


def _grade_position(grade, grade_lookup: dict[str, int]) -> int | None:
    """Position of a typed grade, -1 for an empty cell; None for text that is no grade or an error."""
    if grade is None or type(grade) is float and grade != grade:
        return -1
    if type(grade) is not str or grade in EXCEL_ERRORS:
        return None
    return grade_lookup.get(grade.strip().casefold())
