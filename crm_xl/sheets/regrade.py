"""Regrade or check a customer sheet in place: what the ribbon buttons and `crm-xl regrade` do.

The logic runs on a small sheet interface (read the values, write a block, colour and annotate
cells) that an openpyxl worksheet and an xlwings sheet both satisfy, so the button in Excel and
the command on a server do exactly the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from crm_xl.fields import COMPUTED_COLUMNS
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import ScoredCustomers, score_customers
from crm_xl.sheets.reading import Table, table_from_grid
from crm_xl.sheets.validation import validate_table
from crm_xl.xlsx.refs import cell_position, column_index
from crm_xl.xlsx.writing import NUMBER_FORMATS, WIDTHS

HEADER_FILL = "DDEBF7"
ISSUE_FILL = "FFC7CE"


class SheetLike(Protocol):
    name: str

    def values(self) -> list[list]: ...  # from A1, one list per row
    def write(self, row: int, col: int, block: list[list], number_format: str | None = None) -> None: ...
    def fill(self, row: int, col: int, colour: str | None) -> None: ...  # "RRGGBB" or None to clear
    def note(self, row: int, col: int, text: str | None) -> None: ...
    def width(self, col: int, chars: float) -> None: ...  # column width in characters


@dataclass
class SheetResult:
    customers: int
    counts: dict[str, int]
    rows_with_issues: int
    summary: str  # the one line shown to the user


def _score(sheet: SheetLike, model: ScoringModel) -> tuple[Table, ScoredCustomers]:
    grid = pd.DataFrame(sheet.values(), dtype=object)
    table = table_from_grid(grid, Path(sheet.name), sheet.name)
    return table, score_customers(table.frame, model)


def regrade(sheet: SheetLike, model: ScoringModel) -> SheetResult:
    """Recompute every derived column in place (appending missing ones), colour the grades."""
    table, scored = _score(sheet, model)
    header_row = table.header_row - 1
    last = max((column_index(letter) for letter in table.letters.values()), default=-1)
    body_rows = int(table.frame.index.max()) + 1 if len(table.frame) else 0
    colours = {g.label: g.colour.lstrip("#") for g in model.credit.grades}
    for name in COMPUTED_COLUMNS:
        if name in table.letters:
            col = column_index(table.letters[name])
        else:
            last += 1
            col = last
            sheet.write(header_row, col, [[name]])
            sheet.fill(header_row, col, HEADER_FILL)
            sheet.width(col, WIDTHS.get(name, max(10, len(name) + 2)))
        values = np.full(body_rows, None, dtype=object)
        values[table.frame.index.to_numpy()] = _plain(scored.computed[name])
        sheet.write(header_row + 1, col, [[v] for v in values], NUMBER_FORMATS.get(name))
        if name == "credit_grade":
            for i, grade in enumerate(values):
                sheet.fill(header_row + 1 + i, col, colours.get(grade))
    return _result(table, scored, "Regraded")


def validate(sheet: SheetLike, model: ScoringModel) -> SheetResult:
    """Mark every cell the upload validator would reject: red fill and a note saying why and how to fix."""
    table = table_from_grid(pd.DataFrame(sheet.values(), dtype=object), Path(sheet.name), sheet.name)
    findings = [f for f in validate_table(table, model) if f.severity != "info"]
    marked: dict[tuple[int, int], list[str]] = {}
    for f in findings:
        marked.setdefault(cell_position(f.fields["cell"]), []).append(f"{f.message}. Fix: {f.fix}")
    for (row, col), texts in marked.items():
        sheet.fill(row, col, ISSUE_FILL)
        sheet.note(row, col, "\n".join(texts))
    rows = len({row for row, _ in marked})
    errors = sum(f.severity == "error" for f in findings)
    summary = (f"Checked {len(table.frame):,} customers on {table.sheet}: {errors:,} errors, "
               f"{len(findings) - errors:,} warnings in {rows:,} {'row' if rows == 1 else 'rows'}")
    return SheetResult(len(table.frame), {}, rows, summary)



def _result(table: Table, scored: ScoredCustomers, verb: str) -> SheetResult:
    counts = {str(k): int(v) for k, v in scored.computed["credit_grade"].value_counts(sort=False).items() if v}
    issues = scored.problems.frame()
    rows = int(issues.loc[issues.severity != "info", "row"].nunique())
    grades = " · ".join(f"{k} {v:,}" for k, v in reversed(counts.items()))
    summary = (f"{verb} {len(table.frame):,} customers on {table.sheet}: {grades or 'no grades'}; "
               f"{rows:,} {'row has' if rows == 1 else 'rows have'} issues")
    return SheetResult(len(table.frame), counts, rows, summary)


def _plain(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype=object, copy=True)  # pandas may hand back a read-only view
    values[pd.isna(values)] = None
    return values
