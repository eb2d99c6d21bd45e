"""The pure-Python reader (installs without the `fast` extra) keeps the fast reader's promises.

tests/test_reading.py runs every reading test with both readers (the `either_reader` fixture);
here the two typed reads are compared cell by cell on every kind of cell in every column type.
"""
import datetime as dt

import numpy as np
import openpyxl
import pandas as pd

from crm_xl.xlsx import reader
from crm_xl.xlsx.plain_reader import PlainWorkbook

CELLS = ["x", "  pad  ", "", 7, 123.0, True, False, dt.datetime(2024, 3, 1, 12, 30), dt.date(2024, 1, 2), 45352,
         "#DIV/0!", "1,234원", None, "00123", "  8 ", "seven", -5, 0.25]


def _same(a, b) -> bool:
    return (type(a) is type(b) and a == b) or (a is not None and b is not None and pd.isna(a) and pd.isna(b))


def test_both_readers_give_the_same_cells(tmp_path):
    path = tmp_path / "kinds.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["text", "number", "date"])
    for v in CELLS:
        wb.active.append([v, v, v])
    wb.save(path)
    types = {0: "text", 1: "number", 2: "date"}
    fast = reader._typed_read(reader.open_workbook(path), path, "Sheet", types, 1)
    plain = PlainWorkbook(path).typed_columns("Sheet", types, 1)
    for col in types:
        pairs = list(zip(list(fast[col]), list(plain[col])))
        assert len(pairs) == len(CELLS) + 1
        assert [i for i, (a, b) in enumerate(pairs) if not _same(a, b)] == [], types[col]
    # a cell of another type stays at its cell, as its own value
    assert plain[1][CELLS.index("1,234원") + 1] == "1,234원" and plain[2][CELLS.index("seven") + 1] == "seven"
    assert np.isnan(plain[1][CELLS.index("") + 1]) and plain[0][CELLS.index("  pad  ") + 1] == "pad"


def test_a_serial_no_date_can_hold_stays_a_number(tmp_path):
    """fastexcel wraps 12345678.9 round to a date in 1797; the plain reader keeps the number to report."""
    path = tmp_path / "big.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["date"])
    wb.active.append([12345678.9])
    wb.save(path)
    assert PlainWorkbook(path).typed_columns("Sheet", {0: "date"}, 1)[0].tolist()[1] == 12345678.9


def test_the_fixture_really_switches_reader(tmp_path, either_reader):
    path = tmp_path / "one.xlsx"
    openpyxl.Workbook().save(path)
    assert isinstance(reader.open_workbook(path), PlainWorkbook) == (either_reader == "openpyxl")
