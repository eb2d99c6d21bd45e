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
import math
from pathlib import Path

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
from crm_xl.xlsx.writing import FINDING_HEADERS, WIDTHS, new_workbook, write_findings_sheet, write_value

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
        wb.constant_memory = False  # notes and formats on arbitrary cells
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
    table, template = report.table, report.meta is not None
    ws = wb.add_worksheet(name)
    unlocked = {"locked": False} if template else {}  # in a template, only the grey cells stay locked
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    date = wb.add_format({"num_format": "yyyy-mm-dd", **unlocked})
    plain = wb.add_format(unlocked) if template else None
    marks = {sev: wb.add_format({"bg_color": colour, **unlocked}) for sev, colour in FILL.items()}
    marked_dates = {sev: wb.add_format({"bg_color": colour, "num_format": "yyyy-mm-dd", **unlocked})
                    for sev, colour in FILL.items()}
    head_row = table.header_row - 1
    columns = {name: column_index(table.letters[name]) for name in table.frame.columns if name in table.letters}
    widths = {name: WIDTHS.get(name) or max(12, min(30, len(str(name)) + 2)) for name in columns}
    for name, col in columns.items():
        ws.write_string(head_row, col, table.headers.get(name, str(name)), header)
        ws.set_column(col, col, widths[name], plain)
    ws.freeze_panes(head_row + 1, 0)
    print_setup(ws, width=sum(widths.values()), header_rows=head_row + 1, footer=texts.page_footer(lang))
    rows = (head_row + 1 + table.frame.index.to_numpy()).tolist()
    for name, col in columns.items():
        _write_column(ws, rows, col, table.frame[name], date)
    if template:
        _template_parts(wb, ws, report, columns, rows, model, lang)
    by_column = {col: name for name, col in columns.items()}
    position = {r: i for i, r in enumerate(rows)}
    for (r, c), found in notes.items():  # written again over the plain value: coloured, with the note
        name, i = by_column.get(c), position.get(r)
        value = table.frame[name].iloc[i] if name is not None and i is not None else None
        severity = "error" if any(f.severity == "error" for f in found) else "warning"
        dated = isinstance(value, (dt.date, pd.Timestamp)) and value is not pd.NaT
        write_value(ws, r, c, value, (marked_dates if dated else marks)[severity], date)  # a date stays a date
        ws.write_comment(r, c, "\n".join(_note(f, lang, table.headers) for f in found),
                         {"x_scale": 2.2, "y_scale": 1.6})


def _note(f, lang: str, headers: dict) -> str:
    return f"{texts.message(f, lang, headers)}\n{texts.text('note.fix', lang, fix=texts.fix(f, lang, headers))}"


def _template_parts(wb, ws, report: FileReport, columns: dict, rows: list[int], model, lang: str) -> None:
    """What makes the copy the same template: pre-filled rows' locked fields grey and locked,
    the dropdowns and input hints, and sheet protection (formatting, filters and sorting allowed)."""
    table, meta = report.table, report.meta
    last = max(rows, default=table.header_row) + EXTRA_ROWS
    locked = [c for c in str(meta.get("locked_columns", "")).split(",") if c in columns]
    if KEY in table.frame.columns:
        prints = meta.get("fingerprints", {})
        prefilled = [i for i, code in enumerate(stored_texts(table.frame[KEY], "text")) if code in prints]
        grey = wb.add_format({"bg_color": LOCKED_FILL, "locked": True})
        grey_date = wb.add_format({"bg_color": LOCKED_FILL, "locked": True, "num_format": "yyyy-mm-dd"})
        for name in locked:
            values = table.frame[name]
            for i in prefilled:
                value = values.iloc[i]
                dated = isinstance(value, (dt.date, pd.Timestamp)) and value is not pd.NaT
                write_value(ws, rows[i], columns[name], value, grey_date if dated else grey)
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


def _write_column(ws, rows: list[int], col: int, column: pd.Series, date_fmt) -> None:
    """One column's cells, by the column's type (a loop per type: 100,000 rows x 44 columns)."""
    if pd.api.types.is_float_dtype(column.dtype):
        for r, v in zip(rows, column.to_numpy(dtype=float).tolist()):
            if math.isfinite(v):
                ws.write_number(r, col, v)
    elif pd.api.types.is_datetime64_any_dtype(column.dtype):
        for r, v in zip(rows, column.dt.to_pydatetime().tolist()):
            if v is not None and v is not pd.NaT:
                ws.write_datetime(r, col, v, date_fmt)
    else:
        for r, v in zip(rows, column.to_numpy(dtype=object).tolist()):
            if v is not None:
                write_value(ws, r, col, v, None, date_fmt)


def _errors_sheet(wb, report: FileReport, sheet: str, lang: str) -> None:
    headers = report.table.headers
    rows = ((f.fields.get("cell") if f.fields.get("file") == report.file else None,
             texts.text(f"severity.{f.severity}", lang), f.code,
             headers.get(f.fields.get("column"), f.fields.get("column", "")), f.fields.get("value"),
             texts.message(f, lang, headers), texts.fix(f, lang, headers)) for f in report.findings)
    write_findings_sheet(wb, texts.text("errors.sheet", lang), sheet, rows,
                         [texts.text(f"errors.{h}", lang) for h in FINDING_HEADERS], texts.page_footer(lang))
