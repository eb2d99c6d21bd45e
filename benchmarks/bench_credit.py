"""The credit check of a batch of orders: 1,000,000 orders against 100,000 customers (target < 5 s).

    .venv/bin/python benchmarks/bench_credit.py [--orders 1000000] [--customers 100000] [--runs 3]

Accounts (grade, limit in force, opening balance, days overdue) and orders are generated in
memory; the timed part is `check_orders`: every order's balance accumulated per customer in
order, decision and reason text. For comparison, the same check as a plain one-order-at-a-time
Python loop over a sample (its rate scaled up), CREDIT_REASONS over 100,000 customers, and two
monthly snapshots of 100,000 customers into SQLite (the second with limits changing and queued).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.credit.orders import check_orders  # noqa: E402
from crm_xl.model import default_model  # noqa: E402
from crm_xl.scoring.columns import credit_reasons  # noqa: E402
from crm_xl.store.credit import write_snapshot  # noqa: E402
from crm_xl.store.db import connect  # noqa: E402

TARGET_SECONDS = 5.0


def accounts(n: int, rng) -> pd.DataFrame:
    grades = rng.choice(["AAA", "AA", "A", "B", "C"], n, p=[0.08, 0.15, 0.3, 0.25, 0.22])
    limit = np.round(rng.lognormal(13, 1, n), -2) * (grades != "C")
    return pd.DataFrame({"customer_code": [f"C{i:07d}" for i in range(n)], "credit_grade": grades,
                         "credit_limit": limit, "outstanding": np.round(limit * rng.uniform(0, 0.9, n), -2),
                         "overdue_days": np.where(rng.random(n) < 0.1, rng.integers(1, 150, n), 0)})


def orders(n: int, customers: pd.DataFrame, rng) -> pd.DataFrame:
    who = rng.integers(0, len(customers), n)
    return pd.DataFrame({"customer_code": customers.customer_code.to_numpy()[who],
                         "amount": np.round(rng.lognormal(11, 1, n), -2)})


def loop_check(orders: pd.DataFrame, accounts: pd.DataFrame, model) -> list[str]:
    """The obvious per-order loop, for comparison (no reason texts)."""
    tolerance = {g.label: g.tolerance for g in model.credit.grades}
    cash = {g.label for g in model.credit.grades if g.limit_factor == 0}
    book = {r.customer_code: [r.credit_grade, r.credit_limit, r.outstanding, r.overdue_days]
            for r in accounts.itertuples()}
    rules = model.credit.check
    out = []
    for code, amount in zip(orders.customer_code, orders.amount):
        grade, limit, used, days = book[code]
        if grade in cash or days > rules.reject_overdue_days:
            out.append("reject")
        elif days > rules.hold_overdue_days or used + amount > limit * (1 + tolerance[grade]):
            out.append("hold")
        else:
            book[code][2] = used + amount
            out.append("approve")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    model = default_model()
    book = accounts(args.customers, rng)
    batch = orders(args.orders, book, rng)
    times = []
    for _ in range(args.runs):
        clock = time.perf_counter()
        result = check_orders(batch, book, model)
        times.append(time.perf_counter() - clock)
    median = statistics.median(times)
    counts = result.table.decision.value_counts().to_dict()
    print(f"check_orders: {args.orders:,} orders x {args.customers:,} customers: median {median:.2f} s "
          f"of {args.runs} (runs {', '.join(f'{t:.2f}' for t in times)}); target < {TARGET_SECONDS:.0f} s: "
          f"{'met' if median < TARGET_SECONDS else 'NOT met'}")
    print(f"  decisions: {counts}")

    sample = batch.head(100_000)
    clock = time.perf_counter()
    decisions = loop_check(sample, book, model)
    loop = time.perf_counter() - clock
    agree = (np.array(decisions) == check_orders(sample, book, model).table.decision.to_numpy()).mean()
    print(f"per-order Python loop: {loop:.2f} s for {len(sample):,} orders "
          f"(~{loop * args.orders / len(sample):.1f} s for {args.orders:,}); decisions agree on {agree:.1%}")

    scores = rng.integers(1, 11, (100_000, 5)).astype(float).tolist()
    clock = time.perf_counter()
    credit_reasons(scores, model)
    print(f"CREDIT_REASONS over 100,000 customers (list of lists in): {time.perf_counter() - clock:.2f} s")
    snapshots(book, model, rng)


def snapshots(book: pd.DataFrame, model, rng) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{folder}/bench.db")
        n = len(book)
        for month, scale in (("2026-09", 1.0), ("2026-10", 1.3)):
            limit = np.round(book.credit_limit * scale * rng.uniform(0.9, 1.3, n), -2)
            scored = book[["customer_code", "credit_grade"]].assign(
                credit_level=rng.uniform(0.3, 1, n), credit_limit=limit,
                customer_tier="T3", class_code="CZL", value_segment="core", rfm_r=1, rfm_f=2, rfm_m=3,
                rfm_segment="Loyal", credit_reasons="Capacity 7/10 (-0.075)")
            clock = time.perf_counter()
            result = write_snapshot(engine, month, scored, model, "bench")
            print(f"snapshot {month} of {n:,} customers into SQLite: {time.perf_counter() - clock:.1f} s "
                  f"({result.first_limits:,} first limits, {result.changed_limits:,} changed, {result.queued:,} queued)")


if __name__ == "__main__":
    main()
