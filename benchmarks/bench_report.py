"""The monthly report for 100,000 and 1,000,000 customers: seconds per stage and peak memory.

    .venv/bin/python benchmarks/bench_report.py [--customers 100000 1000000]

Customers and a year of orders are generated in memory (as `crm-xl demo` makes them); the timed
part is what `crm-xl report` does after reading its files: score both months, compute every
figure, fill the template and save the workbook.
"""
from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.demo import make_demo  # noqa: E402
from crm_xl.model import default_model  # noqa: E402
from crm_xl.reports.figures import build_figures  # noqa: E402
from crm_xl.reports.monthly import report_context  # noqa: E402
from crm_xl.reports.render import render_workbook  # noqa: E402
from crm_xl.reports.template import build_template  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int) -> None:
    clock = time.perf_counter()
    data = make_demo(n, seed=1)
    made = time.perf_counter() - clock
    gc.collect()
    before = rss_mb()
    clock = time.perf_counter()
    figures = build_figures(data.customers, data.transactions, "2026-10", default_model())
    figures_s = time.perf_counter() - clock
    clock = time.perf_counter()
    wb = build_template()
    render_workbook(wb, report_context(figures), "built-in")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.xlsx"
        wb.save(out)
        size = out.stat().st_size
    render_s = time.perf_counter() - clock
    print(f"{n:>9,} customers, {len(data.transactions):>10,} orders: figures {figures_s:6.2f} s, "
          f"template+save {render_s:5.2f} s, total {figures_s + render_s:6.2f} s; "
          f"workbook {size / 1024:,.0f} KB; peak RSS {rss_mb():,.0f} MB (data alone {before:,.0f} MB); "
          f"data generation {made:.1f} s (not timed)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    for n in ap.parse_args().customers:
        run(n)


if __name__ == "__main__":
    main()
