"""Customer tiers, the 42-class code, value segments and portrait tags."""
import numpy as np
import pandas as pd
import pytest

from crm_xl.scoring import classes, tags, tiers, value
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.single import (
    ScoringInputError,
    customer_class,
    customer_tier,
    value_segment,
)


@pytest.mark.parametrize("qty, tier", [(0, "T8"), (0.99, "T8"), (1, "T7"), (9.99, "T4"), (10, "T3"),
                                       (39.9, "T2"), (40, "T1"), (10_000, "T1")])
def test_8_tier_bands(qty, tier):
    assert customer_tier(qty) == tier


def test_tier_reasons():
    with pytest.raises(ScoringInputError, match="avg_monthly_qty: -1 is below the lowest band"):
        customer_tier(-1)
    with pytest.raises(ScoringInputError, match="avg_monthly_qty is empty"):
        customer_tier(None)
    with pytest.raises(ScoringInputError, match="30-level scoring needs at least 30 customers"):
        customer_tier(5, preset="30-level")


def test_30_level_preset_is_equal_frequency_over_the_weighted_composite(model):
    n = 3000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"avg_monthly_qty": rng.gamma(2, 5, n), "avg_monthly_amount": rng.gamma(2, 5e5, n),
                          "brand_count": rng.integers(1, 40, n), "high_price_share": rng.random(n)})
    preset = model.tiers["30-level"]
    problems = Problems(n)
    levels = tiers.tiers(frame, preset, problems)
    counts = pd.Series(levels).value_counts()
    assert len(counts) == 30 and counts.min() >= 95 and counts.max() <= 105  # a few composite ties
    # independent: weighted average of percentile ranks, then 30 equal groups
    pct = {c: (frame[c].rank(method="min") - 1) / n for c in frame}
    comp = (sum(pct[c] * w for c, w in preset.composite.items()) / sum(preset.composite.values())).round(9)
    expected = np.floor((comp.rank(method="min") - 1) / n * 30) + 1
    assert (pd.Series(levels).str[1:].astype(int).to_numpy() == expected.to_numpy()).all()


def test_30_level_ties_share_a_level(model):
    frame = pd.DataFrame({"avg_monthly_qty": [5.0] * 40, "avg_monthly_amount": [1.0] * 40,
                          "brand_count": [3] * 40, "high_price_share": [0.1] * 40})
    levels = tiers.tiers(frame, model.tiers["30-level"], Problems(40))
    assert set(levels) == {"L1"}


@pytest.mark.parametrize("fmt, market, scale, code", [
    ("食杂店", "城镇", "大", "CZL"), ("편의점", "농촌", "소형", "XBS"), ("Supermarket", "Urban", "medium", "CSM"),
    ("S", "X", "L", "XSL"), (" 烟酒商店 ", "rural", None, "XYS"), ("商场", "C", None, "CNL")])
def test_class_codes_from_any_language(fmt, market, scale, code):
    measure = 20_000_000 if code == "CNL" else 100
    assert customer_class(fmt, market, scale, scale_measure=measure) == code


def test_scale_from_the_measure_when_not_given():
    assert customer_class("Z", "C", None, scale_measure=2_999_999) == "CZS"
    assert customer_class("Z", "C", None, scale_measure=3_000_000) == "CZM"
    assert customer_class("Z", "C", None, scale_measure=10_000_000) == "CZL"


def test_class_reasons():
    with pytest.raises(ScoringInputError, match="business_format: 'kiosk' is not a known business format"):
        customer_class("kiosk", "C", "L")
    with pytest.raises(ScoringInputError, match="market_type is empty"):
        customer_class("Z", "", "L")


def test_value_segments_with_fixed_split():
    assert value_segment(80, 80, 80, 80, 80) == "core"
    assert value_segment(80, 80, 80, 10, 10) == "secondary"
    assert value_segment(10, 10, 10, 90, 90) == "potential"
    assert value_segment(10, 10, 10, 10, 10) == "low-value"
    # current = (30*60 + 15*40 + 15*40)/60 = 50 exactly: the split value counts as high
    assert value_segment(60, 40, 40, 50, 50) == "core"
    with pytest.raises(ScoringInputError, match="value_growth: 140 is outside 0–100"):
        value_segment(50, 50, 50, 140, 50)


def test_value_split_at_the_mean(model):
    from dataclasses import replace

    by_mean = replace(model.value, split="mean")
    frame = pd.DataFrame({c: [10, 20, 30, 40] for c in
                          ["value_contribution", "value_support", "value_credit", "value_growth", "value_influence"]})
    segs = value.segments(frame, by_mean, Problems(4))
    assert list(segs) == ["low-value", "low-value", "core", "core"]  # mean 25


def test_tags_follow_the_rules(model):
    frame = pd.DataFrame({"value_segment": ["core", "potential", None], "credit_grade": ["C", "A", "AAA"],
                          "customer_tier": ["T1", "T5", "T8"], "rfm_segment": ["At Risk", "Champions", None],
                          "avg_collection_days": [75, 10, None]})
    out = tags.tags(frame, model.tags)
    assert list(out[:2]) == ["high value, cash only, top tier, churn risk, late payer",
                             "growth potential, loyal buyer"]
    assert pd.isna(out[2])


def test_classification_makes_42_distinct_codes(model):
    cls = model.classification
    frame = pd.DataFrame([(f.code, m.code, s.code) for m in cls.markets for f in cls.formats for s in cls.scales],
                         columns=["business_format", "market_type", "business_scale"])
    out = classes.classes(frame, cls, Problems(len(frame)))
    assert len(set(out)) == 42 and not pd.isna(out).any()
