"""`crm-xl credit check` on bad order files: every bad cell a finding at its cell, a row with an
error never decided nor kept as a hold, nothing written before every value is checked, and
`crm-xl credit holds list` readable whatever the store holds."""
import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import insert

from crm_xl.credit.orders import check_orders_file
from crm_xl.store import credit as store_credit
from crm_xl.store import db
from crm_xl.values import money
from tests.test_cli import run

QA = Path(__file__).parent / "data" / "orders"


@pytest.fixture
def store(tmp_path):
    """A master data store with limits in force: C001 1,200, C002 2,000, C000170 (the QA files') 10,000."""
    url = f"sqlite:///{tmp_path / 'master.db'}"
    engine = db.connect(url)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(db.credit_limits), [
            {"customer_code": "C001", "credit_grade": "A", "credit_limit": 1_200.0, "month": "2026-10", "since": now,
             "set_by": "kim"},
            {"customer_code": "C002", "credit_grade": "A", "credit_limit": 2_000.0, "month": "2026-10", "since": now,
             "set_by": "kim"},
            {"customer_code": "C000170", "credit_grade": "A", "credit_limit": 10_000.0, "month": "2026-10",
             "since": now, "set_by": "kim"}])
    engine.url_text = url
    return engine


def orders_file(tmp_path, rows: str, header="order_no,customer_code,date,amount") -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(f"{header}\n{rows}", "utf-8")
    return path


def sheet_values(path: Path, sheet: str) -> list[list]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


@pytest.mark.parametrize("typed, code, kept", [
    ("", "required-missing", None), ("NaN", "not-a-number", "NaN"), ("1e309", "not-a-number", "1e309"),
    ("-1e309", "not-a-number", "-1e309"), ("inf", "not-a-number", "inf"), ("lots", "not-a-number", "lots"),
    ("5%", "percent-not-money", "5%"), ("-5000", "out-of-range", -5000),
    ("99999999999999999999", "out-of-range", 1e20),  # numbers stay numbers
])
def test_an_order_without_a_usable_amount_is_a_finding_at_its_cell_and_never_a_hold(tmp_path, store, model,
                                                                                   typed, code, kept):
    source = orders_file(tmp_path, f"SO-1,C001,2026-11-02,{typed}\nSO-2,C001,2026-11-02,100\n")
    out = tmp_path / "checked.xlsx"
    result = check_orders_file(source, out, store, model, user="kim")
    assert result.table.decision.isna().tolist() == [True, False]  # not decided at all
    assert result.table.decision[1] == "approve"
    assert result.table.reason[0].startswith("not checked: amount")
    errors = result.issues[result.issues.severity == "error"]
    assert errors[["cell", "code"]].values.tolist() == [["D2", code]]
    assert store_credit.held_orders(store) == []  # no hold without an amount
    assert result.counts()["not checked"] == {"orders": 1, "amount": 0.0}
    rows = sheet_values(out, "Orders")
    amount = rows[0].index("amount")
    assert rows[2][amount] == 100  # a number
    assert rows[1][amount] == kept  # what was typed stays in the checked file
    summary = {r[0]: tuple(r[1:3]) for r in sheet_values(out, "Summary") if r and r[0]}
    assert summary["not checked"] == (1, 0) and summary["approve"] == (1, 100)


