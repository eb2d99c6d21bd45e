"""Subcommands of `crm-xl`: score, demo and model."""
from __future__ import annotations

import time
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from crm_xl.archive import current_user
from crm_xl.cli import EXIT_FINDINGS, cli, emit_json, parse_date
from crm_xl.model import load_model

MODEL_OPTION = click.option("--model", "model_path", type=click.Path(path_type=Path),
                            help="Scoring model: a .toml file or a workbook with a Model sheet (default: shipped model).")


def progress_bar(quiet: bool):
    """A factory of progress bars on stderr; silent when quiet or not on a terminal."""
    def start(stage: str, total: int):
        bar = tqdm(total=total, desc=stage, unit="row", disable=True if quiet else None,
                   leave=False, mininterval=0.5)
        def advance(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()
        return advance
    return start


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Scored workbook to write (.xlsx, or .csv).")
@MODEL_OPTION
@click.option("--transactions", type=click.Path(path_type=Path),
              help="Transactions (customer_code, date, quantity, amount): fills the system-generated columns and RFM.")
@click.option("--as-of", help="Date recency is measured to (default: the day after the latest order).")
@click.option("--indicator-set", help="Credit indicator set from the model (default: the model's, 5c).")
@click.option("--tier-preset", help="Customer tier preset from the model (default: the model's, 8-tier).")
@click.option("--sheet", help="Sheet to read (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any row has an error-level issue.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def score(source, output, model_path, transactions, as_of, indicator_set, tier_preset, sheet, as_json,
          strict, quiet):
    """Add every computed column to a customer table (xlsx or csv) and write a scored workbook."""
    from crm_xl.batch import score_file

    result = score_file(source, output, load_model(model_path), transactions=transactions,
                        as_of=parse_date(as_of), indicator_set=indicator_set, tier_preset=tier_preset,
                        sheet=sheet, progress=progress_bar(quiet or as_json))
    if as_json:
        emit_json(result.as_dict())
    else:
        print_score_summary(result)
    if strict and any(i["severity"] == "error" for i in result.issues):
        raise click.exceptions.Exit(EXIT_FINDINGS)


def print_score_summary(result, show: int = 10) -> None:
    total = sum(result.seconds.values())
    click.echo(f"Scored {result.rows:,} customers with {result.model} (as of {result.as_of}) in {total:.1f} s")
    for column, counts in result.counts.items():
        parts = " · ".join(f"{k} {v:,}" for k, v in counts.items())
        click.echo(f"  {column:14} {parts or '(none)'}")
    for notice in result.notices:
        click.secho(f"  note: {notice['message']}", fg="yellow")
    rank = {"error": 0, "warning": 1}
    errors = sorted((i for i in result.issues if i["severity"] in rank), key=lambda i: (rank[i["severity"]], i["row"]))
    if errors:
        rows = result.rows_with_issues
        click.secho(f"  {rows:,} {'row has' if rows == 1 else 'rows have'} issues ({len(errors):,} in all); "
                    f"first {min(show, len(errors))}:", fg="yellow")
        for issue in errors[:show]:
            where = f"{Path(issue['file']).name} [{issue['sheet']}] {issue['cell'] or 'row ' + str(issue['row'] + 1)}"
            click.echo(f"    {where}: {issue['message']} (fix: {issue['fix']})")
        click.echo("  Every issue is listed on the Issues sheet and in the scoring_issues column.")
    click.echo(f"Wrote {result.output}")


def _sheet_command(action: str):
    def run(source, output, model_path, sheet):
        from crm_xl.batch import sheet_job

        result = sheet_job(source, output, load_model(model_path), action, sheet)
        click.echo(result.summary)
        click.echo(f"Wrote {output or source}")
    return run


SHEET_ARGS = [click.argument("source", type=click.Path(path_type=Path)),
              click.option("-o", "--output", type=click.Path(path_type=Path),
                           help="Write here instead of updating SOURCE in place."),
              MODEL_OPTION, click.option("--sheet", help="Sheet to work on (default: the active one).")]


def _with_args(f):
    for decorator in reversed(SHEET_ARGS):
        f = decorator(f)
    return f


cli.command("regrade", help="Recompute every derived column of a customer sheet and colour the grades "
            "(what the Regrade sheet button does).")(_with_args(_sheet_command("regrade")))
cli.command("check-sheet", help="Mark every cell the scoring cannot use, with a note saying why "
            "(what the Validate sheet button does).")(_with_args(_sheet_command("validate")))


@cli.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("crm_xl_demo"), show_default=True,
              help="Folder for the demo files.")
