"""The annotated copy of an upload: bad cells red with a note, and an Errors sheet linking to each.

Headers and data stay at the cells they had in the upload, so every reference in the findings
points at the same cell here, and the user can fix the red cells and upload this file again.
Everything is written as values; text stays text however it starts.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from crm_xl.files import atomic_path
from crm_xl.sheets.refs import cell_position, column_index
from crm_xl.sheets.validation import FileReport
from crm_xl.sheets.writing import WIDTHS, new_workbook, write_findings_sheet, write_value

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
    for offset, row in zip(table.frame.index, table.frame.itertuples(index=False)):
        r = head_row + 1 + int(offset)
        for name, value in zip(table.frame.columns, row):
            c = columns.get(name)
            if c is None:
                continue
            found = notes.get((r, c), [])
            severity = "error" if any(f.severity == "error" for f in found) else "warning"
            fmt = ((marked_dates if isinstance(value, (dt.date, pd.Timestamp)) else marks)[severity]
                   if found else None)  # a date typed where a number belongs still reads as that date
            write_value(ws, r, c, value, fmt, date)
            if found:
                ws.write_comment(r, c, "\n".join(f"{f.message}\nFix: {f.fix}" for f in found),
                                 {"x_scale": 2.2, "y_scale": 1.6})


def _errors_sheet(wb, report: FileReport, sheet: str) -> None:
    rows = ((f.fields.get("cell") if f.fields.get("file") == report.file else None, f.severity, f.code,
             f.fields.get("column", ""), f.fields.get("value"), f.message, f.fix) for f in report.findings)
    write_findings_sheet(wb, ERRORS_SHEET, sheet, rows)
