"""Add-in commands: build, check and install the Excel add-in; write the xlwings Server/Lite package."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from crm_xl.addin.build import build_addin, install_addin
from crm_xl.addin.check import check_addin
from crm_xl.addin.server import function_forms, wire_into_project, write_server_package
from crm_xl.cli.common import EXIT_FINDINGS


@click.group()
def addin():
    """Build, check and install the Excel add-in (CRM ribbon tab)."""


ADDIN = Path("workbooks/crm_xl.xlam")


def _needs_addin_extra(work):
    """Run `work`; without olefile/oletools say which extra to install, not a traceback."""
    try:
        return work()
    except ImportError as exc:
        raise click.ClickException(f"{exc.name} is missing: building and checking the add-in needs "
                                   "pip install 'crm-xl[addin]'") from None


def _report_addin_checks(path: Path, done: str) -> None:
    problems = _needs_addin_extra(lambda: check_addin(path))
    for problem in problems:
        click.secho(f"  problem: {problem}", fg="red", err=True)
    click.echo(f"{done} ({'all checks passed' if not problems else f'{len(problems)} problems'})")
    if problems:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@addin.command("build")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=ADDIN, show_default=True)
def addin_build(output):
    """Build the add-in from xlwings' template and check it statically."""
    _report_addin_checks(_needs_addin_extra(lambda: build_addin(output)), f"Wrote {output}")


@addin.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=ADDIN)
def addin_check(path):
    """Prove statically that the ribbon, its VBA callbacks and the Python scripts fit together."""
    if not path.is_file():
        raise click.ClickException(f"{path}: no such file (build it with crm-xl addin build)")
    _report_addin_checks(path, str(path))
    click.echo("Functions, each with its VBA wrapper in the add-in (desktop form; Office.js form):")
    for desktop, office_js in function_forms():
        click.echo(f"  {desktop}  {office_js}")


@addin.command("install")
@click.argument("path", type=click.Path(path_type=Path), default=ADDIN)
def addin_install(path):
    """Copy the add-in into Excel's start-up folder; its user config names this Python."""
    try:
        installed, config = install_addin(path)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Installed {installed}; restart Excel to see the CRM tab")
    click.echo(f"Wrote {config}: the add-in runs {sys.executable}")


@addin.command("server")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the files to copy by hand into DIR (default: xlwings_server_crm).")
@click.option("--into", "project", type=click.Path(path_type=Path), default=None,
              help="Wire crm_xl into this xlwings Server project (made with `xlwings-server init`).")
def addin_server(output, project):
    """The functions, scripts, Office.js manifest and ribbon code for xlwings Server and Lite."""
    if output is not None and project is not None:
        raise click.UsageError("give -o DIR or --into PROJECT, not both")
    if project is not None:
        for path, what in wire_into_project(project):
            click.echo(f"{path}: {what}")
        click.echo(f"Start it from {project}: XLWINGS_LICENSE_KEY=noncommercial python -m uvicorn "
                   "xlwings_server.main:main_app --port 8000 (noncommercial use; a commercial key otherwise), "
                   "then load http://127.0.0.1:8000/manifest into Excel. Functions: =CRM.CREDIT_SCORE(...).")
        return
    output = output or Path("xlwings_server_crm")
    for path in write_server_package(output):
        click.echo(f"Wrote {path}")
    click.echo("Copy custom_functions/crm.py, custom_scripts/crm.py, templates/manifest.xml and static/js/ribbon.js "
               "into an xlwings Server project and import crm in both __init__.py files (or use --into PROJECT); "
               "lite/ holds main.py and requirements.txt for xlwings Lite.")
