"""Check uploaded customer sheets: every problem as a finding at its file, sheet and cell.

One pass per file: file-level checks (readable, not macro-enabled, not a zip or size bomb), then
the schema's cell checks (required, types, patterns, duplicate customers, formulas where values
belong, text that would run as a formula) and the scoring model's checks (ranges, codes), the
same ones `crm-xl score` and the Validate sheet button apply. Duplicates are also found across
the files of one batch. A file that cannot be read is a finding, never an exception.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.fields import columns, in_percent_points
from crm_xl.findings import CrmError, Finding, finding
from crm_xl.isolation import DEFAULT_MEMORY_MB, DEFAULT_SECONDS, Failed, failure_findings, run_isolated
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.inputs import dates, numbers, texts
from crm_xl.scoring.problems import Problems
from crm_xl.sheets.reading import Table, column_type, read_table
from crm_xl.sheets.template import SCHEMA_VERSION, read_metadata, row_fingerprints
from crm_xl.texts import LANGUAGES, language_of
from crm_xl.values import FORMULA_START, SIGN_START, runs_as_formula, stored_texts
from crm_xl.xlsx.safety import check_xlsx

KEY = "customer_code"


@dataclass
class FileReport:
    file: Path
    sheet: str | None = None
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    table: Table | None = field(default=None, repr=False)  # what was read, for the annotated copy
    meta: dict | None = field(default=None, repr=False)  # the template metadata, when made from a template

    @property
    def language(self) -> str:
        """The language the upload is written in: its template's, else its headers'."""
        if self.meta and self.meta.get("language") in LANGUAGES:
            return self.meta["language"]
        return language_of(self.table.headers.values()) if self.table is not None else "en"

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


@dataclass(frozen=True)
class Known:
    """What the master data knows, for uploads checked against it."""

    templates: frozenset | None  # None: this master data never issued a template, so none is checked
    customers: frozenset
    key: bytes | None = None  # the secret its templates' row fingerprints are keyed with (HMAC)


def validate_files(paths: list[Path], model: ScoringModel, workers: int = 1, isolate: bool = False,
                   memory_mb: int = DEFAULT_MEMORY_MB, seconds: float = DEFAULT_SECONDS,
                   on_done=None, keep_tables: bool = True, known: Known | None = None,
                   sheet: str | None = None) -> list[FileReport]:
    """Validate every file; with `isolate`, each in a child process with memory and time limits.

    Without `keep_tables` a report keeps only the key column of what it read (enough for the
    duplicates across files), which spares sending whole tables back from the children.
    """
    paths = [Path(p) for p in paths]
    if isolate:
        jobs = [(_validate_in_child, (p, model, keep_tables, known, sheet)) for p in paths]
        outcomes = run_isolated(jobs, workers, memory_mb, seconds, on_done)
    else:
        outcomes = []
        for p in paths:
            outcomes.append(validate_file(p, model, known, sheet))
            if on_done:
                on_done(1)
    reports = []
    for path, outcome in zip(paths, outcomes):
        if isinstance(outcome, Failed):
            reports.append(FileReport(path, findings=failure_findings(path, outcome, "checked")))
        else:
            reports.append(outcome[0])
    tables = [(r, r.table) for r in reports if r.table is not None]
    if len(tables) > 1:
        _duplicates_across(tables)
    return reports


def _validate_in_child(path: Path, model: ScoringModel, keep_table: bool, known: Known | None,
                       sheet: str | None = None):
    report, table = validate_file(path, model, known, sheet)
    if table is not None and not keep_table:
        table.frame = table.frame[[KEY]] if KEY in table.frame.columns else table.frame.iloc[:, :0]
    return report, table


def validate_file(path: Path, model: ScoringModel, known: Known | None = None,
                  sheet: str | None = None) -> tuple[FileReport, Table | None]:
    """Every finding of one upload; `sheet` names the customer sheet (default: found by its headers)."""
    report = FileReport(path)
    if path.suffix.lower() in (".xlsm", ".xltm"):
        report.findings.append(finding("macro-enabled", file=path))
        return report, None
    with ThreadPoolExecutor(1) as pool:
        meta = pool.submit(_metadata, path)  # a small sheet of its own, read alongside the customer sheet
        try:
            table = read_table(path, sheet)
        except CrmError as exc:
            report.findings.extend(exc.findings)
            return report, None
    report.sheet, report.rows, report.table = table.sheet, len(table.frame), table
    meta_found = meta.result()
    report.meta = meta_found if isinstance(meta_found, dict) else None
    template_findings = _template_checks(table, meta_found, known)
    report.findings.extend(table.notices)
    report.findings.extend(f for f in template_findings if f.cell is None)
    cell_findings = validate_table(table, model, _formula_cells(table) + table.error_findings()) + [f for f in template_findings
                                                                           if f.cell is not None]
    report.findings.extend(sorted(cell_findings, key=lambda f: (f.row, f.cell)))
    return report, table


def validate_table(table: Table, model: ScoringModel, formulas: list[Finding] = ()) -> list[Finding]:
    """The cell checks of a table however it was read (a file, or a sheet open in Excel).

    `formulas`: findings about what a cell is rather than what it holds (a formula, an Excel error
    value); other checks of those cells are left out, their value not being what was typed."""
    cells: dict[tuple[int, str, str], Finding] = {}
    covered = {(f.row, f.column) for f in formulas}  # its value is not what was typed
    marks = {f.code for f in formulas}
    for f in list(formulas) + _schema_checks(table) + _model_checks(table, model):
        if (f.row, f.column) in covered and f.code not in marks:
            continue
        cells.setdefault((f.row, f.column, f.code), f)
    return list(cells.values())


def _metadata(path: Path) -> dict | CrmError | None:
    """The template metadata of an xlsx upload (None for other files: csv, or not from a template),
    or why a template's metadata sheet cannot be read."""
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        return None
    try:
        check_xlsx(path)  # before any reader touches it
    except CrmError:
        return None  # the customer sheet's read reports what is wrong with the file
    try:
        return read_metadata(path)
    except CrmError as exc:
        return exc


