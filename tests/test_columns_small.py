"""A few cells (plain loops, no pandas) and a long column (numpy, factorize) score the same.

Every column function runs on a handful of awkward rows, then on the same rows repeated past
64 cells: each row's result and reason (code, fields, message) must be the same, in both the
column API (plain lists) and the Excel functions (the shapes Excel passes).
"""
import datetime as dt

import pytest

from crm_xl.model import default_model
from crm_xl.scoring import columns
from udfs import functions as f

REPEAT = 13  # 8 rows x 13 = 104 cells: past the small-input limit (64)

GRADES = ["A", "", None, "ZZ", "#DIV/0!", "C", "AAA", " aa "]
MONEY = [300_000, 1000, "1,200", -5, None, 5000, "abc", 2e15]
TERMS = [30, None, -1, 45, "#N/A", 60, True, 30]
WORTH = [None, 1e6, -3, None, 200, "x", None, 1e5]
FORMATS = ["食杂店", "Z", "", None, "nope", "#REF!", "편의점", "S"]
MARKETS = ["urban", "X", "농촌", None, "C", "C", "moon", "#N/A"]
SCALES = [5e6, "L", None, "대형", -3, "huge", 12_000, "1,000,000"]
INDICES = [[80, 20, 50, None, "", 101, "#NUM!", "70"], [80, 90, 50, 3, "", 50, 5, "x"],
           [80, 20, -1, 3, "", 50, 5, 60], [20, 20, 50, 3, None, 50, 5, 60], [20, 90, 50, 3, "", 50, 5, 60]]
RECENCY = [120, dt.datetime(2026, 8, 30), 5, -1, None, "#DIV/0!", 60, "30", 200, 15, 1]
FREQUENCY = [3, 8, 0, 1, None, 2, "x", 7, 1, 12, 4]
AMOUNTS = MONEY + [9e5, 2e4, 7e3]
TIERS = ["T1", "T5", None, "", "T9", "#N/A", "T8", "T2"]
SEGMENTS = ["core", "secondary", None, "nope", "low-value", "potential", "", "core"]
RFM = ["At Risk", "Champions", None, "New", "", "Loyal", "#VALUE!", "At Risk"]
LEVELS = [0.72, None, "", "0.9", -0.5, 1.5, True, "#N/A"]
SALES = [12, None, "", "7", -1, 0.01, "x", dt.datetime(2026, 1, 1)]
SCORE_ROWS = [[7, 8, 6, 9, 7], [None] * 5, [7, 12, 7, 7, 7], ["#DIV/0!", 7, 7, 7, 7], [7, "8", 7, 7, None],
              [True, 7, 7, 7, 7], [1, 1, 1, 1, 1], [10, 10, 10, 10, 10]]


def rows(column: columns.Column) -> list:
    return [(v, None if r is None else (r.code, r.fields, r.message)) for v, r in zip(column.values, column.reasons)]


