"""What every `crm-xl` subcommand shares: exit codes, shared options, JSON output, progress bars."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from crm_xl import values
from crm_xl.findings import InputError, finding

EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INTERNAL = 1, 2, 3

MODEL_OPTION = click.option("--model", "model_path", type=click.Path(path_type=Path),
                            help="Scoring model: a .toml file or a workbook with a Model sheet (default: shipped model).")
DB_OPTION = click.option("--db", "db_url", envvar="CRM_XL_DB", help="SQLAlchemy URL of the master data "
                         "(default: sqlite:///crm_xl.db; env CRM_XL_DB).")
LANG_OPTION = click.option("--lang", type=click.Choice(["ko", "zh", "en"]),
                           help="Language of the texts written and printed (default: the workbook's own).")
QUIET_OPTION = click.option("-q", "--quiet", is_flag=True, help="No progress bar.")


def dask_options(command):
    """--scheduler, --workers and --memory-limit of the commands with an --engine dask."""
    for option in reversed([
            click.option("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster."),
            click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
                         help="Local cluster workers (--engine dask without --scheduler)."),
            click.option("--memory-limit", default="2GB", show_default=True, help="Memory limit per local worker.")]):
        command = option(command)
    return command


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_date(value: str | None, option: str = "--as-of") -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        day = pd.Timestamp(value).normalize()
    except (ValueError, OverflowError):
        day = None
    if day is None or day is pd.NaT or not values.in_date_range(day):
        raise InputError([finding("bad-option", option=option, value=value,
                                  problem=f"is not a date from {values.FIRST_DAY.astype('datetime64[D]')} to "
                                          f"{values.LAST_DAY.astype('datetime64[D]')}",
                                  hint="Give the date as YYYY-MM-DD, e.g. 2026-10-31.")])
    return day


def progress_bar(quiet: bool):
    """A factory of progress bars on stderr; silent when quiet or not on a terminal."""
    def start(stage: str, total: int):
        # A terminal that reports no size (0 x 0: some ptys, terminals inside tools) made tqdm hide
        # every bar as "more hidden"; shutil falls back to 80 x 24 there.
        size = shutil.get_terminal_size()
        bar = tqdm(total=total, desc=stage, unit="", disable=True if quiet else None,
                   leave=False, mininterval=0.5, ncols=size.columns, nrows=size.lines)

        def advance(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()
        return advance
    return start


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to the `default` one
    (`crm-xl archive FILES...` is `crm-xl archive add FILES...`)."""

    default = "add"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def issue_line(f) -> str:
    """`file [sheet] cell: message (fix: …)`; a finding of the whole file (no row) is its message, which names the file."""
    if f.cell is None and f.row is None:
        return f"{f.message} (fix: {f.fix})"
    return f"{Path(f.file).name} [{f.fields.get('sheet')}] {f.cell or f'row {f.row}'}: {f.message} (fix: {f.fix})"


def print_issues(issues, consequence: str, show: int = 50) -> None:
    """Findings at the cells of the input files, errors first: `file [sheet] cell: message (fix: …)`."""
    rank = {"error": 0, "warning": 1}
    listed = sorted((f for f in issues if f.severity in rank), key=lambda f: (rank[f.severity], f.file or "", f.row or 0))
    if not listed:
        return
    cells = sum(1 for f in listed if f.row is not None)
    said = [f"{cells:,} {'cell has an issue' if cells == 1 else 'cells have issues'}"] if cells else []
    if len(listed) > cells:  # a finding of a whole file (a column it lacks) is no cell
        said.append(f"{len(listed) - cells:,} {'file has an issue' if len(listed) - cells == 1 else 'file issues'}")
    click.secho(f"  {' and '.join(said)} (rows with an error are {consequence}):", fg="yellow")
    for f in listed[:show]:
        click.echo(f"    {issue_line(f)}")
    if len(listed) > show:
        click.echo(f"    … and {len(listed) - show:,} more")