def _template_checks(table: Table, meta: dict | CrmError | None, known: Known | None = None) -> list[Finding]:
    """For a file made by `crm-xl template`: its schema version, locked fields left as they were and,
    checked against the master data, a template it issued with customers it has."""
    if meta is None:
        return []
    if isinstance(meta, CrmError):
        return meta.findings
    if str(meta.get("schema_version")) != SCHEMA_VERSION:
        return [finding("wrong-schema-version", file=table.file, found=meta.get("schema_version"),
                        expected=SCHEMA_VERSION)]
    out = []
    issued_here = known is not None and known.templates is not None and str(meta.get("template_id")) in known.templates
    if known is not None and known.templates is not None and not issued_here:
        out.append(finding("unknown-template", file=table.file, template=meta.get("template_id")))
    if KEY in table.frame.columns:
        locked = [c for c in str(meta.get("locked_columns", "")).split(",") if c]
        # a template the store issued is checked with the store's key, whatever its metadata claims
        key = known.key if issued_here else None
        verifiable = key is not None or meta.get("fingerprint_scheme") != "hmac-store"  # keyed: only the store can
        out += _prefilled_checks(table, locked, meta["fingerprints"], known.customers if issued_here else None,
                                 key, verifiable)
    return out


def _prefilled_checks(table: Table, locked: list[str], prints: dict[str, str], customers, key: bytes | None = None,
                      verifiable: bool = True) -> list[Finding]:
    """Rows the template came pre-filled with: customer codes where they were issued, locked fields as
    issued (when the prints can be checked here), customers the master data (when given) still has."""
    codes = stored_texts(table.frame[KEY], "text")
    out = _changed_codes(table, codes, list(prints))
    prefilled = np.flatnonzero([c is not None and c in prints for c in codes])
    rows = table.frame[[c for c in locked if c in table.frame.columns]].iloc[prefilled]
    cells = [stored_texts(rows[c], column_type(c), empty="", percent_points=in_percent_points(c)) if c in rows.columns
             else [""] * len(rows)
             for c in locked]
    for i, mark in zip(prefilled.tolist(), row_fingerprints(cells or [[""] * len(rows)], key)):
        code, problems = codes[i], []
        if customers is not None and code not in customers:  # pre-filled from this master data, now gone
            problems.append("unknown-customer")
        if verifiable and mark != prints[code]:
            problems.append("locked-field-changed")
        out += [table.finding(p, i, KEY, value=code) for p in problems]
    return out


