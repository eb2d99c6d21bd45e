"""Master-data commands: merge uploads, decide the review queue, export the master data."""
from __future__ import annotations

from pathlib import Path

import click

from crm_xl.archive import current_user
from crm_xl.cli.common import DB_OPTION, EXIT_FINDINGS, LANG_OPTION, MODEL_OPTION, emit_json
from crm_xl.model import load_model
from crm_xl.findings import InputError, finding
from crm_xl.store.db import connect, existing
from crm_xl.store.export import export_master, pending_reviews
from crm_xl.store.merge import decide, merge_files

SHOW = 20  # findings printed; --json has them all


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--as", "role", required=True, help="Your role (account_manager or back_office): which fields you may change.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Merge nothing if any row has an error (default: merge the valid rows).")
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True)
def merge(files, db_url, role, dry_run, all_or_nothing, model_path, as_json):
    """Merge validated uploads into the master data, in one transaction."""
    result = merge_files(list(files), connect(db_url, create=not dry_run), load_model(model_path), role, current_user(),
                         dry_run=dry_run, all_or_nothing=all_or_nothing)
    if as_json:
        emit_json(result.as_dict())
    else:
        verb = "Would merge" if dry_run else "Merged"
        click.echo(f"{verb} {result.rows_in:,} rows from {result.files} files ({result.rows_out:,} rows held back): "
                   f"{result.inserted:,} new customers, {result.updated_fields:,} fields updated, "
                   f"{result.unchanged_rows:,} rows unchanged, {result.queued_reviews:,} changes waiting for review")
        for f in [*result.held_back, *result.rejected, *result.conflicts][:SHOW]:
            click.secho(f"  {f.severity:7} {f.message} (fix: {f.fix})", fg="red" if f.severity == "error" else "yellow")
        more = len(result.held_back) + len(result.rejected) + len(result.conflicts) - SHOW
        if more > 0:
            click.echo(f"  ... and {more:,} more (--json lists them all)")
    if result.rows_out or result.rejected or result.conflicts or result.held_back:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@click.command()
@click.argument("action", type=click.Choice(["list", "approve", "reject"]), default="list")
@click.argument("ids", nargs=-1, type=int)
@DB_OPTION
def review(action, ids, db_url):
    """List, approve or reject changes to sensitive fields (bank account, legal representative, licence)."""
    engine = existing(db_url)
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
    click.echo(f"{'approved' if action == 'approve' else 'rejected'} {count} of {len(ids)} changes")


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@DB_OPTION
@LANG_OPTION
@MODEL_OPTION
def export(output, db_url, lang, model_path):
    """Write the master customer data out as a workbook (--lang: headers and coded fields in a language)."""
    if output.suffix.lower() != ".xlsx":
        raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx")])
    click.echo(f"Wrote {export_master(existing(db_url), output, lang, load_model(model_path))}")
