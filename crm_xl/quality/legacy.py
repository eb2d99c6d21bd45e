"""Import a legacy customer file as a standard upload: mapped headers, values in one form.

The result is an ordinary upload workbook (canonical headers, sheet Customers) that goes
through `crm-xl validate` and `crm-xl merge` like any other: there is no second way into the store.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.fields import columns
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.quality.config import load_config
from crm_xl.quality.mapping import MappingPlan, load_mapping, plan_mapping
from crm_xl.quality.normalise import phone_key
from crm_xl.sheets.reading import read_untrusted_table, top_rows
from crm_xl.xlsx.writing import new_workbook, write_table

KEY = "customer_code"


@dataclass
class ImportResult:
    plan: MappingPlan
    output: Path
    rows: int
    changed: dict[str, int] = field(default_factory=dict)  # field -> values put into one form


def plan_import(path: Path, mapping: Path | None = None, sheet: str | None = None,
                config: dict | None = None) -> MappingPlan:
    """How the file's headers map onto our fields (a saved mapping's decisions first)."""
    config = config or load_config()
    name, top = top_rows(path, sheet)
    return plan_mapping(Path(path), top, name, config, load_mapping(mapping) if mapping else None)


def import_legacy(plan: MappingPlan, output: Path, mapping_name: str = "the mapping file") -> ImportResult:
    """Read the file with a settled plan, put values into one form, write the upload."""
    if plan.unsure:
        raise InputError([finding("mapping-unsure", file=plan.file, count=len(plan.unsure), mapping=mapping_name,
                                  columns=", ".join(f"{m.column} {m.header!r}" for m in plan.unsure))])
    if KEY not in {m.field for m in plan.matches}:
        raise InputError([finding("mapping-no-key", file=plan.file, sheet=plan.sheet, mapping=mapping_name)])
    table = read_untrusted_table(plan.file, sheet=plan.sheet if plan.file.suffix.lower() in (".xlsx", ".xlsm") else None,
                       headers=plan.renames())
    frame = table.frame[[c for c in table.frame.columns if c in columns()]].reset_index(drop=True)
    frame, changed = normalise_values(frame)
    ordered = [c for c in columns() if c in frame.columns]
    with atomic_path(output) as tmp:
        wb = new_workbook(tmp)
        write_table(wb, "Customers", frame[ordered])
        wb.close()
    return ImportResult(plan, Path(output), len(frame), changed)


def normalise_values(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Text in one form: full-width letters and digits half-width, runs of spaces one space, phones
    as 010-1234-5678. Company-form words stay (matching ignores them, people expect to see them)."""
    out, changed = frame.copy(), {}
    for name in frame.columns:
        values = frame[name]
        if columns()[name].type != "text" or not _holds_text(values):
            continue
        text = values.map(_fold_text, na_action="ignore")
        if name == "phone":
            text = text.map(_phone_form, na_action="ignore")
        changed[name] = _count_changed(values, text)
        out[name] = text
    return out, {k: v for k, v in changed.items() if v}


def _holds_text(values: pd.Series) -> bool:
    """Object columns and pandas' string dtypes (the default for text from pandas 3 on)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _count_changed(before: pd.Series, after: pd.Series) -> int:
    """Cells whose value differs; a blank that stays blank (None, NaN or pd.NA alike) is unchanged."""
    differ = before.to_numpy(dtype=object, na_value=None) != after.to_numpy(dtype=object, na_value=None)
    return int(np.sum(differ))


def _fold_text(value) -> str | None:
    if not isinstance(value, str):
        return value
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    return text or None


def _phone_form(text: str) -> str:
    """One written form for a phone number; text that is not one is left for validate to flag."""
    digits = phone_key(text)
    if digits is None:
        return text
    if digits.startswith("02") and len(digits) in (9, 10):  # Seoul
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    if digits.startswith("0") and len(digits) in (10, 11):  # Korean mobile and area codes
        return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"
    if digits.startswith("1") and len(digits) == 11:  # Chinese mobile
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return text
