"""The annotated copy of an upload: bad cells red with a note, and an Errors sheet linking to each.

Headers and data stay at the cells they had in the upload, so every reference in the findings
points at the same cell here, and the user can fix the red cells and upload this file again.
Everything is written as values; text stays text however it starts.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from crm_xl.files import atomic_path
from crm_xl.sheets.validation import FileReport
from crm_xl.xlsx.refs import cell_position, column_index
from crm_xl.xlsx.writing import WIDTHS, new_workbook, write_findings_sheet, write_value

ERRORS_SHEET = "Errors"
FILL = {"error": "#FFC7CE", "warning": "#FFEB9C"}


def write_annotated(report: FileReport, path: Path) -> Path:
    table = report.table
    if table is None:
        raise ValueError(f"{report.file} could not be read; there is nothing to annotate")
    notes: dict[tuple[int, int], list] = {}
    for f in report.findings:
        if "cell" in f.fields and f.fields.get("file") == report.file:
            notes.setdefault(cell_position(f.fields["cell"]), []).append(f)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.constant_memory = False  # notes and formats on arbitrary cells
        _data_sheet(wb, table, notes)
        _errors_sheet(wb, report, table.sheet)
        wb.close()
    return path


def _data_sheet(wb, table, notes) -> None:
    ws = wb.add_worksheet(table.sheet[:31])
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    marks = {sev: wb.add_format({"bg_color": colour}) for sev, colour in FILL.items()}
    marked_dates = {sev: wb.add_format({"bg_color": colour, "num_format": "yyyy-mm-dd"}) for sev, colour in FILL.items()}
    head_row = table.header_row - 1
    columns = {name: column_index(table.letters[name]) for name in table.frame.columns if name in table.letters}
    for name, col in columns.items():
        ws.write_string(head_row, col, table.headers.get(name, str(name)), header)
        ws.set_column(col, col, WIDTHS.get(name) or max(12, min(30, len(str(name)) + 2)))
    ws.freeze_panes(head_row + 1, 0)
    rows = (head_row + 1 + table.frame.index.to_numpy()).tolist()
    for name, col in columns.items():
        _write_column(ws, rows, col, table.frame[name], date)
    by_column = {col: name for name, col in columns.items()}
    position = {r: i for i, r in enumerate(rows)}
    for (r, c), found in notes.items():  # written again over the plain value: coloured, with the note
        name, i = by_column.get(c), position.get(r)
        value = table.frame[name].iloc[i] if name is not None and i is not None else None
        severity = "error" if any(f.severity == "error" for f in found) else "warning"
        dated = isinstance(value, (dt.date, pd.Timestamp)) and value is not pd.NaT
        write_value(ws, r, c, value, (marked_dates if dated else marks)[severity], date)  # a date stays a date
        ws.write_comment(r, c, "\n".join(f"{f.message}\nFix: {f.fix}" for f in found), {"x_scale": 2.2, "y_scale": 1.6})


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


def _errors_sheet(wb, report: FileReport, sheet: str) -> None:
    rows = ((f.fields.get("cell") if f.fields.get("file") == report.file else None, f.severity, f.code,
             f.fields.get("column", ""), f.fields.get("value"), f.message, f.fix) for f in report.findings)
    write_findings_sheet(wb, ERRORS_SHEET, sheet, rows)
