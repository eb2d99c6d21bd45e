"""The monthly report command."""
from __future__ import annotations

from pathlib import Path

import click

from crm_xl.cli.common import DB_OPTION, MODEL_OPTION, dask_options, print_issues
from crm_xl.findings import InputError, finding
from crm_xl.model import load_model
from crm_xl.reports.monthly import run_report
from crm_xl.texts import text


@click.command()
@click.option("--month", required=True, help="Month to report, YYYY-MM.")
@click.option("--customers", type=click.Path(path_type=Path), help="Customer table (xlsx or csv); or use --db.")
@DB_OPTION
@click.option("--transactions", type=click.Path(path_type=Path), help="Transactions (customer_code, date, quantity, amount).")
@click.option("--previous", type=click.Path(path_type=Path), help="Last month's customer table, for grade movements (with --db, last month's snapshot is used when there is one).")
@click.option("--template", type=click.Path(path_type=Path), help="Your restyled copy of templates/monthly_report.xlsx.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Report workbook to write (.xlsx).")
@MODEL_OPTION
@click.option("--pdf", is_flag=True, help="Also render a PDF (needs LibreOffice).")
@click.option("--no-html", is_flag=True, help="Skip the HTML summary for e-mail.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="dask: --customers, --transactions and --previous are directories or globs of Parquet/CSV "
                   "partitions; the figures are computed on a Dask cluster, only aggregates reach the workbook.")
@dask_options
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
def report(month, customers, db_url, transactions, previous, template, output, model_path, pdf, no_html, engine,
           scheduler, workers, memory_limit, quiet):
    """Write the monthly report workbook (and an HTML summary, and a PDF with --pdf)."""
    if customers and click.get_current_context().get_parameter_source("db_url").name == "ENVIRONMENT":
        db_url = None  # a file named on the command line wins over CRM_XL_DB
    def progress(stage: str) -> None:
        if not quiet:
            click.secho(f"  … {stage}", err=True, dim=True)

    if engine == "dask":
        result = _dask_report(month, customers, db_url, transactions, previous, template, output, model_path, pdf,
                              no_html, progress, scheduler=scheduler, workers=workers, memory_limit=memory_limit)
    else:
        result = run_report(month, customers, transactions, output, load_model(model_path), previous=previous,
                            template=template, html=not no_html, pdf=pdf, progress=progress, db=db_url)
    kpi = result.figures.kpi
    change = kpi["sales"]["change"]
    change = text("report.no_previous") if change is None else f"{change:+,.0f}"  # no orders before this month
    click.echo(f"Report {month} (vs {result.figures.previous_month}): {kpi['customers']['value']:,} customers, "
               f"{kpi['active']['value']:,} ordered, sales {kpi['sales']['value']:,.0f} "
               f"({change}) in {sum(result.seconds.values()):.1f} s")
    for note in result.figures.notes:
        click.secho(f"  note: {note}", fg="yellow")
    print_issues(result.issues, "not counted in the figures")
    for path in (result.workbook, result.html, result.pdf):
        if path:
            click.echo(f"Wrote {path}")
    if pdf and result.pdf is None:
        click.secho("  no PDF: LibreOffice is not installed", fg="yellow")


def _dask_report(month, customers, db_url, transactions, previous, template, output, model_path, pdf, no_html,
                 progress, **cluster):
    from crm_xl.engines.report import report_partitions

    if db_url or not customers:  # the master data is one machine's (and its snapshots a database's)
        raise InputError([finding("bad-option", option="--engine", value="dask",
                                  problem="reads partitions, not the master data (--db)" if db_url else "needs --customers",
                                  hint="Give --customers as a directory or glob of Parquet/CSV partitions.")])
    return report_partitions(month, customers, transactions, output, load_model(model_path), previous=previous,
                             template=template, html=not no_html, pdf=pdf, progress=progress, **cluster)
