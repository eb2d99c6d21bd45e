"""Upload commands: the template staff fill in, validating what comes back, the archive of uploads."""
from __future__ import annotations

from pathlib import Path

import click

from crm_xl import texts
from crm_xl.archive import archive_file, verify
from crm_xl.cli.common import (
    DB_OPTION,
    DefaultGroup,
    EXIT_FINDINGS,
    MODEL_OPTION,
    QUIET_OPTION,
    emit_json,
    progress_bar,
)
from crm_xl.files import refuse_overwriting
from crm_xl.findings import CATALOGUE
from crm_xl.model import load_model
from crm_xl.sheets.annotate import write_annotated
from crm_xl.sheets.reading import read_untrusted_table
from crm_xl.sheets.template import read_metadata, write_template
from crm_xl.sheets.validation import validate_files
from crm_xl.store.db import connect, existing, fingerprint_key
from crm_xl.store.export import known, master_frame, record_template
from crm_xl.texts import LANGUAGES


@click.command()
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
@click.option("--sheet", help="The customer sheet (default: the first sheet with a customer-code header).")
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Language of the findings printed and of the annotated copies (default: English here, "
                   "each workbook's own language in its annotated copy).")
@QUIET_OPTION
@DB_OPTION
def validate(files, model_path, as_json, show, annotate_dir, workers, memory_mb, timeout, sheet, lang, quiet,
             db_url):
    """Check customer sheets: every problem with its file, sheet, cell, rule and fix. Exit 1 on findings.

    Each file is parsed in its own process with memory and time limits, so no file can take the
    command down with it.
    """
    advance = progress_bar(quiet or as_json)("checking files", len(files))
    model = load_model(model_path)
    reports = validate_files(list(files), model, workers=workers, isolate=True,
                             memory_mb=memory_mb, seconds=timeout, on_done=advance,
                             keep_tables=bool(annotate_dir), known=_known(db_url), sheet=sheet)
    if annotate_dir:
        for r in reports:
            if r.table is not None:
                out = write_annotated(r, annotate_dir / f"{r.file.stem}.checked.xlsx", lang, model)
                if not as_json:
                    click.echo(f"Wrote {out}")
    if as_json:
        emit_json([{"file": str(r.file), "sheet": r.sheet, "rows": r.rows, "errors": r.errors,
                    "warnings": r.warnings, "findings": [_in_language(f, lang) for f in r.findings]}
                   for r in reports])
    else:
        for r in reports:
            colour = "green" if not r.findings else ("red" if r.errors else "yellow")
            click.secho(f"{r.file}: {r.rows:,} rows, {r.errors:,} errors, {r.warnings:,} warnings", fg=colour)
            for f in r.findings[:show]:
                placed = "cell" in f.fields and "{cell}" not in CATALOGUE[f.code].template  # else the message says it
                where = f"[{f.fields.get('sheet')}] {f.fields['cell']}: " if placed else ""
                click.echo(f"  {f.severity:7} {where}{texts.message(f, lang or 'en')} (fix: {texts.fix(f, lang or 'en')})")
            if len(r.findings) > show:
                click.echo(f"  ... and {len(r.findings) - show:,} more (--json lists them all)")
    if any(r.findings for r in reports):
        raise click.exceptions.Exit(EXIT_FINDINGS)


ARCHIVE = Path("archive")


TO_OPTION = click.option("--to", "root", type=click.Path(path_type=Path), default=ARCHIVE, show_default=True,
                         help="Archive folder.")


@click.group(cls=DefaultGroup)
def archive():
    """Store uploads content-addressed (SHA-256 under year/month) with a manifest; verify the archive.

    `crm-xl archive FILES...` is short for `crm-xl archive add FILES...`.
    """


@archive.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@TO_OPTION
@MODEL_OPTION
def archive_add(files, root, model_path):
    """Store uploads (each checked first; its error and warning counts go into the manifest)."""
    model = load_model(model_path)
    for path in files:
        if not path.is_file():
            raise click.ClickException(f"{path}: no such file")
        (report,) = validate_files([path], model, isolate=True, keep_tables=False)
        entry = archive_file(path, root, {"errors": report.errors, "warnings": report.warnings})
        state = "stored" if entry.new else "already archived"
        click.echo(f"{path.name}: {state} as {root / entry.stored} ({report.errors} errors, {report.warnings} warnings)")


@archive.command("verify")
@TO_OPTION
def archive_verify(root):
    """Re-hash every archived file; report missing, altered or unlisted files (exit 1)."""
    result = verify(root)
    for kind, paths in (("missing", result.missing), ("altered", result.altered), ("not in the manifest", result.unlisted)):
        for path in paths:
            click.secho(f"  {kind}: {root / path}", fg="red")
    click.echo(f"{root}: {result.checked:,} files checked, "
               f"{'all intact' if result.ok else 'problems found'}")
    if not result.ok:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Template to write (.xlsx).")
@click.option("--manager", help="Pre-fill only this account manager's customers.")
@click.option("--from", "source", type=click.Path(path_type=Path), help="Customer table to pre-fill from.")
@click.option("--lang", type=click.Choice(["ko", "zh", "en"]), default="ko", show_default=True, help="Header language.")
@click.option("--from-store", is_flag=True, help="Pre-fill from the master data (and record the template there).")
@DB_OPTION
@MODEL_OPTION
def template(output, manager, source, lang, from_store, db_url, model_path):
    """Write the customer sheet staff download, fill in and upload (locked keys, dropdowns, hints)."""
    if source and from_store:
        raise click.UsageError("pre-fill from --from FILE or --from-store, not both")
    engine = key = None
    refuse_overwriting(output, source)
    customers = read_untrusted_table(source).frame if source else None
    if from_store or db_url:
        engine = existing(db_url) if from_store else connect(db_url)
        key = fingerprint_key(engine)  # row prints only this master data can make (and check)
        if from_store:
            customers = master_frame(engine)
    path = write_template(output, load_model(model_path), customers, manager, lang, key)
    if engine is not None:
        record_template(engine, read_metadata(path))
    click.echo(f"Wrote {path}")



def _in_language(f, lang: str | None) -> dict:
    found = f.as_dict()
    if lang:
        found.update(message=texts.message(f, lang), fix=texts.fix(f, lang))
    return found


def _known(db_url: str | None):
    if not db_url:
        return None
    return known(existing(db_url))
