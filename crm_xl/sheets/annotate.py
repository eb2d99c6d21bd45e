"""The annotated copy of an upload: bad cells red with a note, and an Errors sheet linking to each.

Headers and data stay at the cells they had in the upload, so every reference in the findings
points at the same cell here, and the user can fix the red cells and upload this file again.
A copy of a template upload stays that template: its locked cells, dropdowns and hints,
instructions and hidden metadata come along, so the fixed copy is checked as the template it is.
Notes and the Errors sheet are in the upload's language. Everything is written as values; text
stays text however it starts.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl import texts
from crm_xl.files import atomic_path
from crm_xl.model import ScoringModel, default_model
from crm_xl.sheets.template import (
    EXTRA_ROWS,
    KEY,
    META_SHEET,
    TEMPLATE_PROPERTY,
    input_rules,
    instructions_sheet,
)
from crm_xl.sheets.validation import FileReport
from crm_xl.values import stored_texts
from crm_xl.xlsx.printing import print_setup
from crm_xl.xlsx.reader import open_workbook, text_rows
from crm_xl.xlsx.refs import cell_position, column_index, sheet_name
from crm_xl.xlsx.sheetdata import CellStyles, style_attr
from crm_xl.xlsx.writing import FINDING_HEADERS, WIDTHS, new_workbook, write_findings_sheet

FILL = {"error": "#FFC7CE", "warning": "#FFEB9C"}
LOCKED_FILL = "#EDEDED"


def write_annotated(report: FileReport, path: Path, lang: str | None = None,
                    model: ScoringModel | None = None) -> Path:
    """The copy of `report`'s upload; `lang` (default: the upload's language) for notes and Errors."""
    table = report.table
    if table is None:
        raise ValueError(f"{report.file} could not be read; there is nothing to annotate")
    lang = lang or report.language
    notes: dict[tuple[int, int], list] = {}
    for f in report.findings:
        if "cell" in f.fields and f.fields.get("file") == report.file:
            notes.setdefault(cell_position(f.fields["cell"]), []).append(f)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.constant_memory = False  # xlsxwriter writes notes on cells only out of constant-memory mode
        # the upload's own sheet name, unless Excel would refuse it (a file from another program)
        data = sheet_name(table.sheet, taken=(texts.text("errors.sheet", lang), instructions_sheet(lang), META_SHEET))
        _data_sheet(wb, report, notes, lang, model or default_model(), data)
        _errors_sheet(wb, report, data, lang)
        if report.meta is not None:
            _instructions(wb, lang)
            _metadata(wb, report.file, report.meta)
        wb.close()
    return path


def _data_sheet(wb, report: FileReport, notes, lang: str, model: ScoringModel, name: str) -> None:
    """The upload's table at its own cells, as one spliced table (sheetdata: a 100,000-row upload in
    seconds); pre-filled locked cells of a template grey, marked cells coloured, each with its note."""
    table, template = report.table, report.meta is not None
    ws = wb.add_worksheet(name)
    # in a template, only the grey cells stay locked; every cell at the top of its row, as xf 0 is
    unlocked = {"locked": False, "valign": "top"} if template else {"valign": "top"}
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    date = wb.add_format({"num_format": "yyyy-mm-dd", **unlocked})
    plain = wb.add_format(unlocked) if template else None  # else xf 0
    head_row = table.header_row - 1
    columns = {name: column_index(table.letters[name]) for name in table.frame.columns if name in table.letters}
    widths = {name: WIDTHS.get(name) or max(12, min(30, len(str(name)) + 2)) for name in columns}
    for name, col in columns.items():
        ws.write_string(head_row, col, table.headers.get(name, str(name)), header)
        ws.set_column(col, col, widths[name], plain)
    ws.freeze_panes(head_row + 1, 0)
    print_setup(ws, width=sum(widths.values()), header_rows=head_row + 1, footer=texts.page_footer(lang))
    rows = (head_row + 1 + table.frame.index.to_numpy()).tolist()
    if template:
        _template_parts(wb, ws, report, columns, rows, model, lang)
    first = head_row + 1  # 0-based sheet row of the table's first row
    marks = {(r, c): found for (r, c), found in notes.items() if r >= first}
    titles = {col: table.headers.get(name, str(name)) for name, col in columns.items()}
    for (r, c), found in notes.items():  # above the table (an unknown header): coloured, its text kept
        if r < first:
            _mark_above(wb, ws, r, c, titles.get(c) if r == head_row else None, _severity(found), unlocked)
            ws.write_comment(r, c, "\n".join(_note(f, lang, table.headers) for f in found), NOTE_SIZE)
    grid = _grid(table.frame, columns, rows, first, marks)
    styles = [CellStyles(number=style_attr(plain), date=style_attr(date), text=style_attr(plain))] * len(grid.columns)
    overrides = _grey_cells(wb, report, columns, first) + _marked_cells(wb, marks, first, unlocked)
    wb.add_table_rows(ws, grid, styles, first_row=first + 1, overrides=overrides)
    for (r, c), found in marks.items():
        ws.write_comment(r, c, "\n".join(_note(f, lang, table.headers) for f in found), NOTE_SIZE)


NOTE_SIZE = {"x_scale": 2.2, "y_scale": 1.6}


def _mark_above(wb, ws, r: int, c: int, header: str | None, severity: str, unlocked: dict) -> None:
    mark = wb.add_format({"bold": header is not None, "bg_color": FILL[severity], "text_wrap": True,
                          "valign": "top", **unlocked})
    if header:
        ws.write_string(r, c, header, mark)
    else:
        ws.write_blank(r, c, None, mark)


def _grid(frame: pd.DataFrame, columns: dict[str, int], rows: list[int], first: int, marks) -> pd.DataFrame:
    """The table as it sits in the sheet from row `first` (0-based) and column A: its rows at their
    own rows (blank rows between them), its columns at their own letters, reaching every marked cell."""
    last_row = max(rows + [r for r, _ in marks], default=first - 1)
    width = max(list(columns.values()) + [c for _, c in marks], default=-1) + 1
    at = pd.RangeIndex(first, last_row + 1)
    placed = {col: frame[name].set_axis(rows).reindex(at) for name, col in columns.items()}
    empty = pd.Series(None, index=at, dtype=object)
    return pd.DataFrame({j: placed.get(j, empty) for j in range(width)}, index=at).reset_index(drop=True)


def _marked_cells(wb, marks, first: int, unlocked: dict) -> list[tuple[int, np.ndarray, CellStyles]]:
    """Cells with a finding, coloured by their worst one (an empty one too); a date keeps its format."""
    out = []
    for severity, colour in FILL.items():
        fill = style_attr(wb.add_format({"bg_color": colour, **unlocked}))
        dated = style_attr(wb.add_format({"bg_color": colour, "num_format": "yyyy-mm-dd", **unlocked}))
        cells = [(r, c) for (r, c), found in marks.items() if _severity(found) == severity]
        for c in sorted({c for _, c in cells}):
            out.append((c, np.array([r - first for r, cc in cells if cc == c]),
                        CellStyles(number=fill, date=dated, text=fill, blank=fill)))
    return out


def _severity(found: list) -> str:
    return "error" if any(f.severity == "error" for f in found) else "warning"


def _grey_cells(wb, report: FileReport, columns: dict, first: int) -> list[tuple[int, np.ndarray, CellStyles]]:
    """A template's pre-filled rows: their locked fields grey and locked (the key, the system columns)."""
    table, meta = report.table, report.meta
    if meta is None or KEY not in table.frame.columns:
        return []
    locked = [c for c in str(meta.get("locked_columns", "")).split(",") if c in columns]
    prints = meta.get("fingerprints", {})
    prefilled = [i for i, code in enumerate(stored_texts(table.frame[KEY], "text")) if code in prints]
    if not locked or not prefilled:
        return []
    grey = style_attr(wb.add_format({"bg_color": LOCKED_FILL, "locked": True, "valign": "top"}))
    grey_date = style_attr(wb.add_format({"bg_color": LOCKED_FILL, "locked": True, "num_format": "yyyy-mm-dd",
                                          "valign": "top"}))
    positions = table.header_row + table.frame.index.to_numpy()[prefilled] - first
    return [(columns[name], positions, CellStyles(number=grey, date=grey_date, text=grey, blank=grey))
            for name in locked]


