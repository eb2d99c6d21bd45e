"""Merging uploads into the master data: SQLite always, PostgreSQL when CRM_XL_TEST_PG names one (CI)."""
import json
import os

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from crm_xl.model import default_model
from crm_xl.sheets.template import DATA_SHEET, read_metadata, write_template
from crm_xl.store import db
from crm_xl.store.export import export_master, master_frame, pending_reviews, record_template
from crm_xl.store.merge import decide, merge_files

BASE = pd.DataFrame({
    "customer_code": ["C001", "C002", "C003"], "store_name": ["행복마트", "金福超市", "동네편의점"],
    "business_format": ["식료품점", "超市", "편의점"], "market_type": ["도시", "城镇", "농촌"],
    "phone": ["010-1111-2222", "010-3333-4444", "010-5555-6666"], "address": ["서울", "上海", "부산"],
    "bank_account": ["111-22", "333-44", "555-66"],
    **{f"score_{c}": [8, 7, 6] for c in ("character", "capacity", "capital", "collateral", "conditions")},
})


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        yield db.connect(f"sqlite:///{tmp_path / 'master.db'}")
        return
    url = os.environ.get("CRM_XL_TEST_PG")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CRM_XL_TEST_PG is not set on CI: .ci/run must start PostgreSQL")
        pytest.skip("CRM_XL_TEST_PG not set (CI starts a local PostgreSQL)")

    import uuid

    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"  # a schema of its own: test runs sharing the database do not meet
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield db.connect(f"{url}?options=-csearch_path%3D{schema}")
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def upload(tmp_path, name, frame, **edits):
    """A template filled in the way a person would: cell edits by (code, field)."""
    path = write_template(tmp_path / name, default_model(), frame, lang="en")
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    from crm_xl.fields import canonical

    cols = {canonical(c.value): c.column for c in ws[1]}
    rows = {ws.cell(r, cols["customer_code"]).value: r for r in range(2, ws.max_row + 1)}
    for key, value in edits.items():
        code, field = key.split("__")
        ws.cell(rows[code], cols[field]).value = value
    wb.save(path)
    return path


def master(engine):
    with engine.connect() as conn:
        return {r["customer_code"]: dict(r) for r in conn.execute(select(db.customers)).mappings()}


def change_log(engine):
    with engine.connect() as conn:
        return [(r["customer_code"], r["field"], r["old_value"], r["new_value"])
                for r in conn.execute(select(db.changes).order_by(db.changes.c.id)).mappings()]


def merge(engine, paths, role="account_manager", **kw):
    return merge_files(paths, engine, default_model(), role, "kim", **kw)


def test_insert_then_update_then_nothing(engine, tmp_path):
    first = merge(engine, [upload(tmp_path, "a.xlsx", BASE)])
    assert (first.inserted, first.rows_in, first.rows_out) == (3, 3, 0)
    assert master(engine)["C001"]["phone"] == "010-1111-2222" and master(engine)["C001"]["score_character"] == "8"
    assert master(engine)["C001"]["bank_account"] is None  # sensitive: waits for review even for a new customer
    assert first.queued_reviews == 3
    edited = upload(tmp_path, "b.xlsx", BASE, C002__phone="010-9999-0000", C003__score_capital=9)
    second = merge(engine, [edited])
    assert (second.updated_fields, second.unchanged_rows) == (2, 1)
    assert change_log(engine)[-2:] == [("C002", "phone", "010-3333-4444", "010-9999-0000"),
                                       ("C003", "score_capital", "6", "9")]
    again = merge(engine, [edited])
    assert (again.updated_fields, again.queued_reviews, again.unchanged_rows) == (0, 0, 3)


def test_timestamps_are_stored_alike_by_the_bulk_and_single_row_writes(engine, tmp_path):
    """New customers and their change log go in with one executemany each; reviews one at a time."""
    import datetime as dt

    from sqlalchemy import String, cast

    now = dt.datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=dt.timezone.utc)
    merge_files([upload(tmp_path, "a.xlsx", BASE)], engine, default_model(), "back_office", "tester", now=now)
    with engine.connect() as conn:
        stamps = [conn.execute(select(column).limit(1)).scalar_one()
                  for column in (db.customers.c.updated_at, db.changes.c.changed_at, db.reviews.c.requested_at)]
        stored = [conn.execute(select(cast(column, String)).limit(1)).scalar_one()
                  for column in (db.customers.c.updated_at, db.changes.c.changed_at, db.reviews.c.requested_at)]
    assert all(s.replace(tzinfo=s.tzinfo or dt.timezone.utc) == now for s in stamps), stamps
    assert len(set(stored)) == 1, stored  # the same text, so comparisons in SQL order them right


