"""Turning input columns into numbers, dates and codes, with a problem for every bad cell."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.fields import normalise_header
from crm_xl.scoring.problems import Problems


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-empty one when the input has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)


def numbers(frame: pd.DataFrame, name: str, problems: Problems, required: bool = False) -> np.ndarray:
    """Float array of a column by the value contract (crm_xl.values); NaN where empty or not a number.

    A cell that is not a usable number is always a problem; an empty cell is one when `required`.
    """
    s = column(frame, name)
    parsed = values.numbers(s)
    _report(parsed, name, s, problems)
    if required and name in frame.columns:  # an absent column is one column-level notice, not n row issues
        problems.add("missing-value", name, parsed.empty)
    return parsed.values


def dates(frame: pd.DataFrame, name: str, problems: Problems) -> np.ndarray:
    """datetime64[s] array by the value contract (crm_xl.values); NaT where empty or not a date."""
    s = column(frame, name)
    parsed = values.dates(s)
    _report(parsed, name, s, problems)
    return parsed.values


def texts(frame: pd.DataFrame, name: str, problems: Problems) -> np.ndarray:
    """Text values as typed (trimmed) by the value contract (crm_xl.values); None where empty or unusable."""
    s = column(frame, name)
    parsed = values.texts(s)
    _report(parsed, name, s, problems)
    return np.where(parsed.bad, None, parsed.values)


def _report(parsed: values.Parsed, name: str, raw: pd.Series, problems: Problems) -> None:
    typed = raw.to_numpy(dtype=object)
    for rejected in parsed.rejected:
        problems.add(rejected.code, name, rejected.mask, typed if rejected.show_value else None, **rejected.fields)


def codes(frame: pd.DataFrame, name: str, lookup: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value in `lookup` (keys normalised), -1 where unknown; and a blank mask.

    Works on the distinct values only, so a million rows with a handful of formats is cheap.
    """
    positions, uniques = pd.factorize(column(frame, name), use_na_sentinel=True)
    mapped = np.array([lookup.get(normalise_header(u), -1) for u in uniques] + [-1], dtype=np.int64)
    empty = np.array([isinstance(u, str) and u.strip() == "" for u in uniques] + [True], dtype=bool)
    return mapped[positions], empty[positions]  # position -1 (NaN) picks the trailing entries
