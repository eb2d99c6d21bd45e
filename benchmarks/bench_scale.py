"""Scoring past one machine: customers and a year of orders as Parquet partitions, scored with
`--engine dask` on a local cluster with a memory limit per worker, beside the pandas path.

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/bench_scale.py [--customers 10000000] [--per-partition 250000]
        [--workers 2] [--memory-limit 2GB] [--pandas-customers 1000000] [--dir DIR]

Data (6 orders per customer on average) is generated once per size under --dir (default
~/.cache/crm-xl/scale). Prints, for the dask run: seconds per pass, customers per second and each
worker's peak memory (its process's max RSS), for the scoring and then for the monthly report
(`report --engine dask` of the last month of orders, on the same cluster); for pandas at
--pandas-customers: the same scoring (score_customers with the transactions) and the report's
figures (build_figures) in this process, their seconds and peak RSS.
Target (issue 13): 10,000,000 customers in < 3 min on 2 cores, every worker < 2 GB.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.engines.partitions import dask_client, score_partitions
from crm_xl.engines.report import report_partitions
from crm_xl.model import default_model
from crm_xl.reports.figures import build_figures
from crm_xl.scoring.customers import score_customers

FORMATS, MARKETS, SCALES = list("ZBSNYFQ"), list("CX"), list("LMS")
ORDERS_PER_CUSTOMER = 6
MONTH = "2026-10"  # the orders' last full month (they run from 2025-11-01 for 365 days)


def customers(first: int, n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame({
        "customer_code": pd.Series(np.arange(first, first + n)).map("C{:08d}".format),
        "business_format": rng.choice(FORMATS, n), "market_type": rng.choice(MARKETS, n),
        "business_scale": rng.choice(SCALES, n),
        "terms_days": rng.choice([0, 15, 30, 45, 60], n).astype(float),
        "net_worth": rng.integers(1, 500, n) * 1_000_000.0})
    for name in ("character", "capacity", "capital", "collateral", "conditions"):
        frame[f"score_{name}"] = rng.integers(1, 11, n).astype(float)
    for name in ("contribution", "support", "credit", "growth", "influence"):
        frame[f"value_{name}"] = rng.integers(0, 101, n).astype(float)
    return frame


def orders(first: int, n: int, rng: np.random.Generator) -> pd.DataFrame:
    m = n * ORDERS_PER_CUSTOMER
    who = first + rng.zipf(1.6, m) % n  # a few customers order a lot, many once or never
    return pd.DataFrame({"customer_code": pd.Series(who).map("C{:08d}".format),
                         "date": np.datetime64("2025-11-01") + rng.integers(0, 365, m).astype("timedelta64[D]"),
                         "quantity": rng.integers(1, 20, m).astype(float),
                         "amount": rng.integers(1, 200, m) * 5_000.0})


def generate(folder: Path, n: int, per_partition: int) -> tuple[Path, Path]:
    c_dir, t_dir = folder / "customers", folder / "orders"
    if (folder / "done").exists():
        return c_dir, t_dir
    shutil.rmtree(folder, ignore_errors=True)
    c_dir.mkdir(parents=True)
    t_dir.mkdir()
    rng = np.random.default_rng(13)
    for i, first in enumerate(range(0, n, per_partition)):
        size = min(per_partition, n - first)
        customers(first, size, rng).to_parquet(c_dir / f"part-{i:04d}.parquet", index=False)
        orders(first, size, rng).to_parquet(t_dir / f"part-{i:04d}.parquet", index=False)
    (folder / "done").touch()
    return c_dir, t_dir


def worker_peaks(client) -> dict[str, float]:
    return {w: rss / 1024 for w, rss in client.run(
        lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).items()}


def run_dask(c_dir: Path, t_dir: Path, n: int, workers: int, memory_limit: str, out: Path) -> None:
    with dask_client(None, workers, memory_limit) as client:
        start = time.perf_counter()
        result = score_partitions(c_dir, out, default_model(), transactions=t_dir, client=client)
        seconds = time.perf_counter() - start
        peaks = worker_peaks(client)
        print(f"dask   {n:>11,} customers {seconds:7.1f} s  {n / seconds:>9,.0f} rows/s  passes {result.seconds}")
        start = time.perf_counter()
        report = report_partitions(MONTH, c_dir, t_dir, out.with_suffix(".xlsx"), default_model(), html=False,
                                   client=client)
        seconds = time.perf_counter() - start
        print(f"report {n:>11,} customers {seconds:7.1f} s  {n / seconds:>9,.0f} rows/s  {report.seconds} "
              f"(month {MONTH}, workbook written)")
        report_peaks = worker_peaks(client)
    print(f"       {workers} workers, limit {memory_limit} each; peak RSS per worker: "
          + ", ".join(f"{v:,.0f} MB" for v in peaks.values()) + " scoring, "
          + ", ".join(f"{v:,.0f} MB" for v in report_peaks.values()) + " after the report")


def run_pandas(c_dir: Path, t_dir: Path, n: int) -> None:
    files = sorted(c_dir.glob("*.parquet"))
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).head(n)
    tx = pd.concat([pd.read_parquet(f) for f in sorted(t_dir.glob("*.parquet"))], ignore_index=True)
    tx = tx[tx.customer_code.isin(frame.customer_code)]
    start = time.perf_counter()
    score_customers(frame, default_model(), transactions=tx)
    seconds = time.perf_counter() - start
    print(f"pandas {n:>11,} customers {seconds:7.1f} s  {n / seconds:>9,.0f} rows/s  (one process, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB incl. reading)")
    start = time.perf_counter()
    build_figures(frame, tx, MONTH, default_model())
    seconds = time.perf_counter() - start
    print(f"report {n:>11,} customers {seconds:7.1f} s  {n / seconds:>9,.0f} rows/s  (figures only, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000_000)
    ap.add_argument("--per-partition", type=int, default=250_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--pandas-customers", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path.home() / ".cache" / "crm-xl" / "scale")
    args = ap.parse_args()
    folder = args.dir / f"{args.customers}-{args.per_partition}"
    start = time.perf_counter()
    c_dir, t_dir = generate(folder, args.customers, args.per_partition)
    print(f"data: {args.customers:,} customers, ~{args.customers * ORDERS_PER_CUSTOMER:,} orders in "
          f"{len(list(c_dir.glob('*.parquet')))} partitions under {folder} ({time.perf_counter() - start:.0f} s)")
    out = folder / "scored"
    run_dask(c_dir, t_dir, args.customers, args.workers, args.memory_limit, out)
    shutil.rmtree(out, ignore_errors=True)
    out.with_suffix(".xlsx").unlink(missing_ok=True)
    if args.pandas_customers:
        run_pandas(c_dir, t_dir, min(args.pandas_customers, args.customers))


if __name__ == "__main__":
    main()
