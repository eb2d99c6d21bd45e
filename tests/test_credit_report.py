"""Credit monitoring in the report (PSI, back-test, trend, movements from snapshots) and the credit commands."""
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crm_xl.cli import main
from crm_xl.credit import monitoring
from crm_xl.demo import make_demo
from crm_xl.reports.figures import CreditHistory, build_figures
from crm_xl.scoring.customers import score_customers


def test_psi_against_a_worked_example(model):
    edges = np.array([0.0, 0.5])
    value, bins = monitoring.psi([0.1] * 50 + [0.9] * 50, [0.1] * 80 + [0.9] * 20, edges)
    assert value == pytest.approx(0.3 * math.log(1.6) + 0.3 * math.log(2.5))  # 0.4159
    assert [(b["label"], b["previous"], b["share"]) for b in bins] == [("0.00–0.50", 0.5, 0.8), ("0.50–1.00", 0.5, 0.2)]
    assert monitoring.psi([0.3, 0.7], [0.7, 0.3], edges)[0] == 0.0
    assert monitoring.psi([], [0.5], edges) == (None, [])
    empty_bin = monitoring.psi([0.1] * 10, [0.1] * 9 + [0.9], edges)[0]
    assert math.isfinite(empty_bin) and empty_bin > 0.25  # an empty bin last month stays finite


@pytest.mark.parametrize("value, reading", [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch: moderate shift"),
                                            (0.2499, "watch: moderate shift"), (0.25, "act: significant shift")])
def test_psi_bands_at_their_edges(model, value, reading):
    assert monitoring.psi_reading(value, model) == reading


def test_backtest_counts_customers_that_went_past_90_days_after_the_month(model):
    snapshot = pd.DataFrame({"customer_code": ["a", "b", "c", "d", "e"], "credit_grade": ["AAA", "AAA", "B", "B", "C"]})
    receivables = pd.DataFrame({
        "as_of": ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-12-31"],
        "customer_code": ["a", "b", "c", "d", "e"],
        "overdue_days": [120, 90, 91, 200, 150]})
    rows = monitoring.backtest(snapshot, receivables, after="2026-01-31", until="2026-10-31", model=model)
    got = {r["grade"]: (r["customers"], r["late"], r["share"]) for r in rows}
    # a: before the window; b: exactly 90 is not past 90; c, d: past 90 in the window; e: after it
    assert got["AAA"] == (2, 0, 0.0) and got["B"] == (2, 2, 1.0) and got["C"] == (1, 0, 0.0)
    assert got["A"] == (0, 0, None)
    assert [r["grade"] for r in rows] == ["AAA", "AA", "A", "B", "C"]


def test_report_reads_last_month_from_the_snapshot(model):
    demo = make_demo(300, seed=4)
    september = score_customers(demo.customers, model, transactions=demo.transactions,
                                as_of=pd.Timestamp("2026-10-01")).computed
    snap = pd.concat([demo.customers[["customer_code"]], september], axis=1).assign(month="2026-09")
    snap["credit_grade"] = snap.credit_grade.astype(object)
    # last month, the first ten customers were one tier lower and at a level 0.2 lower
    snap.loc[:9, "customer_tier"] = "T8"
    snap.loc[:, "credit_level"] = snap.credit_level - 0.2
    history = CreditHistory(snap, pd.DataFrame(columns=["as_of", "customer_code", "overdue_days"]))
    figures = build_figures(demo.customers, demo.transactions, "2026-10", model, history=history)
    moves = figures.matrices["tier_moves"]
    from_t8 = moves["cells"][moves["rows"].index("T8")]
    assert sum(from_t8) >= 10  # the ten customers moved out of T8 (as the snapshot recorded them)
    assert figures.kpi["psi"]["value"] > 0.25 and figures.kpi["psi"]["reading"] == "act: significant shift"
    assert [t["month"] for t in figures.tables["credit_trend"]] == ["2026-09", "2026-10"]
    assert figures.tables["credit_trend"][1]["psi"] == pytest.approx(figures.kpi["psi"]["value"])
    assert not any("no snapshot for 2026-09" in n for n in figures.notes)
    assert any("No back-test" in n for n in figures.notes)  # no collection data given

    without = build_figures(demo.customers, demo.transactions, "2026-10", model)
    assert without.kpi["psi"]["value"] is None and without.tables["credit_trend"] == []
    assert any("no snapshot for 2026-09" in n for n in without.notes)


