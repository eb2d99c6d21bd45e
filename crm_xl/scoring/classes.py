"""The 42-class code: market + format + scale, e.g. CZL."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from crm_xl.fields import normalise_header
from crm_xl.model.schema import Classification, Coded
from crm_xl.scoring.inputs import codes, numbers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.categories import categorical


@lru_cache(maxsize=64)
def lookup(options: tuple[Coded, ...]) -> dict[str, int]:
    """Every accepted spelling (code, label, alias) of each option, normalised, to its position.

    Made once per model's option list (a one-cell formula would otherwise rebuild it every call);
    callers only read it."""
    out: dict[str, int] = {}
    for i, o in enumerate(options):
        for name in (o.code, o.label, *o.aliases):
            out[normalise_header(name)] = i
    return out


def coded(frame: pd.DataFrame, column: str, options: tuple[Coded, ...], kind: str,
          problems: Problems, required: bool = True) -> np.ndarray:
    idx, blank = codes(frame, column, lookup(options))
    if required and column in frame.columns:  # an absent column is reported once per file
        problems.add("missing-value", column, blank)
    values = np.asarray(frame[column], dtype=object) if column in frame.columns else None
    problems.add("unknown-code", column, (idx < 0) & ~blank, values, kind=kind,
                 choices=", ".join(f"{o.code} ({o.label})" for o in options))
    return idx


def scales(frame: pd.DataFrame, cls: Classification, problems: Problems) -> np.ndarray:
    """Scale from business_scale when given, else from the scale measure through the bands."""
    given = coded(frame, "business_scale", cls.scales, "business scale", problems, required=False)
    measure = numbers(frame, cls.scale_measure, problems)
    from_measure = cls.scale_bands.index(measure)
    idx = np.where(given >= 0, given, from_measure)
    if "business_scale" in frame.columns or cls.scale_measure in frame.columns:
        problems.add("missing-value", f"business_scale or {cls.scale_measure}", (given == -1) & np.isnan(measure))
    return idx


def classes(frame: pd.DataFrame, cls: Classification, problems: Problems) -> pd.Categorical:
    m = coded(frame, "market_type", cls.markets, "market type", problems)
    f = coded(frame, "business_format", cls.formats, "business format", problems)
    s = scales(frame, cls, problems)
    n_f, n_s = len(cls.formats), len(cls.scales)
    idx = (m * n_f + f) * n_s + s
    idx[(m < 0) | (f < 0) | (s < 0)] = -1
    return categorical(idx, cls.class_codes)
