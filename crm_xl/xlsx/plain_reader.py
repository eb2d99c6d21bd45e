"""The typed column read without fastexcel: openpyxl in read-only mode, pure Python.

For installs without the `fast` extra (xlwings Lite's Pyodide has no fastexcel or pyarrow). It
gives what reader.read_columns promises, cell for cell as the fast read does: each column in its
schema type, nothing guessed from the first rows, and a cell of another type kept as its own
value at its cell (text as typed, a date as a datetime, an error as `#DIV/0!`). Some 20 times
slower than fastexcel; a file reaches it only after the same safety pre-check (xlsx.safety).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.findings import InputError, finding
from crm_xl.xlsx.spaces import SPACES

EXCEL_EPOCH = np.datetime64("1899-12-30", "ms")
EARLY_EPOCH = np.datetime64("1899-12-31", "ms")  # serials before 60 (Excel counts a 29 Feb 1900 that never was)
LAST_SERIAL = 2_958_465  # 9999-12-31, the last day a workbook holds
DATE_UNIT = "datetime64[ms]"  # as the fast read: nanoseconds would wrap after 2262
# Text that the fast reader takes as a number in a number column: plain decimal notation, no spaces.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class PlainWorkbook:
    """A workbook opened with openpyxl read-only (values, not formulas), read one sheet at a time."""

    def __init__(self, path: Path):
        import openpyxl

        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputError([finding("file-unreadable", file=path,
                                      detail=f"cannot be opened as a workbook ({exc})")]) from None
        self.path = path
        self.sheet_names = list(self.book.sheetnames)

    def rows(self, sheet: str) -> list[tuple]:
        try:
            return list(self.book[sheet].iter_rows(values_only=True))
        except Exception as exc:
            raise InputError([finding("file-unreadable", file=self.path, detail=f"cannot be read ({exc})")]) from None

    def text_rows(self, sheet: str) -> list[list[str | None]]:
        """Every cell as text, as the fast reader's string read gives it (12.0 is "12")."""
        return [[None if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                 for v in row] for row in self.rows(sheet)]

    def typed_columns(self, sheet: str, types: dict[int, str], first_row: int) -> dict[int, np.ndarray]:
        rows = self.rows(sheet)
        out = {}
        for col, kind in types.items():
            cells = [row[col] if col < len(row) else None for row in rows]
            out[col] = _typed(cells, kind, first_row)
        return out


def _typed(cells: list, kind: str, first_row: int) -> np.ndarray:
    convert = {"number": _number, "date": _date, "text": _text}[kind]
    values, fits = [], True
    for i, v in enumerate(cells):
        value, ok = convert(v)
        if not ok and i < first_row:  # above the table (the header, a title): not data
            value, ok = convert(None)
        values.append(value)
        fits &= ok
    if kind == "text":
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    if fits:
        return np.array(values, dtype=float if kind == "number" else DATE_UNIT)
    array = np.empty(len(values), dtype=object)
    array[:] = [pd.Timestamp(v) if kind == "date" and isinstance(v, np.datetime64) and not np.isnat(v)
                else v for v in values]
    return array


def _number(v) -> tuple[object, bool]:
    """(value, whether it is of the column's type); a bool reads 1/0 as the fast reader's does."""
    if v is None:
        return np.nan, True
    if isinstance(v, (bool, int, float)):
        return float(v), True
    if isinstance(v, dt.datetime):
        return v, False
    if isinstance(v, str) and PLAIN_NUMBER.fullmatch(v) and np.isfinite(float(v)):  # a number stored as text ("00123")
        return float(v), True
    return v, False  # 1e309 too: no cell holds it


def _date(v) -> tuple[object, bool]:
    if v is None:
        return np.datetime64("NaT", "ms"), True
    if isinstance(v, dt.datetime):
        return np.datetime64(v.replace(microsecond=0) + dt.timedelta(seconds=round(v.microsecond / 1e6)), "ms"), True
    if isinstance(v, dt.date):
        return np.datetime64(v, "ms"), True
    if isinstance(v, bool):
        return ("TRUE" if v else "FALSE"), False
    if isinstance(v, (int, float)) and v < LAST_SERIAL + 1:  # an Excel serial in a date column is that date
        epoch = EARLY_EPOCH if v < 60 else EXCEL_EPOCH
        return epoch + np.timedelta64(round(v * 86_400) * 1000, "ms"), True
    return v, False


def _text(v) -> tuple[object, bool]:
    if v is None:
        return None, True
    if isinstance(v, bool):
        return ("true" if v else "false"), True  # reader.read_columns makes them TRUE/FALSE, as for fastexcel
    if isinstance(v, float) and v.is_integer():
        return str(int(v)), True
    if isinstance(v, (int, float)):
        return str(v), True
    if isinstance(v, (dt.datetime, dt.date)):
        return str(pd.Timestamp(v)), True
    text = str(v).strip(SPACES)  # spaces only, as the fast reader and values.texts trim
    return (text or None), True