def run(capsys, *args):
    """Exit code, stdout and stderr of `crm-xl ARGS` (main returns on success, exits otherwise)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_credit_managers_month_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRM_XL_DB", f"sqlite:///{tmp_path / 'crm.db'}")
    assert run(capsys, "demo", "--customers", "400", "-q")[0] == 0
    assert run(capsys, "merge", "crm_xl_demo/customers.xlsx", "--as", "back_office")[0] in (0, 1)
    for day in ("2026-09-30", "2026-10-31"):
        code, out, _ = run(capsys, "credit", "balances", f"crm_xl_demo/balances/{day}.csv", "--as-of", day)
        assert code == 0 and out.startswith("Loaded balances of 400 customers")
    for month in ("2026-09", "2026-10", "2026-10"):
        code, out, _ = run(capsys, "snapshot", "--month", month, "--transactions", "crm_xl_demo/transactions.csv")
        assert code == 0 and out.startswith(f"Snapshot {month}:")
    assert "replaced" in out and "0 waiting for review" in out  # the month taken again changes nothing

    code, out, _ = run(capsys, "credit", "review", "list")
    assert code == 0 and out.strip().endswith("credit changes waiting for review")
    first = int(out.split()[0])
    code, _, err = run(capsys, "credit", "review", "approve", str(first), "--as", "account_manager")
    assert code == 2 and "'account_manager' may not approve credit reviews (allowed: credit_manager)" in err
    code, out, _ = run(capsys, "credit", "review", "approve", str(first), "--as", "credit_manager")
    assert code == 0 and out.startswith("approved 1 credit changes as credit_manager")

    code, out, err = run(capsys, "credit", "check", "crm_xl_demo/orders-2026-11-02.csv", "-o", "checked.xlsx")
    assert code == 1  # the demo's mistyped customer code is a finding
    assert out.startswith("Checked ") and "'C999999' is not in the master data" in out
    wb = openpyxl.load_workbook("checked.xlsx", read_only=True)
    assert wb.sheetnames == ["Orders", "Summary", "Issues"]
    header = [c.value for c in next(wb["Orders"].iter_rows(max_row=1))]
    assert header[-8:] == ["credit_grade", "credit_limit", "outstanding_before", "overdue_days", "balance_after",
                           "decision", "reason", "release_by"]

    code, out, _ = run(capsys, "report", "--month", "2026-10", "--transactions", "crm_xl_demo/transactions.csv",
                       "-o", "report.xlsx", "--no-html", "-q")
    assert code == 0 and "no snapshot for 2026-09" not in out
    report = openpyxl.load_workbook("report.xlsx")
    assert {"Credit trend", "Credit monitoring"} <= set(report.sheetnames)
    assert [report["Credit trend"].cell(r, 1).value for r in (5, 6)] == ["2026-09", "2026-10"]
    column_a = [c.value for c in report["Credit monitoring"]["A"]]
    assert "Back-test: Grades of 2026-09: share of customers more than 90 days overdue by 2026-10" in column_a
    grades = column_a[column_a.index("Grade") + 1:]
    assert grades == ["AAA", "AA", "A", "B", "C"]
    code, _, err = run(capsys, "credit", "check", "crm_xl_demo/orders-2026-11-02.csv", "-o", "x.xlsx", "--lang", "fr")
    assert code == 2 and "language: 'fr' is not defined in credit.texts" in err
