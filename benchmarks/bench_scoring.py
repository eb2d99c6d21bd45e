"""All scores for 1,000,000 customers: vectorised vs a per-row loop. Prints seconds, memory, ratios.

    .venv/bin/python benchmarks/bench_scoring.py [--customers 1000000] [--loop-sample 100000]

The loop is the code a careful person would write without pandas: the same model, one dict per
customer, bisect for bands. It runs on a sample and is extrapolated; on that sample its answers
are checked against the vectorised ones, so the comparison is between two correct programs.
The single-value API (what one Excel cell calls) is timed per call as well.
"""
from __future__ import annotations

import argparse
import bisect
import gc
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.fields import normalise_header  # noqa: E402
from crm_xl.model import default_model  # noqa: E402
from crm_xl.scoring.classes import lookup  # noqa: E402
from crm_xl.scoring.customers import score_customers  # noqa: E402
from crm_xl.scoring.single import credit_grade, credit_level  # noqa: E402

FORMATS = ["食杂店", "편의점", "supermarket", "商场", "烟酒商店", "娱乐服务类", "기타"]
MARKETS = ["城镇", "농촌", "urban", "rural"]


def customers(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    frame = pd.DataFrame({f"score_{c}": np.clip(np.round(6.8 + 1.5 * q + rng.normal(0, 1, n)), 1, 10)
                          for c in ("character", "capacity", "capital", "collateral", "conditions")})
    frame["avg_monthly_qty"] = rng.lognormal(1.7, 0.8, n)
    frame["avg_monthly_amount"] = frame["avg_monthly_qty"] * 52_000
    frame["terms_days"] = rng.choice([7.0, 15.0, 30.0, 45.0], n)
    frame["net_worth"] = np.where(rng.random(n) < 0.3, np.nan, rng.lognormal(17.5, 1, n))
    frame["business_format"] = pd.Categorical.from_codes(rng.integers(0, 7, n), FORMATS).astype(object)
    frame["market_type"] = pd.Categorical.from_codes(rng.integers(0, 4, n), MARKETS).astype(object)
    for c in ("contribution", "support", "credit", "growth", "influence"):
        frame[f"value_{c}"] = np.clip(np.round(rng.normal(50, 20, n)), 0, 100)
    frame["last_order_date"] = pd.Timestamp("2026-11-01") - pd.to_timedelta(rng.integers(1, 365, n), unit="D")
    frame["orders_12m"] = rng.poisson(6, n).astype(float)
    frame["amount_12m"] = np.round(frame["orders_12m"] * rng.lognormal(12, 0.5, n), 2)
    frame["avg_collection_days"] = rng.gamma(3, 12, n)
    return frame


def loop_scores(rows: list[dict], model) -> list[tuple]:
    """Per-row scoring with the same model: level, grade, limit, policy, tier, class, value segment, tags."""
    c = model.credit
    weights = [(c.indicators[k].column, w) for k, w in c.sets[c.default_set].items()]
    total = sum(w for _, w in weights) * 10
    grade_edges = [round(g.lower, c.level_decimals) for g in c.grades]
    tier = model.tiers[model.default_tier_preset]
    tier_edges = list(tier.bands.edges)
    cls = model.classification
    fmt, mkt = lookup(cls.formats), lookup(cls.markets)
    scale_edges = list(cls.scale_bands.edges)
    v = model.value
    cur_w, pot_w = sum(v.current.values()), sum(v.potential.values())
    out = []
    for r in rows:
        scores = [r[col] for col, _ in weights]
        level = grade = limit = policy = None
        if all(s == s and 1 <= s <= 10 for s in scores):
            level = round(sum(s * w for s, (_, w) in zip(scores, weights)) / total, c.level_decimals)
            g = c.grades[bisect.bisect_right(grade_edges, level) - 1]
            grade, policy = g.label, g.policy
            terms = r["terms_days"] if r["terms_days"] == r["terms_days"] else c.default_terms_days
            limit = r["avg_monthly_amount"] * terms / 30 * g.limit_factor if g.limit_factor else 0.0
            if r["net_worth"] == r["net_worth"]:
                limit = min(limit, c.net_worth_cap * max(r["net_worth"], 0))
            limit = (limit // c.limit_round_to) * c.limit_round_to
        t = tier.bands.labels[bisect.bisect_right(tier_edges, r["avg_monthly_qty"]) - 1]
        f, m = fmt.get(normalise_header(r["business_format"])), mkt.get(normalise_header(r["market_type"]))
        s = bisect.bisect_right(scale_edges, r["avg_monthly_amount"]) - 1
        code = cls.markets[m].code + cls.formats[f].code + cls.scales[s].code
        cur = sum(r[k] * w for k, w in v.current.items()) / cur_w
        pot = sum(r[k] * w for k, w in v.potential.items()) / pot_w
        seg = v.segments[("high" if cur >= v.split else "low", "high" if pot >= v.split else "low")]
        out.append((level, grade, limit, policy, t, code, seg))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--loop-sample", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    model = default_model()
    n = args.customers
    print(f"crm_xl scoring benchmark: {n:,} customers, {os.cpu_count()} cores, numpy {np.__version__}, "
          f"pandas {pd.__version__}")
    frame = customers(n)
    score_customers(frame.head(1000), model)  # warm-up (imports, caches)
    base_rss = rss_mb()

    times = []
    for _ in range(args.repeat):
        gc.collect()
        start = time.perf_counter()
        scored = score_customers(frame, model)
        times.append(time.perf_counter() - start)
    vec = min(times)
    print(f"vectorised, all scores:      {vec:8.2f} s  (best of {args.repeat}: "
          f"{', '.join(f'{t:.2f}' for t in times)}), {n / vec:,.0f} customers/s")
    print(f"  process peak RSS:          {rss_mb():8.0f} MB  (input frame and warm-up: {base_rss:.0f} MB)")
    del scored
    gc.collect()
    tracemalloc.start()
    score_customers(frame, model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak memory of the call:   {peak / 2**20:8.0f} MB  (tracemalloc, numpy/pandas buffers included)")

    sample = frame.head(args.loop_sample)
    start = time.perf_counter()
    rows = sample.to_dict("records")
    convert_s = time.perf_counter() - start
    start = time.perf_counter()
    looped = loop_scores(rows, model)
    loop_s = time.perf_counter() - start
    loop_full = (loop_s + convert_s) * n / len(rows)
    print(f"plain Python loop over rows: {loop_full:8.2f} s  (extrapolated from {len(rows):,} rows: "
          f"{convert_s:.2f} s to_dict + {loop_s:.2f} s loop; RFM ranks and tags not included)")
    small = sample.head(args.loop_sample // 10)
    start = time.perf_counter()
    small.apply(lambda r: loop_scores([r], model)[0], axis=1)
    apply_full = (time.perf_counter() - start) * n / len(small)
    print(f"pandas apply(axis=1):        {apply_full:8.2f} s  (extrapolated from {len(small):,} rows; same subset)")
    vec_sample = score_customers(sample, model).computed
    cols = ["credit_level", "credit_grade", "credit_limit", "credit_policy", "customer_tier", "class_code",
            "value_segment"]
    expected = pd.DataFrame(looped, columns=cols)
    for col in cols:
        a = vec_sample[col].astype(object).where(vec_sample[col].notna(), None).tolist()
        b = expected[col].tolist()
        mismatches = sum(1 for x, y in zip(a, b) if not (x == y or (x is None and y is None)
                                                           or (isinstance(x, float) and isinstance(y, float) and abs(x - y) < 1e-6)))
        if mismatches:
            raise SystemExit(f"loop and vectorised disagree on {col}: {mismatches} rows")
    print(f"  loop and vectorised agree on {', '.join(cols)} for all {len(rows):,} sample rows")

    one = [dict(zip([c for c in sample.columns if c.startswith("score_")], r))
           for r in sample.filter(like="score_").head(2000).itertuples(index=False)]
    start = time.perf_counter()
    for r in one:
        credit_grade(credit_level(r, model), model)
    per_call = (time.perf_counter() - start) / len(one)
    print(f"single-value API per row:    {per_call * n:8.0f} s  ({per_call * 1e3:.2f} ms per customer for level + grade)")
    print(f"ratio plain loop / vectorised:   {loop_full / vec:8.1f}x  (the loop does a subset of the work)")
    print(f"ratio apply(axis=1) / vectorised: {apply_full / vec:8.1f}x")
    print(f"ratio single-value / vectorised:  {per_call * n / vec:8.0f}x")
    print(f"target under 2 s: {'met' if vec < 2 else 'NOT met'}; 30x: "
          f"{'met' if loop_full / vec >= 30 else 'not met'} against the plain loop, "
          f"{'met' if apply_full / vec >= 30 else 'not met'} against apply(axis=1)")

if __name__ == "__main__":
    main()
