"""The workbook `crm-xl score` writes: Customers, Summary (live COUNTIF formulas), Issues, Model."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from crm_xl.files import atomic_path
from crm_xl.model.schema import ScoringModel
from crm_xl.model.sheet import write_model_sheet
from crm_xl.scoring.problems import display_value
from crm_xl.xlsx.printing import print_setup
from crm_xl.xlsx.refs import letter
from crm_xl.xlsx.writing import new_workbook, write_findings_sheet, write_table

CUSTOMERS, SUMMARY, ISSUES, TRANSACTION_ISSUES = "Customers", "Summary", "Issues", "Transaction issues"
MAX_ISSUE_ROWS = 200_000
SUMMARY_COLUMNS = ("credit_grade", "customer_tier", "value_segment", "rfm_segment")


def write_scored_workbook(path: Path, table: pd.DataFrame, problems: pd.DataFrame, model: ScoringModel,
                          facts: dict[str, object], progress: Callable[[int], None] | None = None,
                          transaction_issues: list | None = None) -> None:
    """The scored table, its Summary, Issues, the model; and the transactions file's findings, when it
    had any, on a sheet of their own (their cells are in that file)."""
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        ws = write_table(wb, CUSTOMERS, table, progress)
        _grade_colours(wb, ws, table, model)
        _summary(wb, table, model, facts)
        _issues(wb, table, problems)
        if transaction_issues:
            write_findings_sheet(wb, TRANSACTION_ISSUES, None, (
                (f.cell, f.severity, f.code, f.column, f.fields.get("value"), f.message, f.fix)
                for f in transaction_issues[:MAX_ISSUE_ROWS]))
        write_model_sheet(wb, model)
        wb.close()


def _grade_colours(wb, ws, table: pd.DataFrame, model: ScoringModel) -> None:
    if "credit_grade" not in table.columns or not len(table):
        return
    j = table.columns.get_loc("credit_grade")
    for grade in model.credit.grades:
        fmt = wb.add_format({"bg_color": f"#{grade.colour.lstrip('#')}"})
        ws.conditional_format(1, j, len(table), j, {"type": "cell", "criteria": "==",
                                                      "value": f'"{grade.label}"', "format": fmt})


def _summary(wb, table: pd.DataFrame, model: ScoringModel, facts: dict[str, object]) -> None:
    """Counts as COUNTIF formulas over the Customers sheet, so any spreadsheet can recompute them."""
    ws = wb.add_worksheet(SUMMARY)
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    pct = wb.add_format({"num_format": "0.0%"})
    ws.set_column(0, 0, 28)
    ws.set_column(1, 2, 14)
    ws.write_string(0, 0, "crm_xl scoring summary", title)
    print_setup(ws, width=28 + 14 + 14, header_rows=0)
    row = 2
    for key, value in facts.items():
        ws.write_string(row, 0, key, bold)
        ws.write(row, 1, value if isinstance(value, (int, float)) else str(value))
        row += 1
    last = len(table) + 1
    for column in SUMMARY_COLUMNS:
        if column not in table.columns:
            continue
        row += 1
        ws.write_row(row, 0, [column, "customers", "share"], bold)
        row += 1
        counts = table[column].astype(object).value_counts()
        col = letter(table.columns.get_loc(column))
        labels = list(model.labels_of(column) or [])
        if column == "customer_tier":
            labels = [l for l in labels if l in counts.index]
        first = row
        for label in reversed(labels) if column in ("credit_grade", "customer_tier") else labels:
            ws.write_string(row, 0, label)
            rng = f"{CUSTOMERS}!${col}$2:${col}${last}"
            ws.write_formula(row, 1, f'=COUNTIF({rng},A{row + 1})', None, int(counts.get(label, 0)))
            ws.write_formula(row, 2, f"=IF(SUM($B${first + 1}:$B${first + len(labels)})=0,0,"
                                     f"B{row + 1}/SUM($B${first + 1}:$B${first + len(labels)}))", pct,
                             _share(counts.get(label, 0), counts.sum()))
            row += 1


def _share(part, whole) -> float:
    return float(part) / float(whole) if whole else 0.0


def _issues(wb, table: pd.DataFrame, problems: pd.DataFrame) -> None:
    """One row per problem, linked to its cell on the Customers sheet."""
    positions = {c: letter(i) for i, c in enumerate(table.columns)}
    shown = problems.head(MAX_ISSUE_ROWS)
    cells = [f"{positions.get(column, 'A')}{row + 2}" for column, row in zip(shown["column"].tolist(), shown["row"].tolist())]
    values = [None if v is None else display_value(v) for v in shown["value"].tolist()]
    rows = pd.DataFrame({"cell": cells, "severity": shown["severity"].tolist(), "code": shown["code"].tolist(),
                         "column": shown["column"].tolist(), "value": values, "message": shown["message"].tolist(),
                         "fix": shown["fix"].tolist()}, dtype=object)
    more = len(problems) - MAX_ISSUE_ROWS
    write_findings_sheet(wb, ISSUES, CUSTOMERS, rows,
                         last_line=f"... and {more:,} more; see the scoring_issues column" if more > 0 else None)