def test_roles_sensitive_fields_and_system_fields(engine, tmp_path):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    decide(engine, [r["id"] for r in pending_reviews(engine)], True, "boss")
    system = merge(engine, [upload(tmp_path, "s.xlsx", BASE, C001__avg_monthly_qty=500)])
    assert system.rows_out == 1 and system.held_back[0].row == 2  # a locked system field was changed
    edits = upload(tmp_path, "b.xlsx", BASE, C001__address="대구", C001__bank_account="999-99")
    result = merge(engine, [edits], role="account_manager")
    assert [(r.code, r.column, r.message) for r in result.rejected] == [
        ("field-not-owned", "address", "C001: address is a static field, which account_manager may not change; "
         "not applied")]
    assert "back_office" in result.rejected[0].fix
    assert [(q.code, q.column) for q in result.queued] == [("review-queued", "bank_account")]
    assert master(engine)["C001"]["address"] == "서울" and master(engine)["C001"]["avg_monthly_qty"] is None
    assert master(engine)["C001"]["bank_account"] == "111-22"  # not yet: in the review queue
    pending = pending_reviews(engine)
    assert [(p["field"], p["old_value"], p["new_value"]) for p in pending] == [("bank_account", "111-22", "999-99")]
    assert decide(engine, [pending[0]["id"]], True, "boss") == 1
    assert master(engine)["C001"]["bank_account"] == "999-99"
    assert change_log(engine)[-1] == ("C001", "bank_account", "111-22", "999-99")
    back_office = merge(engine, [edits], role="back_office")
    assert back_office.updated_fields == 1 and master(engine)["C001"]["address"] == "대구"


def test_conflicting_uploads_apply_neither(engine, tmp_path):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)])
    one = upload(tmp_path, "kim.xlsx", BASE, C001__phone="010-0000-0001")
    two = upload(tmp_path, "lee.xlsx", BASE, C001__phone="010-0000-0002", C002__phone="010-7777-7777")
    result = merge(engine, [one, two])
    assert [(c.code, c.fields["value"], c.column) for c in result.conflicts] == [("merge-conflict", "C001", "phone")]
    assert master(engine)["C001"]["phone"] == "010-1111-2222" and master(engine)["C002"]["phone"] == "010-7777-7777"


def test_bad_rows_partial_or_all_or_nothing_and_dry_run(engine, tmp_path):
    bad = upload(tmp_path, "bad.xlsx", BASE, C002__score_capacity=12)
    assert merge(engine, [bad], dry_run=True).inserted == 2 and master(engine) == {}
    strict = merge(engine, [bad], all_or_nothing=True)
    assert (strict.rows_in, strict.rows_out, master(engine)) == (0, 3, {})
    partial = merge(engine, [bad])
    assert (partial.rows_in, partial.rows_out) == (2, 1) and set(master(engine)) == {"C001", "C003"}


def test_a_merge_that_fails_half_way_leaves_the_store_as_it_was(engine, tmp_path, monkeypatch):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)])
    before, log_before = master(engine), change_log(engine)
    import crm_xl.store.merge as m

    def dies_after_the_updates(self, conn):
        raise KeyboardInterrupt  # stopped after the rows' updates ran, before the change log was written
    monkeypatch.setattr(m._Batch, "flush", dies_after_the_updates)
    edits = upload(tmp_path, "b.xlsx", BASE, C001__phone="010-1-1", C002__phone="010-2-2", C003__phone="010-3-3")
    with pytest.raises(KeyboardInterrupt):
        merge(engine, [edits])
    assert master(engine) == before and change_log(engine) == log_before


def test_export_writes_the_master_data(engine, tmp_path):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)])
    out = export_master(engine, tmp_path / "master.xlsx")
    frame = pd.read_excel(out, engine="calamine", dtype={"customer_code": str})
    assert frame.customer_code.tolist() == ["C001", "C002", "C003"] and frame.score_character.tolist() == [8, 7, 6]


def test_monthly_report_from_the_master_data(engine, tmp_path):
    from crm_xl.reports.monthly import run_report

    merge(engine, [upload(tmp_path, "a.xlsx", BASE)])  # 3 customers, 3 bank accounts waiting for review
    tx = tmp_path / "tx.csv"
    pd.DataFrame({"customer_code": ["C001", "C002", "C999"], "date": ["2026-10-03", "2026-10-09", "2026-10-10"],
                  "quantity": [5, 2, 9], "amount": [50_000, 20_000, 90_000]}).to_csv(tx, index=False)
    result = run_report("2026-10", None, tx, tmp_path / "r.xlsx", default_model(), db=str(engine.url.render_as_string(
        hide_password=False)), html=False)
    kpi = result.figures.kpi
    assert kpi["customers"]["value"] == 3 and kpi["pending_reviews"]["value"] == 3
    assert kpi["active"]["value"] == 2 and kpi["sales"]["value"] == 70_000  # C999 is not a customer here
    assert kpi["stale"]["label"].startswith("Records not updated") and kpi["stale"]["value"] == 0


