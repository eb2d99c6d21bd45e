"""Turning input columns into numbers, dates and codes, with a problem for every bad cell."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from crm_xl.fields import normalise_header
from crm_xl.scoring.problems import Problems

# Thousands separators, spaces and currency marks people type into amount cells.
_NUMBER_NOISE = re.compile(r"[,\s원₩¥元$€£%]")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-empty one when the input has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)


def numbers(frame: pd.DataFrame, name: str, problems: Problems, required: bool = False) -> np.ndarray:
    """Float array of a column; NaN where empty or not a number.

    Text that is not a number is always a problem; an empty cell is one when `required`.
    """
    s = column(frame, name)
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(values)
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
        empty = _blank(s)
        failed = np.isnan(values) & ~empty
        if failed.any():
            values[failed] = _lenient_numbers(s[failed])
            problems.add("not-a-number", name, failed & np.isnan(values), s.to_numpy(dtype=object))
    if required and name in frame.columns:  # an absent column is one column-level notice, not n row issues
        problems.add("missing-value", name, empty)
    return values


def _lenient_numbers(raw: pd.Series) -> np.ndarray:
    """Second try for text like `1,234원` or `¥ 5,000`: drop separators and currency marks."""
    cleaned = raw.astype(str).str.replace(_NUMBER_NOISE, "", regex=True)
    return pd.to_numeric(cleaned.where(cleaned != "", "x"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def dates(frame: pd.DataFrame, name: str, problems: Problems) -> np.ndarray:
    """datetime64[ns] array; Excel serial numbers and ISO text are accepted, the rest is a problem."""
    s = column(frame, name)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[ns]")
    obj = s.astype(object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_num = obj.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v == v)
    if is_num.any():
        out[is_num] = EXCEL_EPOCH + pd.to_timedelta(obj[is_num].astype(float), unit="D")
    rest = ~is_num & ~_blank(obj)
    if rest.any():
        parsed = pd.to_datetime(obj[rest].map(_date_text), errors="coerce", format="mixed")
        out[rest] = parsed
        problems.add("not-a-date", name, (rest & out.isna()).to_numpy(), obj.to_numpy())
    return out.to_numpy(dtype="datetime64[ns]")


def _date_text(value) -> object:
    return value if not isinstance(value, str) else value.strip().replace(".", "-").replace("/", "-")


def codes(frame: pd.DataFrame, name: str, lookup: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value in `lookup` (keys normalised), -1 where unknown; and a blank mask.

    Works on the distinct values only, so a million rows with a handful of formats is cheap.
    """
    positions, uniques = pd.factorize(column(frame, name), use_na_sentinel=True)
    mapped = np.array([lookup.get(normalise_header(u), -1) for u in uniques] + [-1], dtype=np.int64)
    empty = np.array([isinstance(u, str) and u.strip() == "" for u in uniques] + [True], dtype=bool)
    return mapped[positions], empty[positions]  # position -1 (NaN) picks the trailing entries


def _blank(s: pd.Series) -> np.ndarray:
    """Empty cells: None, NaN or whitespace-only text."""
    na = s.isna().to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        text = s.astype(object).map(lambda v: isinstance(v, str) and v.strip() == "").to_numpy(dtype=bool)
        return na | text
    return na

