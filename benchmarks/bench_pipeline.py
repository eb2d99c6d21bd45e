"""Validating an upload: a 100,000-row customer workbook, read + validate, and its annotated copy.

    .venv/bin/python benchmarks/bench_pipeline.py [--rows 100000]

Prints seconds and peak memory for: python-calamine reading all values (the floor for any
check), openpyxl read-only reading all values (the usual alternative), `crm-xl validate`'s whole
check in this process, the same in a child process with limits (as the command runs it), and
writing the annotated workbook. Ratios are against openpyxl.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.demo import make_demo, write_demo  # noqa: E402
from crm_xl.model import default_model  # noqa: E402
from crm_xl.sheets.annotate import write_annotated  # noqa: E402
from crm_xl.sheets.validation import validate_files  # noqa: E402


def timed(label: str, fn, baseline: float | None = None):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    ratio = f"  ({baseline / seconds:,.1f}x faster than openpyxl)" if baseline else ""
    print(f"{label:44} {seconds:7.2f} s{ratio}")
    return result, seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    n = ap.parse_args().rows
    model = default_model()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers, _ = write_demo(make_demo(n, seed=5), folder)
        size = customers.stat().st_size / 2**20
        print(f"upload: {n:,} rows x {21} columns, {size:.1f} MB")

        def openpyxl_read():
            import openpyxl

            wb = openpyxl.load_workbook(customers, read_only=True)
            rows = sum(1 for _ in wb.active.iter_rows(values_only=True))
            wb.close()
            return rows

        def calamine_read():
            from python_calamine import CalamineWorkbook

            return len(CalamineWorkbook.from_path(str(customers)).get_sheet_by_index(0).to_python())

        _, base = timed("openpyxl read-only, all values", openpyxl_read)
        timed("python-calamine, all values", calamine_read, base)
        (report,), _ = timed("read + validate (in process)", lambda: validate_files([customers], model), base)
        timed("read + validate (child process, limits)",
              lambda: validate_files([customers], model, isolate=True, keep_tables=False), base)
        print(f"  findings: {report.errors:,} errors, {report.warnings:,} warnings")
        timed("annotated workbook", lambda: write_annotated(report, folder / "checked.xlsx"))
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
              f"target: read + validate under 3 s, annotated workbook under 20 s")


if __name__ == "__main__":
    main()
