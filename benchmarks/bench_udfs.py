"""Each Excel function on a 100,000-row column, as Excel calls it: list-of-lists in, list-of-lists out.

    .venv/bin/python benchmarks/bench_udfs.py [--rows 100000]

Prints, per function, the whole call and how much of it is shape conversion (reading Excel's
lists into columns, and results back into rows), against the scoring engine on the same data
already in a DataFrame.
"""
from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    n = ap.parse_args().rows
    rng = np.random.default_rng(3)
    model = default_model()
    scores = np.clip(np.round(rng.normal(7, 1.5, (n, 5))), 1, 10).tolist()  # N x 5 range of floats
    col = lambda values: [[v] for v in values]  # noqa: E731  (a column as Excel passes it)
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

    cases = {
        "CREDIT_SCORE": (lambda: f.credit_score(scores), lambda: cells.read(scores)),
        "CREDIT_GRADE": (lambda: f.credit_grade(levels), lambda: cells.read(levels)),
        "CREDIT_LIMIT": (lambda: f.credit_limit(grades, money, 30), lambda: cells.broadcast(grades, money, 30)),
        "CUSTOMER_TIER": (lambda: f.customer_tier(qty), lambda: cells.read(qty)),
        "CUSTOMER_CLASS": (lambda: f.customer_class(formats, markets, money),
                           lambda: cells.broadcast(formats, markets, money)),
        "VALUE_SEGMENT": (lambda: f.value_segment(*idx), lambda: cells.broadcast(*idx)),
        "RFM_SEGMENT": (lambda: f.rfm_segment(rec, freq, money), lambda: cells.broadcast(rec, freq, money)),
        "CUSTOMER_TAGS": (lambda: f.customer_tags(grades, tiers, segs, rfm), lambda: cells.broadcast(grades, tiers, segs, rfm)),
    }
    print(f"crm_xl Excel functions: {n:,}-row columns, list-of-lists in and out")
    print(f"{'function':16} {'whole call':>11} {'read shapes':>12} {'per row':>9}")
    for name, (call, read) in cases.items():
        whole, reading = best(call), best(read)
        print(f"{name:16} {whole:10.3f}s {reading:11.3f}s {whole / n * 1e6:7.2f}µs")
    out = f.credit_score(scores)
    values = [r[0] for r in out]
    print(f"{'write shapes':16} {best(lambda: cells.as_column(values, False)):10.3f}s   (results back into rows)")
    records = scores
    engine = best(lambda: columns.credit_levels(records, model))
    print(f"column API alone, credit levels: {engine:.3f}s")


if __name__ == "__main__":
    main()
