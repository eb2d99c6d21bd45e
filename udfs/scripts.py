"""Ribbon scripts: each acts on the active sheet of the workbook it was clicked in.

Desktop xlwings runs them through RunPython (they then find their book with Book.caller());
xlwings Server and Lite pass the book in. The work itself is crm_xl.sheets.regrade, the same
code `crm-xl regrade` and `crm-xl check-sheet` run headless.
"""
from __future__ import annotations

from pathlib import Path

import xlwings as xw
from xlwings import script

from crm_xl.findings import CrmError
from crm_xl.model import MODEL_SHEET, ScoringModel, default_model
from crm_xl.model.overrides import model_from_rows
from crm_xl.sheets.adapters import XlwingsSheet
from crm_xl.sheets.regrade import regrade, validate

TRANSACTIONS_SHEET = "Transactions"


def model_of(book) -> ScoringModel:
    """The workbook's own Model sheet when it has one, else the shipped model."""
    names = [s.name for s in book.sheets]
    if MODEL_SHEET not in names:
        return default_model()
    sheet = book.sheets[MODEL_SHEET]
    last = sheet.used_range.last_cell
    rows = sheet.range((1, 1), (last.row, 2)).options(ndim=2).value
    return model_from_rows(rows, f"{book.name} [{MODEL_SHEET}]")


def _run(book, work) -> str:
    """Do `work(book) -> message` on the calling workbook and show the message (or the findings)."""
    book = book if book is not None else _caller()
    try:
        message = work(book)
    except CrmError as exc:
        message = "\n".join(f"{f.message}\nFix: {f.fix}" for f in exc.findings)
    book.app.alert(message, title="CRM")
    return message


def _caller():  # pragma: no cover - desktop Excel only
    import xlwings as xw

    return xw.Book.caller()


@script
def regrade_sheet(book: xw.Book = None) -> str:
    """Recompute every derived column of the customer table on the active sheet."""
    return _run(book, lambda b: regrade(XlwingsSheet(b.sheets.active), model_of(b)).summary)


@script
def validate_sheet(book: xw.Book = None) -> str:
    """Mark every cell of the active sheet that the scoring cannot use, with a note why."""
    return _run(book, lambda b: validate(XlwingsSheet(b.sheets.active), model_of(b)).summary)


@script
def monthly_report(book: xw.Book = None) -> str:
    """Write the monthly report for the customers on the active sheet (orders from a Transactions sheet)."""
    return _run(book, _monthly_report)


def _monthly_report(book) -> str:
    import pandas as pd

    from crm_xl.reports.figures import build_figures
    from crm_xl.reports.monthly import latest_month, write_report
    from crm_xl.sheets.reading import table_from_grid, typed_transactions

    if not Path(book.fullname or "").is_absolute() or not Path(book.fullname).parent.is_dir():
        return ("Save the workbook first: the report is written next to it "
                "(desktop Excel; elsewhere use crm-xl report).")
    folder = Path(book.fullname).parent
    active = XlwingsSheet(book.sheets.active)
    customers = table_from_grid(pd.DataFrame(active.values(), dtype=object), Path(book.name), active.name).frame
    names = [s.name for s in book.sheets]
    if TRANSACTIONS_SHEET not in names:
        return f"Add a sheet named {TRANSACTIONS_SHEET} (customer_code, date, quantity, amount) to report on a month."
    orders = XlwingsSheet(book.sheets[TRANSACTIONS_SHEET])
    tx, issues = typed_transactions(table_from_grid(pd.DataFrame(orders.values(), dtype=object), Path(book.name),
                                                    orders.name))
    month = latest_month(tx)
    if month is None:
        return f"The {TRANSACTIONS_SHEET} sheet has no dated orders."
    output = folder / f"{Path(book.name).stem} report {month}.xlsx"
    figures = build_figures(customers, tx, month, model_of(book))
    write_report(figures, output)
    sales = figures.kpi["sales"]
    bad = [f for f in issues if f.severity == "error"]
    left_out = (f" {len(bad):,} bad cells on the {TRANSACTIONS_SHEET} sheet were left out, first {bad[0].cell}: "
                f"{bad[0].message} ({bad[0].fix})" if bad else "")
    return (f"Report {month}: {figures.kpi['customers']['value']:,} customers, sales {sales['value']:,.0f} "
            f"({sales['change']:+,.0f} vs {figures.previous_month}). Written to {output}.{left_out}")