def _note(f, lang: str, headers: dict) -> str:
    return f"{texts.message(f, lang, headers)}\n{texts.text('note.fix', lang, fix=texts.fix(f, lang, headers))}"


def _template_parts(wb, ws, report: FileReport, columns: dict, rows: list[int], model, lang: str) -> None:
    """What makes the copy the same template: the dropdowns and input hints, and sheet protection
    (formatting, filters and sorting allowed); the pre-filled rows' locked cells are _grey_cells."""
    table = report.table
    last = max(rows, default=table.header_row) + EXTRA_ROWS
    first = table.header_row  # 0-based first data row
    for rule in input_rules(model, lang):
        if rule.column not in columns:
            continue
        options = {"input_title": rule.title[:32], "input_message": rule.hint, "error_title": rule.title[:32],
                   "error_message": rule.hint, "ignore_blank": True}
        if rule.kind == "list":
            options.update(validate="list", source=list(rule.choices))
        elif rule.kind == "decimal":
            options.update(validate="decimal", criteria="between", minimum=rule.low, maximum=rule.high)
        else:
            options.update(validate="date", criteria=">", value=dt.date(1900, 1, 1))
        col = columns[rule.column]
        ws.data_validation(first, col, last, col, options)
    ws.protect("", {"format_cells": True, "format_columns": True, "autofilter": True, "sort": True})


def _instructions(wb, lang: str) -> None:
    ws = wb.add_worksheet(instructions_sheet(lang))
    title, wrap = wb.add_format({"bold": True, "font_size": 14}), wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 100, wrap)
    for i, line in enumerate(texts.lines("instructions", lang)):
        ws.write_string(i, 0, line, title if i == 0 else None)
    print_setup(ws, width=100, header_rows=0, footer=texts.page_footer(lang))


def _metadata(wb, upload: Path, meta: dict) -> None:
    """The upload's hidden metadata sheet copied cell for cell, and the template's document property."""
    ws = wb.add_worksheet(META_SHEET)
    for i, row in enumerate(text_rows(open_workbook(upload), upload, META_SHEET)):
        for j, value in enumerate(row[:2]):
            if value not in (None, ""):
                ws.write_string(i, j, str(value))
    ws.very_hidden()  # as in the template: only code reads it
    wb.set_custom_property(TEMPLATE_PROPERTY, str(meta.get("template_id", "")))


def _errors_sheet(wb, report: FileReport, sheet: str, lang: str) -> None:
    headers = report.table.headers
    rows = ((f.fields.get("cell") if f.fields.get("file") == report.file else None,
             texts.text(f"severity.{f.severity}", lang), f.code,
             headers.get(f.fields.get("column"), f.fields.get("column", "")), f.fields.get("value"),
             texts.message(f, lang, headers), texts.fix(f, lang, headers)) for f in report.findings)
    write_findings_sheet(wb, texts.text("errors.sheet", lang), sheet, rows,
                         [texts.text(f"errors.{h}", lang) for h in FINDING_HEADERS], texts.page_footer(lang))
