"""Scoring commands: score a customer table, regrade or check a sheet as the ribbon buttons do, the demo."""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import click
import pandas as pd

from crm_xl.batch import score_file, sheet_job
from crm_xl.cli.common import (
    EXIT_FINDINGS,
    LANG_OPTION,
    MODEL_OPTION,
    QUIET_OPTION,
    dask_options,
    emit_json,
    issue_line,
    parse_date,
    print_issues,
    progress_bar,
)
from crm_xl.demo import make_credit_demo, make_demo, write_credit_demo, write_demo
from crm_xl.files import refuse_overwriting
from crm_xl.model import load_model
from crm_xl.model.export import export_model
from crm_xl.reports.monthly import run_report


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Scored workbook to write (.xlsx, or .csv).")
@MODEL_OPTION
@click.option("--transactions", type=click.Path(path_type=Path),
              help="Transactions (customer_code, date, quantity, amount): fills the system-generated columns and RFM.")
@click.option("--as-of", help="Date recency is measured to (default: the day after the latest order).")
@click.option("--indicator-set", help="Credit indicator set from the model (default: the model's, 5c).")
@click.option("--tier-preset", help="Customer tier preset from the model (default: the model's, 8-tier).")
@click.option("--sheet", help="Sheet to read (default: the first sheet with a customer-code header).")
@click.option("--lang", "language", help="Language of the credit_reasons column: ko, zh or en (default: the model's).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any row has an error-level issue.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="dask: SOURCE (and --transactions) are a directory or glob of Parquet/CSV partitions; "
                   "OUTPUT is a directory of Parquet files, one per partition.")
@dask_options
@QUIET_OPTION
def score(source, output, model_path, transactions, as_of, indicator_set, tier_preset, sheet, language, as_json,
          strict, engine, scheduler, workers, memory_limit, quiet):
    """Add every computed column to a customer table (xlsx or csv) and write a scored workbook."""
    refuse_overwriting(output, model_path)  # the customers and transactions: score_file checks them
    if engine == "dask":
        from crm_xl.engines.partitions import score_partitions

        result = score_partitions(source, output, load_model(model_path), transactions=transactions,
                                  as_of=parse_date(as_of), indicator_set=indicator_set, tier_preset=tier_preset,
                                  language=language, scheduler=scheduler, workers=workers,
                                  memory_limit=memory_limit)
        orders = asdict(result.orders) | {"examples": [f.as_dict() for f in result.orders.examples]}
        emit_json(asdict(result) | {"output": str(result.output), "orders": orders}) if as_json \
            else print_partitioned_summary(result)
        return
    result = score_file(source, output, load_model(model_path), transactions=transactions,
                        as_of=parse_date(as_of), indicator_set=indicator_set, tier_preset=tier_preset,
                        sheet=sheet, progress=progress_bar(quiet or as_json), language=language)
    if as_json:
        emit_json(result.as_dict())
    else:
        print_score_summary(result)
    if strict and any(f.severity == "error" for f in result.issues):
        raise click.exceptions.Exit(EXIT_FINDINGS)


def print_score_summary(result, show: int = 10) -> None:
    total = sum(result.seconds.values())
    click.echo(f"Scored {result.rows:,} customers with {result.model} (as of {result.as_of}) in {total:.1f} s")
    for column, counts in result.counts.items():
        parts = " · ".join(f"{k} {v:,}" for k, v in counts.items())
        click.echo(f"  {column:14} {parts or '(none)'}")
    for notice in result.notices[:show]:
        click.secho(f"  note: {notice.message}", fg="yellow")
    if len(result.notices) > show:
        click.secho(f"  note: ... and {len(result.notices) - show:,} more (--json lists them all)", fg="yellow")
    rank = {"error": 0, "warning": 1}
    errors = sorted((f for f in result.issues if f.severity in rank), key=lambda f: (rank[f.severity], f.row or 0))
    if errors:
        rows = result.rows_with_issues
        click.secho(f"  {rows:,} {'row has' if rows == 1 else 'rows have'} issues ({len(errors):,} in all); "
                    f"first {min(show, len(errors))}:", fg="yellow")
        for f in errors[:show]:
            click.echo(f"    {issue_line(f)}")
        in_tx = any(Path(f.file) != Path(result.source) for f in errors)
        click.echo("  Every issue is listed on the Issues sheet and in the scoring_issues column"
                   + ("; the transactions file's on the Transaction issues sheet." if in_tx else "."))
    click.echo(f"Wrote {result.output}")


