"""`crm-xl template`: the customer sheet an account manager downloads, fills in and uploads.

Headers in the user's language, dropdowns for coded fields, input hints, formats, a frozen
header and an instructions sheet. Key and system-generated columns are locked (sheet protection,
editable cells unlocked). A very hidden `_crm_meta` sheet carries the template id, schema and
model versions, the manager and a fingerprint of each pre-filled row's locked fields, so an
upload can be matched to its template and a changed locked field is found.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
import zipfile
from copy import copy
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from crm_xl.fields import Column, columns, label
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring.classes import coded_fields, option_label, shown_as
from crm_xl.texts import lines, page_footer, pattern_hint, text
from crm_xl.values import text_of
from crm_xl.xlsx.printing import print_setup_openpyxl
from crm_xl.xlsx.reader import open_workbook, text_rows

META_SHEET = "_crm_meta"
TEMPLATE_PROPERTY = "crm_xl_template_id"  # custom document property
DATA_SHEET = "Customers"
SCHEMA_VERSION = "1"
KEY = "customer_code"
EXTRA_ROWS = 200  # empty, unlocked rows for new customers
LANGUAGES = ("ko", "zh", "en")
SKIP = {"date", "quantity", "amount"}  # transaction columns, not customer fields
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")


def locked(spec: Column) -> bool:
    return spec.name == KEY or spec.kind == "system"


def template_columns() -> list[Column]:
    return [c for c in columns().values() if c.name not in SKIP]


def fingerprint(values: list, key: bytes | None = None) -> str:
    """Of a row's locked fields, as text: the same cells give the same print whoever saved them."""
    return row_fingerprints([[text_of(v) or ""] for v in values], key)[0]


def row_fingerprints(texts: list[list[str]], key: bytes | None = None) -> list[str]:
    """The fingerprint of every row, from its locked columns as stored texts ("" for empty cells).

    With `key` (the master data's secret, store.db.fingerprint_key) an HMAC: whoever edits a locked
    cell cannot compute the print that would hide it. Without, a plain hash (templates made from a
    file: it catches mistakes, not forgers)."""
    rows = ("\x1f".join(row).encode("utf-8") for row in zip(*texts))
    if key is None:
        return [hashlib.sha256(row).hexdigest()[:32] for row in rows]
    return [hmac.new(key, row, hashlib.sha256).hexdigest()[:32] for row in rows]


def build_template(model: ScoringModel, customers: pd.DataFrame | None = None, manager: str | None = None,
                   lang: str = "ko", key: bytes | None = None) -> Workbook:
    specs = template_columns()
    rows = customers if customers is not None else pd.DataFrame(columns=[s.name for s in specs])
    if manager and customers is not None:
        rows = _managers_rows(rows, manager)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    for j, spec in enumerate(specs, start=1):
        cell = ws.cell(1, j, label(spec.name, lang))
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        wide = 14 if spec.type in ("number", "date") else 10  # amounts like 118,900,000 must not show ###
        ws.column_dimensions[get_column_letter(j)].width = max(wide, min(24, len(cell.value) * 2 + 2))
        if pattern_hint(spec.name, lang):
            cell.comment = Comment(pattern_hint(spec.name, lang), "crm_xl")
    rows = rows.copy()
    for name, options in coded_fields(model.classification).items():  # codes shown as the reader names them
        if name in rows.columns:
            rows[name] = shown_as(rows[name].astype(object).where(rows[name].notna(), None).tolist(), options, lang)
    prints = []
    for i, record in enumerate(rows.to_dict("records"), start=2):
        for j, spec in enumerate(specs, start=1):
            value = record.get(spec.name)
            cell = ws.cell(i, j, None if value is None or (isinstance(value, float) and value != value) else value)
            if isinstance(value, str):
                cell.data_type = "s"  # stored text (even `=HYPERLINK(...)`) goes back out as text, never a formula
        prints.append((record.get(KEY), fingerprint([record.get(s.name) for s in specs if locked(s)], key)))
    last = len(rows) + 1 + EXTRA_ROWS
    _protect(ws, specs, len(rows), last)
    _validations(ws, specs, model, lang, last)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(specs))}{last}"
    print_setup_openpyxl(ws, width=sum(ws.column_dimensions[get_column_letter(j)].width or 10
                                        for j in range(1, len(specs) + 1)), footer=page_footer(lang))
    _instructions(wb, lang)
    _metadata(wb, model, manager, lang, prints, keyed=key is not None)
    return wb


