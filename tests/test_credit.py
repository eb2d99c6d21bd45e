"""Credit: level, grade (exact band edges), limit, policy, behaviour indicators, scorecard points."""
import itertools

import numpy as np
import pandas as pd
import pytest

from crm_xl.scoring import credit
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.single import (
    ScoringInputError,
    credit_grade,
    credit_level,
    credit_limit,
    credit_policy,
)

FIVE_C = ["score_character", "score_capacity", "score_capital", "score_collateral", "score_conditions"]


def levels_of(model, rows, indicator_set=None):
    frame = pd.DataFrame(rows)
    problems = Problems(len(frame))
    return credit.levels(frame, model.credit, problems, indicator_set), problems


def test_level_is_weighted_score_over_weighted_maximum(model):
    level, problems = levels_of(model, [dict(zip(FIVE_C, [10, 8, 6, 4, 2]))])
    expected = (0.25 * 10 + 0.25 * 8 + 0.20 * 6 + 0.15 * 4 + 0.15 * 2) / 10
    assert level[0] == pytest.approx(expected)
    assert len(problems) == 0


@pytest.mark.parametrize("level, grade", [
    (0.1, "C"), (0.5999999999, "C"), (0.6, "B"), (0.69, "B"), (0.7, "A"), (0.7999, "A"),
    (0.8, "AA"), (0.9, "AAA"), (1.0, "AAA")])
def test_grade_band_edges_include_the_lower_edge(level, grade):
    assert credit_grade(level) == grade


def test_a_level_of_exactly_070_is_grade_a_however_it_is_summed(model):
    """Every ordering of the weights, and weights that do not sum to 1, still give exactly A at 7s."""
    rows = [dict(zip(FIVE_C, [7] * 5))]
    base = model.credit.sets["5c"]
    for perm in itertools.permutations(base.values()):
        for scale in (1, 3, 0.1, 7.7):
            weights = {k: w * scale for k, w in zip(base, perm)}
            level = credit.levels(pd.DataFrame(rows), model.credit, Problems(1), weights=weights)
            idx = credit.grade_positions(level, model.credit, Problems(1))
            assert model.credit.grades[idx[0]].label == "A", (weights, level)


def test_levels_that_sum_to_an_edge_through_different_scores(model):
    """0.25*8 + 0.25*6 + 0.2*7 + 0.15*7 + 0.15*7 = 7.0 exactly in decimal; floats disagree in the last bit."""
    level, _ = levels_of(model, [dict(zip(FIVE_C, [8, 6, 7, 7, 7])), dict(zip(FIVE_C, [6, 8, 7, 7, 7]))])
    assert list(level) == [0.7, 0.7]
    assert [credit_grade(v) for v in level] == ["A", "A"]


def test_bad_scores_give_per_row_reasons_and_the_rest_still_scores(model):
    rows = [dict(zip(FIVE_C, [7] * 5)) for _ in range(4)]
    rows[1]["score_capacity"] = 12
    rows[2]["score_capital"] = "high"
    rows[3]["score_collateral"] = None
    level, problems = levels_of(model, rows)
    assert level[0] == 0.7 and np.isnan(level[1:]).all()
    frame = problems.frame()
    assert frame[["row", "code", "column"]].values.tolist() == [
        [1, "out-of-range", "score_capacity"], [2, "not-a-number", "score_capital"],
        [3, "missing-value", "score_collateral"]]
    assert frame.message.tolist() == ["score_capacity: 12 is outside 1–10", "score_capital: 'high' is not a number",
                                      "score_collateral is empty"]


def test_numbers_typed_as_text_with_separators_are_read(model):
    rows = [dict(zip(FIVE_C, ["7", " 7 ", "7.0", 7, "7"]))]
    level, problems = levels_of(model, rows)
    assert level[0] == 0.7 and len(problems) == 0


def test_enterprise_set_bands_payment_behaviour(model):
    row = dict(zip(FIVE_C, [8] * 5), collection_rate=96, avg_collection_days=20, defaults_12m=0,
               registered_capital=2_000_000, debt_due_90d_ratio=0.2)
    level, problems = levels_of(model, [row], "enterprise")
    w = model.credit.sets["enterprise"]
    mapped = {"collection_rate": 9, "collection_days": 9, "defaults": 10, "capital_strength": 8, "debt_due": 10}
    expected = (sum(w[k] * 8 for k in ("character", "capacity", "capital", "collateral", "conditions"))
                + sum(w[k] * s for k, s in mapped.items())) / (10 * sum(w.values()))
    assert level[0] == pytest.approx(expected)
    assert len(problems) == 0


def test_behaviour_value_below_first_band_is_a_reason(model):
    row = dict(zip(FIVE_C, [8] * 5), collection_rate=-5, avg_collection_days=20, defaults_12m=0,
               registered_capital=2_000_000, debt_due_90d_ratio=0.2)
    level, problems = levels_of(model, [row], "enterprise")
    assert np.isnan(level[0])
    assert problems.frame().message.tolist() == ["collection_rate: -5 is below the lowest band (0)"]


def test_credit_limit_rules():
    # purchases x terms/30 x k, rounded down to 100
    assert credit_limit("A", 300_000, 30) == 300_000
    assert credit_limit("AAA", 300_000, 45) == 675_000
    assert credit_limit("B", 123_456, 30) == 61_700  # 61,728 rounded down
    assert credit_limit("A", 300_000) == 300_000  # default terms 30 days
    assert credit_limit("AAA", 300_000, 45, net_worth=1_000_000) == 200_000  # capped at 20% of net worth
    assert credit_limit("C", 5_000_000, 60) == 0  # cash only
    assert credit_limit("C", None) == 0  # no purchases needed to know a cash-only limit is 0
    assert credit_limit("AA", 100_000, 30, net_worth=-50_000) == 0  # negative net worth: no credit
    assert credit_limit("aa", 100_000, 30) == 120_000  # grades are matched without case


def test_no_grade_means_no_limit_even_with_net_worth(model):
    problems = Problems(2)
    out = credit.limits(np.array([-1, 2]), np.array([300_000.0, 300_000.0]), np.array([30.0, 30.0]),
                        np.array([1e9, 1e9]), model.credit, problems)
    assert np.isnan(out[0]) and out[1] == 300_000


def test_credit_limit_bad_inputs():
    with pytest.raises(ScoringInputError, match="'Z' is not a known credit grade"):
        credit_limit("Z", 1000)
    with pytest.raises(ScoringInputError, match="monthly_purchases is empty"):
        credit_limit("A", None)
    with pytest.raises(ScoringInputError, match="monthly_purchases: -10 is outside 0–∞"):
        credit_limit("A", -10)


def test_policy_comes_from_the_grade():
    assert credit_policy("C") == "Cash only, no credit sales"
    assert credit_policy("AAA").startswith("Preferred")


def test_single_level_accepts_indicator_or_column_keys():
    assert credit_level({"character": 9, "capacity": 9, "capital": 9, "collateral": 9, "conditions": 9}) == 0.9
    assert credit_level(dict(zip(FIVE_C, [9] * 5))) == 0.9
    with pytest.raises(ScoringInputError, match="score_conditions is empty"):
        credit_level({"character": 9, "capacity": 9, "capital": 9, "collateral": 9})


def test_scorecard_points_follow_the_pdo_convention(model):
    p = np.array([50 / 51, 100 / 101, 25 / 26, 0.0, 1.0])
    points = credit.scorecard_points(p, model.credit)
    assert points[0] == pytest.approx(600)
    assert points[1] == pytest.approx(620)
    assert points[2] == pytest.approx(580)
    assert np.isnan(points[3:]).all()
