"""Properties that must hold for any input, checked with hypothesis."""
import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crm_xl.model import default_model
from crm_xl.scoring import classes, credit
from crm_xl.scoring.problems import Problems

MODEL = default_model()
KEYS = list(MODEL.credit.sets["5c"])
COLUMNS = [MODEL.credit.indicators[k].column for k in KEYS]
score = st.one_of(st.integers(1, 10), st.floats(1, 10, allow_nan=False))
scores = st.lists(score, min_size=5, max_size=5)
weight = st.floats(0.01, 100, allow_nan=False)


def grade_rank(values, weights=None) -> int:
    frame = pd.DataFrame([dict(zip(COLUMNS, values))])
    level = credit.levels(frame, MODEL.credit, Problems(1), weights=weights)
    return int(credit.grade_positions(level, MODEL.credit, Problems(1))[0])


@given(scores, st.integers(0, 4), st.floats(0, 9, allow_nan=False))
def test_raising_any_indicator_never_lowers_the_grade(values, which, raise_by):
    higher = list(values)
    higher[which] = min(10, higher[which] + raise_by)
    assert grade_rank(higher) >= grade_rank(values)


@given(scores, st.floats(0.001, 1000, allow_nan=False))
def test_scaling_all_weights_changes_nothing(values, factor):
    base = MODEL.credit.sets["5c"]
    scaled = {k: w * factor for k, w in base.items()}
    assume(all(w > 0 for w in scaled.values()))
    assert grade_rank(values, scaled) == grade_rank(values, base)


@given(st.lists(weight, min_size=5, max_size=5), st.integers(1, 10))
def test_equal_scores_give_that_level_whatever_the_weights(weights, s):
    frame = pd.DataFrame([dict(zip(COLUMNS, [s] * 5))])
    level = credit.levels(frame, MODEL.credit, Problems(1), weights=dict(zip(KEYS, weights)))
    assert level[0] == s / 10


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1), st.integers(0, 2)), min_size=1, max_size=60))
def test_classification_yields_only_the_42_codes(picks):
    cls = MODEL.classification
    frame = pd.DataFrame([(cls.formats[f].label, cls.markets[m].aliases[-1], cls.scales[s].label)
                          for f, m, s in picks], columns=["business_format", "market_type", "business_scale"])
    out = classes.classes(frame, cls, Problems(len(frame)))
    expected = [cls.markets[m].code + cls.formats[f].code + cls.scales[s].code for f, m, s in picks]
    assert list(out) == expected
    assert set(out) <= set(cls.class_codes)


def test_the_42_codes_are_distinct_and_well_formed():
    codes = MODEL.classification.class_codes
    assert len(codes) == len(set(codes)) == 42
    assert all(len(c) == 3 and c[0] in "CX" and c[2] in "SML" for c in codes)


def test_the_rfm_grid_maps_all_25_cells_to_a_segment():
    grid = MODEL.rfm.grid
    assert grid.shape == (5, 5) and (grid >= 0).all()
    assert set(np.unique(grid)) == set(range(len(MODEL.rfm.segment_labels)))


@settings(max_examples=50)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True), st.text(max_size=6), st.integers(-50, 50)),
                min_size=1, max_size=30))
def test_any_cell_content_gives_a_level_or_a_reason_never_an_exception(cells):
    frame = pd.DataFrame({c: pd.Series(cells, dtype=object) for c in COLUMNS})
    problems = Problems(len(frame))
    level = credit.levels(frame, MODEL.credit, problems)
    reasons = problems.per_row()
    for lv, why in zip(level, reasons):
        assert (np.isnan(lv) and why) or (0.1 <= lv <= 1 and why is None)
