"""Customer-data quality commands: import legacy files, find duplicate customers, apply a review."""
from __future__ import annotations

from pathlib import Path

import click

from crm_xl.archive import current_user
from crm_xl.cli.common import DB_OPTION, EXIT_FINDINGS, DefaultGroup, emit_json
from crm_xl.files import refuse_overwriting
from crm_xl.findings import InputError, finding

CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(path_type=Path),
                             help="Quality settings (default: the shipped crm_xl/quality/quality.toml).")


@click.command("import")
@click.argument("legacy", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The upload to write (.xlsx).")
@click.option("--mapping", "mapping_path", type=click.Path(path_type=Path),
              help="A mapping file (from --save-mapping or an earlier ask) whose decisions come first.")
@click.option("--save-mapping", type=click.Path(path_type=Path),
              help="Write the mapping used (or the one to edit, when unsure) here, to reuse for this source.")
@click.option("--sheet", help="Sheet to read (default: the first).")
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True)
def import_(legacy, output, mapping_path, save_mapping, sheet, config_path, as_json):
    """Turn a legacy customer file into a standard upload: headers mapped (asks when unsure), values
    in one form. Then validate and merge it like any other upload."""
    from crm_xl.quality.config import load_config
    from crm_xl.quality.legacy import import_legacy, plan_import
    from crm_xl.quality.mapping import write_mapping

    if output.suffix.lower() != ".xlsx":
        raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx")])
    plan = plan_import(legacy, mapping_path, sheet, load_config(config_path))
    if not as_json:
        click.echo(f"{legacy} [{plan.sheet}] headers in row {plan.header_row}:")
        for m in plan.matches:
            header = _padded(repr(m.header), 24)
            if m.ask:
                guess = f", best guess {m.suggestion}" if m.suggestion else ""
                click.secho(f"  {m.column:>3} {header} -> ?  unsure ({m.confidence:.2f}{guess})", fg="yellow")
            else:
                how = f"{m.how} {m.confidence:.2f}" if m.how == "fuzzy" else m.how
                click.echo(f"  {m.column:>3} {header} -> {m.field or '(left out)'}  ({how})")
    if plan.unsure:
        ask = save_mapping or output.with_name(f"{output.stem}.mapping.toml")
        write_mapping(plan, ask)
        click.echo(f"Wrote {ask}: edit the lines marked ?, then run again with --mapping {ask}", err=True)
        import_legacy(plan, output, str(ask))  # raises mapping-unsure: nothing is written
    result = import_legacy(plan, output, str(mapping_path or save_mapping or "a mapping file (--save-mapping)"))
    if save_mapping:
        write_mapping(plan, save_mapping)
    if as_json:
        emit_json({"file": str(legacy), "output": str(result.output), "rows": result.rows,
                   "columns": [m.__dict__ for m in plan.matches], "normalised": result.changed})
        return
    changed = ", ".join(f"{k} {v:,}" for k, v in result.changed.items()) or "none"
    click.echo(f"Wrote {result.output}: {result.rows:,} customers (values put into one form: {changed})")
    if save_mapping:
        click.echo(f"Wrote {save_mapping} (reuse it with --mapping for the next file from this source)")
    click.echo(f"Next: crm-xl validate {result.output}, then crm-xl merge {result.output} --as ROLE")


def _padded(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (Hangul and Hanzi take two each)."""
    import unicodedata

    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 0)


@click.group(cls=DefaultGroup)
def duplicates():
    """Find duplicate customers (in files or the master data) and apply a steward's review.

    `crm-xl duplicates FILES...` is short for `crm-xl duplicates find FILES...`.
    """


duplicates.default = "find"


@duplicates.command("find")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the review workbook (.xlsx) here.")
@click.option("--threshold", type=click.FloatRange(0, 1), help="Lowest match probability reported (default from quality.toml).")
@CONFIG_OPTION
@click.option("--show", type=int, default=10, show_default=True, help="Clusters to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the clusters as JSON.")
def find(files, db_url, output, threshold, config_path, show, as_json):
    """Clusters of records that are likely one customer; exit 1 when there are any."""
    from crm_xl.quality.config import load_config
    from crm_xl.quality.duplicates import find_duplicates, read_customers
    from crm_xl.quality.review import write_review

    if files and db_url:
        raise click.UsageError("check FILES or the master data (--db), not both")
    if output is not None:
        refuse_overwriting(output, *files, config_path)
    if files:
        frame = read_customers(list(files))
    else:
        from crm_xl.store.db import existing
        from crm_xl.store.export import master_frame

        frame = master_frame(existing(db_url))
    result = find_duplicates(frame, threshold, load_config(config_path))
    if output:
        if output.suffix.lower() != ".xlsx":
            raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx")])
        write_review(result, output)
    if as_json:
        emit_json(result.as_dict())
    else:
        auto = sum(c.band == "auto-merge" for c in result.clusters)
        click.echo(f"{len(result.records):,} records, {result.candidates:,} pairs compared: {len(result.clusters):,} "
                   f"clusters of likely duplicates ({auto:,} auto-merge at >= {result.auto_merge:.2f}, "
                   f"{len(result.clusters) - auto:,} to review at >= {result.threshold:.2f})")
        for c in result.clusters[:show]:
            click.echo(f"  cluster {c.cluster} ({c.band}, {c.score:.3f}): {', '.join(c.customers)}")
            for reason in c.reasons:
                click.echo(f"    {reason}")
        if len(result.clusters) > show:
            click.echo(f"  ... and {len(result.clusters) - show:,} more (--json or -o REVIEW.xlsx lists them all)")
        if output:
            click.echo(f"Wrote {output}")
    if result.clusters:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@duplicates.command("apply")
@click.argument("review", type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True)
def apply(review, db_url, dry_run, as_json):
    """Merge the clusters a review workbook marks merge, in one transaction; old codes become aliases."""
    from crm_xl.quality.apply import apply_review
    from crm_xl.store.db import existing

    result = apply_review(review, existing(db_url), current_user(), dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
    else:
        verb = "Would merge" if dry_run else "Merged"
        click.echo(f"{verb} {result.merged_clusters:,} clusters: {result.absorbed:,} customers absorbed into a "
                   f"survivor (their codes kept as aliases), {result.updated_fields:,} survivor fields updated; "
                   f"{result.kept_apart:,} kept apart, {result.undecided:,} still to review")
        undecided = [str(f.fields["cluster"]) for f in result.findings if f.code == "review-undecided"]
        if undecided:
            click.echo(f"  still marked review (set merge or keep apart): clusters {', '.join(undecided[:40])}"
                       + (" ..." if len(undecided) > 40 else ""))
        for f in [f for f in result.findings if f.code != "review-undecided"][:30]:
            where = f"{f.fields['cell']}: " if "cell" in f.fields else ""
            click.secho(f"  {f.severity:7} {where}{f.message} (fix: {f.fix})", fg="yellow")
    if any(f.severity in ("error", "warning") for f in result.findings):
        raise click.exceptions.Exit(EXIT_FINDINGS)