def test_uploads_checked_against_the_master_data(engine, tmp_path, capsys):
    from crm_xl.sheets.template import read_metadata
    from crm_xl.sheets.validation import validate_files
    from crm_xl.store.export import known, record_template
    from tests.test_cli import run

    merge(engine, [upload(tmp_path, "first.xlsx", BASE)])
    url = engine.url.render_as_string(hide_password=False)
    code, out, err = run(["template", "--from-store", "--db", url, "--lang", "ko", "-o", tmp_path / "issued.xlsx"],
                         capsys)
    assert code == 0, err
    issued = read_metadata(tmp_path / "issued.xlsx")
    assert known(engine).templates == {issued["template_id"]}
    stray = upload(tmp_path, "stray.xlsx", BASE)  # a template this master data never issued
    strange = upload(tmp_path, "strange.xlsx", pd.concat([BASE, BASE.head(1).assign(customer_code="C777")]))
    record_template(engine, read_metadata(strange))
    reports = validate_files([tmp_path / "issued.xlsx", stray, strange], default_model(), known=known(engine))
    errors = [[f.code for f in r.findings if f.severity == "error"] for r in reports]  # warnings: same customers
    assert errors[0] == [] and errors[1] == ["unknown-template"]
    assert [(f.code, f.fields["value"]) for f in reports[2].findings
            if f.code == "unknown-customer"] == [("unknown-customer", "C777")]
    held = merge(engine, [stray])
    assert held.rows_in == 0 and held.rows_out == 3 and "was not issued" in held.held_back[0].message


def test_merge_says_which_finding_held_each_row_back(tmp_path, capsys):
    from tests.test_cli import run

    url = f"sqlite:///{tmp_path / 'master.db'}"
    bad = upload(tmp_path, "bad.xlsx", BASE, C002__score_capacity=12)
    code, out, _ = run(["merge", bad, "--as", "back_office", "--db", url], capsys)
    assert code == 1
    assert "row 3: not merged: score_capacity: 12 is outside 1–10 (fix: Fix the cell, then merge the file again: Use a value from 1 to 10.)" in out
    code, out, _ = run(["merge", bad, "--as", "back_office", "--db", url, "--all-or-nothing", "--json"], capsys)
    held = json.loads(out)["held_back"]
    assert [(h["code"], h.get("row"), h.get("cell")) for h in held] == [
        ("row-held-back", 3, "Y3"), ("batch-held-back", None, None)]
    code, _, err = run(["merge", bad, "--as", "intern", "--db", url], capsys)
    assert code == 2 and "[bad-option] --as: 'intern' is not a role" in err


def test_coded_fields_are_stored_as_codes_and_shown_in_the_readers_language(engine, tmp_path):
    """편의점, 便利店 and convenience are one format: stored once as B, shown as each reader names it."""
    frame = BASE.assign(business_format=["편의점", "便利店", "convenience"], market_type=["도시", "乡村", "urban"])
    merge(engine, [upload(tmp_path, "a.xlsx", frame)], role="back_office")
    stored = master(engine)
    assert [stored[c]["business_format"] for c in ("C001", "C002", "C003")] == ["B", "B", "B"]
    assert [stored[c]["market_type"] for c in ("C001", "C002", "C003")] == ["C", "X", "C"]
    for lang, shown, header in (("ko", "편의점", "업태"), ("zh", "便利店", "经营业态"), ("en", "convenience", "business format")):
        out = export_master(engine, tmp_path / f"master-{lang}.xlsx", lang)
        ws = openpyxl.load_workbook(out)["Customers"]
        cols = {c.value: c.column for c in ws[1]}
        assert [ws.cell(r, cols[header]).value for r in (2, 3, 4)] == [shown] * 3
    again = write_template(tmp_path / "again.xlsx", default_model(), master_frame(engine), lang="zh")
    ws = openpyxl.load_workbook(again)[DATA_SHEET]
    cols = {c.value: c.column for c in ws[1]}
    assert ws.cell(2, cols["经营业态"]).value == "便利店"  # the template shows the label of its language
    record_template(engine, read_metadata(again))
    second = merge(engine, [again], role="back_office")
    assert (second.updated_fields, second.rows_out) == (0, 0) and master(engine) == stored  # untouched: no change