def _changed_codes(table: Table, codes: list, issued: list[str]) -> list[Finding]:
    """A code typed over a pre-filled one (the key is locked, and the sheet cannot be sorted while it is):
    the rows under the header hold the issued customers in order, so another code there is a change,
    not a new customer."""
    out = []
    for position, code in enumerate(codes):
        slot = table.sheet_row(position) - table.header_row - 1
        if 0 <= slot < len(issued) and code is not None and code != issued[slot] and code not in issued:
            out.append(table.finding("prefilled-code-changed", position, KEY, value=code, expected=issued[slot]))
    return out


def _schema_checks(table: Table) -> list[Finding]:
    out = []
    frame = table.frame
    for name, spec in columns().items():
        if name not in frame.columns:
            continue
        problems = Problems(len(frame))
        {"number": numbers, "date": dates}.get(spec.type, texts)(frame, name, problems)
        out += table.findings(problems.batches)
        column = frame[name]
        empty = column.isna().to_numpy()
        if spec.required:
            out += [table.finding("required-missing", int(i), name) for i in np.flatnonzero(empty)]
        if spec.type != "text":
            continue
        text = column[~empty].astype(str)  # the cells that hold something, as typed
        if spec.pattern:
            bad = text[~text.str.match(spec.pattern)]
            out += [table.finding("bad-pattern", i, name, value=v, hint=spec.pattern_hint) for i, v in _rows(bad, frame)]
        suspect = text[text.str.startswith(FORMULA_START + SIGN_START + ("\t", "\r", "\n"))]
        out += [table.finding("formula-text", i, name, value=v, first=v[0]) for i, v in _rows(suspect, frame)
                if runs_as_formula(v)]
    if KEY in frame.columns:
        codes = frame[KEY]
        repeated = np.flatnonzero((codes.notna() & codes.duplicated()).to_numpy())
        if len(repeated):
            first = {code: i for i, code in reversed(list(enumerate(codes.to_numpy(dtype=object))))}
            out += [table.finding("duplicate-key", int(i), KEY, value=codes.iat[i], first=table.cell(first[codes.iat[i]], KEY))
                    for i in repeated]
    return out


def _rows(selected: pd.Series, frame: pd.DataFrame):
    """(position, value) of a subset of a column, positions counted like Problems rows."""
    positions = frame.index.get_indexer(selected.index)
    return zip(positions.tolist(), selected.to_numpy(dtype=object))


def _model_checks(table: Table, model: ScoringModel) -> list[Finding]:
    """The scoring model's checks on the cells people type (system figures come from orders).

    An empty optional input is not an upload problem (only required fields must be filled): the
    score it feeds stays empty and `crm-xl score` says why.
    """
    scored = score_customers(table.frame, model, issue_texts=False)
    typed = {name for name, spec in columns().items() if spec.kind != "system" and name in table.letters}
    wanted = [b for b in scored.problems.batches
              if b.column in typed and b.code not in ("no-orders", "needs-population", "missing-value")]
    return table.findings(wanted)


def _formula_cells(table: Table) -> list[Finding]:
    """Cells holding a formula (the reader found them in the sheet XML; it returns only their cached value)."""
    positions = {int(i): p for p, i in enumerate(table.frame.index)}
    return [table.finding("formula-cell", positions[offset], column)
            for offset, column in table.formulas if offset in positions]


def _duplicates_across(tables: list[tuple[FileReport, Table]]) -> None:
    seen: dict[str, tuple[Table, int]] = {}  # code -> where it first appeared
    for report, table in tables:
        if KEY not in table.frame.columns:
            continue
        codes = table.frame[KEY]
        distinct = np.flatnonzero((codes.notna() & ~codes.duplicated()).to_numpy())
        for i, code in zip(distinct.tolist(), codes.to_numpy(dtype=object)[distinct]):
            if code in seen:
                other, j = seen[code]
                report.findings.append(table.finding("duplicate-across-files", i, KEY, value=code,
                                                     first=f"{other.file.name} [{other.sheet}] {other.cell(j, KEY)}"))
            else:
                seen[code] = (table, i)
