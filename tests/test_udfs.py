"""The Excel functions with the exact argument shapes Excel passes, and agreement with the batch job.

Desktop xlwings passes a scalar for one cell, a 1-D list for a row or column and a list of lists
for a 2-D range, None for empty cells; xlwings Server and Lite (Office.js) pass everything as a
list of lists with "" for empty cells.
"""
import datetime as dt
import inspect

import numpy as np
import pandas as pd
import pytest

from crm_xl.demo import make_demo
from crm_xl.model import default_model
from crm_xl.model.sheet import model_rows
from crm_xl.scoring.customers import score_customers
from udfs import functions as f

FIVE = ["score_character", "score_capacity", "score_capital", "score_collateral", "score_conditions"]


def test_every_function_is_registered_with_descriptions():
    names = {n for n, obj in inspect.getmembers(f, inspect.isfunction) if n.upper() in f.CATALOGUE}
    assert {n.upper() for n in names} == set(f.CATALOGUE) == {
        "CREDIT_SCORE", "CREDIT_GRADE", "CREDIT_LIMIT", "CUSTOMER_TIER", "CUSTOMER_CLASS", "VALUE_SEGMENT",
        "RFM_SEGMENT", "CUSTOMER_TAGS", "CRM_MODEL", "CREDIT_CHECK", "CREDIT_REASONS"}
    for name, spec in f.CATALOGUE.items():
        params = list(inspect.signature(getattr(f, name.lower())).parameters)
        assert spec.description and list(spec.docs) == params, name
        assert all(spec.docs.values()), name


@pytest.mark.parametrize("scores, expected", [
    (7, "#N/A score_capacity is empty"),  # one cell: only the first indicator
    ([7, 7, 7, 7, 7], 0.7),  # desktop: one row as a 1-D list
    ([[7, 7, 7, 7, 7]], 0.7),  # Office.js: one row as a list of lists
    ([[7], [7], [7], [7], [7]], 0.7),  # one customer typed down a column
    ([7.0, 8.0, 9.0, 10.0, 6.0], 0.795),
    (np.array([7, 7, 7, 7, 7]), 0.7),
])
def test_credit_score_one_customer(scores, expected):
    assert f.credit_score(scores) == expected


def test_credit_score_column_of_customers_spills_with_per_row_errors():
    out = f.credit_score([[9, 9, 9, 9, 9], [7, 12, 7, 7, 7], [None] * 5, ["", "", "", "", ""],
                          [7, 7, 7, 7, None], ["high", 1, 1, 1, 1], [dt.datetime(2026, 1, 1), 5, 5, 5, 5]])
    assert out == [[0.9], ["#VALUE! score_capacity: 12 is outside 1–10"], [None], [None],
                   ["#N/A score_conditions is empty"], ["#VALUE! score_character: 'high' is not a number"],
                   ["#VALUE! score_character: '2026-01-01' is not a number"]]


def test_weights_and_model_ranges_override_the_defaults():
    assert f.credit_score([10, 5, 5, 5, 5], [1, 0, 0, 0, 0]).startswith("#VALUE! credit.indicator_sets.5c.capacity")
    assert f.credit_score([10, 5, 5, 5, 5], [[1, 1, 1, 1, 1]]) == 0.6
    rows = [["Key", "Value"]] + [[k, v] for k, v in model_rows(default_model().raw)]
    for row in rows:
        if row[0] == "credit.grades[2].from":
            row[1] = 0.75
        if row[0] == "model.name":
            row[1] = "our workbook model"
    assert f.crm_model(rows) == "our workbook model 1.0.0"
    assert f.credit_grade(0.72) == "A" and f.credit_grade(0.72, None, rows) == "B"
    assert f.credit_grade(0.72, [[0, "LOW"], [0.7, "HIGH"]]) == "HIGH"
    assert f.credit_grade(0.72, [[0.7, "HIGH"], [0, "LOW"]]) == \
        "#VALUE! credit.grades[1]: lower edge 0 is not above 0.7"