def _managers_rows(rows: pd.DataFrame, manager: str) -> pd.DataFrame:
    """The customers of one account manager; a name that has none is a mistake, not an empty template."""
    names = rows["account_manager"].dropna().astype(str).str.strip() if "account_manager" in rows.columns \
        else pd.Series(dtype=object)
    mine = rows.loc[names.index[names == manager.strip()]]
    if len(mine):
        return mine
    existing = sorted(set(names) - {""})
    raise InputError([finding("bad-option", option="--manager", value=manager,
                              problem="is not the account manager of any customer",
                              hint=f"Use one of: {', '.join(existing)}." if existing
                              else "The customers have no account_manager column to pick from.")])


def _protect(ws, specs, filled: int, last: int) -> None:
    styles = {}  # (locked, number format) -> the style of the first cell that had it
    for j, spec in enumerate(specs, start=1):
        number_format = {"date": "yyyy-mm-dd", "number": "#,##0.##", "text": "@"}.get(spec.type)  # @: codes keep leading zeros
        for r in range(2, last + 1):
            new_row = r > filled + 1
            is_locked = locked(spec) and not (spec.name == KEY and new_row)  # new customers need a code
            cell = ws.cell(r, j)
            style = styles.get((is_locked, number_format))
            if style is not None:  # copying a style array is ~100x cheaper than assigning styles
                cell._style = copy(style)
                continue
            cell.protection = Protection(locked=is_locked)
            if is_locked:
                cell.fill = LOCKED_FILL
            if number_format:
                cell.number_format = number_format
            styles[(is_locked, number_format)] = copy(cell._style)
    ws.protection.sheet = True
    ws.protection.formatCells = False  # people may still widen columns and format cells
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False
    ws.protection.sort = False


@dataclass(frozen=True)
class InputRule:
    """What a column accepts, as the template's dropdowns and input hints show it (and the
    annotated copy of an upload shows it again): a list of choices or a range, and its hint."""

    column: str
    kind: str  # list, decimal or date
    hint: str
    title: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


def input_rules(model: ScoringModel, lang: str) -> list[InputRule]:
    """The rule of every template column that has one, hints in the template's language."""
    lists = coded_fields(model.classification)
    rules = []
    for spec in template_columns():
        title = label(spec.name, lang)
        if spec.name in lists:
            choices = tuple(option_label(o, lang) for o in lists[spec.name])
            rules.append(InputRule(spec.name, "list", text("hint.list", lang), title, choices))
        elif spec.name.startswith("score_"):
            rules.append(InputRule(spec.name, "decimal", text("hint.score", lang), title, low=1, high=10))
        elif spec.name.startswith("value_"):
            rules.append(InputRule(spec.name, "decimal", text("hint.index", lang), title, low=0, high=100))
        elif spec.type == "date":
            rules.append(InputRule(spec.name, "date", text("hint.date", lang), title, low=1))
    return rules


def _validations(ws, specs, model: ScoringModel, lang: str, last: int) -> None:
    position = {spec.name: j for j, spec in enumerate(specs, start=1)}
    for rule in input_rules(model, lang):
        if rule.kind == "list":
            dv = DataValidation(type="list", formula1='"' + ",".join(rule.choices) + '"', allow_blank=True)
        elif rule.kind == "decimal":
            dv = DataValidation(type="decimal", operator="between", formula1=f"{rule.low:g}",
                                formula2=f"{rule.high:g}", allow_blank=True)
        else:
            dv = DataValidation(type="date", operator="greaterThan", formula1=f"{rule.low:g}", allow_blank=True)
        dv.error, dv.errorTitle, dv.showErrorMessage = rule.hint, rule.title, True
        dv.prompt, dv.promptTitle, dv.showInputMessage = rule.hint, rule.title, True
        ws.add_data_validation(dv)
        col = get_column_letter(position[rule.column])
        dv.add(f"{col}2:{col}{last}")


