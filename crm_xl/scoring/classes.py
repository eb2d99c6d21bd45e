"""The 42-class code: market + format + scale, e.g. CZL."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.fields import in_language, normalise_header
from crm_xl.model.schema import Classification, Coded
from crm_xl.scoring.inputs import SMALL, codes, numbers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.categories import categorical


_LOOKUPS: dict[int, tuple[tuple[Coded, ...], dict[str, int]]] = {}


def lookup(options: tuple[Coded, ...]) -> dict[str, int]:
    """Every accepted spelling (code, label, alias) of each option, normalised, to its position.

    Made once per model's option list (a one-cell formula would otherwise rebuild it every call);
    callers only read it. Keyed by the option tuple's identity (a model's tuple lives as long as
    the model; hashing every option would cost more than the lookup saves); the entry holds the
    tuple, so its id cannot be reused while cached."""
    hit = _LOOKUPS.get(id(options))
    if hit is not None and hit[0] is options:
        return hit[1]
    if len(_LOOKUPS) > 256:
        _LOOKUPS.clear()
    _LOOKUPS[id(options)] = (options, _lookup(options))
    return _LOOKUPS[id(options)][1]


def _lookup(options: tuple[Coded, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, o in enumerate(options):
        for name in (o.code, o.label, *o.aliases):
            out[normalise_header(name)] = i
    return out


def coded_fields(cls: Classification) -> dict[str, tuple[Coded, ...]]:
    """The customer fields whose values are codes of the model (stored as the code, shown as a label)."""
    return {"business_format": cls.formats, "market_type": cls.markets, "business_scale": cls.scales}


def canonical_codes(texts: list, options: tuple[Coded, ...]) -> list:
    """Each text as the code of the option it names (편의점, 便利店, convenience -> B); a text that
    names no option, or None, stays as it is (validation reports it)."""
    known = lookup(options)
    return [options[known[normalise_header(t)]].code if t is not None and normalise_header(t) in known else t
            for t in texts]


def option_label(option: Coded, lang: str | None) -> str:
    """How an option reads in a language: its alias in that script (편의점, 便利店), its label in
    English, its code when no language is asked for."""
    if lang is None:
        return option.code
    return (in_language(tuple(option.aliases), lang) if lang != "en" else None) or option.label


def shown_as(values: list, options: tuple[Coded, ...], lang: str | None) -> list:
    """Stored codes (or any spelling of an option) as the reader of `lang` reads them."""
    by_code = {o.code: o for o in options}
    return [option_label(by_code[c], lang) if c in by_code else c for c in canonical_codes(values, options)]


def coded(frame: pd.DataFrame, column: str, options: tuple[Coded, ...], kind: str,
          problems: Problems, required: bool = True) -> np.ndarray:
    idx, blank = codes(frame, column, lookup(options))
    if required and column in frame.columns:  # an absent column is reported once per file
        problems.add("missing-value", column, blank)
    unknown = _unknown(idx, blank)
    if unknown is not None:  # the list of choices is made only for a message
        values = np.asarray(frame[column], dtype=object) if column in frame.columns else None
        problems.add("unknown-code", column, unknown, values, kind=kind,
                     choices=", ".join(f"{o.code} ({o.label})" for o in options))
    return idx


def _unknown(idx: np.ndarray, blank: np.ndarray) -> np.ndarray | None:
    """Cells holding something that is no code (blank cells are not); None when there is none."""
    if len(idx) <= SMALL and not any(i < 0 and not b for i, b in zip(idx.tolist(), blank.tolist())):
        return None  # a few cells: a loop beats numpy's set-up
    unknown = (idx < 0) & ~blank
    return unknown if np.count_nonzero(unknown) else None


def scales(frame: pd.DataFrame, cls: Classification, problems: Problems) -> np.ndarray:
    """Scale from business_scale when given, else from the scale measure through the bands."""
    given = (coded(frame, "business_scale", cls.scales, "business scale", problems, required=False)
             if "business_scale" in frame.columns else None)  # no column: every scale from the measure
    measure = numbers(frame, cls.scale_measure, problems)
    idx = cls.scale_bands.index(measure)
    if given is not None and np.count_nonzero(given >= 0):
        idx = np.where(given >= 0, given, idx)
    if (given is not None or cls.scale_measure in frame.columns) and np.count_nonzero(idx < 0):
        unnamed = np.isnan(measure) if given is None else (given == -1) & np.isnan(measure)
        problems.add("missing-value", f"business_scale or {cls.scale_measure}", unnamed)
    return idx


def classes(frame: pd.DataFrame, cls: Classification, problems: Problems) -> pd.Categorical:
    m = coded(frame, "market_type", cls.markets, "market type", problems)
    f = coded(frame, "business_format", cls.formats, "business format", problems)
    s = scales(frame, cls, problems)
    return categorical(cls.class_of_positions[m, f, s], cls.class_codes)