@click.option("--customers", "n_customers", type=click.IntRange(10, 2_000_000), default=3000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def demo(folder: Path, n_customers: int, seed: int, quiet: bool):
    """Make realistic demo data, run everything on it and say where the outputs are."""
    from crm_xl.batch import score_file
    from crm_xl.demo import make_demo, write_demo
    from crm_xl.model.export import export_model

    clock = time.perf_counter()
    data = make_demo(n_customers, seed)
    customers, transactions = write_demo(data, folder)
    click.echo(f"Demo data: {len(data.customers):,} customers, {len(data.transactions):,} orders "
               f"({time.perf_counter() - clock:.1f} s)")
    click.echo(f"  {customers}\n  {transactions}")
    result = score_file(customers, folder / "scored.xlsx", load_model(), transactions=transactions,
                        as_of=data.as_of, progress=progress_bar(quiet))
    print_score_summary(result, show=5)
    from crm_xl.reports.monthly import run_report

    month = (data.as_of - pd.DateOffset(months=1)).strftime("%Y-%m")
    monthly = run_report(month, customers, transactions, folder / f"report-{month}.xlsx", load_model())
    click.echo(f"Wrote {monthly.workbook} and {monthly.html} (monthly report for {month})")
    model_file = export_model(load_model(), folder / "model.xlsx")
    click.echo(f"Wrote {model_file} (edit it, then: crm-xl score {customers} -o rescored.xlsx --model {model_file})")


@cli.group()
def model():
    """Show, check and export the scoring model."""


@model.command("show")
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
def model_show(model_path, as_json):
    """Print the scoring model in force: weights, bands and labels."""
    from crm_xl.model.export import describe

    m = load_model(model_path)
    if as_json:
        emit_json(m.raw)
    else:
        click.echo(describe(m))


@model.command("check")
@click.argument("path", type=click.Path(path_type=Path))
def model_check(path):
    """Check a model file (.toml or a workbook's Model sheet); exit 2 listing every problem."""
    m = load_model(path)
    click.echo(f"{path}: {m.title} is valid ({len(m.credit.indicators)} indicators, "
               f"{len(m.credit.grades)} grades, {len(m.tiers)} tier presets, {len(m.tags)} tags)")


@model.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@MODEL_OPTION
def model_export(path, model_path):
    """Write the model as an editable Model sheet (load it back with --model FILE.xlsx)."""
    from crm_xl.model.export import export_model

    click.echo(f"Wrote {export_model(load_model(model_path), path)}")


@cli.command()
@click.option("--month", required=True, help="Month to report, YYYY-MM.")
@click.option("--customers", type=click.Path(path_type=Path), help="Customer table (xlsx or csv); or use --db.")
@click.option("--db", "db_url", envvar="CRM_XL_DB", help="Report on the master data (SQLAlchemy URL) instead.")
@click.option("--transactions", type=click.Path(path_type=Path), help="Transactions (customer_code, date, quantity, amount).")
@click.option("--previous", type=click.Path(path_type=Path), help="Last month's customer table, for grade movements.")
@click.option("--template", type=click.Path(path_type=Path), help="Your restyled copy of templates/monthly_report.xlsx.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Report workbook to write (.xlsx).")
@MODEL_OPTION
@click.option("--pdf", is_flag=True, help="Also render a PDF (needs LibreOffice).")
@click.option("--no-html", is_flag=True, help="Skip the HTML summary for e-mail.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
def report(month, customers, db_url, transactions, previous, template, output, model_path, pdf, no_html, quiet):
    """Write the monthly report workbook (and an HTML summary, and a PDF with --pdf)."""
    from crm_xl.reports.monthly import run_report

    def progress(stage: str) -> None:
        if not quiet:
            click.secho(f"  … {stage}", err=True, dim=True)

    result = run_report(month, customers, transactions, output, load_model(model_path), previous=previous,
                        template=template, html=not no_html, pdf=pdf, progress=progress, db=db_url)
    kpi = result.figures.kpi
    click.echo(f"Report {month} (vs {result.figures.previous_month}): {kpi['customers']['value']:,} customers, "
               f"{kpi['active']['value']:,} ordered, sales {kpi['sales']['value']:,.0f} "
               f"({kpi['sales']['change']:+,.0f}) in {sum(result.seconds.values()):.1f} s")
    for note in result.figures.notes:
        click.secho(f"  note: {note}", fg="yellow")
    for path in (result.workbook, result.html, result.pdf):
        if path:
            click.echo(f"Wrote {path}")
    if pdf and result.pdf is None:
        click.secho("  no PDF: LibreOffice is not installed", fg="yellow")


@cli.group()
def addin():
    """Build, check and install the Excel add-in (CRM ribbon tab)."""


ADDIN = Path("workbooks/crm_xl.xlam")


def _report_addin_checks(path: Path, done: str) -> None:
    from crm_xl.addin.check import check_addin

    problems = check_addin(path)
    for problem in problems:
        click.secho(f"  problem: {problem}", fg="red", err=True)
    click.echo(f"{done} ({'all checks passed' if not problems else f'{len(problems)} problems'})")
    if problems:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@addin.command("build")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=ADDIN, show_default=True)
def addin_build(output):
    """Build the add-in from xlwings' template and check it statically."""
    from crm_xl.addin.build import build_addin

    _report_addin_checks(build_addin(output), f"Wrote {output}")


@addin.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=ADDIN)
def addin_check(path):
    """Prove statically that the ribbon, its VBA callbacks and the Python scripts fit together."""
    if not path.is_file():
        raise click.ClickException(f"{path}: no such file (build it with crm-xl addin build)")
    _report_addin_checks(path, str(path))