def test_holds_list_prints_whatever_a_stored_row_holds(tmp_path, store, capsys):
    now = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
    with store.begin() as conn:  # rows an earlier version could store: no amount, no reason, no code
        conn.execute(insert(db.credit_holds), [
            {"checked_at": now, "source_sha256": "x", "order_ref": "SO-9", "customer_code": "C001", "amount": None,
             "reason": None, "status": "held"},
            {"checked_at": now, "source_sha256": "x", "order_ref": None, "customer_code": None, "amount": 5.0,
             "reason": "over limit by 5", "status": "held"},
            {"checked_at": now, "source_sha256": "x", "order_ref": "SO-3", "customer_code": "C002", "amount": float("inf"),
             "reason": "?", "status": "held"}])
    code, out, err = run(["credit", "holds", "list", "--db", store.url_text], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert "SO-9" in lines[0] and "C001" in lines[0] and "None" not in lines[0]
    assert "5  over limit by 5" in lines[1] and "inf" in lines[2]
    assert lines[-1] == "3 orders held"
    code, out, err = run(["credit", "holds", "list", "--json", "--db", store.url_text], capsys)
    assert code == 0 and '"order_ref": "SO-9"' in out and '"amount": null' in out


def test_formatted_amounts_are_parsed_by_the_value_contract_written_as_numbers_and_counted(tmp_path, store, model):
    source = orders_file(tmp_path, 'SO-1,C001,2026-11-02,"1,000원"\nSO-2,C001,2026-11-02,12.5\n'
                                   'SO-3,C002,2026-11-02,"₩1,500"\nSO-4,C002,2026-11-02,"１，０００"\n')
    out = tmp_path / "checked.xlsx"
    result = check_orders_file(source, out, store, model, user="kim")
    assert result.table.amount.tolist() == [1_000, 12.5, 1_500, 1_000]
    assert result.table.decision.tolist() == ["approve", "approve", "approve", "hold"]
    assert result.counts()["approve"] == {"orders": 3, "amount": 2_512.5}
    rows = sheet_values(out, "Orders")
    amount = rows[0].index("amount")
    assert [r[amount] for r in rows[1:]] == [1_000, 12.5, 1_500, 1_000]  # numbers, not text
    summary = {r[0]: tuple(r[1:3]) for r in sheet_values(out, "Summary") if r and r[0]}
    assert summary["approve"] == (3, 2_512.5) and summary["hold"] == (1, 1_000)
    [held] = store_credit.held_orders(store)
    assert (held["order_ref"], held["amount"]) == ("SO-4", 1_000.0)


def test_a_percentage_is_not_money_anywhere_else_a_mark_is_noise():
    parsed = money(pd.Series(["5%", "1,000원", " 12 % ", "３％", 7.0, None], dtype=object))
    assert np.isnan(parsed.values[[0, 2, 3]]).all() and parsed.values[1] == 1_000 and parsed.values[4] == 7
    assert [(r.code, r.mask.tolist()) for r in parsed.rejected] == [
        ("percent-not-money", [True, False, True, True, False, False])]


def test_rows_with_an_error_finding_are_not_decided_and_say_so(tmp_path, store, model):
    source = orders_file(tmp_path, "SO-5,C001,2026-02-30,100\nSO-8,C001,,100\nSO-9,C001,2026-11-02,100\n"
                                   "SO-12,C001,9999-12-31,100\n,,2026-11-02,100\n")
    result = check_orders_file(source, tmp_path / "checked.xlsx", store, model, user="kim")
    t = result.table
    assert t.decision.tolist()[2:4] == ["approve", "approve"]
    assert t.decision.isna().tolist() == [True, True, False, False, True]
    assert t.reason[0] == "not checked: date: '2026-02-30' is not a date"
    assert t.reason[1] == "not checked: date is required but empty"
    assert t.reason[4] == "not checked: customer_code is required but empty"
    assert pd.isna(t.release_by[0]) and pd.isna(t.balance_after[0])
    issues = result.issues[["cell", "code", "severity"]].values.tolist()
    assert ["C2", "not-a-date", "error"] in issues and ["C3", "required-missing", "error"] in issues
    assert ["C5", "date-far-future", "warning"] in issues  # decided, with a warning
    assert t.outstanding_before[3] == 100  # after SO-9, the one order before it that was decided
    assert store_credit.held_orders(store) == []


def test_a_repeated_order_number_is_an_error_at_the_second_naming_the_first(tmp_path, store, model):
    source = orders_file(tmp_path, "SO-1,C001,2026-11-02,100\nSO-2,C001,2026-11-02,5000\nSO-3,C001,2026-11-02,100\n"
                                   " SO-2 ,C001,2026-11-02,5000\n")
    result = check_orders_file(source, tmp_path / "checked.xlsx", store, model, user="kim")
    assert result.table.decision.tolist()[:3] == ["approve", "hold", "approve"]
    assert pd.isna(result.table.decision[3])
    [dup] = result.issues[result.issues.code == "duplicate-order"].to_dict("records")
    assert dup["cell"] == "A5" and dup["severity"] == "error" and "first at A3" in dup["message"]
    assert [h["order_ref"] for h in store_credit.held_orders(store)] == ["SO-2"]  # once


@pytest.mark.parametrize("name", sorted(p.name for p in QA.glob("*.csv")))
def test_no_qa_orders_file_crashes_or_half_writes(tmp_path, store, capsys, name):
    out = tmp_path / "checked.xlsx"
    code, stdout, err = run(["credit", "check", QA / name, "-o", out, "--db", store.url_text], capsys)
    assert code in (0, 1), err
    assert "internal error" not in err and out.exists()
    code, listed, err = run(["credit", "holds", "list", "--db", store.url_text], capsys)
    assert code == 0, err


def test_hostile_orders_are_all_checked_before_anything_is_written(tmp_path, store, model):
    result = check_orders_file(QA / "orders_hostile2.csv", tmp_path / "checked.xlsx", store, model, user="kim")
    t = result.table
    assert t.decision.astype(object).where(t.decision.notna(), None).tolist() == [
        "approve", None, None, None, "approve", "hold", None, None, "hold", "approve", "approve", None, None, None]
    assert result.counts()["approve"] == {"orders": 4, "amount": 2_100.001}  # 1000 + "1,000" + 0.001 + 100
    issues = result.issues[["cell", "code", "severity"]].values.tolist()
    assert ["C12", "date-far-future", "warning"] in issues and ["A14", "duplicate-order", "error"] in issues
    held = store_credit.held_orders(store)
    assert all(isinstance(h["amount"], float) and np.isfinite(h["amount"]) and h["reason"] for h in held)
    assert sorted(h["order_ref"] for h in held) == sorted(t.order_no[(t.decision == "hold").to_numpy()])


def test_a_store_that_cannot_keep_the_holds_leaves_no_checked_file(tmp_path, store, model, monkeypatch):
    source = orders_file(tmp_path, "SO-1,C001,2026-11-02,5000\n")

    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store_credit, "record_holds", broken)
    with pytest.raises(RuntimeError):
        check_orders_file(source, tmp_path / "checked.xlsx", store, model, user="kim")
    assert not (tmp_path / "checked.xlsx").exists()


