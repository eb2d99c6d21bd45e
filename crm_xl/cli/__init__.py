"""The `crm-xl` command: every subcommand parses options and calls one library function."""
from __future__ import annotations

import json
import os
import sys

import click
import pandas as pd

from crm_xl import __version__
from crm_xl.findings import CrmError, markdown_table

EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INTERNAL = 1, 2, 3


def main(argv: list[str] | None = None) -> None:
    """Entry point: bad input ends with its findings and exit 2, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="crm-xl", standalone_mode=False)
    except CrmError as exc:
        for f in exc.findings:
            click.secho(f"error [{f.code}] {f.message}", fg="red", err=True)
            click.echo(f"  fix: {f.fix}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except Exception as exc:  # the last line of defence: say what happened, keep the traceback for --debug
        if os.environ.get("CRM_XL_DEBUG"):
            raise
        click.secho(f"crm-xl: internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo("  This is a bug in crm-xl, not in your file. Set CRM_XL_DEBUG=1 for the details.", err=True)
        sys.exit(EXIT_INTERNAL)
    if isinstance(code, int) and code:  # without standalone mode click returns ctx.exit codes
        sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crm-xl")
def cli() -> None:
    """Customer scoring, grading and checking for Excel users."""


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_date(value: str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).normalize()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in the README).")
def codes(markdown: bool) -> None:
    """List every finding code, its severity and how to fix it."""
    from crm_xl.findings import CATALOGUE

    if markdown:
        click.echo(markdown_table())
        return
    for c in CATALOGUE.values():
        click.echo(f"{c.code:26} {c.severity:8} {c.title}")


from crm_xl.cli import commands  # noqa: E402,F401  (registers the subcommands)
