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
from crm_xl.fields import label
from crm_xl.findings import Finding
from crm_xl.texts import fix as fix_text
from crm_xl.texts import language_of, message, text
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
    if hasattr(sheet, "error_cells"):  # error values, told apart from text typed as #N/A where the sheet can
        names = {column_index(letter): name for name, letter in table.letters.items()}
        table.errors = [(row - table.header_row, names[col]) for row, col in sheet.error_cells()
                        if row >= table.header_row and col in names]
    return table, score_customers(table.frame, model)


def regrade(sheet: SheetLike, model: ScoringModel, lang: str | None = None) -> SheetResult:
    """Recompute every derived column in place (appending missing ones, headed in the sheet's
    language or `lang`), colour the grades; the reasons in scoring_issues read in that language."""
    table, scored = _score(sheet, model)
    lang = lang or language_of(table.headers.values())
    scored.computed["scoring_issues"] = _issue_texts(table, scored, lang)
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
            sheet.write(header_row, col, [[label(name, lang)]])
            sheet.fill(header_row, col, HEADER_FILL)
            sheet.width(col, WIDTHS.get(name, max(10, len(name) + 2)))
        values = np.full(body_rows, None, dtype=object)
        values[table.frame.index.to_numpy()] = _plain(scored.computed[name])
        sheet.write(header_row + 1, col, [[v] for v in values], NUMBER_FORMATS.get(name))
        if name == "credit_grade":
            for i, grade in enumerate(values):
                sheet.fill(header_row + 1 + i, col, colours.get(grade))
    return _result(table, scored, sheet_issues(table, scored, model), "Regraded")


def sheet_issues(table: Table, scored: ScoredCustomers, model: ScoringModel) -> list[Finding]:
    """The one list of a sheet's issues that both buttons use: every cell the upload validator
    rejects, and every empty cell that keeps a score from being computed."""
    blocking = [b for b in scored.problems.batches if b.code == "missing-value"]
    found: dict[tuple, Finding] = {}
    for f in validate_table(table, model, table.error_findings()) + table.findings(blocking):
        if f.severity != "info" and f.cell:
            found.setdefault((f.row, f.column, f.code), f)
    return sorted(found.values(), key=lambda f: (f.row, f.cell))


def validate(sheet: SheetLike, model: ScoringModel, lang: str | None = None) -> SheetResult:
    """Mark every issue of the sheet: red fill and a note saying why and how to fix (in the sheet's
    language, or `lang`)."""
    table, scored = _score(sheet, model)
    lang = lang or language_of(table.headers.values())
    findings = sheet_issues(table, scored, model)
    marked: dict[tuple[int, int], list[str]] = {}
    for f in findings:
        fix = text("note.fix", lang, fix=fix_text(f, lang, table.headers))
        marked.setdefault(cell_position(f.fields["cell"]), []).append(f"{message(f, lang, table.headers)}\n{fix}")
    for (row, col), texts in marked.items():
        sheet.fill(row, col, ISSUE_FILL)
        sheet.note(row, col, "\n".join(texts))
    rows = len({row for row, _ in marked})
    errors = sum(f.severity == "error" for f in findings)
    summary = (f"Checked {len(table.frame):,} customers on {table.sheet}: {errors:,} errors, "
               f"{len(findings) - errors:,} warnings in {rows:,} {'row' if rows == 1 else 'rows'}")
    return SheetResult(len(table.frame), {}, rows, summary)



def _issue_texts(table: Table, scored: ScoredCustomers, lang: str) -> np.ndarray:
    """Each row's scoring reasons in `lang`, columns named by the sheet's own headers."""
    out = np.full(len(table.frame), None, dtype=object)
    position = {table.sheet_row(i): i for i in range(len(table.frame))}
    for f in table.findings(scored.problems.batches):
        i = position[f.row]
        said = message(f, lang, table.headers)
        out[i] = said if out[i] is None else f"{out[i]}; {said}"
    return out


def _result(table: Table, scored: ScoredCustomers, issues: list[Finding], verb: str) -> SheetResult:
    counts = {str(k): int(v) for k, v in scored.computed["credit_grade"].value_counts(sort=False).items() if v}
    rows = len({f.row for f in issues})
    grades = " · ".join(f"{k} {v:,}" for k, v in reversed(counts.items()))
    summary = (f"{verb} {len(table.frame):,} customers on {table.sheet}: {grades or 'no grades'}; "
               f"{rows:,} {'row has' if rows == 1 else 'rows have'} issues")
    return SheetResult(len(table.frame), counts, rows, summary)


def _plain(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype=object, copy=True)  # pandas may hand back a read-only view
    values[pd.isna(values)] = None
    return values
