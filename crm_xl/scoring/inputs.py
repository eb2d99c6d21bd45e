"""Turning input columns into numbers, dates and codes, with a problem for every bad cell."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.fields import normalise_header
from crm_xl.scoring.problems import Problems


class Table:
    """Named columns of equal length as numpy arrays: what the scoring functions read from a
    DataFrame, without its set-up cost (tens of µs), for one-cell spreadsheet calls."""

    def __init__(self, columns: dict[str, np.ndarray], length: int):
        self.data, self.length = columns, length
        self.columns = columns.keys()

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def __setitem__(self, name: str, column_values) -> None:
        self.data[name] = np.asarray(column_values)

    def __len__(self) -> int:
        return self.length


def column(frame: pd.DataFrame | Table, name: str) -> pd.Series | np.ndarray:
    """The column, or an all-empty one when the input has no such column."""
    if name in frame.columns:
        return frame[name]
    if isinstance(frame, Table):
        return np.full(len(frame), np.nan)
    return pd.Series(np.nan, index=frame.index, dtype=float)


def _series(s: pd.Series | np.ndarray) -> pd.Series:
    return s if isinstance(s, pd.Series) else pd.Series(s, dtype=object)


def numbers(frame: pd.DataFrame | Table, name: str, problems: Problems, required: bool = False) -> np.ndarray:
    """Float array of a column by the value contract (crm_xl.values); NaN where empty or not a number.

    A cell that is not a usable number is always a problem; an empty cell is one when `required`.
    """
    s = column(frame, name)
    if isinstance(s, np.ndarray) and s.dtype.kind == "f":  # cells that are numbers already: range checks only
        parsed = values.float_numbers(s)
    else:
        s = _series(s)
        parsed = values.numbers(s)
    _report(parsed, name, s, problems)
    if required and name in frame.columns:  # an absent column is one column-level notice, not n row issues
        problems.add("missing-value", name, parsed.empty)
    return parsed.values


def dates(frame: pd.DataFrame | Table, name: str, problems: Problems) -> np.ndarray:
    """datetime64[s] array by the value contract (crm_xl.values); NaT where empty or not a date."""
    s = _series(column(frame, name))
    parsed = values.dates(s)
    _report(parsed, name, s, problems)
    return parsed.values


def texts(frame: pd.DataFrame | Table, name: str, problems: Problems) -> np.ndarray:
    """Text values as typed (trimmed) by the value contract (crm_xl.values); None where empty or unusable."""
    s = _series(column(frame, name))
    parsed = values.texts(s)
    _report(parsed, name, s, problems)
    return np.where(parsed.bad, None, parsed.values)


def _report(parsed: values.Parsed, name: str, raw: pd.Series | np.ndarray, problems: Problems) -> None:
    if not parsed.rejected:
        return
    typed = np.asarray(raw, dtype=object)
    for rejected in parsed.rejected:
        problems.add(rejected.code, name, rejected.mask, typed if rejected.show_value else None, **rejected.fields)


def codes(frame: pd.DataFrame, name: str, lookup: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value in `lookup` (keys normalised), -1 where unknown; and a blank mask.

    Works on the distinct values only, so a million rows with a handful of formats is cheap.
    """
    column_values = column(frame, name)
    if isinstance(column_values, np.ndarray) and len(column_values) <= 64:  # a loop beats factorize's set-up
        pairs = [_code(v, lookup) if v is not None and v == v else (-1, True) for v in column_values.tolist()]
        return np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=bool)
    positions, uniques = pd.factorize(column_values, use_na_sentinel=True)
    pairs = [_code(u, lookup) for u in uniques] + [(-1, True)]
    mapped = np.array([p[0] for p in pairs], dtype=np.int64)
    empty = np.array([p[1] for p in pairs], dtype=bool)
    return mapped[positions], empty[positions]  # position -1 (NaN) picks the trailing entries


def _code(value, lookup: dict[str, int]) -> tuple[int, bool]:
    """(position in lookup or -1, whether the value is blank text) of one present value."""
    return lookup.get(normalise_header(value), -1), isinstance(value, str) and value.strip() == ""
