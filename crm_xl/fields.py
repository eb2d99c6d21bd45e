"""The customer fields: canonical names, header aliases (ko/zh/en), value types, owners (roles)
and sensitivity, from fields.toml. The base layer: imports nothing else of crm_xl."""
from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

# Written by scoring, in this order, after the input columns.
COMPUTED_COLUMNS = (
    "credit_level", "credit_grade", "credit_limit", "credit_policy", "customer_tier", "class_code",
    "value_segment", "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "tags", "scoring_issues",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, number or date
    group: str
    kind: str  # static, dynamic, system
    aliases: tuple[str, ...]
    required: bool = False
    pattern: str | None = None
    pattern_hint: str = ""
    sensitive: bool = False  # changes need a reviewer's approval before they reach the master data


@cache
def columns() -> dict[str, Column]:
    raw = tomllib.loads(resources.files("crm_xl").joinpath("fields.toml").read_text("utf-8"))
    return {name: Column(name, c["type"], c["group"], c["kind"], tuple(c["aliases"]), c.get("required", False),
                         c.get("pattern"), c.get("pattern_hint", ""), c.get("sensitive", False))
            for name, c in raw["columns"].items()}


@cache
def roles() -> dict[str, frozenset[str]]:
    """Role -> the kinds of field (static, dynamic) it may change through an upload."""
    raw = tomllib.loads(resources.files("crm_xl").joinpath("fields.toml").read_text("utf-8"))
    return {name: frozenset(r["kinds"]) for name, r in raw.get("roles", {}).items()}


def known_columns() -> set[str]:
    return set(columns()) | set(COMPUTED_COLUMNS)


def normalise_header(text: object) -> str:
    """Case, width, spacing and punctuation folded, so `Customer_Code ` matches `customer code`."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    folded = re.sub(r"[\s_\-./()（）:]+", " ", folded).strip()
    return folded


@cache
def header_lookup() -> dict[str, str]:
    """Every accepted header (canonical name or alias), normalised, to its canonical column."""
    lookup: dict[str, str] = {}
    for name in [*columns(), *COMPUTED_COLUMNS]:
        lookup[normalise_header(name)] = name
    for col in columns().values():
        for alias in col.aliases:
            lookup.setdefault(normalise_header(alias), col.name)
    return lookup


def canonical(header: object) -> str | None:
    return header_lookup().get(normalise_header(header)) if header is not None else None


def cell_text(value) -> str | None:
    """A cell's value as stable text: 123.0 -> "123", dates as YYYY-MM-DD, text stripped; None if empty."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    text = str(value).strip()
    return text or None


def column_texts(column, empty=None) -> list[str | None]:
    """`cell_text` of every value of a column, a whole column at a time; `empty` for empty cells."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return [empty if v is None or v != v else v for v in column.dt.strftime("%Y-%m-%d").tolist()]
    if pd.api.types.is_float_dtype(column.dtype):
        return _number_texts(column.to_numpy(dtype=float), empty)
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # the usual case: text or empty
        return [empty if v is None or v != v else (v.strip() or empty) for v in values.tolist()]
    return [cell_text(v) or empty for v in values]


def _number_texts(values, empty) -> list[str | None]:
    """`cell_text` of a float array: whole numbers (the usual case) converted by numpy at once."""
    whole = np.isfinite(values) & (np.abs(values) < 2**53) & (values == np.round(values))
    out = np.full(len(values), empty, dtype=object)
    out[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    other = np.flatnonzero(~whole & ~np.isnan(values))
    out[other] = [str(int(v)) if v.is_integer() else str(v) for v in values[other].tolist()]
    return out.tolist()
