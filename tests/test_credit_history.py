"""Snapshots, limits in force and the review of limit rises, on SQLite and (when given) PostgreSQL."""
import pandas as pd
import pytest
from sqlalchemy import func, select

from crm_xl.credit.orders import accounts_from_store, check_orders
from crm_xl.credit.snapshot import take_snapshot
from crm_xl.findings import InputError
from crm_xl.store import credit as store_credit
from crm_xl.store import db
from tests import test_store
from tests.test_store import BASE, merge, upload

engine = test_store.engine  # the SQLite / PostgreSQL fixture


def transactions(monthly: dict[str, float], until: str) -> pd.DataFrame:
    """One order a month for a year up to `until`, per customer, of the given amount."""
    months = pd.date_range(end=pd.Timestamp(until), periods=12, freq="MS") + pd.Timedelta(days=14)
    return pd.DataFrame([{"customer_code": c, "date": d, "quantity": 10, "amount": a}
                         for c, a in monthly.items() for d in months])


def rows(engine, table):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_snapshot_is_idempotent(engine, tmp_path, model):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    tx = transactions({"C001": 1_000, "C002": 2_000, "C003": 500}, "2026-09-01")
    first = take_snapshot(engine, "2026-09", model, "kim", tx)
    taken = sorted((r["customer_code"], r["credit_grade"], r["credit_limit"]) for r in rows(engine, db.snapshots))
    log = count(engine, db.changes)
    again = take_snapshot(engine, "2026-09", model, "kim", tx)
    assert (first.customers, first.first_limits, first.replaced) == (3, 3, 0)
    assert (again.replaced, again.first_limits, again.changed_limits, again.queued) == (3, 0, 0, 0)
    assert sorted((r["customer_code"], r["credit_grade"], r["credit_limit"]) for r in rows(engine, db.snapshots)) == taken
    assert taken == [("C001", "AA", 1_200.0), ("C002", "A", 2_000.0), ("C003", "B", 200.0)]
    assert count(engine, db.changes) == log  # nothing logged twice


def test_a_limit_rise_waits_for_a_credit_manager_end_to_end(engine, tmp_path, model):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    take_snapshot(engine, "2026-09", model, "kim", transactions({"C001": 1_000, "C002": 2_000, "C003": 500}, "2026-09-01"))
    # October: C001 buys twice as much (limit +100%: review), C002 a little more (+25%: applies at once)
    october = transactions({"C001": 2_000, "C002": 2_500, "C003": 500}, "2026-10-01")
    result = take_snapshot(engine, "2026-10", model, "kim", october)
    assert (result.queued, result.changed_limits) == (1, 1)
    [review] = store_credit.pending_credit_reviews(engine)
    assert (review["customer_code"], review["old_limit"], review["new_limit"]) == ("C001", 1_200.0, 2_400.0)
    assert review["why"] == "limit 1,200 -> 2,400 (+100%, review above +50%)"
    assert review["credit_reasons"] == "Character 8/10 (-0.050); Capacity 8/10 (-0.050); Capital 8/10 (-0.040)"

    in_force = {r["customer_code"]: r["credit_limit"] for r in rows(engine, db.credit_limits)}
    assert in_force == {"C001": 1_200.0, "C002": 2_500.0, "C003": 200.0}  # the rise waits, the small one applies
    order = pd.DataFrame({"customer_code": ["C001"], "amount": [2_000]})
    assert check_orders(order, accounts_from_store(engine), model).table.decision[0] == "hold"
    assert take_snapshot(engine, "2026-10", model, "kim", october).queued == 0  # taken again: not queued twice

    with pytest.raises(InputError, match="'account_manager' may not approve credit reviews"):
        store_credit.decide_credit_reviews(engine, [review["id"]], True, "lee", "account_manager", model)
    assert store_credit.decide_credit_reviews(engine, [review["id"]], True, "park", "credit_manager", model) == 1
    with pytest.raises(InputError, match=f"review {review['id']} is approved, not pending"):
        store_credit.decide_credit_reviews(engine, [review["id"]], True, "park", "credit_manager", model)

    assert check_orders(order, accounts_from_store(engine), model).table.decision[0] == "approve"
    with engine.connect() as conn:
        audit = conn.execute(select(db.changes).where(db.changes.c.customer_code == "C001",
                                                      db.changes.c.role == "credit_manager")).mappings().all()
    assert [(a["field"], a["old_value"], a["new_value"], a["changed_by"]) for a in audit] == [
        ("credit_limit", "1200", "2400", "park")]
    decided = rows(engine, db.credit_reviews)[0]
    assert (decided["status"], decided["decided_by"], decided["decided_role"]) == ("approved", "park", "credit_manager")


