"""The upload pipeline on a 100,000-row upload: read + validate, the annotated copy, merging.

    .venv/bin/pip install -q -e '.[bench]'     # python-calamine and frictionless, to compare
    .venv/bin/python benchmarks/bench_pipeline.py [--rows 100000] [--runs 5] [--quick]

The upload is what staff really send back: a `crm-xl template` pre-filled with every demo
customer (mistakes included) and saved again by a spreadsheet application (LibreOffice here:
shared strings, its own XML), so the file carries the template's metadata and a fingerprint per
row. Building it takes minutes at 100,000 rows, so it is cached under ~/.cache/crm-xl/.

Prints, for that file: reading every value with openpyxl read-only, python-calamine and
fastexcel (reading alone, no checks), frictionless' validation of the sheet, and `crm-xl
validate`'s whole check (median and best of --runs) in this process and in the limited child
process the command uses; then the annotated workbook and merges into SQLite. --quick skips the
two slow comparisons (openpyxl, frictionless). Ratios are against openpyxl.
Target on a 2-core machine: read + validate under 3 s, annotated workbook under 20 s.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_xl.demo import make_demo  # noqa: E402
from crm_xl.model import default_model  # noqa: E402
from crm_xl.sheets.annotate import write_annotated  # noqa: E402
from crm_xl.sheets.template import SCHEMA_VERSION, write_template  # noqa: E402
from crm_xl.sheets.validation import validate_files  # noqa: E402

CACHE = Path.home() / ".cache" / "crm-xl"


def timed(label: str, fn, baseline: float | None = None):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:48} {seconds:7.2f} s{ratio(baseline, seconds)}")
    return result, seconds


def repeated(label: str, fn, runs: int, baseline: float | None = None):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{label:48} {median:7.2f} s median, best {min(times):.2f}, worst {max(times):.2f} "
          f"of {runs}{ratio(baseline, median)}")
    return result, median


def ratio(baseline: float | None, seconds: float) -> str:
    if not baseline:
        return ""
    if seconds > baseline:
        return f"  ({seconds / baseline:,.1f}x slower than openpyxl)"
    return f"  ({baseline / seconds:,.1f}x faster than openpyxl)"


def upload_file(rows: int, model) -> Path:
    """The pre-filled template of `rows` demo customers, saved again by LibreOffice (cached)."""
    from crm_xl.office import convert, soffice

    path = CACHE / f"upload-{rows}-s{SCHEMA_VERSION}.xlsx"
    if path.exists():
        print(f"upload: {path} (cached; delete it to rebuild)")
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp) / "template.xlsx"
        timed(f"crm-xl template, {rows:,} customers (openpyxl)",
              lambda: write_template(written, model, make_demo(rows, seed=5).customers))
        if soffice():
            (saved,), _ = timed("saved again by LibreOffice", lambda: convert([written], "xlsx", Path(tmp) / "out", 900))
        else:
            print("no LibreOffice: the upload is the template as crm-xl wrote it")
            saved = written
        shutil.copy(saved, path)
    return path


def readers(path: Path, quick: bool) -> float | None:
    """Reading every value with the usual libraries; returns openpyxl's time (the baseline)."""
    def openpyxl_read():
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return count

    def calamine_read():
        from python_calamine import CalamineWorkbook

        return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())

    def fastexcel_read():
        import fastexcel

        return fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string").to_arrow().num_rows

    def frictionless_validate():
        from frictionless import Dialect, formats, system, validate

        dialect = Dialect(controls=[formats.ExcelControl(sheet=1)])
        with system.use_context(trusted=True):  # it refuses paths outside the working directory otherwise
            report = validate(str(path), dialect=dialect, limit_errors=10**9)
        fatal = [note for kind, note in report.flatten(["type", "note"]) if kind.endswith("resource-error")]
        if fatal:  # it could not read the file at all: no figure to compare
            raise RuntimeError(fatal[0])
        return report.stats["errors"]

    base = None if quick else timed("openpyxl read-only, all values", openpyxl_read)[1]
    timed("python-calamine, all values", calamine_read, base)
    timed("fastexcel, all values as text", fastexcel_read, base)
    if not quick:
        errors, _ = timed("frictionless validate (inferred schema)", frictionless_validate, base)
        print(f"  frictionless: {errors:,} errors")
    return base


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip openpyxl and frictionless (slow)")
    args = ap.parse_args()
    model = default_model()
    upload = upload_file(args.rows, model)
    print(f"upload: {args.rows:,} rows, {upload.stat().st_size / 2**20:.1f} MB\n")
    base = readers(upload, args.quick)
    (report,), _ = repeated("crm-xl validate: read + validate, in process",
                            lambda: validate_files([upload], model), args.runs, base)
    repeated("crm-xl validate: the same in a limited child",
             lambda: validate_files([upload], model, isolate=True, keep_tables=False), args.runs, base)
    print(f"  findings: {report.errors:,} errors, {report.warnings:,} warnings")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timed("annotated workbook", lambda: write_annotated(report, folder / "checked.xlsx"))
        merge_batch(folder, upload, model)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {own:,.0f} MB, largest child {children:,.0f} MB (a validate child, or LibreOffice)")
    print("targets: read + validate under 3 s, annotated workbook under 20 s")


def merge_batch(folder: Path, upload: Path, model, uploads: int = 200, rows: int = 50) -> None:
    """A store of every customer of the upload, then `uploads` staff files of `rows` changed phones each."""
    from crm_xl.sheets.reading import read_table
    from crm_xl.store.db import connect
    from crm_xl.store.merge import merge_files

    engine = connect(f"sqlite:///{folder / 'master.db'}")
    result, _ = timed("merge the upload into an empty store",
                      lambda: merge_files([upload], engine, model, "back_office", "bench"))
    print(f"  {result.inserted:,} customers in the store, {result.rows_out:,} rows held back")
    frame = read_table(upload).frame
    frame = frame[frame.score_character.apply(lambda v: isinstance(v, float))].head(uploads * rows).copy()
    frame["phone"] = [f"010-{i // 10000:04d}-{i % 10000:04d}" for i in range(len(frame))]
    paths = []
    for i in range(uploads):
        path = folder / f"upload-{i:03d}.csv"
        frame.iloc[i * rows:(i + 1) * rows].to_csv(path, index=False)
        paths.append(path)
    batch, _ = timed(f"merge {uploads} uploads of {rows} rows", lambda: merge_files(paths, engine, model,
                                                                                    "account_manager", "bench"))
    print(f"  {batch.updated_fields:,} fields updated, {batch.rows_out:,} rows held back")


if __name__ == "__main__":
    main()
