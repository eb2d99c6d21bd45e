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
        merge_batch(folder, customers, model)
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
              f"target: read + validate under 3 s, annotated workbook under 20 s")


def merge_batch(folder: Path, customers: Path, model, uploads: int = 200, rows: int = 50) -> None:
    """A store of every customer of the upload, then `uploads` staff files of `rows` changed phones each."""
    from crm_xl.sheets.reading import read_table
    from crm_xl.store.db import connect
    from crm_xl.store.merge import merge_files

    engine = connect(f"sqlite:///{folder / 'master.db'}")
    result, _ = timed("merge the upload into an empty store", lambda: merge_files([customers], engine, model,
                                                                                  "back_office", "bench"))
    print(f"  {result.inserted:,} customers in the store")
    frame = read_table(customers).frame
    frame = frame[frame.score_character.apply(lambda v: isinstance(v, float))].head(uploads * rows).copy()
    frame["phone"] = [f"010-{i // 10000:04d}-{i % 10000:04d}" for i in range(len(frame))]
    paths = []
    for i in range(uploads):
        part = frame.iloc[i * rows:(i + 1) * rows]
        path = folder / f"upload-{i:03d}.csv"
        part.to_csv(path, index=False)
        paths.append(path)
    batch, _ = timed(f"merge {uploads} uploads of {rows} rows", lambda: merge_files(paths, engine, model,
                                                                                    "account_manager", "bench"))
    print(f"  {batch.updated_fields:,} fields updated, {batch.rows_out:,} rows held back")


if __name__ == "__main__":
    main()
