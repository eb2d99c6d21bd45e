"""Each Excel function as Excel calls it: one cell or one row per call (a formula filled down),
and a 100,000-row column in one call (list-of-lists in and out), against the column API.

    .venv/bin/python benchmarks/bench_udfs.py [--rows 100000] [--calls 2000]

Targets (issue 11): a one-cell/one-row call under 30 µs median, a 100,000-row column under 0.1 s.
Prints the median per one-row call, the whole-column call (best of 3), how much of it is reading
Excel's shapes, and the column API alone on the same data (the scoring itself).
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.model import default_model  # noqa: E402
from crm_xl.scoring import columns  # noqa: E402
from udfs import cells  # noqa: E402
from udfs import functions as f  # noqa: E402


def best(fn, repeat=3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_call(fn, calls: int) -> float:
    fn()  # warm caches (model, dtypes) as a recalculation's first cell does
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    n = args.rows
    rng = np.random.default_rng(3)
    model = default_model()
    scores = np.clip(np.round(rng.normal(7, 1.5, (n, 5))), 1, 10).tolist()  # N x 5 range of floats
    col = lambda values: [[v] for v in values]  # noqa: E731  (a column as Excel passes it)
    flat = lambda c: [r[0] for r in c]  # noqa: E731
    levels = col(rng.uniform(0.1, 1, n).tolist())
    grades = col(rng.choice(["AAA", "AA", "A", "B", "C"], n).tolist())
    money = col(rng.lognormal(12, 1, n).round(0).tolist())
    qty = col(rng.lognormal(1.7, 0.8, n).tolist())
    formats = col(rng.choice(["食杂店", "편의점", "S", "department store"], n).tolist())
    markets = col(rng.choice(["urban", "농촌"], n).tolist())
    idx = [col(rng.uniform(0, 100, n).round().tolist()) for _ in range(5)]
    rec, freq = col(rng.integers(1, 365, n).astype(float).tolist()), col(rng.poisson(6, n).astype(float).tolist())
    segs = col(rng.choice(["core", "secondary", "potential", "low-value"], n).tolist())
    rfm = col(rng.choice(["Champions", "At Risk", "New"], n).tolist())
    tiers = col(rng.choice(["T1", "T5", "T8"], n).tolist())
    orders, limits = col(rng.lognormal(13, 1, n).round(0).tolist()), col(rng.lognormal(15, 1, n).round(0).tolist())
    limit_grade = [[lim[0], g[0]] for lim, g in zip(limits, grades)]  # two cells a row: (limit, grade)
    overdue = col(rng.integers(0, 60, n).astype(float).tolist())

    # The inputs (millions of small lists) stay for the whole run: out of the collector's sight, as
    # in Excel, where each call's arguments are fresh, so no call pays for walking them.
    gc.collect()
    gc.freeze()
    # name: (one-row call, whole-column call, reading shapes, column API alone)
    cases = {
        "CREDIT_SCORE": (lambda: f.credit_score([scores[0]]), lambda: f.credit_score(scores),
                         lambda: cells.read(scores), lambda: columns.credit_levels(scores, model)),
        "CREDIT_GRADE": (lambda: f.credit_grade(0.72), lambda: f.credit_grade(levels),
                         lambda: cells.read(levels), lambda: columns.credit_grades(flat(levels), model)),
        "CREDIT_LIMIT": (lambda: f.credit_limit("A", 300_000, 30), lambda: f.credit_limit(grades, money, 30),
                         lambda: cells.broadcast(grades, money, 30),
                         lambda: columns.credit_limits(flat(grades), flat(money), [30] * n, [None] * n, model)),
        "CUSTOMER_TIER": (lambda: f.customer_tier(12), lambda: f.customer_tier(qty),
                          lambda: cells.read(qty), lambda: columns.customer_tiers(flat(qty), model)),
        "CUSTOMER_CLASS": (lambda: f.customer_class("食杂店", "urban", 5e6),
                           lambda: f.customer_class(formats, markets, money),
                           lambda: cells.broadcast(formats, markets, money),
                           lambda: columns.customer_classes(flat(formats), flat(markets), flat(money), model)),
        "VALUE_SEGMENT": (lambda: f.value_segment(80, 80, 80, 20, 20), lambda: f.value_segment(*idx),
                          lambda: cells.broadcast(*idx), lambda: columns.value_segments(*map(flat, idx), model)),
        "RFM_SEGMENT": (lambda: f.rfm_segment(rec[:5], freq[:5], money[:5]), lambda: f.rfm_segment(rec, freq, money),
                        lambda: cells.broadcast(rec, freq, money),
                        lambda: columns.rfm_segments(flat(rec), flat(freq), flat(money), model)),
        "CUSTOMER_TAGS": (lambda: f.customer_tags("C", "T1", "core", "At Risk", 75),
                          lambda: f.customer_tags(grades, tiers, segs, rfm),
                          lambda: cells.broadcast(grades, tiers, segs, rfm),
                          lambda: columns.customer_tags(dict(zip(
                              ("credit_grade", "customer_tier", "value_segment", "rfm_segment"),
                              map(flat, (grades, tiers, segs, rfm)))), model)),
        "CREDIT_CHECK": (lambda: f.credit_check(1_200_000, 300_000, [[5_000_000, "A"]], 12),
                         lambda: f.credit_check(orders, money, limit_grade, overdue),
                         lambda: cells.broadcast(orders, money, flat(limits), flat(grades), overdue),
                         lambda: columns.credit_checks(flat(orders), flat(money), flat(limits), flat(grades),
                                                       flat(overdue), model)),
        "CREDIT_REASONS": (lambda: f.credit_reasons([scores[0]]), lambda: f.credit_reasons(scores),
                           lambda: cells.read(scores), lambda: columns.credit_reasons(scores, model)),
        "CRM_MODEL": (lambda: f.crm_model(), lambda: f.crm_model(), lambda: None, lambda: model.title),
    }
    print(f"crm_xl Excel functions: one row per call (median of {args.calls:,}); {n:,}-row columns "
          f"(best of 3), list-of-lists in and out")
    print(f"{'function':16} {'one row':>9} {'target':>7} {'column':>9} {'target':>7} {'read shapes':>12} "
          f"{'column API':>11}")
    for name, (one, whole, read, engine) in cases.items():
        per_call = median_call(one, args.calls)
        column, reading, api = best(whole), best(read), best(engine)
        print(f"{name:16} {per_call * 1e6:7.1f}µs {'ok' if per_call < 30e-6 else 'OVER':>7} {column:8.3f}s "
              f"{'ok' if column < 0.1 else 'OVER':>7} {reading:11.3f}s {api:10.3f}s")
    print("(RFM_SEGMENT's one-row case is five customers: quintiles need at least five.)")


if __name__ == "__main__":
    main()
