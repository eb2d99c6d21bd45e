"""Batch jobs over files: read -> score -> write, as `crm-xl score` runs them."""
from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import openpyxl
import pandas as pd

from crm_xl.fields import columns, in_percent_points
from crm_xl.files import atomic_path, refuse_overwriting
from crm_xl.findings import Finding, InputError, finding
from crm_xl.isolation import read_untrusted
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.inputs import texts
from crm_xl.sheets.adapters import OpenpyxlSheet
from crm_xl.sheets.reading import Table, column_type, read_untrusted_with_orders
from crm_xl.sheets.regrade import regrade, validate
from crm_xl.sheets.scored_workbook import SUMMARY_COLUMNS, write_scored_workbook
from crm_xl.values import as_meant
from crm_xl.xlsx.safety import check_xlsx
from crm_xl.xlsx.writing import write_csv

Progress = Callable[[str, int], Callable[[int], None]]  # (stage, total) -> advance(n)


@dataclass
class ScoreResult:
    source: str
    output: Path
    rows: int
    model: str
    as_of: str
    counts: dict[str, dict[str, int]]
    issues: list[Finding]  # every problem, at the input file's cell
    notices: list[Finding]  # column-level findings (e.g. an input column that is absent)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_with_issues(self) -> int:
        """Customer rows with a warning or error (transaction-file issues and info notes not counted)."""
        return len({f.row for f in self.issues if f.severity != "info" and f.file == self.source})

    def as_dict(self, max_issues: int | None = None) -> dict:
        return {"output": str(self.output), "rows": self.rows, "model": self.model, "as_of": self.as_of,
                "counts": self.counts, "rows_with_issues": self.rows_with_issues,
                "issue_count": len(self.issues), "issues": [f.as_dict() for f in self.issues[:max_issues]],
                "notices": [f.as_dict() for f in self.notices], "seconds": self.seconds}


def score_file(source: Path, output: Path, model: ScoringModel, *, transactions: Path | None = None,
               as_of: pd.Timestamp | None = None, indicator_set: str | None = None,
               tier_preset: str | None = None, sheet: str | None = None,
               progress: Progress | None = None, language: str | None = None) -> ScoreResult:
    """Score every customer of `source` and write the scored workbook (or csv) to `output`;
    the credit_reasons column in `language` (ko, zh, en; default the model's)."""
    _check_choices(model, indicator_set, tier_preset)
    refuse_overwriting(output, source, transactions)
    model.credit.texts_in(language)  # an unknown language stops before any work
    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx or .csv")])
    stage = progress or _no_progress
    clock = time.perf_counter()
    files = 2 if transactions else 1
    advance = stage("reading", files)  # files: read side by side, their rows unknown before
    (table,), orders = read_untrusted_with_orders([(source, sheet, "customer_code")], transactions)
    advance(files)
    read_s = time.perf_counter() - clock

    clock = time.perf_counter()
    advance = stage("scoring", len(table.frame))
    errors = table.error_cells()  # Excel error values: reported as the errors they are, scored as empty
    scored = score_customers(_set_cells(table.frame, errors), model, indicator_set=indicator_set,
                             tier_preset=tier_preset, transactions=orders[0] if orders else None,
                             as_of=as_of, language=language)
    found = len(scored.problems)
    _add_error_values(scored, table.frame, errors)
    for name in table.frame.columns:  # text the scored workbook could not hold as it is (too long, control characters)
        if column_type(name) == "text":
            texts(table.frame, name, scored.problems)
    if len(scored.problems) > found:
        scored.computed["scoring_issues"] = scored.problems.per_row()
    scored.problems.add("missing-value", "customer_code", table.frame["customer_code"].isna().to_numpy())
    problems = _outside(scored.problems.frame(), errors)
    out = _set_cells(scored.table().reset_index(drop=True), errors, table.frame)  # each error cell shows its error
    advance(len(out))
    score_s = time.perf_counter() - clock

    clock = time.perf_counter()
    counts = {c: {str(k): int(v) for k, v in out[c].value_counts(sort=False).items() if v}
              for c in SUMMARY_COLUMNS}
    facts = {"input": str(source), "customers": len(out), "model": model.title,
             "as of": scored.as_of.date().isoformat(),
             "rows with issues": int(problems.loc[problems.severity != "info", "row"].nunique())}
    tx_issues = orders[1] if orders else []
    advance = stage("writing", len(out))
    if output.suffix.lower() == ".csv":
        write_csv(output, _inputs_as_meant(out))  # -500 and "1,000" as the numbers they are, as in the xlsx
        advance(len(out))
    else:
        write_scored_workbook(output, _inputs_as_meant(out), problems, model, facts, advance, tx_issues)
    write_s = time.perf_counter() - clock

    covered = {(table.sheet_row(position), column) for position, column in errors}
    issues = [f for f in table.findings(scored.problems.batches)
              if f.code == "error-value" or (f.row, f.column) not in covered]
    issues += tx_issues
    return ScoreResult(
        source=str(source), output=output, rows=len(out), model=model.title, as_of=scored.as_of.date().isoformat(),
        counts=counts, issues=issues,
        notices=table.notices + _absent_columns(table, set(scored.inputs.columns), model, indicator_set, tier_preset),
        seconds={"read": round(read_s, 3), "score": round(score_s, 3), "write": round(write_s, 3)})


def _inputs_as_meant(table: pd.DataFrame) -> pd.DataFrame:
    """Input number and date columns as the values the cells mean (values.as_meant)."""
    typed = {c: as_meant(table[c], columns()[c].type, in_percent_points(c)) for c in table.columns
             if c in columns() and columns()[c].type in ("number", "date")}
    return table.assign(**typed) if typed else table