def test_collection_data_reads_balances_as_money(tmp_path, store):
    from crm_xl.credit.collection import load_balances_file
    from crm_xl.findings import InputError

    path = tmp_path / "balances.csv"
    path.write_text('customer_code,outstanding,overdue_days\nC001,"1,000원",0\nC002,5%,3\n', "utf-8")
    with pytest.raises(InputError, match=r"B3: outstanding: '5%' is a percentage, not an amount of money"):
        load_balances_file(path, store, "2026-10-31", "kim")
    path.write_text('customer_code,outstanding,overdue_days\nC001,"1,000원",0\nC002,"₩500",3\n', "utf-8")
    assert load_balances_file(path, store, "2026-10-31", "kim") == 2
    latest = store_credit.latest_receivables(store).set_index("customer_code").outstanding.to_dict()
    assert latest == {"C001": 1_000.0, "C002": 500.0}


def test_an_order_without_its_number_is_decided_with_a_warning(tmp_path, store, model):
    """The order number is how a hold is traced: an empty one is said, not passed over in silence."""
    source = orders_file(tmp_path, ",C001,2026-11-02,100\nSO-2,C001,2026-11-02,100\n")
    result = check_orders_file(source, tmp_path / "checked.xlsx", store, model, user="kim")
    assert result.table.decision.tolist() == ["approve", "approve"]
    assert result.issues[["cell", "code", "severity"]].values.tolist() == [["A2", "missing-value", "warning"]]