def instructions_sheet(lang: str) -> str:
    return text("instructions.sheet", lang)


def _instructions(wb: Workbook, lang: str) -> None:
    ws = wb.create_sheet(instructions_sheet(lang))
    for i, line in enumerate(lines("instructions", lang), start=1):
        ws.cell(i, 1, line).font = Font(bold=i == 1, size=14 if i == 1 else 11)
        ws.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 100
    print_setup_openpyxl(ws, width=100, header_rows=0, footer=page_footer(lang))


def _metadata(wb: Workbook, model: ScoringModel, manager: str | None, lang: str, prints: list,
              keyed: bool = False) -> None:
    ws = wb.create_sheet(META_SHEET)
    ws.sheet_state = "veryHidden"  # not listed by Excel's Unhide: only code reads it
    facts = [("template_id", str(uuid.uuid4())), ("schema_version", SCHEMA_VERSION), ("model", model.title),
             ("manager", manager or ""), ("language", lang),
             ("created_at", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
             ("locked_columns", ",".join(s.name for s in template_columns() if locked(s))),
             ("fingerprints", "hmac-store" if keyed else "sha256")]
    for i, (key, value) in enumerate(facts, start=1):
        ws.cell(i, 1, key)
        ws.cell(i, 2, value)
    # A second mark outside the hidden sheet: a template whose metadata sheet was deleted is still known
    wb.custom_doc_props.append(StringProperty(name=TEMPLATE_PROPERTY, value=facts[0][1]))
    ws.cell(len(facts) + 2, 1, "customer_code")
    ws.cell(len(facts) + 2, 2, "fingerprint")
    for i, (code, mark) in enumerate(prints, start=len(facts) + 3):
        ws.cell(i, 1, code).data_type = "s"
        ws.cell(i, 2, mark)


def write_template(path: Path, model: ScoringModel, customers: pd.DataFrame | None = None,
                   manager: str | None = None, lang: str = "ko", key: bytes | None = None) -> Path:
    if path.suffix.lower() != ".xlsx":  # a template is a workbook; xlsx bytes under .csv would not open
        raise InputError([finding("unsupported-output", file=path, suffix=path.suffix, allowed=".xlsx")])
    wb = build_template(model, customers, manager, lang, key)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def read_metadata(path: Path) -> dict | None:
    """The template's metadata and row fingerprints, or None for a file not made from a template."""
    reader = open_workbook(path)
    if META_SHEET not in reader.sheet_names:
        marks = template_marks(path, reader.sheet_names)
        if marks:  # made by crm-xl template, then its metadata removed: its locked fields cannot be checked
            raise InputError([finding("template-metadata-missing", file=path, marks=", ".join(marks))])
        return None
    try:
        rows = text_rows(reader, path, META_SHEET)
    except InputError as exc:
        detail = f"its template metadata ({META_SHEET}) cannot be read ({exc.findings[0].fields.get('detail')})"
        raise InputError([finding("file-unreadable", file=path, detail=detail)]) from None
    if not rows or len(rows[0]) < 2:
        return {"fingerprints": {}}
    keys, values = [r[0] for r in rows], [r[1] for r in rows]
    start = keys.index("customer_code") if "customer_code" in keys else len(keys)
    meta = {str(k): (v if v is not None else "") for k, v in zip(keys[:start], values[:start]) if k}
    meta["fingerprints"] = {k.strip(): str(v) for k, v in zip(keys[start + 1:], values[start + 1:]) if k and k.strip()}
    return meta


def template_marks(path: Path, sheets: list[str]) -> list[str]:
    """What shows a workbook was made by `crm-xl template`, besides its metadata sheet."""
    marks = []
    with zipfile.ZipFile(path) as z:
        if "docProps/custom.xml" in z.namelist() and TEMPLATE_PROPERTY.encode() in z.read("docProps/custom.xml"):
            marks.append(f"document property {TEMPLATE_PROPERTY}")
    instructions = {("Instructions" if lang == "en" else ("작성 방법" if lang == "ko" else "填写说明")) for lang in LANGUAGES}
    if DATA_SHEET in sheets and instructions & set(sheets):
        marks.append(f"sheets {DATA_SHEET} and {sorted(instructions & set(sheets))[0]}")
    return marks