def _set_cells(target: pd.DataFrame, cells: list[tuple[int, str]], source: pd.DataFrame | None = None) -> pd.DataFrame:
    """`target` with these (position, column) cells set to `source`'s (None: emptied)."""
    if not cells:
        return target
    target = target.copy()
    for column in dict.fromkeys(c for _, c in cells):
        positions = [p for p, c in cells if c == column]
        values = target[column].to_numpy(dtype=object, copy=True)
        values[positions] = None if source is None else source[column].to_numpy(dtype=object)[positions]
        target[column] = pd.Series(values, index=target.index, dtype=object)
    return target


def _add_error_values(scored, frame: pd.DataFrame, cells: list[tuple[int, str]]) -> None:
    """An error-value problem at each error cell, in the Issues sheet and the scoring_issues column."""
    for column in dict.fromkeys(c for _, c in cells):
        mask = np.zeros(len(frame), bool)
        mask[[p for p, c in cells if c == column]] = True
        scored.problems.add("error-value", column, mask, frame[column].to_numpy(dtype=object))


def _outside(problems: pd.DataFrame, cells: list[tuple[int, str]]) -> pd.DataFrame:
    """Problems other than error-value at error cells left out: what the cell holds is no typed value."""
    if not cells or problems.empty:
        return problems
    at_error = pd.Series(list(zip(problems["row"], problems["column"]))).isin(set(cells)).to_numpy()
    return problems[~at_error | (problems["code"] == "error-value").to_numpy()].reset_index(drop=True)


def _no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def _check_choices(model: ScoringModel, indicator_set: str | None, tier_preset: str | None) -> None:
    bad = []
    if indicator_set and indicator_set not in model.credit.sets:
        bad.append(finding("bad-option", option="--indicator-set", value=indicator_set,
                           problem="is not an indicator set of the model (credit.indicator_sets)",
                           hint=f"Use one of: {', '.join(model.credit.sets)}."))
    if tier_preset and tier_preset not in model.tiers:
        bad.append(finding("bad-option", option="--tier-preset", value=tier_preset,
                           problem="is not a tier preset of the model (tiers.presets)",
                           hint=f"Use one of: {', '.join(model.tiers)}."))
    if bad:
        raise InputError(bad)


def _absent_columns(table: Table, present: set[str], model: ScoringModel, indicator_set: str | None,
                    tier_preset: str | None) -> list[Finding]:
    """Scoring inputs the file has no column for, and which results they leave empty."""
    needs: dict[str, list[str]] = {}
    for key in model.credit.sets[indicator_set or model.credit.default_set]:
        needs.setdefault(model.credit.indicators[key].column, []).append("credit_level")
    for name in model.tiers[tier_preset or model.default_tier_preset].inputs:
        needs.setdefault(name, []).append("customer_tier")
    for name in ("business_format", "market_type"):
        needs.setdefault(name, []).append("class_code")
    if not {"business_scale", model.classification.scale_measure} & present:
        needs.setdefault(model.classification.scale_measure, []).append("class_code")
    needs.setdefault("avg_monthly_amount", []).append("credit_limit")
    for name in [*model.value.current, *model.value.potential]:
        needs.setdefault(name, []).append("value_segment")
    for name in ("last_order_date", "orders_12m", "amount_12m"):
        needs.setdefault(name, []).append("rfm_segment")
    absent: dict[str, list[str]] = {}
    for name, affects in needs.items():
        if name not in present:
            for result in dict.fromkeys(affects):
                absent.setdefault(result, []).append(name)
    return [finding("column-missing", file=table.file, sheet=table.sheet, affects=result, column=", ".join(names),
                    aliases="; ".join(f"{n}: {', '.join(columns()[n].aliases[:3])}" for n in names if n in columns()))
            for result, names in absent.items()]


def sheet_job(source: Path, output: Path | None, model: ScoringModel, action: str = "regrade",
              sheet: str | None = None, lang: str | None = None):
    """Regrade (or mark the issues of) one sheet of a workbook, headless, as the ribbon button does.

    The workbook is checked, then loaded, changed and saved in a child process (crm_xl.isolation:
    openpyxl on a hostile file can take all memory); the result replaces the target through a temp
    file, in place only when nothing would be lost.
    """
    if not source.is_file():
        raise InputError([finding("file-not-found", file=source)])
    check_xlsx(source)
    target = output or source
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError([finding("unsupported-output", file=target, suffix=target.suffix, allowed=".xlsx or .xlsm")])
    with zipfile.ZipFile(source) as z:  # openpyxl drops charts and images when it saves
        drawings = [n for n in z.namelist() if n.startswith(("xl/charts/chart", "xl/media/"))]
    if drawings and target.resolve() == source.resolve():
        raise InputError([finding("would-drop-drawings", file=source, count=len(drawings))])
    with atomic_path(target) as tmp:
        return read_untrusted(_rewrite_sheet, source, tmp, model, action, sheet, lang, scan=True)


def _rewrite_sheet(source: Path, written: Path, model: ScoringModel, action: str, sheet: str | None,
                   lang: str | None = None):
    """In the child: load, regrade or mark, save to `written`."""
    try:
        wb = openpyxl.load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm")
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as exc:  # openpyxl's own errors on damaged parts
        raise InputError([finding("file-unreadable", file=source, detail=f"cannot be opened as a workbook ({exc})")]) from None
    name = sheet or wb.active.title
    if name not in wb.sheetnames:
        raise InputError([finding("sheet-missing", file=source, sheet=name, sheets=", ".join(wb.sheetnames))])
    result = (regrade if action == "regrade" else validate)(OpenpyxlSheet(wb[name]), model, lang)
    wb.save(written)
    return result
