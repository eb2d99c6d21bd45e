"""Model commands: show, check and export the scoring model; list every finding code."""
from __future__ import annotations

from pathlib import Path

import click

from crm_xl.cli.common import MODEL_OPTION, emit_json
from crm_xl.findings import CATALOGUE, markdown_table
from crm_xl.model import load_model
from crm_xl.model.export import describe, export_model


@click.group()
def model():
    """Show, check and export the scoring model."""


@model.command("show")
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
def model_show(model_path, as_json):
    """Print the scoring model in force: weights, bands and labels."""
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
    click.echo(f"Wrote {export_model(load_model(model_path), path)}")


@click.command()
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in the README).")
def codes(markdown: bool) -> None:
    """List every finding code, its severity and how to fix it."""
    if markdown:
        click.echo(markdown_table())
        return
    for c in CATALOGUE.values():
        click.echo(f"{c.code:26} {c.severity:8} {c.title}")