@addin.command("install")
@click.argument("path", type=click.Path(path_type=Path), default=ADDIN)
def addin_install(path):
    """Copy the add-in into Excel's start-up folder (Windows or macOS)."""
    from crm_xl.addin.build import install_addin

    try:
        click.echo(f"Installed {install_addin(path)}; restart Excel to see the CRM tab")
    except OSError as exc:
        raise click.ClickException(str(exc)) from None


@addin.command("server")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("xlwings_server_crm"), show_default=True)
def addin_server(output):
    """Write the functions, scripts, Office.js manifest and ribbon code for xlwings Server and Lite."""
    from crm_xl.addin.server import write_server_package

    for path in write_server_package(output):
        click.echo(f"Wrote {path}")
    click.echo("Copy custom_functions/, custom_scripts/, templates/manifest.xml and static/js/ribbon.js into an "
               "xlwings Server project (a licence key is needed); lite/ holds main.py and requirements.txt for xlwings Lite.")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print every finding as JSON.")
@click.option("--show", type=int, default=20, show_default=True, help="Findings to print per file.")
@click.option("--annotate", "annotate_dir", type=click.Path(path_type=Path),
              help="Write a copy of each workbook with its problems marked (FILE.checked.xlsx) into this folder.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Files checked at once.")
@click.option("--memory-mb", type=click.IntRange(256), default=4096, show_default=True,
              help="Memory one file's check may use before it is stopped.")