CASES = {
    "credit_levels": lambda *c: columns.credit_levels(c[0], default_model()),
    "credit_grades": lambda *c: columns.credit_grades(c[0], default_model()),
    "credit_limits": lambda *c: columns.credit_limits(*c, default_model()),
    "customer_tiers": lambda *c: columns.customer_tiers(c[0], default_model()),
    "customer_classes": lambda *c: columns.customer_classes(*c, default_model()),
    "value_segments": lambda *c: columns.value_segments(*c, default_model()),
    "rfm_segments": lambda *c: columns.rfm_segments(*c, default_model()),
    "customer_tags": lambda *c: columns.customer_tags(dict(zip(
        ("credit_grade", "customer_tier", "value_segment", "rfm_segment", "avg_collection_days"), c)), default_model()),
}
INPUTS = {
    "credit_levels": (SCORE_ROWS,),
    "credit_grades": (LEVELS,),
    "credit_limits": (GRADES, MONEY, TERMS, WORTH),
    "customer_tiers": (SALES,),
    "customer_classes": (FORMATS, MARKETS, SCALES),
    "value_segments": tuple(INDICES),
    "rfm_segments": (RECENCY, FREQUENCY, AMOUNTS),
    "customer_tags": (GRADES, TIERS, SEGMENTS, RFM, SALES),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_few_rows_score_as_the_same_rows_in_a_long_column(name):
    few = rows(CASES[name](*INPUTS[name]))
    many = rows(CASES[name](*(list(c) * REPEAT for c in INPUTS[name])))
    assert any(reason for _, reason in few) and any(value is not None for value, _ in few)  # both kinds covered
    assert many == few * REPEAT


@pytest.mark.parametrize("name", list(CASES))
def test_each_row_alone_scores_as_in_the_column(name):
    """One row per call (a formula filled down) gives that row's result and reason."""
    if name == "rfm_segments":  # ranks within the rows given: one row alone has no population
        pytest.skip("quintiles need five rows")
    whole = rows(CASES[name](*INPUTS[name]))
    for i, expected in enumerate(whole):
        assert rows(CASES[name](*([c[i]] for c in INPUTS[name]))) == [expected], i


EXCEL = {
    "credit_score": (f.credit_score, (SCORE_ROWS,)),
    "credit_grade": (f.credit_grade, (LEVELS,)),
    "credit_limit": (f.credit_limit, (GRADES, MONEY, TERMS, WORTH)),
    "customer_tier": (f.customer_tier, (SALES,)),
    "customer_class": (f.customer_class, (FORMATS, MARKETS, SCALES)),
    "value_segment": (f.value_segment, tuple(INDICES)),
    "rfm_segment": (f.rfm_segment, (RECENCY, FREQUENCY, AMOUNTS)),
    "customer_tags": (f.customer_tags, (GRADES, TIERS, SEGMENTS, RFM, SALES)),
}


@pytest.mark.parametrize("name", list(EXCEL))
def test_excel_functions_give_a_few_cells_as_in_a_long_column(name):
    function, inputs = EXCEL[name]
    as_range = (lambda c: c) if name == "credit_score" else (lambda c: [[v] for v in c])
    few = function(*(as_range(c) for c in inputs))
    many = function(*(as_range(list(c) * REPEAT) for c in inputs))
    assert many == few * REPEAT
    if name in ("rfm_segment",):
        return
    for i, expected in enumerate(few):  # one cell per argument, as a formula filled down passes it
        one = function(*(c[i] for c in inputs)) if name != "credit_score" else function([inputs[0][i]])
        assert [one] == expected if name != "credit_score" else one == expected[0], i


ORDER_AMOUNTS = [1_200_000, None, "1,000", -5, "#DIV/0!", 2e15, "abc", 4_000_000, 0.005, True, 5_250_000, 100]
OUTSTANDING = [300_000, 0, None, "x", 1e6, -2e5, 0, "#N/A", 0, 0, 0, None]
ORDER_LIMITS = [5e6, None, 1e6, 1e6, 1e6, 1e6, "7", 5e6, -1, 1e6, 5e6, "#REF!"]
ORDER_GRADES = ["A", None, "AA", "ZZ", "C", "", " aaa ", "#N/A", "B", "AA", "AA", "A"]
OVERDUE = [12, None, 45, 91, "#NUM!", -1, "3", 0, 31, 30.5, 0, 12]
CASES["credit_checks"] = lambda *c: columns.credit_checks(*c, default_model())
INPUTS["credit_checks"] = (ORDER_AMOUNTS, OUTSTANDING, ORDER_LIMITS, ORDER_GRADES, OVERDUE)
CASES["credit_reasons"] = lambda *c: columns.credit_reasons(c[0], default_model())
INPUTS["credit_reasons"] = (SCORE_ROWS,)
EXCEL["credit_reasons"] = (f.credit_reasons, (SCORE_ROWS,))
NAN = float("nan")


def test_excel_credit_check_gives_a_few_rows_as_in_a_long_column():
    limits = [[limit, grade] for limit, grade in zip([5e6, None, 1e6, -1, 1e6, 5e6, 0, 1e6, 5e6, None, 1e6, 5e6],
                                                     ORDER_GRADES)]
    inputs = ([[v] for v in ORDER_AMOUNTS], [[v] for v in OUTSTANDING], limits, [[v] for v in OVERDUE])
    few = f.credit_check(*inputs)
    assert f.credit_check(*(c * REPEAT for c in inputs)) == few * REPEAT
    for i, expected in enumerate(few):
        assert f.credit_check(ORDER_AMOUNTS[i], OUTSTANDING[i], [limits[i]], OVERDUE[i]) == [expected], i


@pytest.mark.parametrize("language", [None, "ko", "zh"])
def test_one_order_alone_is_checked_as_in_a_long_column(language, monkeypatch):
    """Every branch of the check (within limit or tolerance, over, no limit, cash only, no grade,
    overdue hold and reject, cents rounding, empty cells): one clean order alone takes the plain
    Python path (credit_check.decide_row), the same orders together the vectorised one."""
    import itertools

    from crm_xl.scoring import credit_check

    amounts = [0.0, 1_000, 4_700_000.0, 5_000_000.0, 5_000_000.004, 5_000_000.005, 5_249_999.99, 5_700_000.0]
    outstanding = [None, NAN, 0, 300_000.5, -1_000.0]
    limits = [5e6, 0.0, None, NAN, 1_234.56]
    grades = ["AAA", " aa ", "A", "C", "b", None]
    overdue = [None, 0, 30, 30.5, 31, 91]
    rows_in = list(itertools.product(amounts, outstanding, limits, grades, overdue))
    model = default_model()
    whole = rows(columns.credit_checks(*map(list, zip(*rows_in)), model, language))
    vectorised = credit_check.decide
    monkeypatch.setattr(credit_check, "decide", lambda *a, **k: pytest.fail("a clean order took the column path"))
    for row, expected in zip(rows_in, whole):
        assert rows(columns.credit_checks(*([v] for v in row), model, language)) == [expected], row
    monkeypatch.setattr(credit_check, "decide", vectorised)
    if language:  # every branch is seen in English, whose texts all start with words of their own
        return
    texts = model.credit.texts_in(language)
    seen = {(value[0], kind) for value, _ in whole for kind, text in texts.items() if text.split("{")[0] in value[1]}
    assert {d for d, _ in seen} == {"approve", "hold", "reject"}
    assert {k for _, k in seen} >= {"within_limit", "within_tolerance", "over_limit", "no_limit", "cash_only", "overdue"}


@pytest.mark.parametrize("count", [0, 1, 3, 5, 7])
def test_credit_reasons_of_one_customer_alone_are_those_of_a_long_column(count):
    """Many distinct rows (ties, full marks, half points, empty and bad cells): each customer's
    reasons alone (plain Python) are the reasons the column gives it (distinct rows joined once)."""
    import random

    pick = random.Random(11)
    choices = [1, 2, 5, 5.5, 7, 7, 8, 9.25, 10, 10, None, 11, "x"]
    scores = [[pick.choice(choices) for _ in range(5)] for _ in range(300)] + [[10] * 5, [7] * 5]
    model = default_model()
    whole = rows(columns.credit_reasons(scores, model, count))
    assert sum(value is not None for value, _ in whole) > 64 and any(reason for _, reason in whole)
    for row, expected in zip(scores, whole):
        assert rows(columns.credit_reasons([row], model, count)) == [expected], row


@pytest.mark.parametrize("levels", [1, 3, 5, 8, 30])
def test_equal_frequency_of_a_few_values_is_that_of_a_long_column(levels):
    """Ranks of a few values (plain Python) as of the same values repeated past 64 (numpy):
    ties, empty cells, zero of either sign, negatives, fractions, none present."""
    import random

    import numpy as np

    from crm_xl.scoring.ranks import equal_frequency

    pick = random.Random(levels)
    choices = [0.0, -0.0, 1.0, 1.0, 2.5, -3.0, 7.0, 1e15, -1e15, 0.1 + 0.2, 0.3, NAN]
    samples = [[pick.choice(choices) for _ in range(size)] for size in (1, 2, 5, 7, 13, 64) for _ in range(20)]
    for values in samples + [[NAN] * 3]:
        few = equal_frequency(np.array(values), levels)
        many = equal_frequency(np.array(values * (64 // len(values) + 1)), levels)  # past 64 values
        assert few.dtype == many.dtype and few.tolist() == many[:len(values)].tolist(), values


def test_rfm_of_a_few_clean_rows_takes_the_plain_path_and_agrees_with_the_arrays():
    """rfm.segments_of_few (a formula's few customers, plain Python) gives each row the segment the
    vectorised scoring gives, on generated rows with ties, bands edges and reversed recency; and
    leaves anything it would have to report to the vectorised path (None)."""
    import numpy as np

    from crm_xl.scoring import rfm
    from crm_xl.scoring.problems import Problems

    model = default_model()
    rng = np.random.default_rng(11)
    for _ in range(400):
        n = int(rng.integers(5, 65))
        recency = rng.choice([1.0, 5.0, 30.0, 30.0, 90.0, 200.0, 364.0], n) if rng.random() < 0.5 else \
            rng.integers(0, 400, n).astype(float)
        frequency = rng.integers(1, 30, n).astype(float)
        monetary = np.round(rng.lognormal(12, 2, n), int(rng.integers(0, 4)))
        got = rfm.segments_of_few(recency.tolist(), frequency.tolist(), monetary.tolist(), model.rfm)
        scored = rfm.scores(recency, frequency, monetary, model.rfm, Problems(n))
        assert got == [str(s) for s in scored.segment], (recency, frequency, monetary)
    assert rfm.segments_of_few([1.0] * 4, [1.0] * 4, [5.0] * 4, model.rfm) is None  # too few to rank
    assert rfm.segments_of_few([1.0] * 5, [0.0] + [1.0] * 4, [5.0] * 5, model.rfm) is None  # no orders: reported
    assert rfm.segments_of_few([1.0] * 5, [1.0] * 5, [None] * 5, model.rfm) is None  # empty: reported
    assert rfm.segments_of_few([1.0] * 5, [True] * 5, [5.0] * 5, model.rfm) is None  # TRUE is no number
