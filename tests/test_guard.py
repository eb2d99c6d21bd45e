"""QA findings: bad transaction rows, dates beyond the supported range, Excel error cells, long text.

Every bad input here must come back as a finding at its file, sheet and cell (or a bad-option for
an option), never as a traceback, and must not silently count or be silently changed.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from crm_xl.scoring import rfm
from crm_xl.scoring.problems import Problems
from tests.test_cli import run

HEADERS = ["customer_code", "store_name", "address", "status", "net_worth", "score_character"]
HOSTILE_TX = """customer_code,date,quantity,amount
Q0001,2026-10-01,5,1000
Q0001,2026-02-30,5,1000
Q0001,,5,1000
Q0001,2026-10-02,1e309,1000
Q0001,2026-10-03,5,NaN
Q0001,2026-10-04,-5,-1000
Q0001,2026-10-05,5,"1,000원"
Q0001,2026-10-06,5%,5%
=1+1,2026-10-06,5,5
Q0001,2026-10-07,inf,1000
"""
BAD_CELLS = {"B3": "not-a-date", "B4": "required-missing", "C5": "not-a-number", "D6": "not-a-number",
             "C7": "out-of-range", "D7": "out-of-range", "D9": "percent-not-money",  # 5% of a quantity is 0.05
             "A10": "bad-pattern", "C11": "not-a-number"}


@pytest.fixture
def customers_csv(tmp_path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text("customer_code,store_name,net_worth,score_character,score_capacity,score_capital,"
                    "score_collateral,score_conditions\nQ0001,Shop,100000,7,7,7,7,7\n", "utf-8")
    return path


@pytest.fixture
def hostile_tx(tmp_path) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text(HOSTILE_TX, "utf-8")
    return path


# 1. Bad transaction rows: reported at their cells, and not counted.

def test_every_bad_transaction_cell_is_reported_and_its_row_not_counted():
    tx = pd.read_csv(pd.io.common.StringIO(HOSTILE_TX), dtype=object, keep_default_na=False).replace("", None)
    problems = Problems(len(tx))
    t = rfm.prepare_transactions(tx, problems)
    found = {(int(r), b.column, b.code) for b in problems.batches for r in b.rows}
    assert {(1, "date", "not-a-date"), (2, "date", "required-missing"), (3, "quantity", "not-a-number"),
            (4, "amount", "not-a-number"), (5, "quantity", "out-of-range"), (5, "amount", "out-of-range"),
            (7, "amount", "percent-not-money"), (8, "customer_code", "bad-pattern"),
            (9, "quantity", "not-a-number")} <= found
    assert len(t) == 2  # only the clean rows: 2026-10-01 and the 1,000원 order
    out, _ = rfm.summarise_transactions(t, pd.Timestamp("2026-11-01"), 12, problems)
    assert out.loc["Q0001", "amount_12m"] == 2000 and out.loc["Q0001", "orders_12m"] == 2


def test_score_reports_every_bad_transaction_cell(customers_csv, hostile_tx, tmp_path, capsys):
    code, out, err = run(["score", customers_csv, "--transactions", hostile_tx, "-o", tmp_path / "x.xlsx", "--json"],
                         capsys)
    assert code == 0 and "Traceback" not in err
    result = json.loads(out)
    tx_issues = {f["cell"]: f["code"] for f in result["issues"] if f["file"] == str(hostile_tx)}
    assert {cell: tx_issues.get(cell) for cell in BAD_CELLS} == BAD_CELLS
    assert all(f["sheet"] == "tx" for f in result["issues"] if f["file"] == str(hostile_tx))
    scored = pd.read_excel(tmp_path / "x.xlsx", sheet_name=0, engine="openpyxl")
    assert scored.loc[0, "amount_12m"] == 2000 and scored.loc[0, "orders_12m"] == 2


def test_report_says_the_bad_transaction_cells(customers_csv, hostile_tx, tmp_path, capsys):
    code, out, err = run(["report", "--month", "2026-10", "--customers", customers_csv, "--transactions", hostile_tx,
                          "-o", tmp_path / "r.xlsx", "--no-html", "-q"], capsys)
    assert code == 0 and "Traceback" not in err
    for cell in BAD_CELLS:
        assert f"tx.csv [tx] {cell}:" in out, cell
    assert "sales 2,000" in out  # the clean orders only


# 2. Dates beyond what a workbook holds: a finding, never a crash.

def test_an_order_on_the_last_day_is_a_finding_not_a_crash(customers_csv, tmp_path, capsys):
    tx = tmp_path / "tx.csv"
    tx.write_text("customer_code,date,quantity,amount\nQ0001,9999-12-31,5,1000\nQ0001,2026-10-01,1,10\n", "utf-8")
    code, out, err = run(["score", customers_csv, "--transactions", tx, "-o", tmp_path / "x.xlsx", "--json"], capsys)
    assert code == 0 and "Traceback" not in err
    result = json.loads(out)
    assert result["as_of"] == "2026-10-02"
    assert [(f["cell"], f["code"]) for f in result["issues"] if f["file"] == str(tx)] == [("B2", "out-of-range")]


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "1899-12", "10000-01", "2026-13"])
def test_report_months_outside_the_range_are_a_bad_option(customers_csv, tmp_path, capsys, month):
    code, out, err = run(["report", "--month", month, "--customers", customers_csv, "-o", tmp_path / "r.xlsx",
                          "--no-html", "-q"], capsys)
    assert code == 2 and "Traceback" not in err + out
    assert "error [bad-option] --month" in err


@pytest.mark.parametrize("month", [("1900-01", "9999-11")])
def test_the_first_and_last_months_report_without_a_crash(customers_csv, tmp_path, capsys, month):
    for m in month:
        code, out, err = run(["report", "--month", m, "--customers", customers_csv, "-o", tmp_path / "r.xlsx",
                              "--no-html", "-q"], capsys)
        assert code == 0 and f"Report {m}" in out, err


def test_snapshot_month_outside_the_range_is_a_bad_option(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    from crm_xl.store.db import connect

    connect(db)  # a master data to take it from (a missing one is its own finding)
    code, out, err = run(["snapshot", "--month", "9999-12", "--db", db], capsys)
    assert code == 2 and "Traceback" not in err + out and "error [bad-option] --month" in err


@pytest.mark.parametrize("day", ["10000-01-01", "1066-10-14", "someday"])
def test_as_of_outside_the_range_is_a_bad_option(customers_csv, tmp_path, capsys, day):
    code, out, err = run(["score", customers_csv, "--as-of", day, "-o", tmp_path / "x.xlsx"], capsys)
    assert code == 2 and "Traceback" not in err + out and "error [bad-option] --as-of" in err


# 3. Excel error cells: error-value in any column; the same text typed is plain text.

@pytest.fixture
def error_cells(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(HEADERS)
    ws.append(["C001", "Shop", "#REF!", "#N/A", "#DIV/0!", 7])  # real error cells (t="e")
    ws.append(["C002", "Shop", None, None, 100, 7])
    for column in "CD":  # the same texts typed as text
        ws[f"{column}3"].value = "#N/A"
        ws[f"{column}3"].data_type = "s"
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    return path


def test_validate_reports_error_cells_in_any_column(error_cells, capsys, either_reader):
    code, out, err = run(["validate", error_cells, "--json", "-q"], capsys)
    findings = {(f["cell"], f["code"]) for f in json.loads(out)[0]["findings"]}
    assert {("C2", "error-value"), ("D2", "error-value"), ("E2", "error-value")} <= findings
    assert ("E2", "not-a-number") not in findings
    assert not {cell for cell, _ in findings if cell in ("C3", "D3")}  # typed text: plain text
    assert code == 1


def test_merge_does_not_store_error_cells(error_cells, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    code, out, err = run(["merge", error_cells, "--db", db, "--as", "back_office"], capsys)
    assert "Traceback" not in err
    from crm_xl.store.db import connect
    from crm_xl.store.export import master_frame

    frame = master_frame(connect(db)).set_index("customer_code")
    assert "C001" not in frame.index or frame.loc["C001", "address"] != "#REF!"
    assert frame.loc["C002", "address"] == "#N/A"  # typed text stays as typed


def test_score_reports_error_cells(error_cells, tmp_path, capsys):
    code, out, err = run(["score", error_cells, "-o", tmp_path / "x.xlsx", "--json"], capsys)
    issues = {(f["cell"], f["code"]) for f in json.loads(out)["issues"]}
    assert {("C2", "error-value"), ("D2", "error-value"), ("E2", "error-value")} <= issues
    assert ("E2", "not-a-number") not in issues


# 4. Text too long for a cell: score says so, as validate does.

def test_score_reports_text_too_long(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["C001", "Shop", "LONG", "open", 100, 7])
    ws.append(["C002", "Shop", "EMOJI", "open", 100, 7])
    wb.save(tmp_path / "short.xlsx")  # openpyxl cuts long text itself: the long cells go in by hand
    path = tmp_path / "long.xlsx"
    with zipfile.ZipFile(tmp_path / "short.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/"):
                data = data.replace(b">LONG<", b">" + b"x" * 40_000 + b"<")
                data = data.replace(b">EMOJI<", b">" + "\U0001F600".encode() * 20_000 + b"<")  # 40,000 UTF-16 units
            target.writestr(info, data)
    code, out, err = run(["validate", path, "--json", "-q"], capsys)
    assert {("C2", "text-too-long"), ("C3", "text-too-long")} <= {(f["cell"], f["code"])
                                                                  for f in json.loads(out)[0]["findings"]}
    code, out, err = run(["score", path, "-o", tmp_path / "x.xlsx", "--json"], capsys)
    assert code == 0 and {("C2", "text-too-long"), ("C3", "text-too-long")} <= {
        (f["cell"], f["code"]) for f in json.loads(out)["issues"]}


def test_snapshot_says_the_bad_transaction_cells(customers_csv, hostile_tx, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    run(["merge", customers_csv, "--db", db, "--as", "back_office"], capsys)
    code, out, err = run(["snapshot", "--month", "2026-10", "--db", db, "--transactions", hostile_tx, "--json"],
                         capsys)
    assert code == 0 and "Traceback" not in err
    issues = {f["cell"]: f["code"] for f in json.loads(out)["issues"]}
    assert {cell: issues.get(cell) for cell in BAD_CELLS} == BAD_CELLS


def test_the_report_button_month_is_that_of_the_latest_order_that_counts():
    from crm_xl.reports.monthly import latest_month

    tx = pd.DataFrame({"customer_code": ["Q0001", "Q0001", "=1+1", "Q0001"],
                       "date": ["2026-10-07", "9999-12-31", "2027-01-01", "2026-02-30"],
                       "quantity": [1, 1, 1, 1], "amount": [10, 10, 10, 10]})
    assert latest_month(tx) == "2026-10"
    assert latest_month(tx.iloc[1:2]) is None


def test_the_sheet_buttons_mark_error_cells_as_errors(error_cells):
    from crm_xl.model import default_model
    from crm_xl.sheets.adapters import OpenpyxlSheet
    from crm_xl.sheets.regrade import _score, sheet_issues

    sheet = OpenpyxlSheet(openpyxl.load_workbook(error_cells).active)
    table, scored = _score(sheet, default_model())
    issues = {(f.cell, f.code) for f in sheet_issues(table, scored, default_model())}
    assert {("C2", "error-value"), ("D2", "error-value"), ("E2", "error-value")} <= issues
    assert ("E2", "not-a-number") not in issues and not {c for c, _ in issues if c in ("C3", "D3")}


def test_the_dask_default_as_of_passes_over_an_order_with_no_day_after_it():
    from crm_xl.engines.partitions import _latest_order

    part = pd.DataFrame({"date": ["2026-10-01", "9999-12-31", None]})
    assert _latest_order(part, "date")["latest"].iloc[0] == pd.Timestamp("2026-10-01")


def test_a_last_order_date_with_no_day_after_it_is_a_finding(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("customer_code,store_name,last_order_date,orders_12m,amount_12m\n"
                    "C001,Shop,9999-12-31,3,100\nC002,Shop,2026-10-01,2,50\n", "utf-8")
    code, out, err = run(["score", path, "-o", tmp_path / "x.xlsx", "--json"], capsys)
    assert code == 0 and "Traceback" not in err
    result = json.loads(out)
    assert result["as_of"] == "2026-10-02"
    assert ("C2", "out-of-range") in {(f["cell"], f["code"]) for f in result["issues"]}
    assert rfm.default_as_of(pd.to_datetime(pd.Series(["9999-12-31"])).to_numpy()) == pd.Timestamp.today().normalize()


def test_the_scored_workbook_lists_the_transaction_findings_too(customers_csv, hostile_tx, tmp_path, capsys):
    import openpyxl

    code, out, _ = run(["score", customers_csv, "--transactions", hostile_tx, "-o", tmp_path / "s.xlsx"], capsys)
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    listed = {row[0]: row[2] for row in wb["Transaction issues"].iter_rows(min_row=2, values_only=True)}
    assert {cell: listed.get(cell) for cell in BAD_CELLS} == BAD_CELLS
    assert "Transaction issues sheet" in out


def test_one_order_dated_years_ahead_is_left_out_instead_of_rescoring_everyone(customers_csv, tmp_path, capsys):
    tx = tmp_path / "tx.csv"
    tx.write_text("customer_code,date,quantity,amount\nQ0001,2026-10-01,5,1000\nQ0001,9999-01-01,5,1000\n")
    code, out, _ = run(["score", customers_csv, "--transactions", tx, "-o", tmp_path / "s.xlsx", "--json"], capsys)
    result = json.loads(out)
    assert result["as_of"] == "2026-10-02"
    assert any(i["code"] == "order-in-future" and i["cell"] == "B3" for i in result["issues"])


@pytest.mark.parametrize("absent", ["quantity", "amount"])
def test_a_transactions_file_without_a_figure_column_says_so(customers_csv, tmp_path, capsys, absent):
    """Without its quantity or amount column every order counts 0 of it: that is said, not left silent."""
    tx = tmp_path / "tx.csv"
    kept = [c for c in ("customer_code", "date", "quantity", "amount") if c != absent]
    rows = {"customer_code": "C1", "date": "2026-10-05", "quantity": "2", "amount": "5000"}
    tx.write_text(",".join(kept) + "\n" + ",".join(rows[c] for c in kept) + "\n", encoding="utf-8")
    for command in (["score", customers_csv, "--transactions", tx, "-o", tmp_path / "s.xlsx"],
                    ["report", "--month", "2026-10", "--customers", customers_csv, "--transactions", tx,
                     "-o", tmp_path / "r.xlsx"]):
        code, out, err = run(command, capsys)
        assert code in (0, 1) and f"no column for {absent}" in out and "internal error" not in out + err, command
        assert "row None" not in out and "cells have issues" not in out and "cell has an issue" not in out