def test_credit_grade_from_levels_or_score_rows():
    assert f.credit_grade(0.7) == "A"
    assert f.credit_grade([0.95, 0.5, None, 2]) == [["AAA"], ["C"], [None], ["#VALUE! credit_level: 2 is outside 0–1"]]
    assert f.credit_grade([[9, 9, 9, 9, 9], [6, 6, 6, 6, 6], [None] * 5]) == [["AAA"], ["B"], [None]]
    assert f.credit_grade([[9, 9, 9, 9, 9], [6, 6, 6, 99, 6]])[1] == ["#VALUE! score_collateral: 99 is outside 1–10"]


def test_credit_limit_broadcasts_single_cells():
    assert f.credit_limit("A", 300_000) == 300_000
    assert f.credit_limit([["A"], ["C"], ["Z"], [None]], [[300_000], [1e6], [1], [None]], 45) == [
        [450_000], [0], ["#VALUE! credit_grade: 'Z' is not a known credit grade"], [None]]
    assert f.credit_limit(["A", "B"], [1, 2, 3]) == "#VALUE! ranges differ in size (2 and 3 cells)"


def test_tier_class_value_rfm_tags():
    assert f.customer_tier([[12], [None], [-1], [""]]) == [["T3"], [None], [
        "#VALUE! avg_monthly_qty: -1 is below the lowest band (0)"], [None]]
    assert f.customer_tier(12, "9-tier").startswith("#VALUE! preset '9-tier'")
    assert f.customer_tier(12, "30-level") == "#N/A customer_tier: 30-level scoring needs at least 30 customers, got 1"
    assert f.customer_class("食杂店", "urban", "大") == "CZL"
    assert f.customer_class([["Z"], ["B"]], "X", [[5e6], [2e7]]) == [["XZM"], ["XBL"]]
    assert f.value_segment(80, 80, 80, 20, 20) == "secondary"
    assert f.rfm_segment([1, 30], [10, 5], [500, 400]) == (  # one message, not one per row
        "#N/A recency: quintile scoring needs at least 5 customers, got 2: give whole columns, "
        "e.g. =RFM_SEGMENT(B2:B500, C2:C500, D2:D500)")
    assert f.customer_tags("C", "T1", "core", "At Risk", 75) == "high value, cash only, top tier, churn risk, late payer"
    assert f.customer_tags("", "", "", "") is None


def test_formulas_and_the_batch_job_never_disagree():
    """The same 500 demo customers scored by the batch engine and by the Excel functions."""
    demo = make_demo(500, seed=11)
    frame = demo.customers.assign(avg_monthly_amount=lambda d: d.net_worth.fillna(0) / 10)  # a scale measure
    batch = score_customers(frame, default_model()).computed
    as_cells = lambda col: [[None if pd.isna(v) else v] for v in frame[col]]  # noqa: E731
    levels = f.credit_score([[None if pd.isna(v) else v for v in row] for row in frame[FIVE].itertuples(index=False)])
    grades = f.credit_grade(levels)
    value = f.value_segment(*(as_cells(c) for c in ["value_contribution", "value_support", "value_credit",
                                                   "value_growth", "value_influence"]))
    classes = f.customer_class(as_cells("business_format"), as_cells("market_type"), as_cells("avg_monthly_amount"))

    def same(excel, series):
        for (cell,), expected in zip(excel, series.astype(object)):
            if pd.isna(expected):
                assert cell is None or str(cell).startswith("#"), (cell, expected)
            else:
                assert cell == expected
    same(levels, batch.credit_level)
    same(grades, batch.credit_grade)
    same(value, batch.value_segment)
    same(classes, batch.class_code)
    assert any(str(c[0]).startswith("#") for c in levels)  # the demo's mistakes show as error texts
    assert sum(c[0] is not None and not str(c[0]).startswith("#") for c in classes) > 400


