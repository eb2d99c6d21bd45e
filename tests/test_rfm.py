"""RFM: figures from transactions, quintile scores with the documented tie rule, the R x F grid."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_xl.scoring import rfm
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.ranks import equal_frequency, position_share
from crm_xl.scoring.single import ScoringInputError, rfm_segment


def test_quintiles_of_distinct_values():
    assert list(equal_frequency(np.arange(10, dtype=float), 5)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_the_score_of_their_first_position():
    values = np.array([1, 1, 1, 1, 1, 1, 2, 2, 3, 9], float)  # half the customers bought once
    assert list(equal_frequency(values, 5)) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert list(position_share(np.array([3.0, np.nan, 3.0]))[[0, 2]]) == [0.0, 0.0]


@given(st.lists(st.one_of(st.integers(0, 5).map(float), st.floats(-1e6, 1e6), st.just(np.nan)), max_size=200))
def test_position_share_is_rank_min_over_count(values):
    arr = np.array(values, float)
    expected = (pd.Series(arr).rank(method="min") - 1) / np.count_nonzero(~np.isnan(arr))
    np.testing.assert_allclose(position_share(arr), expected.to_numpy(), equal_nan=True)


def test_scores_reverse_recency_and_segment_by_grid(model):
    recency = np.array([1, 5, 10, 40, 90, 200, 300, 2, 3, 100], float)
    freq = np.array([20, 14, 9, 5, 3, 2, 1, 1, 13, 13], float)
    money = np.arange(10, 0, -1, dtype=float) * 1000
    problems = Problems(10)
    s = rfm.scores(recency, freq, money, model.rfm, problems)
    assert list(s.r) == [5, 4, 3, 3, 2, 1, 1, 5, 4, 2]
    assert list(s.f) == [5, 5, 4, 3, 2, 2, 1, 1, 5, 5]
    assert list(s.m) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert list(s.segment) == ["Champions", "Loyal", "Loyal", "Need Attention", "Hibernating", "Hibernating",
                               "Hibernating", "New", "Loyal", "Can't Lose"]
    assert len(problems) == 0


def test_money_is_rounded_to_cents_before_ranking(model):
    money = np.array([10.004, 10.001, 5, 6, 7], float)  # the first two are the same 10.00
    s = rfm.scores(np.arange(5.0), np.ones(5), money, model.rfm, Problems(5))
    assert s.m[0] == s.m[1]


def test_customers_without_orders_get_no_score(model):
    problems = Problems(8)
    s = rfm.scores(np.array([1, 2, 3, 4, 5, 6, 7, np.nan]), np.array([1, 2, 3, 4, 5, 1, 0, np.nan]),
                   np.ones(8), model.rfm, problems)
    assert (s.r[:6] > 0).all() and list(s.r[6:]) == [0, 0] and pd.isna(s.segment[6:]).all()
    assert problems.frame()[["row", "code"]].values.tolist() == [[6, "no-orders"]]  # NaN: unknown, not zero


def test_quintiles_need_five_customers(model):
    problems = Problems(3)
    s = rfm.scores(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), np.ones(3), model.rfm, problems)
    assert list(s.r) == [0, 0, 0] and list(s.f) == [1, 2, 2]
    assert set(problems.frame().code) == {"needs-population"}


def test_grid_has_every_cell_once(model):
    cells = {(r, f): rfm_segment(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert len(cells) == 25 and set(cells.values()) == set(model.rfm.segment_labels)
    with pytest.raises(ScoringInputError, match="rfm_r: 6 is outside 1–5"):
        rfm_segment(6, 1)


def test_summarise_transactions_windows_and_averages():
    tx = pd.DataFrame({"customer_code": ["A", "A", "A", "B", "C"],
                       "date": ["2026-10-30", "2026-01-15", "2025-10-01", "2026-06-01", "2026-11-05"],
                       "quantity": [2, 4, 100, 6, 1], "amount": [200.0, 400.0, 10_000.0, 600.0, 100.0]})
    problems = Problems(len(tx))
    out, as_of = rfm.summarise_transactions(tx, pd.Timestamp("2026-11-01"), 12, problems)
    assert as_of == pd.Timestamp("2026-11-01")
    assert out.loc["A", "orders_12m"] == 2  # the 2025-10-01 order is outside the window
    assert out.loc["A", "amount_12m"] == 600
    assert out.loc["A", "avg_monthly_qty"] == pytest.approx(6 / 12)
    assert out.loc["A", "last_order_date"] == pd.Timestamp("2026-10-30")
    assert out.loc["C", "orders_12m"] == 0 and pd.isna(out.loc["C", "last_order_date"])  # ordered after as-of
    assert len(problems) == 0


def test_default_as_of_is_the_day_after_the_latest_order():
    tx = pd.DataFrame({"customer_code": ["A"], "date": ["2026-03-31"], "quantity": [1], "amount": [10]})
    _, as_of = rfm.summarise_transactions(tx, None, 12, Problems(1))
    assert as_of == pd.Timestamp("2026-04-01")


def test_bad_transaction_cells_are_reported():
    tx = pd.DataFrame({"customer_code": ["A", "A"], "date": ["2026-03-31", "someday"],
                       "quantity": [1, "two"], "amount": [10, 5]})
    problems = Problems(2)
    rfm.summarise_transactions(tx, None, 12, problems)
    assert problems.frame()[["row", "code"]].values.tolist() == [[1, "not-a-date"], [1, "not-a-number"]]
