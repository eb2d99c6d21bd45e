"""The annotated copy of an upload: bad cells red with a note, and an Errors sheet linking to each.

Headers and data stay at the cells they had in the upload, so every reference in the findings
points at the same cell here, and the user can fix the red cells and upload this file again.
Everything is written as values; text stays text however it starts.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from crm_xl.files import atomic_path
from crm_xl.sheets.validation import FileReport
from crm_xl.sheets.writing import new_workbook

ERRORS_SHEET = "Errors"
MAX_LINKS = 65_000  # Excel keeps at most 65,530 hyperlinks per sheet
FILL = {"error": "#FFC7CE", "warning": "#FFEB9C"}


def write_annotated(report: FileReport, path: Path) -> Path:
    table = report.table
    if table is None:
        raise ValueError(f"{report.file} could not be read; there is nothing to annotate")
    notes: dict[tuple[int, int], list] = {}
    for f in report.findings:
        if "cell" in f.fields and f.fields.get("file") == report.file:
            notes.setdefault(_position(f.fields["cell"]), []).append(f)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.constant_memory = False  # notes and formats on arbitrary cells
        _data_sheet(wb, table, notes)
        _errors_sheet(wb, report, table.sheet)
        wb.close()
    return path


def _position(cell: str) -> tuple[int, int]:
    """0-based (row, column) of a reference like E8."""
    letters = "".join(ch for ch in cell if ch.isalpha())
    return int(cell[len(letters):]) - 1, _col(letters)


def _data_sheet(wb, table, notes) -> None:
    ws = wb.add_worksheet(table.sheet[:31])
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    marks = {sev: wb.add_format({"bg_color": colour}) for sev, colour in FILL.items()}
    head_row = table.header_row - 1
    columns = {name: _col(table.letters[name]) for name in table.frame.columns if name in table.letters}
    for name, col in columns.items():
        ws.write_string(head_row, col, table.headers.get(name, str(name)), header)
        ws.set_column(col, col, max(10, min(30, len(str(name)) + 2)))
    ws.freeze_panes(head_row + 1, 0)
    for offset, row in zip(table.frame.index, table.frame.itertuples(index=False)):
        r = head_row + 1 + int(offset)
        for name, value in zip(table.frame.columns, row):
            c = columns.get(name)
            if c is None:
                continue
            found = notes.get((r, c), [])
            fmt = marks["error" if any(f.severity == "error" for f in found) else "warning"] if found else None
            _write(ws, r, c, value, fmt, date)
            if found:
                ws.write_comment(r, c, "\n".join(f"{f.message}\nFix: {f.fix}" for f in found),
                                 {"x_scale": 2.2, "y_scale": 1.6})


def _write(ws, r, c, value, fmt, date_fmt) -> None:
    if value is None or (isinstance(value, float) and value != value):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    elif isinstance(value, pd.Timestamp) or hasattr(value, "year"):
        ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime().replace(tzinfo=None), fmt or date_fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _errors_sheet(wb, report: FileReport, sheet: str) -> None:
    ws = wb.add_worksheet(ERRORS_SHEET)
    bold = wb.add_format({"bold": True, "bg_color": "#FCE4D6"})
    ws.write_row(0, 0, ["cell", "severity", "code", "column", "value", "message", "fix"], bold)
    for j, width in enumerate((9, 9, 16, 18, 16, 60, 60)):
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    for i, f in enumerate(report.findings, start=1):
        cell = f.fields.get("cell")
        if cell and i <= MAX_LINKS and f.fields.get("file") == report.file:
            ws.write_url(i, 0, f"internal:'{sheet[:31]}'!{cell}", string=cell)
        else:
            ws.write_string(i, 0, cell or "")
        for j, text in enumerate((f.severity, f.code, f.fields.get("column", ""), f.fields.get("value"),
                                  f.message, f.fix), start=1):
            if text is not None:
                ws.write_string(i, j, str(text))


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1

