"""Credit management commands: check orders, load collection data, review limits, take snapshots."""
from __future__ import annotations

import math
from pathlib import Path

import click

from crm_xl.archive import current_user
from crm_xl.cli.common import (
    DB_OPTION,
    EXIT_FINDINGS,
    MODEL_OPTION,
    emit_json,
    parse_date,
    print_issues,
)
from crm_xl.files import refuse_overwriting
from crm_xl.model import load_model
from crm_xl.store.db import existing

LANG_OPTION = click.option("--lang", "language", help="Language of the reason texts: ko, zh or en (default: the model's).")


@click.group()
def credit():
    """Credit management: check orders against limits, collection data, review of limit changes."""


@credit.command("check")
@click.argument("orders", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Checked orders to write (.xlsx, or .csv).")
@DB_OPTION
@click.option("--on", "on", help="Collection data as of this day (YYYY-MM-DD; default: the latest loaded).")
@click.option("--sheet", help="Sheet to read (default: the first).")
@LANG_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(orders, output, db_url, on, sheet, language, model_path, as_json):
    """Check a day's orders (customer_code, amount[, date]) against the limits in force, in order."""
    from crm_xl.credit.orders import check_orders_file

    refuse_overwriting(output, orders, model_path)
    day = parse_date(on, "--on")
    result = check_orders_file(orders, output, existing(db_url), load_model(model_path), language=language,
                               sheet=sheet, on=day.strftime("%Y-%m-%d") if day is not None else None,
                               user=current_user())
    counts = result.counts()
    if as_json:
        emit_json({"output": str(output), "counts": counts, "seconds": result.seconds,
                   "issues": result.issues.to_dict("records")})
    else:
        total = sum(c["orders"] for c in counts.values())
        click.echo(f"Checked {total:,} orders in {sum(result.seconds.values()):.1f} s: " + " · ".join(
            f"{d} {c['orders']:,} ({c['amount']:,.0f})" for d, c in counts.items()))
        held = result.table[(result.table["decision"] != "approve").to_numpy(dtype=bool)]
        for row in held.head(10).itertuples():
            decision = row.decision if isinstance(row.decision, str) else "not checked"
            click.echo(f"  {decision:7} {_text(row.customer_code)}  {_money(row.amount)}  {_text(row.reason)}")
        if len(held) > 10:
            click.echo(f"  … {len(held) - 10:,} more on the Orders sheet")
        for issue in result.issues.head(5).itertuples():
            click.secho(f"  {issue.severity} {issue.cell}: {issue.message} (fix: {issue.fix})", fg="yellow")
        click.echo(f"Wrote {output}")
    if len(result.issues):
        raise click.exceptions.Exit(EXIT_FINDINGS)


@credit.command("balances")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", required=True, help="Day the balances are as of (YYYY-MM-DD).")
@DB_OPTION
@click.option("--sheet", help="Sheet to read (default: the first).")
def balances(file, as_of, db_url, sheet):
    """Load collection data (customer_code, outstanding, overdue_days) as of a day; again replaces it."""
    from crm_xl.credit.collection import load_balances_file

    day = parse_date(as_of).strftime("%Y-%m-%d")
    count = load_balances_file(file, existing(db_url), day, current_user(), sheet=sheet)
    click.echo(f"Loaded balances of {count:,} customers as of {day}")


@credit.command("review")
@click.argument("action", type=click.Choice(["list", "approve", "reject"]), default="list")
@click.argument("ids", nargs=-1, type=int)
@click.option("--as", "role", help="Your role; approving or rejecting needs one the model allows (credit.review.approver_roles).")
@DB_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True)
def review(action, ids, role, db_url, model_path, as_json):
    """List, approve or reject limit rises and grade moves waiting for a credit manager."""
    from crm_xl.store.credit import decide_credit_reviews, pending_credit_reviews

    engine = existing(db_url)
    if action == "list":
        pending = pending_credit_reviews(engine)
        if as_json:
            emit_json(pending)
            return
        for r in pending:
            click.echo(f"{r['id']:>5}  {r['month']}  {r['customer_code']}  {r['old_grade']} -> {r['new_grade']}: {r['why']}")
            if r["credit_reasons"]:
                click.echo(f"       points lost: {r['credit_reasons']}")
        click.echo(f"{len(pending)} credit changes waiting for review")
        return
    if not ids:
        raise click.UsageError("name the review ids to decide")
    if not role:
        raise click.UsageError("say your role with --as (e.g. --as credit_manager)")
    count = decide_credit_reviews(engine, list(ids), action == "approve", current_user(), role, load_model(model_path))
    verb = "approved" if action == "approve" else "rejected"
    click.echo(f"{verb} {count} credit changes as {role}; the limits in force and the change log are updated")


@credit.command("holds")
@click.argument("action", type=click.Choice(["list", "release"]), default="list")
@click.argument("ids", nargs=-1, type=int)
@click.option("--as", "role", help="Your role; releasing needs one the model allows (credit.check.release_roles).")
@DB_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True)
def holds(action, ids, role, db_url, model_path, as_json):
    """List held orders, or release them (the order may go ahead; the release is logged)."""
    from crm_xl.store.credit import held_orders, release_holds

    engine = existing(db_url)
    if action == "list":
        held = held_orders(engine)
        if as_json:
            emit_json(held)
            return
        for h in held:  # whatever a row holds (an older version stored holds without an amount)
            click.echo(f"{h['id']:>5}  {_text(h['order_ref'])}  {_text(h['customer_code'])}  {_money(h['amount'])}  "
                       f"{_text(h['reason'])}")
        click.echo(f"{len(held)} orders held")
        return
    if not ids:
        raise click.UsageError("name the held orders to release")
    if not role:
        raise click.UsageError("say your role with --as (e.g. --as credit_manager)")
    count = release_holds(engine, list(ids), current_user(), role, load_model(model_path))
    click.echo(f"released {count} orders as {role}; the releases are in the change log")


def _money(value) -> str:
    """An amount right-aligned with separators; anything else (empty, text) as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:>12,.0f}"
    return f"{_text(value):>12}"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


@click.command()
@click.option("--month", required=True, help="Month to keep, YYYY-MM (scored as of its last day).")
@DB_OPTION
@click.option("--transactions", type=click.Path(path_type=Path), help="Transactions for the system-generated columns.")
@LANG_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True)
def snapshot(month, db_url, transactions, language, model_path, as_json):
    """Keep each customer's grade, limit, tier, class, segment and RFM cell for a month (again replaces it)."""
    from crm_xl.credit.snapshot import take_snapshot
    from crm_xl.sheets.reading import read_untrusted_with_orders

    _, orders = read_untrusted_with_orders([], transactions)
    tx, issues = orders or (None, [])
    result = take_snapshot(existing(db_url), month, load_model(model_path), current_user(), tx, language)
    if as_json:
        emit_json(result.as_dict() | {"issues": [f.as_dict() for f in issues]})
        return
    again = f" (replaced {result.replaced:,} rows taken before)" if result.replaced else ""
    click.echo(f"Snapshot {month}: {result.customers:,} customers{again}; limits in force: "
               f"{result.first_limits:,} first, {result.changed_limits:,} changed, {result.queued:,} waiting for review"
               + (f"; {result.unscored:,} without a grade or a limit kept the limit in force" if result.unscored else ""))
    for r in result.reviews[:10]:
        click.echo(f"  review {r['id']}: {r['customer_code']} {r['why']}")
    if result.queued:
        click.echo("  decide with: crm-xl credit review approve IDS --as credit_manager")
    print_issues(issues, "not counted in the system-generated columns")
