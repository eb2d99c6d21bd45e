"""Turning input columns into numbers, dates and codes, with a problem for every bad cell."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.fields import in_percent_points, normalise_header
from crm_xl.scoring.problems import Problems

SMALL = values.SMALL
PLAIN_NUMBERS = {int, float, np.float64, np.int64}  # not bool: TRUE in a number cell is not a number


def plain_number(value, low: float, empty: float | None = math.nan) -> float | None:
    """A cell as the float the number checks pass without a word (`empty` for an empty one); None
    for anything they would look at: text, TRUE, below `low`, beyond ±MAX_NUMBER, infinite. What the
    plain-Python paths for a formula's few rows take (columns.credit_checks, rfm.segments_of_few)."""
    if value is None:
        return empty
    if type(value) not in PLAIN_NUMBERS:
        return None
    if value != value:
        return empty
    return float(value) if low <= value <= values.MAX_NUMBER else None


class Table:
    """Named columns of equal length as numpy arrays: what the scoring functions read from a
    DataFrame, without its set-up cost (tens of µs), for one-cell spreadsheet calls."""

    def __init__(self, columns: dict[str, np.ndarray], length: int, block: np.ndarray | None = None):
        """`block`, when given, is the same cells as one float array (rows x columns, in the order of
        `columns`): checked at once by number_block instead of column by column."""
        self.data, self.length = columns, length
        self.columns = columns.keys()
        self._block = (tuple(columns), block) if block is not None else None
        self._factorized: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def __setitem__(self, name: str, column_values) -> None:
        self.data[name] = np.asarray(column_values)
        self._block = None
        self._factorized.pop(name, None)

    def factorized(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """pd.factorize of a column (codes, -1 where empty; distinct values), hashed once however
        many checks read it."""
        if name not in self._factorized:
            self._factorized[name] = pd.factorize(self.data[name], use_na_sentinel=True)
        return self._factorized[name]

    def block(self, names: list[str]) -> np.ndarray | None:
        """The float block of exactly these columns, if the table holds one."""
        if self._block is not None and self._block[0] == tuple(names):
            return self._block[1]
        return None

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
    return number_columns(frame, [name], problems, required)[:, 0]


def number_columns(frame: pd.DataFrame | Table, names: list[str], problems: Problems, required: bool = False,
                   check=None) -> np.ndarray:
    """Float block (rows x names) of columns by the value contract, every bad cell reported, as
    `numbers` reports each column. `check(block)` may give one more check, (code, mask, values,
    fields), of the parsed block: the cells it flags are reported after each column's own
    problems, and are NaN in the result."""
    block, checks = number_block(frame, names, required)
    if check is not None:
        checks.append(check(block))
    problems.add_block(names, checks)
    if check is not None and np.count_nonzero(checks[-1][1]):
        block = np.where(checks[-1][1], np.nan, block)
    return block


def number_block(frame: pd.DataFrame | Table, names: list[str], required: bool = False
                 ) -> tuple[np.ndarray, list[tuple]]:
    """Columns as one float block (rows x names) by the value contract, NaN where empty or not a
    number; and the checks that report its bad cells, for Problems.add_block (a caller appends its
    own checks of the same block, so each column's problems keep their order).

    Cells that are numbers already (a spreadsheet range) are checked as one block, a few numpy
    operations whatever the number of columns; other columns are parsed one by one.
    """
    block = frame.block(names) if isinstance(frame, Table) else None
    raw = [column(frame, n) for n in names] if block is None else None
    if raw is not None and all(isinstance(r, np.ndarray) and r.dtype.kind == "f" for r in raw):
        block = raw[0].reshape(-1, 1) if len(raw) == 1 else np.array(raw).T if raw else np.empty((len(frame), 0))
    if block is not None:  # cells that are numbers already: range checks only
        parsed = values.float_numbers(block)
        checks = [(r.code, r.mask, block if r.show_value else None, r.fields) for r in parsed.rejected]
    else:
        parsed, checks = _parsed_block([_series(r) if not (isinstance(r, np.ndarray) and r.dtype.kind == "f") else r
                                        for r in raw], names)
    if required:  # an absent column is one column-level notice, not n row issues
        missing = parsed.empty
        if not all(n in frame.columns for n in names):
            missing = missing & np.array([n in frame.columns for n in names])
        checks.append(("missing-value", missing, None, {}))
    return parsed.values, checks


def _parsed_block(raw: list, names: list[str]) -> tuple[values.Parsed, list[tuple]]:
    """Columns parsed one by one (text, mixed cells), joined as a block with its checks."""
    parts = [values.float_numbers(r) if isinstance(r, np.ndarray) else values.numbers(r, in_percent_points(n))
             for r, n in zip(raw, names)]
    shape = (len(raw[0]), len(raw))
    typed = np.empty(shape, dtype=object)
    for j, r in enumerate(raw):
        typed[:, j] = np.asarray(r, dtype=object)
    by_code: dict[str, tuple] = {}  # code -> (mask, shown values, fields), in the order codes first appear
    for j, part in enumerate(parts):
        for rejected in part.rejected:
            if rejected.code not in by_code:
                by_code[rejected.code] = (np.zeros(shape, bool), typed if rejected.show_value else None,
                                          [{} for _ in raw])
            mask, _, fields = by_code[rejected.code]
            mask[:, j] = rejected.mask
            fields[j] = rejected.fields
    block = values.Parsed(np.column_stack([p.values for p in parts]), np.column_stack([p.empty for p in parts]), [])
    return block, [(code, mask, shown, fields) for code, (mask, shown, fields) in by_code.items()]


def money(frame: pd.DataFrame | Table, name: str, problems: Problems, required: bool = False) -> np.ndarray:
    """Float array of a column of amounts of money by the value contract (crm_xl.values.money:
    `1,000원` is 1000, `5%` is refused); NaN where empty or unusable, every unusable cell a problem,
    and an empty one an error (required-missing) when `required`."""
    s = _series(column(frame, name))
    parsed = values.money(s)
    _report(parsed, name, s, problems)
    if required:
        problems.add("required-missing", name, parsed.empty)
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
    if name not in frame.columns:  # every cell empty
        return np.full(len(frame), -1, dtype=np.int64), np.ones(len(frame), dtype=bool)
    column_values = frame[name]
    if isinstance(column_values, np.ndarray) and len(column_values) <= SMALL:  # a loop beats factorize's set-up
        pairs = [_code(v, lookup) if v is not None and v == v else (-1, True) for v in column_values.tolist()]
        return np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=bool)
    if isinstance(frame, Table) and name in frame.columns:
        positions, uniques = frame.factorized(name)
    else:
        positions, uniques = pd.factorize(column_values, use_na_sentinel=True)
    pairs = [_code(u, lookup) for u in uniques] + [(-1, True)]
    mapped = np.array([p[0] for p in pairs], dtype=np.int64)
    empty = np.array([p[1] for p in pairs], dtype=bool)
    return mapped[positions], empty[positions]  # position -1 (NaN) picks the trailing entries


def _code(value, lookup: dict[str, int]) -> tuple[int, bool]:
    """(position in lookup or -1, whether the value is blank text) of one present value."""
    if isinstance(value, str):
        return lookup.get(_normalised(value), -1), value.strip() == ""
    return lookup.get(normalise_header(value), -1), False


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    """normalise_header of a typed text: a column repeats a few spellings, each folded once."""
    return normalise_header(text)