def print_partitioned_summary(result) -> None:
    click.echo(f"Scored {result.rows:,} customers with {result.model} (as of {result.as_of}) in "
               f"{sum(result.seconds.values()):.1f} s on {result.partitions} partitions")
    for column, counts in result.counts.items():
        parts = " · ".join(f"{k} {v:,}" for k, v in counts.items())
        click.echo(f"  {column:14} {parts or '(none)'}")
    if result.rows_with_issues:
        click.secho(f"  {result.rows_with_issues:,} rows have issues: see their scoring_issues column", fg="yellow")
    line = result.orders.summary("totals", "crm-xl score without --engine dask")
    if line:
        click.secho(f"  {line}", fg="yellow")
        print_issues(result.orders.examples, "left out of the totals")
    click.echo(f"Wrote {result.output} (Parquet, one file per partition)")


def _sheet_command(action: str):
    def run(source, output, model_path, sheet, lang):
        if output is not None:
            refuse_overwriting(output, source, model_path)
        result = sheet_job(source, output, load_model(model_path), action, sheet, lang)
        click.echo(result.summary)
        click.echo(f"Wrote {output or source}")
    return run


SHEET_ARGS = [click.argument("source", type=click.Path(path_type=Path)),
              click.option("-o", "--output", type=click.Path(path_type=Path),
                           help="Write here instead of updating SOURCE in place."),
              MODEL_OPTION, click.option("--sheet", help="Sheet to work on (default: the active one)."),
              LANG_OPTION]


def _with_args(f):
    for decorator in reversed(SHEET_ARGS):
        f = decorator(f)
    return f


regrade = click.command("regrade", help="Recompute every derived column of a customer sheet and colour the grades "
            "(what the Regrade sheet button does).")(_with_args(_sheet_command("regrade")))
check_sheet = click.command("check-sheet", help="Mark every cell the scoring cannot use, with a note saying why "
            "(what the Validate sheet button does).")(_with_args(_sheet_command("validate")))


@click.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("crm_xl_demo"), show_default=True,
              help="Folder for the demo files.")
@click.option("--customers", "n_customers", type=click.IntRange(10, 2_000_000), default=3000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@QUIET_OPTION
def demo(folder: Path, n_customers: int, seed: int, quiet: bool):
    """Make realistic demo data, run everything on it and say where the outputs are."""
    clock = time.perf_counter()
    data = make_demo(n_customers, seed)
    customers, transactions = write_demo(data, folder)
    click.echo(f"Demo data: {len(data.customers):,} customers, {len(data.transactions):,} orders "
               f"({time.perf_counter() - clock:.1f} s)")
    click.echo(f"  {customers}\n  {transactions}")
    result = score_file(customers, folder / "scored.xlsx", load_model(), transactions=transactions,
                        as_of=data.as_of, progress=progress_bar(quiet))
    print_score_summary(result, show=5)
    month = (data.as_of - pd.DateOffset(months=1)).strftime("%Y-%m")
    monthly = run_report(month, customers, transactions, folder / f"report-{month}.xlsx", load_model())
    click.echo(f"Wrote {monthly.workbook} and {monthly.html} (monthly report for {month})")
    balances, orders = write_credit_demo(*make_credit_demo(data, load_model(), seed), folder)
    click.echo(f"Wrote {balances}/ (collection data at 12 month ends) and {orders} (a day's orders to check)")
    model_file = export_model(load_model(), folder / "model.xlsx")
    click.echo(f"Wrote {model_file} (edit it, then: crm-xl score {customers} -o rescored.xlsx --model {model_file})")