def test_a_fall_applies_at_once_and_rejecting_it_restores_the_old_limit(engine, tmp_path, model):
    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    take_snapshot(engine, "2026-09", model, "kim", transactions({"C001": 1_000}, "2026-09-01"))
    worse = upload(tmp_path, "b.xlsx", BASE, **{f"C001__score_{c}": 5 for c in ("character", "capacity", "capital",
                                                                                   "collateral", "conditions")})
    merge(engine, [worse], role="back_office")
    result = take_snapshot(engine, "2026-10", model, "kim", transactions({"C001": 1_000}, "2026-10-01"))
    [review] = result.reviews
    assert review["why"] == "grade AA -> C (down 3 steps)"
    assert {r["customer_code"]: r["credit_limit"] for r in rows(engine, db.credit_limits)}["C001"] == 0.0
    store_credit.decide_credit_reviews(engine, [review["id"]], False, "park", "credit_manager", model)
    in_force = {r["customer_code"]: (r["credit_grade"], r["credit_limit"]) for r in rows(engine, db.credit_limits)}
    assert in_force["C001"] == ("AA", 1_200.0)


def test_balances_load_in_one_go_or_not_at_all(engine, tmp_path):
    from crm_xl.credit.collection import load_balances_file

    good = tmp_path / "ar.csv"
    good.write_text("고객코드,미수금,연체일수\nC001,500,0\nC002,1200,45\n", "utf-8")
    assert load_balances_file(good, engine, "2026-10-31", "kim") == 2
    bad = tmp_path / "ar2.csv"
    bad.write_text("customer_code,outstanding,overdue_days\nC001,900,0\nC002,lots,-3\n", "utf-8")
    with pytest.raises(InputError) as caught:
        load_balances_file(bad, engine, "2026-11-30", "kim")
    messages = [f.message for f in caught.value.findings]
    assert messages[0].endswith("[ar2] B3: outstanding: 'lots' is not a number (fix: Type a plain number, e.g. 1234.5.); nothing was loaded")
    assert "C3: overdue_days: -3 is outside 0–∞" in messages[1]
    latest = store_credit.latest_receivables(engine)
    assert sorted(zip(latest.customer_code, latest.outstanding, latest.overdue_days)) == [
        ("C001", 500, 0), ("C002", 1_200, 45)]
    later = tmp_path / "ar3.csv"
    later.write_text("customer_code,outstanding,overdue_days\nC001,900,31\n", "utf-8")
    load_balances_file(later, engine, "2026-11-30", "kim")
    now = store_credit.latest_receivables(engine)
    assert sorted(zip(now.customer_code, now.outstanding, now.as_of)) == [
        ("C001", 900, "2026-11-30"), ("C002", 1_200, "2026-10-31")]  # each customer's latest
    then = store_credit.latest_receivables(engine, on="2026-11-29")  # crm-xl credit check --on
    assert sorted(zip(then.customer_code, then.outstanding)) == [("C001", 500), ("C002", 1_200)]


def test_held_orders_wait_for_a_role_that_may_release_them(engine, tmp_path, model):
    from crm_xl.credit.orders import check_orders_file

    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    take_snapshot(engine, "2026-09", model, "kim", transactions({"C001": 1_000, "C002": 2_000}, "2026-09-01"))
    orders = tmp_path / "orders.csv"  # C001's limit is 1,200: the second order goes over
    orders.write_text("order_no,customer_code,amount\nSO-1,C001,1000\nSO-2,C001,500\nSO-3,C002,100\n", "utf-8")
    checked = check_orders_file(orders, tmp_path / "checked.xlsx", engine, model, user="kim")
    assert checked.table.decision.tolist() == ["approve", "hold", "approve"]
    [held] = store_credit.held_orders(engine)
    assert (held["order_ref"], held["customer_code"], held["amount"], held["reason"]) == (
        "SO-2", "C001", 500.0, "over limit by 300")
    with pytest.raises(InputError, match="'account_manager' may not release held orders"):
        store_credit.release_holds(engine, [held["id"]], "lee", "account_manager", model)
    assert store_credit.release_holds(engine, [held["id"]], "choi", "sales_director", model) == 1
    with engine.connect() as conn:
        audit = conn.execute(select(db.changes).where(db.changes.c.field == "order_hold")).mappings().all()
    assert [(a["customer_code"], a["role"], a["changed_by"], a["new_value"]) for a in audit] == [
        ("C001", "sales_director", "choi", "SO-2 released")]
    check_orders_file(orders, tmp_path / "checked.xlsx", engine, model, user="kim")  # the same file again
    assert store_credit.held_orders(engine) == []  # a released order stays released


def test_credit_check_formula_looks_up_a_customer_code(engine, tmp_path, model, monkeypatch):
    from udfs import functions as f

    merge(engine, [upload(tmp_path, "a.xlsx", BASE)], role="back_office")
    take_snapshot(engine, "2026-09", model, "kim", transactions({"C001": 1_000}, "2026-09-01"))
    store_credit.load_receivables(engine, pd.DataFrame({"customer_code": ["C001"], "outstanding": [0],
                                                         "overdue_days": [45]}), "2026-09-30", "kim")
    monkeypatch.setenv("CRM_XL_DB", engine.url.render_as_string(hide_password=False))
    assert f.credit_check(1_200, 0, "C001", 0) == [["approve", "within limit"]]  # AA: limit 1,200
    assert f.credit_check(1_260, 0, "C001", 0) == [["approve", "over limit by 60, within the AA tolerance of 5%"]]
    assert f.credit_check(1_000, 0, "C001") == [["hold", "overdue 45 days"]]  # days overdue from the store
    assert f.credit_check(10, 0, "NOPE") == [["hold", "customer_code: 'NOPE' is not in the master data, so the order is held"]]