@click.option("--timeout", type=click.IntRange(1), default=300, show_default=True, help="Seconds per file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--db", "db_url", help="Also check against the master data: issued templates, known customers.")
def validate(files, model_path, as_json, show, annotate_dir, workers, memory_mb, timeout, quiet, db_url):
    """Check customer sheets: every problem with its file, sheet, cell, rule and fix. Exit 1 on findings.

    Each file is parsed in its own process with memory and time limits, so no file can take the
    command down with it.
    """
    from crm_xl.sheets.annotate import write_annotated
    from crm_xl.sheets.validation import validate_files

    advance = progress_bar(quiet or as_json)("checking files", len(files))
    reports = validate_files(list(files), load_model(model_path), workers=workers, isolate=True,
                             memory_mb=memory_mb, seconds=timeout, on_done=advance,
                             keep_tables=bool(annotate_dir), known=_known(db_url))
    if annotate_dir:
        for r in reports:
            if r.table is not None:
                out = write_annotated(r, annotate_dir / f"{r.file.stem}.checked.xlsx")
                if not as_json:
                    click.echo(f"Wrote {out}")
    if as_json:
        emit_json([{"file": str(r.file), "sheet": r.sheet, "rows": r.rows, "errors": r.errors,
                    "warnings": r.warnings, "findings": [f.as_dict() for f in r.findings]} for r in reports])
    else:
        for r in reports:
            colour = "green" if not r.findings else ("red" if r.errors else "yellow")
            click.secho(f"{r.file}: {r.rows:,} rows, {r.errors:,} errors, {r.warnings:,} warnings", fg=colour)
            for f in r.findings[:show]:
                where = f"[{f.fields.get('sheet')}] {f.fields['cell']}: " if "cell" in f.fields else ""
                click.echo(f"  {f.severity:7} {where}{f.message} (fix: {f.fix})")
            if len(r.findings) > show:
                click.echo(f"  ... and {len(r.findings) - show:,} more (--json lists them all)")
    if any(r.findings for r in reports):
        raise click.exceptions.Exit(EXIT_FINDINGS)


ARCHIVE = Path("archive")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--to", "root", type=click.Path(path_type=Path), default=ARCHIVE, show_default=True,
              help="Archive folder.")
@MODEL_OPTION
def archive(files, root, model_path):
    """Store uploads content-addressed (SHA-256 under year/month) with a manifest.

    `crm-xl archive verify [--to DIR]` re-hashes everything and reports missing or altered files
    (a file really named verify: ./verify).
    """
    if [str(f) for f in files] == ["verify"]:
        _verify_archive(root)
        return
    from crm_xl.archive import archive_file
    from crm_xl.sheets.validation import validate_file

    model = load_model(model_path)
    for path in files:
        if not path.is_file():
            raise click.ClickException(f"{path}: no such file")
        report, _ = validate_file(path, model)
        entry = archive_file(path, root, {"errors": report.errors, "warnings": report.warnings})
        state = "stored" if entry.new else "already archived"
        click.echo(f"{path.name}: {state} as {root / entry.stored} ({report.errors} errors, {report.warnings} warnings)")


def _verify_archive(root: Path) -> None:
    from crm_xl.archive import verify

    result = verify(root)
    for kind, paths in (("missing", result.missing), ("altered", result.altered), ("not in the manifest", result.unlisted)):
        for path in paths:
            click.secho(f"  {kind}: {root / path}", fg="red")
    click.echo(f"{root}: {result.checked:,} files checked, "
               f"{'all intact' if result.ok else 'problems found'}")
    if not result.ok:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Template to write (.xlsx).")
