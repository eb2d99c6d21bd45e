"""Writing tables to xlsx (and csv) that open cleanly, with user text never turned into formulas."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from crm_xl.files import atomic_path
from crm_xl.xlsx.printing import print_setup
from crm_xl.xlsx.formulas import runs_as_formula
from crm_xl.xlsx.refs import sheet_ref
from crm_xl.xlsx.sheetdata import CellStyles, FastTableWorkbook, number_texts, style_attr


NUMBER_FORMATS = {"credit_level": "0.000", "credit_limit": "#,##0", "avg_monthly_amount": "#,##0",
                  "avg_monthly_qty": "#,##0.0", "high_price_share": "0.0%",
                  "amount_12m": "#,##0", "net_worth": "#,##0", "registered_capital": "#,##0",
                  "amount": "#,##0", "outstanding": "#,##0", "outstanding_before": "#,##0", "balance_after": "#,##0"}
WRAPPED = ("credit_policy", "credit_reasons", "tags", "scoring_issues", "address", "store_name", "reason",
           "release_by")  # text that can run long
WIDTHS = {"store_name": 22, "phone": 15, "value_segment": 13, "rfm_segment": 17, "customer_tier": 13, "credit_policy": 34, "credit_reasons": 50, "tags": 30, "scoring_issues": 60, "address": 30,
          "reason": 44, "release_by": 40, "outstanding_before": 14, "balance_after": 14}


def new_workbook(path: Path) -> FastTableWorkbook:
    # strings_to_formulas=False: a cell typed "=1+1" by a user is text, never a live formula
    return FastTableWorkbook(str(path), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
        "default_date_format": "yyyy-mm-dd"})


def write_table(wb: FastTableWorkbook, name: str, frame: pd.DataFrame,
                progress: Callable[[int], None] | None = None, freeze_columns: int = 1,
                headers: list[str] | None = None, footer: str | None = None):
    """A sheet with a bold frozen header (`headers`, default the column names), filters, formats and
    a print setup, then every row; returns the sheet. Long text columns wrap."""
    ws = wb.add_worksheet(name)
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    formats = {c: wb.add_format({"num_format": f, "valign": "top"}) for c, f in NUMBER_FORMATS.items() if c in frame.columns}
    formats.update({c: wb.add_format({"text_wrap": True, "valign": "top"}) for c in WRAPPED if c in frame.columns})
    widths = [WIDTHS.get(col, max(10, min(24, len(str(col)) + 2))) for col in frame.columns]
    for j, col in enumerate(frame.columns):
        ws.set_column(j, j, widths[j], formats.get(col))
    ws.write_row(0, 0, headers or [str(c) for c in frame.columns], header)
    ws.freeze_panes(1, freeze_columns)
    print_setup(ws, width=sum(widths), **({"footer": footer} if footer else {}))
    if len(frame.columns):
        ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    # the rows are built a column at a time and spliced in when the workbook closes (sheetdata.py)
    date = style_attr(wb.date_format)
    # text takes its column's wrapping, never a number format; numbers their format
    styles = [CellStyles(number=style_attr(formats.get(col)), date=date,
                         text=style_attr(formats.get(col)) if col in WRAPPED else "") for col in frame.columns]
    wb.add_table_rows(ws, frame, styles, first_row=2, progress=progress)
    return ws


def write_value(ws, row: int, col: int, value, fmt=None, date_fmt=None) -> None:
    """One cell by the value's type; text always as text, a missing value as a (formatted) blank."""
    if value is None or value is pd.NaT or (isinstance(value, float) and not math.isfinite(value)):
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (dt.datetime, dt.date)):  # pd.Timestamp is a datetime; dates up to 9999-12-31
        moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        moment = moment if isinstance(moment, dt.datetime) else dt.datetime.combine(moment, dt.time())
        ws.write_datetime(row, col, moment.replace(tzinfo=None), fmt or date_fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


FINDING_HEADERS = ("cell", "severity", "code", "column", "value", "message", "fix")
MAX_LINKS = 65_000  # Excel keeps at most 65,530 hyperlinks per sheet


def write_findings_sheet(wb: FastTableWorkbook, name: str, target_sheet: str | None, rows, headers=FINDING_HEADERS,
                         footer: str | None = None, last_line: str | None = None):
    """One row per finding (cell, severity, code, column, value, message, fix), each cell linked to
    `target_sheet` (None: the cells are in another file); `headers` in the reader's language;
    `last_line` a text for the row below them. `rows`: tuples, or a frame of those seven columns."""
    ws = wb.add_worksheet(name)
    ws.write_row(0, 0, list(headers), wb.add_format({"bold": True, "bg_color": "#FCE4D6", "valign": "top"}))
    wrap, top = wb.add_format({"text_wrap": True, "valign": "top"}), wb.add_format({"valign": "top"})
    link = wb.add_format({"hyperlink": True, "font_scheme": "none", "valign": "top"})  # the Hyperlink style, at the top
    widths = (9, 9, 18, 18, 16, 60, 60)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width, wrap if j >= 5 else top)  # a cell beside a wrapped message stays level with it
    ws.freeze_panes(1, 0)
    print_setup(ws, width=sum(widths), **({"footer": footer} if footer else {}))
    # The rows go in as a table (sheetdata): 100,000 findings in a second, where xlsxwriter's
    # write_url and write_string took a minute.
    if not isinstance(rows, pd.DataFrame):
        rows = pd.DataFrame(list(rows), columns=range(len(widths)), dtype=object)
    frame = pd.DataFrame({j: list(map(_finding_text, rows.iloc[:, j].tolist())) for j in range(len(widths))},
                         dtype=object)
    plain = [CellStyles(text=style_attr(wrap if j >= 5 else top)) for j in range(len(widths))]
    linked = [replace(plain[0], text=style_attr(link))] + plain[1:]
    ends = min(len(frame), MAX_LINKS) if target_sheet else 0
    links = [(i, 0, sheet_ref(target_sheet, cell)) for i, cell in enumerate(frame[0].iloc[:ends].tolist()) if cell]
    wb.add_table_rows(ws, frame.iloc[:ends], linked, first_row=2, links=links)
    wb.add_table_rows(ws, frame.iloc[ends:], plain, first_row=2 + ends)
    if last_line:
        wb.add_table_rows(ws, pd.DataFrame([[last_line]], dtype=object), plain[:1], first_row=2 + len(frame))
    return ws


def _finding_text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return str(value) or None


def safe_csv_text(value):
    """CSV has no cell types: text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and runs_as_formula(value):
        return "'" + value
    return value


def _csv_cell(value):
    """One cell of a column of mixed values: a whole number without `.0`, text made safe."""
    if type(value) is float and value.is_integer() and abs(value) < 2.0**53:
        return int(value)
    return safe_csv_text(value)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        write_csv_to(tmp, frame)


def write_csv_to(path: Path, frame: pd.DataFrame) -> None:
    """The frame as CSV: text that a spreadsheet would run as a formula gets a leading quote."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or isinstance(safe[col].dtype, (pd.CategoricalDtype, pd.StringDtype)):
            safe[col] = safe[col].astype(object).map(_csv_cell)
        elif safe[col].dtype.kind == "f":  # 5000 as typed, not 5000.0
            values = safe[col].to_numpy(dtype=float)
            text = np.full(len(values), None, dtype=object)
            finite = np.isfinite(values)
            text[finite] = number_texts(values[finite])
            safe[col] = text
    safe.to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
