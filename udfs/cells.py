"""The shapes Excel passes and expects: scalars, 1-D lists, 2-D lists; None or "" for empty cells.

Desktop xlwings passes a scalar for one cell, a list for one row or column and a list of lists
for a 2-D range; xlwings Server and Lite (Office.js) pass every argument as a list of lists.
Results go back in the shape of the input, so a column in gives a spilled column out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from crm_xl.findings import Finding
from crm_xl.values import SMALL  # up to this many cells a plain loop beats numpy's set-up (a formula filled down)

# Excel error kinds by finding code: missing inputs are "not available", the rest bad values.
NOT_AVAILABLE = {"missing-value", "needs-population", "no-orders"}


class CellError(str):
    """A cell's error: the text desktop Excel shows (`#VALUE! score_capacity: 12 is outside 1–10`),
    and its `kind` (`#VALUE!`), which Office.js runtimes return as a real Excel error value."""

    kind: str
    message: str

    def __new__(cls, kind: str, message: str) -> "CellError":
        self = super().__new__(cls, f"{kind} {message}")
        self.kind, self.message = kind, message
        return self


@dataclass(slots=True)  # slots: made for every argument of every call
class Cells:
    values: np.ndarray  # row-major, one per cell: float (NaN empty) when every cell is a number or empty,
                        # else object (None empty)
    rows: int
    cols: int
    scalar: bool  # one cell passed as a plain value
    flat: bool = False  # a 1-D list (desktop's shape for one row or one column)

    def grid(self) -> np.ndarray:
        return self.values.reshape(self.rows, self.cols)

    def present(self) -> list:
        """The non-empty cells, as plain values."""
        return [v for v in plain(self.values) if v is not None]


NUMBER_TYPES = {float, int, type(None)}  # not bool: TRUE in a number cell is not a number


def read(arg: Any) -> Cells:
    """Any Excel argument as cells (cells already read stay as they are): a 1-D list is taken as a column."""
    kind = type(arg)
    if kind is Cells:
        return arg
    if kind is float or kind is int or arg is None:  # one number or empty cell (a formula filled down)
        return Cells(np.array([arg], dtype=float), 1, 1, True)
    if kind is str:  # one text cell
        one = np.empty(1, dtype=object)
        one[0] = clean(arg)
        return Cells(one, 1, 1, True)
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        if arg and set(map(type, arg)) <= ROW_TYPES:  # map(type/len, ...) run at C speed over the rows
            widths = set(map(len, arg))
            width = max(widths)
            if len(widths) > 1:  # ragged rows (only from code, never from Excel): pad with empty cells
                arg = [list(row) + [None] * (width - len(row)) for row in arg]
            # one column (the usual range): its cells picked by itemgetter, faster than chaining the rows
            flat = list(map(itemgetter(0), arg)) if width == 1 else list(chain.from_iterable(arg))
            return Cells(_values(flat), len(arg), width, False)
        return Cells(_values(list(_each(arg))), len(arg), 1, False, flat=True)
    return Cells(_values([arg]), 1, 1, True)


ROW_TYPES = {list, tuple}


def _values(cells: list) -> np.ndarray:
    """One flat array of the cells (listed in row-major order): floats at C speed when every cell
    is a number or empty (the usual column), else objects cleaned one by one (empty text and NaN
    empty, dates as datetimes)."""
    kinds = set(map(type, cells))
    if kinds <= NUMBER_TYPES:
        return np.array(cells, dtype=float)  # None becomes NaN
    flat = np.fromiter(cells, object, len(cells))
    if len(flat) <= SMALL:
        flat[:] = [clean(v) for v in cells]
        return flat
    flat[pd.isna(flat) | (flat == "")] = None
    if any(issubclass(kind, (dt.date, np.generic)) for kind in kinds):  # dates and numpy scalars: one by one
        flat[:] = [clean(v) for v in flat.tolist()]
    return flat


def _each(cells: list):
    """The cells of a list of rows, or of a flat list, in row-major order."""
    return chain.from_iterable(cells) if cells and isinstance(cells[0], (list, tuple)) else iter(cells)


def plain(values: np.ndarray) -> list:
    """Cells as plain Python values, None where empty."""
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    return values.tolist()


def clean(value: Any) -> Any:
    """Empty text (Office.js) and NaN are empty cells; numpy scalars become Python values."""
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is float:
        return None if value != value else value
    if kind is int or kind is str:
        return value
    if isinstance(value, np.generic):
        return clean(value.item())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def shaped(results: list, like: Cells) -> Any:
    """Results in the shape of `like`: a scalar for one cell, else a list of rows."""
    if like.scalar:
        return results[0]
    return _rows(results, like.rows, like.cols)


def as_column(results: list, scalar: bool) -> Any:
    """One result per record: a scalar for one record, else a spilled column."""
    return results[0] if scalar else _rows(results, len(results), 1)


def _rows(results: list, rows: int, cols: int) -> list[list]:
    if cols == 1:  # a column: one list per row, no array in between
        return [[v] for v in results]
    out = np.empty(len(results), dtype=object)
    out[:] = results
    return out.reshape(rows, cols).tolist()


def error_text(reason: Finding) -> CellError:
    """The error for one row: an input's own Excel error passes through (as in Excel, =A1+1 of a
    #DIV/0! is #DIV/0!); a missing input is #N/A; any other problem is #VALUE!."""
    if reason.code == "error-value":
        return CellError(reason.fields["value"], reason.message)
    return CellError("#N/A" if reason.code in NOT_AVAILABLE else "#VALUE!", reason.message)


def with_errors(column) -> list:
    """Column results with each row's reason, as its error, where there is no result."""
    if not any(column.reasons):
        return column.values
    return [v if v is not None or r is None else error_text(r) for v, r in zip(column.values, column.reasons)]


def broadcast(*args: Any) -> tuple[list[np.ndarray], Cells]:
    """Arguments of one row each (a single cell repeats down the longest); the shape to return."""
    cells = [read(a) for a in args]
    sizes = [len(c.values) for c in cells]
    n = max(sizes)
    longest = cells[sizes.index(n)]
    if sizes.count(n) == len(sizes):  # the usual call: every argument one cell, or every one a column
        return [c.values for c in cells], longest
    out = []
    for c in cells:
        if len(c.values) not in (1, n):
            raise ValueError(f"ranges differ in size ({len(c.values)} and {n} cells)")
        out.append(c.values if len(c.values) == n else np.repeat(c.values, n))
    return out, longest