@click.option("--manager", help="Pre-fill only this account manager's customers.")
@click.option("--from", "source", type=click.Path(path_type=Path), help="Customer table to pre-fill from.")
@click.option("--lang", type=click.Choice(["ko", "zh", "en"]), default="ko", show_default=True, help="Header language.")
@click.option("--from-store", is_flag=True, help="Pre-fill from the master data (and record the template there).")
@click.option("--db", "db_url", envvar="CRM_XL_DB", help="Master data URL (default sqlite:///crm_xl.db; env CRM_XL_DB).")
@MODEL_OPTION
def template(output, manager, source, lang, from_store, db_url, model_path):
    """Write the customer sheet staff download, fill in and upload (locked keys, dropdowns, hints)."""
    from crm_xl.sheets.reading import read_table
    from crm_xl.sheets.template import read_metadata, write_template

    if source and from_store:
        raise click.UsageError("pre-fill from --from FILE or --from-store, not both")
    engine = None
    customers = read_table(source).frame if source else None
    if from_store or db_url:
        from crm_xl.store.db import connect
        from crm_xl.store.export import master_frame

        engine = connect(db_url)
        if from_store:
            customers = master_frame(engine)
    path = write_template(output, load_model(model_path), customers, manager, lang)
    if engine is not None:
        from crm_xl.store.export import record_template

        record_template(engine, read_metadata(path))
    click.echo(f"Wrote {path}")


DB_OPTION = click.option("--db", "db_url", envvar="CRM_XL_DB", help="SQLAlchemy URL of the master data "
                         "(default: sqlite:///crm_xl.db; env CRM_XL_DB).")


def _known(db_url: str | None):
    if not db_url:
        return None
    from crm_xl.store.db import connect
    from crm_xl.store.export import known

    return known(connect(db_url))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--as", "role", required=True, help="Your role (account_manager or back_office): which fields you may change.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Merge nothing if any row has an error (default: merge the valid rows).")
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True)
def merge(files, db_url, role, dry_run, all_or_nothing, model_path, as_json):
    """Merge validated uploads into the master data, in one transaction."""
    from crm_xl.store.db import connect
    from crm_xl.store.merge import merge_files

    result = merge_files(list(files), connect(db_url), load_model(model_path), role, current_user(),
                         dry_run=dry_run, all_or_nothing=all_or_nothing)
    if as_json:
        emit_json(result.as_dict())
    else:
        verb = "Would merge" if dry_run else "Merged"
        click.echo(f"{verb} {result.rows_in:,} rows from {result.files} files ({result.rows_out:,} rows held back): "
                   f"{result.inserted:,} new customers, {result.updated_fields:,} fields updated, "
                   f"{result.unchanged_rows:,} rows unchanged, {result.queued_reviews:,} changes waiting for review")
        for r in result.rejected[:20]:
            click.secho(f"  rejected: {r['customer_code']} {r['field']}: {r['reason']}", fg="yellow")
        for c in result.conflicts[:20]:
            click.secho(f"  conflict: {c['customer_code']} {c['field']} changed differently by two uploads; not applied",
                        fg="yellow")
        for h in result.held_back[:20]:
            where = f"{h.get('file', '')} row {h['row']}" if "row" in h else h.get("file", "")
            click.secho(f"  held back: {where}: {h['reason']}", fg="yellow")
    if result.rows_out or result.rejected or result.conflicts:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.argument("action", type=click.Choice(["list", "approve", "reject"]), default="list")
@click.argument("ids", nargs=-1, type=int)
@DB_OPTION
def review(action, ids, db_url):
    """List, approve or reject changes to sensitive fields (bank account, legal representative, licence)."""
    from crm_xl.store.db import connect
    from crm_xl.store.export import pending_reviews
    from crm_xl.store.merge import decide

    engine = connect(db_url)
    if action == "list":
        pending = pending_reviews(engine)
        for r in pending:
            click.echo(f"{r['id']:>5}  {r['customer_code']}  {r['field']}: {r['old_value']!r} -> {r['new_value']!r}"
                       f"  (by {r['requested_by']})")
        click.echo(f"{len(pending)} changes waiting for review")
        return
    if not ids:
        raise click.UsageError("name the review ids to decide")
    count = decide(engine, list(ids), action == "approve", current_user())
    click.echo(f"{action}d {count} of {len(ids)} changes")


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@DB_OPTION
def export(output, db_url):
    """Write the master customer data out as a workbook."""
    from crm_xl.store.db import connect
    from crm_xl.store.export import export_master

    click.echo(f"Wrote {export_master(connect(db_url), output)}")
