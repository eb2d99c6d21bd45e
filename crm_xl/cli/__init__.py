"""The `crm-xl` command: every subcommand parses options and calls one library function.

Commands live in one module per subject (scoring, model, uploads, store, report, addin) and
are registered here; `main` turns every CrmError into its findings and exit 2, never a traceback.
"""
from __future__ import annotations

import os
import signal
import sys
import threading

import click
from sqlalchemy.exc import SQLAlchemyError

from crm_xl import __version__
from crm_xl.cli import addin, credit, model, quality, report, scoring, store, uploads
from crm_xl.cli.common import EXIT_CANNOT_RUN, EXIT_INTERNAL
from crm_xl.findings import CrmError, finding
from crm_xl.store.db import store_error

# Packages an optional extra brings (pyproject.toml), by the module a command would import.
EXTRAS = {"fastexcel": "fast", "pyarrow": "fast", "psycopg": "postgres", "olefile": "addin", "oletools": "addin",
          "rapidfuzz": "quality", "scipy": "quality", "pypinyin": "quality", "dask": "dask", "distributed": "dask"}


def main(argv: list[str] | None = None) -> None:
    """Entry point: bad input ends with its findings and exit 2, never a traceback."""
    sys.unraisablehook = _quiet_world_errors
    if threading.current_thread() is threading.main_thread():  # only there can a handler be set
        signal.signal(signal.SIGTERM, _stopped)  # as Ctrl-C: half-written outputs removed, helpers ended
    try:
        code = cli.main(args=argv, prog_name="crm-xl", standalone_mode=False)
    except CrmError as exc:
        report_findings(exc.findings)
        sys.exit(EXIT_CANNOT_RUN)
    except SQLAlchemyError as exc:  # the master data failing after it was reached: what happened, what to do
        report_findings(store_error(exc, "the database").findings)
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None or os.environ.get("CRM_XL_DEBUG"):
            raise
        f = finding("missing-extra", package=exc.name, extra=extra)
        click.secho(f"error [{f.code}] {f.message}", fg="red", err=True)
        click.echo(f"  fix: {f.fix}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except Exception as exc:  # the last line of defence: say what happened, keep the traceback for --debug
        if os.environ.get("CRM_XL_DEBUG"):
            raise
        click.secho(f"crm-xl: internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo("  This is a bug in crm-xl, not in your file. Set CRM_XL_DEBUG=1 for the details.", err=True)
        sys.exit(EXIT_INTERNAL)
    if isinstance(code, int) and code:  # without standalone mode click returns ctx.exit codes
        sys.exit(code)


def _stopped(signum, frame) -> None:
    """SIGTERM (timeout, cron, systemd) ends a command as Ctrl-C does, so its clean-up runs."""
    raise KeyboardInterrupt


def _quiet_world_errors(unraisable) -> None:
    """A writer's clean-up failing again on a full disk (zipfile's __del__) after the failure was
    reported as `cannot-write`: not a second, traceback-shaped message."""
    if isinstance(unraisable.exc_value, OSError) and not os.environ.get("CRM_XL_DEBUG"):
        return
    sys.__unraisablehook__(unraisable)


def report_findings(findings) -> None:
    for f in findings:
        click.secho(f"error [{f.code}] {f.message}", fg="red", err=True)
        click.echo(f"  fix: {f.fix}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crm-xl")
def cli() -> None:
    """Customer scoring, grading and checking for Excel users."""


for command in (scoring.score, scoring.regrade, scoring.check_sheet, scoring.demo, model.model, model.codes,
                uploads.template, uploads.validate, uploads.archive, store.merge, store.review, store.export,
                report.report, addin.addin, quality.import_, quality.duplicates,
                credit.credit, credit.snapshot):
    cli.add_command(command)
