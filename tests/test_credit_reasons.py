"""Reason codes: points lost per indicator add up to 1 - level, largest first, in the user's language."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_xl.demo import make_demo
from crm_xl.model import default_model
from crm_xl.scoring.credit import levels
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.reasons import points_lost, reason_texts
from udfs import functions as f

FIVE = ["score_character", "score_capacity", "score_capital", "score_collateral", "score_conditions"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.floats(1, 10, allow_nan=False), min_size=5, max_size=5), min_size=1, max_size=30))
def test_points_lost_add_up_to_one_minus_the_level(rows):
    model = default_model()
    frame = pd.DataFrame(rows, columns=FIVE)
    _, _, lost = points_lost(frame, model.credit, Problems(len(frame)))
    level = levels(frame, model.credit, Problems(len(frame)))
    assert np.allclose(lost.sum(axis=1), 1 - level, atol=10 ** -model.credit.level_decimals)
    assert (lost >= 0).all()


def test_reasons_name_the_costliest_indicators_first(model):
    frame = pd.DataFrame([[7, 4, 7, 9, 6], [10] * 5, [5] * 5, [None, 5, 5, 5, 5]], columns=FIVE)
    keys, scores, lost = points_lost(frame, model.credit, Problems(4))
    texts = reason_texts(keys, scores, lost, model.credit)
    assert texts.tolist() == [
        "Capacity 4/10 (-0.150); Character 7/10 (-0.075); Capital 7/10 (-0.060)",
        "",  # a perfect score lost nothing
        "Character 5/10 (-0.125); Capacity 5/10 (-0.125); Capital 5/10 (-0.100)",  # ties keep the model's order
        None]  # unscored
    assert reason_texts(keys, scores, lost, model.credit, count=1, language="ko")[0] == "상환능력 4/10 (-0.150)"
    assert reason_texts(keys, scores, lost, model.credit, count=2, language="zh")[0] == "能力 4/10 (-0.150); 品质 7/10 (-0.075)"


def test_scored_table_has_credit_reasons_in_the_chosen_language(model):
    demo = make_demo(200, seed=5)
    english = score_customers(demo.customers, model).computed
    korean = score_customers(demo.customers, model, language="ko").computed
    scored = english.credit_level.notna()
    assert english.credit_reasons[scored].str.contains("/10").all()
    assert english.credit_reasons[~scored].isna().all()
    assert korean.credit_reasons[scored].str.contains("상환능력|품성|자본|담보|경영여건").all()


def test_formula_and_batch_agree_on_credit_reasons(model):
    demo = make_demo(300, seed=9)
    batch = score_customers(demo.customers, model).computed.credit_reasons
    rows = demo.customers[FIVE].astype(object).where(demo.customers[FIVE].notna(), None).values.tolist()
    formula = f.credit_reasons(rows)
    got = [r[0] for r in formula]
    for value, expected in zip(got, batch):
        if isinstance(expected, str):
            assert value == expected
        else:  # unscored in the batch: the formula says why
            assert value is None or value.startswith("#")
    assert f.credit_reasons([7, 4, 7, 9, 6], 1) == "Capacity 4/10 (-0.150)"
    assert f.credit_reasons([[7, 4, 7, 9, 6]], 2, None, "ko") == "상환능력 4/10 (-0.150); 품성 7/10 (-0.075)"
    assert f.credit_reasons([[7, 12, 7, 9, 6]]) == "#VALUE! score_capacity: 12 is outside 1–10"


def test_score_writes_credit_reasons_in_the_language_asked_for(tmp_path):
    from crm_xl.batch import score_file
    from crm_xl.findings import CrmError

    demo = make_demo(50, seed=2)
    source = tmp_path / "customers.csv"
    demo.customers.to_csv(source, index=False)
    score_file(source, tmp_path / "scored.xlsx", default_model(), language="zh")
    scored = pd.read_excel(tmp_path / "scored.xlsx", sheet_name="Customers", engine="calamine")
    columns = list(scored.columns)
    assert columns.index("credit_reasons") == columns.index("credit_policy") + 1
    assert scored.credit_reasons.dropna().str.contains("能力|品质|资本|担保|经营条件").all()
    with pytest.raises(CrmError, match="language: 'de' is not defined"):
        score_file(source, tmp_path / "other.xlsx", default_model(), language="de")
    assert not (tmp_path / "other.xlsx").exists()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from([1.0, 2.0, 5.0, 5.5, 7.0, 9.0, 10.0, float("nan")]), min_size=5, max_size=5),
                min_size=1, max_size=6), st.integers(0, 6), st.sampled_from(["ko", "zh", "en"]))
def test_a_few_rows_get_the_reasons_a_long_column_gives_them(rows, count, language):
    """Up to 64 rows take a plain-Python path (a formula's one customer); it must say exactly what
    the column path says for the same rows, ties, zero losses and unscored rows included."""
    model = default_model()
    few = pd.DataFrame(rows, columns=FIVE)
    many = pd.concat([few] * (65 // len(rows) + 1), ignore_index=True)
    texts = []
    for frame in (few, many):
        keys, scores, lost = points_lost(frame, model.credit, Problems(len(frame)))
        texts.append(reason_texts(keys, scores, lost, model.credit, count, language)[:len(few)].tolist())
    assert texts[0] == texts[1]
