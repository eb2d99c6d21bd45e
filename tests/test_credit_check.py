"""The per-order credit check: each rule at its edges, accumulation in order, and formula/batch agreement."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_xl.credit.orders import check_orders
from crm_xl.findings import CrmError
from crm_xl.scoring import credit_check
from crm_xl.scoring.columns import credit_checks
from udfs import functions as f


def one(model, amount, outstanding, limit, grade=None, overdue=None, language=None):
    column = credit_checks([amount], [outstanding], [limit], [grade], [overdue], model, language)
    assert column.values[0] is not None, column.reasons[0]
    assert type(column.values[0]) is list  # the two cells a formula spills
    return tuple(column.values[0])


@pytest.mark.parametrize("amount, outstanding, expected", [
    (60_000, 40_000, ("approve", "within limit")),  # exactly at the limit
    (60_000.01, 40_000, ("hold", "over limit by 0.01")),  # one cent over
    (0.2, 99_999.8, ("approve", "within limit")),  # sums compared in cents, not floats
    (0, 100_000, ("approve", "within limit")),
    (1, 100_000, ("hold", "over limit by 1")),
    (12_300, 100_000, ("hold", "over limit by 12,300")),
])
def test_limit_edges_without_a_grade(model, amount, outstanding, expected):
    assert one(model, amount, outstanding, 100_000) == expected


@pytest.mark.parametrize("grade, balance, decision, reason", [
    ("AAA", 110_000, "approve", "over limit by 10,000, within the AAA tolerance of 10%"),
    ("AAA", 110_000.01, "hold", "over limit by 10,000.01"),
    ("AA", 105_000, "approve", "over limit by 5,000, within the AA tolerance of 5%"),
    ("AA", 105_001, "hold", "over limit by 5,001"),
    ("A", 100_000, "approve", "within limit"),
    ("A", 100_000.01, "hold", "over limit by 0.01"),  # A has no tolerance
])
def test_tolerance_edges_per_grade(model, grade, balance, decision, reason):
    assert one(model, balance - 50_000, 50_000, 100_000, grade) == (decision, reason)


@pytest.mark.parametrize("days, expected", [
    (0, ("approve", "within limit")), (30, ("approve", "within limit")), (30.5, ("hold", "overdue 30.5 days")),
    (31, ("hold", "overdue 31 days")), (90, ("hold", "overdue 90 days")), (91, ("reject", "overdue 91 days")),
])
def test_overdue_edges(model, days, expected):
    assert one(model, 100, 0, 1_000, "A", days) == expected


def test_reasons_combine_and_the_worst_decision_wins(model):
    assert one(model, 2_000, 0, 1_000, "A", 45) == ("hold", "over limit by 1,000; overdue 45 days")
    assert one(model, 2_000, 0, 1_000, "A", 120) == ("reject", "over limit by 1,000; overdue 120 days")
    assert one(model, 10, 0, 0, "C") == ("reject", "grade C: cash only")  # a cash-only grade never sells on credit
    assert one(model, 10, 0, None, "A") == ("hold", "no credit limit in force")


def test_reason_texts_in_korean_and_chinese(model):
    assert one(model, 12_300, 100_000, 100_000, language="ko") == ("hold", "한도 12,300 초과")
    assert one(model, 1, 0, 100, "A", 45, language="zh") == ("hold", "逾期 45 天")
    with pytest.raises(CrmError, match="language: 'fr' is not defined in credit.texts"):
        one(model, 1, 0, 100, language="fr")


def test_bad_cells_give_a_reason_for_that_row_only(model):
    column = credit_checks([-5, "x", 10, None, 10], [0, 0, 0, None, "lots"], [100, 100, 100, None, 100],
                           [None, None, "ZZ", None, None], [None, None, None, None, None], model)
    assert column.values == [None, None, None, None, None]
    assert [r and r.message for r in column.reasons] == [
        "amount: -5 is outside 0–∞", "amount: 'x' is not a number", "credit_grade: 'ZZ' is not a known credit grade",
        None, "outstanding: 'lots' is not a number"]


def test_tolerances_and_overdue_rules_come_from_the_model(raw_model):
    from crm_xl.model.schema import parse_model

    raw_model["credit"]["grades"][2]["tolerance"] = 0.2  # A
    raw_model["credit"]["check"]["hold_overdue_days"] = 10
    model = parse_model(raw_model, "edited")
    assert one(model, 120, 0, 100, "A") == ("approve", "over limit by 20, within the A tolerance of 20%")
    assert one(model, 1, 0, 100, "A", 11) == ("hold", "overdue 11 days")


def test_bad_check_rules_are_model_errors(raw_model):
    from crm_xl.findings import ModelError
    from crm_xl.model.schema import parse_model

    raw_model["credit"]["check"]["reject_overdue_days"] = 10  # below hold_overdue_days (30)
    raw_model["credit"]["grades"][4]["tolerance"] = 1.5
    raw_model["credit"]["texts"]["ko"]["over_limit"] = "한도 {excess} 초과"
    del raw_model["credit"]["review"]["approver_roles"]
    with pytest.raises(ModelError) as caught:
        parse_model(raw_model, "edited")
    entries = {f.fields.get("entry") for f in caught.value.findings}
    assert {"credit.check.reject_overdue_days", "credit.grades[4].tolerance", "credit.texts.ko.over_limit",
            "credit.review.approver_roles"} <= entries


def sequential(customers, amounts, opening, allowed):
    """The obvious loop the vectorised accumulation must equal: one order after another."""
    used = dict(enumerate(opening))
    before = []
    for c, a in zip(customers, amounts):
        before.append(used[c])
        if used[c] + a <= allowed[c]:
            used[c] += a
    return before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60)), max_size=40),
       st.lists(st.integers(0, 50), min_size=4, max_size=4), st.lists(st.integers(0, 150), min_size=4, max_size=4))
def test_accumulation_equals_checking_one_order_after_another(orders, opening, allowed):
    customers = np.array([c for c, _ in orders], np.int64)
    amounts = np.array([a for _, a in orders], np.int64)
    got = credit_check.accumulate(customers, amounts, np.array(opening), np.array(allowed),
                                  np.ones(len(orders), bool))
    assert got.tolist() == sequential(customers.tolist(), amounts.tolist(), opening, allowed)


ACCOUNTS = pd.DataFrame({"customer_code": ["A1", "B2", "C3", "D4"], "credit_grade": ["AAA", "A", "C", "A"],
                         "credit_limit": [1_000.0, 500.0, 0.0, 100.0], "outstanding": [800, 0, 0, 0],
                         "overdue_days": [0, 0, 0, 45]})


def test_a_days_orders_accumulate_per_customer_in_date_order(model):
    orders = pd.DataFrame({"customer_code": ["B2", "A1", "A1", "B2", "B2", "C3", "D4", "ZZ", "B2"],
                           "amount": [300, 200, 150, 300, 150, 10, 5, 5, 50],
                           "date": pd.to_datetime(["2026-11-02", "2026-11-01", "2026-11-02", "2026-11-02",
                                                   "2026-11-02", "2026-11-02", "2026-11-02", "2026-11-02",
                                                   "2026-11-01"])})
    t = check_orders(orders, ACCOUNTS, model).table
    assert t.decision.tolist() == ["approve", "approve", "hold", "hold", "approve", "reject", "hold", "hold", "approve"]
    # B2: 50 on the 1st, then 300 (350), 300 would make 650 > 500: held and not counted, 150 makes 500
    assert t.outstanding_before.tolist()[:5] == [50, 800, 1_000, 350, 350]
    assert t.balance_after.tolist()[:5] == [350, 1_000, 1_000, 350, 500]
    assert t.reason[2] == "over limit by 150"  # AAA may reach 1,100; 1,150 is held
    assert t.reason[7] == "customer_code: 'ZZ' is not in the master data, so the order is held"
    assert t.release_by[3] == "release by credit_manager, sales_director" and pd.isna(t.release_by[0])


def test_formula_and_batch_agree_on_every_order(model):
    rng = np.random.default_rng(3)
    n = 400
    accounts = pd.DataFrame({"customer_code": [f"K{i}" for i in range(40)],
                             "credit_grade": rng.choice(["AAA", "AA", "A", "B", "C"], 40),
                             "credit_limit": rng.integers(0, 50, 40) * 100.0,
                             "outstanding": rng.integers(0, 30, 40) * 100.0,
                             "overdue_days": rng.choice([0, 10, 30, 31, 90, 91], 40)})
    orders = pd.DataFrame({"customer_code": rng.choice(accounts.customer_code, n),
                           "amount": rng.integers(1, 2_000, n) / 4})
    t = check_orders(orders, accounts, model).table
    assert set(t.decision) == {"approve", "hold", "reject"}
    limit_and_grade = [[limit, grade] for limit, grade in zip(t.credit_limit, t.credit_grade)]
    out = f.credit_check([[a] for a in t.amount], [[b] for b in t.outstanding_before], limit_and_grade,
                         [[d] for d in t.overdue_days])
    assert out == [[d, r] for d, r in zip(t.decision, t.reason)]


def test_credit_check_formula_shapes(model):
    assert f.credit_check(60_000, 40_000, 100_000) == [["approve", "within limit"]]
    assert f.credit_check(60_000, 40_000, [[100_000, "AAA"]], 45) == [["hold", "overdue 45 days"]]
    assert f.credit_check([[1], [None], [-1]], 0, 100) == [["approve", "within limit"], [None, None],
                                                          ["#VALUE! amount: -1 is outside 0–∞", None]]
    assert f.credit_check(12_300, 100_000, 100_000, None, None, "ko") == [["hold", "한도 12,300 초과"]]


def test_an_orders_file_without_amounts_or_without_limits_in_force_stops_with_a_finding(tmp_path, model):
    from crm_xl.credit.orders import check_orders_file
    from crm_xl.findings import InputError
    from crm_xl.store.db import connect

    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_code,qty\nC1,5\n", "utf-8")
    with pytest.raises(InputError) as caught:
        check_orders_file(orders, tmp_path / "out.xlsx", engine, model)
    assert caught.value.findings[0].code == "column-missing" and "no column for amount" in caught.value.findings[0].message
    orders.write_text("customer_code,amount\nC1,5\n", "utf-8")
    with pytest.raises(InputError, match="no credit limit is in force in the master data"):
        check_orders_file(orders, tmp_path / "out.xlsx", engine, model)
    assert not (tmp_path / "out.xlsx").exists()  # nothing half-written


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1_000.0, 5_000_000.0, 5_400_000.5, float("nan")]),
                          st.sampled_from([0.0, 300_000.0, float("nan")]),
                          st.sampled_from([5_000_000.0, 0.0, float("nan")]),
                          st.sampled_from(["AAA", "A", "C", None, "Z"]),
                          st.sampled_from([0.0, 30.0, 31.0, 45.0, 91.0, float("nan")])), min_size=1, max_size=5))
def test_a_few_orders_are_checked_as_in_a_long_column(rows):
    """Up to 64 rows render texts per row; the result must be what the column path gives."""
    from crm_xl.model import default_model

    model = default_model()
    columns = [list(c) for c in zip(*rows)]
    few = credit_checks(*columns, model)
    repeat = 65 // len(rows) + 1
    many = credit_checks(*[c * repeat for c in columns], model)
    assert few.values == many.values[:len(rows)]
    assert [r and r.message for r in few.reasons] == [r and r.message for r in many.reasons[:len(rows)]]
