"""The shapes Excel passes and expects: scalars, 1-D lists, 2-D lists; None or "" for empty cells.

Desktop xlwings passes a scalar for one cell, a list for one row or column and a list of lists
for a 2-D range; xlwings Server and Lite (Office.js) pass every argument as a list of lists.
Results go back in the shape of the input, so a column in gives a spilled column out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_xl.findings import Finding

# Excel error kinds by finding code: missing inputs are "not available", the rest bad values.
NOT_AVAILABLE = {"missing-value", "needs-population", "no-orders"}
SMALL = 64  # up to this many cells a plain loop beats numpy's set-up cost (a formula filled down)


class CellError(str):
    """A cell's error: the text desktop Excel shows (`#VALUE! score_capacity: 12 is outside 1–10`),
    and its `kind` (`#VALUE!`), which Office.js runtimes return as a real Excel error value."""

    kind: str
    message: str

    def __new__(cls, kind: str, message: str) -> "CellError":
        self = super().__new__(cls, f"{kind} {message}")
        self.kind, self.message = kind, message
        return self


@dataclass
class Cells:
    values: list  # row-major, one per cell; None for empty
    rows: int
    cols: int
    scalar: bool  # one cell passed as a plain value
    flat: bool = False  # a 1-D list (desktop's shape for one row or one column)

    def grid(self) -> list[list]:
        return [self.values[r * self.cols:(r + 1) * self.cols] for r in range(self.rows)]


def read(arg: Any) -> Cells:
    """Any Excel argument as cells: a 1-D list is taken as a column."""
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        if arg and all(isinstance(row, (list, tuple)) for row in arg):
            width = max(len(row) for row in arg)
            if len(arg) * width <= SMALL:
                values = [clean(v) for row in arg for v in list(row) + [None] * (width - len(row))]
                return Cells(values, len(arg), width, False)
            if all(len(row) == width for row in arg):
                grid = np.array(arg, dtype=object)
            else:  # ragged rows (only from code, never from Excel): pad with empty cells
                grid = np.array([list(row) + [None] * (width - len(row)) for row in arg], dtype=object)
            return Cells(_clean_all(grid.ravel()), len(arg), width, False)
        if len(arg) <= SMALL:
            return Cells([clean(v) for v in arg], len(arg), 1, False, flat=True)
        flat = np.empty(len(arg), dtype=object)
        flat[:] = list(arg)
        return Cells(_clean_all(flat), len(arg), 1, False, flat=True)
    return Cells([clean(arg)], 1, 1, True)


def _clean_all(flat: np.ndarray) -> list:
    """clean() over many cells at C speed; only dates and numpy scalars need a look one by one."""
    flat[pd.isna(flat) | (flat == "")] = None
    out = flat.tolist()
    if any(isinstance(v, (dt.date, np.generic)) for v in out):
        out = [clean(v) for v in out]
    return out


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
    return [results[r * like.cols:(r + 1) * like.cols] for r in range(like.rows)]


def as_column(results: list, scalar: bool) -> Any:
    """One result per record: a scalar for one record, else a spilled column."""
    return results[0] if scalar else [[v] for v in results]


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


def broadcast(*args: Any) -> tuple[list[list], Cells]:
    """Arguments of one row each (a single cell repeats down the longest); the shape to return."""
    cells = [read(a) for a in args]
    longest = max(cells, key=lambda c: len(c.values))
    n = len(longest.values)
    out = []
    for c in cells:
        if len(c.values) not in (1, n):
            raise ValueError(f"ranges differ in size ({len(c.values)} and {n} cells)")
        out.append(c.values * n if len(c.values) == 1 else c.values)
    return out, longest