def test_an_error_in_an_input_cell_is_reported_as_that_error():
    """xlwings hands error cells over as their text (err_to_str): they are errors, not empty cells."""
    out = f.credit_score([["#DIV/0!", 7, 7, 7, 7], [7, "#REF!", 7, 7, 7], [7, 7, 7, 7, 7]])
    assert out == [["#DIV/0! score_character: the cell holds the error #DIV/0!"],
                   ["#REF! score_capacity: the cell holds the error #REF!"], [0.7]]
    assert f.credit_grade("#N/A") == "#N/A credit_level: the cell holds the error #N/A"
    assert f.customer_class("#VALUE!", "X", "L").startswith("#VALUE! business_format: the cell holds the error")
    assert f.credit_limit("#NAME?", 1000) == "#NAME? credit_grade: the cell holds the error #NAME?"
    assert f.customer_tags("#DIV/0!", "T1", "core", "At Risk") == \
        "#DIV/0! credit_grade: the cell holds the error #DIV/0!"


def test_an_error_in_the_limit_cell_of_a_credit_check_is_that_error_not_a_customer_code(monkeypatch):
    """A text in the limit cell is a customer code, looked up in the master data; an error is not one."""
    monkeypatch.setenv("CRM_XL_DB", "sqlite:////nonexistent/never-opened.db")
    assert f.credit_check(1000, 0, "#DIV/0!") == [["#DIV/0! credit_limit: the cell holds the error #DIV/0!", None]]
    out = f.credit_check([[1000], [1000]], [[0], [0]], [[5000], ["#N/A"]])
    assert out[0][0] == "approve" and out[1][0].startswith("#N/A credit_limit")


def test_office_js_gets_real_error_values_per_cell():
    from udfs import officejs

    assert officejs.credit_score([[7, 12, 7, 7, 7]]) == "#VALUE!"
    assert officejs.credit_score([[9, 9, 9, 9, 9], [7, 7, 7, 7, None], ["#DIV/0!", 1, 1, 1, 1]]) == [
        [0.9], ["#N/A"], ["#DIV/0!"]]  # xlwings turns these exact texts into Excel error values
    assert officejs.customer_tier([[12], ["x"]]) == [["T3"], ["#VALUE!"]]
    assert set(officejs.__all__) == {name.lower() for name in f.CATALOGUE}


def test_rfm_recency_may_be_the_last_order_date():
    as_days = f.rfm_segment([[1], [62], [183], [30], [335]], [[10], [5], [2], [8], [1]], [[500], [400], [90], [300], [5]])
    last_orders = [[dt.datetime(2026, 10, 30)], [dt.datetime(2026, 8, 30)], [dt.date(2026, 5, 1)],
                   [dt.datetime(2026, 10, 1)], [dt.datetime(2025, 12, 1)]]  # as of 2026-10-31, the day after the last
    assert f.rfm_segment(last_orders, [[10], [5], [2], [8], [1]], [[500], [400], [90], [300], [5]]) == as_days
    assert as_days[0] == ["Champions"]


@pytest.mark.parametrize("rows", [4, 200])  # a few cells (plain loop) and a column (numpy fast path)
def test_every_cell_kind_reads_the_same_in_small_and_large_calls(rows):
    levels = [[0.95]] * rows
    levels[0], levels[1], levels[2] = [True], [None], ["0.72"]  # TRUE is not a number; text numbers are
    out = f.credit_grade(levels)
    assert out[0] == ["#VALUE! credit_level: True is not a number"]
    assert out[1] == [None] and out[2] == ["A"] and out[-1] == ["AAA"]
    scores = [[7, 7, 7, 7, 7]] * rows
    scores[0] = [7, 7, 7, 7, False]
    assert f.credit_score(scores)[0] == ["#VALUE! score_conditions: False is not a number"]
    assert f.credit_score(scores)[-1] == [0.7]


def test_a_bug_of_ours_is_one_error_cell_not_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(f.columns, "customer_tiers", broken)
    assert f.customer_tier(12) == "#VALUE! crm_xl could not compute this (TypeError: unsupported operand); " \
                                  "please report it with the cells given"
