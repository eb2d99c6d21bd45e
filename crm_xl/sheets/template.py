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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.fields import Column, columns, label
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring.classes import coded_fields, option_label, shown_as
from crm_xl.texts import lines, page_footer, pattern_hint, text
from crm_xl.values import text_of
from crm_xl.xlsx.printing import print_setup
from crm_xl.xlsx.reader import open_workbook, text_rows
from crm_xl.xlsx.sheetdata import CellStyles, style_attr
from crm_xl.xlsx.writing import new_workbook

META_SHEET = "_crm_meta"
TEMPLATE_PROPERTY = "crm_xl_template_id"  # custom document property
DATA_SHEET = "Customers"
SCHEMA_VERSION = "1"
KEY = "customer_code"
EXTRA_ROWS = 200  # empty, unlocked rows for new customers
LANGUAGES = ("ko", "zh", "en")
SKIP = {"date", "quantity", "amount"}  # transaction columns, not customer fields
LOCKED_FILL = "#EDEDED"
HEAD_FILL = "#1F4E78"


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


def _build_template(wb, model: ScoringModel, customers: pd.DataFrame | None, manager: str | None,
                    lang: str, key: bytes | None) -> None:
    """The template into an xlsxwriter workbook: its rows are built a column at a time (sheetdata.py),
    so 100,000 customers take seconds, where openpyxl's per-cell styles and save took about a minute."""
    specs = template_columns()
    rows = customers if customers is not None else pd.DataFrame(columns=[s.name for s in specs])
    if manager and customers is not None:
        rows = _managers_rows(rows, manager)
    rows = rows.reset_index(drop=True)
    for name, options in coded_fields(model.classification).items():  # codes shown as the reader names them
        if name in rows.columns:
            rows[name] = shown_as(rows[name].astype(object).where(rows[name].notna(), None).tolist(), options, lang)
    table = pd.DataFrame({s.name: rows[s.name] if s.name in rows.columns
                          else pd.Series(None, index=rows.index, dtype=object) for s in specs})
    ws = wb.add_worksheet(DATA_SHEET)
    head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": HEAD_FILL, "text_wrap": True,
                          "valign": "vcenter"})
    widths = []
    for j, spec in enumerate(specs):
        title = label(spec.name, lang)
        ws.write_string(0, j, title, head)
        wide = 14 if spec.type in ("number", "date") else 10  # amounts like 118,900,000 must not show ###
        widths.append(max(wide, min(24, len(title) * 2 + 2)))
        ws.set_column(j, j, widths[-1])
        if pattern_hint(spec.name, lang):
            ws.write_comment(0, j, pattern_hint(spec.name, lang), {"author": "crm_xl"})
    last = len(table) + 1 + EXTRA_ROWS
    _protect(wb, ws, specs, table, last)
    _validations(ws, specs, model, lang, last)
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, last - 1, len(specs) - 1)
    print_setup(ws, width=sum(widths), footer=page_footer(lang))
    _instructions(wb, lang)
    prints = row_fingerprints([[text_of(v) or "" for v in table[s.name].tolist()] for s in specs if locked(s)], key)
    _metadata(wb, model, manager, lang, list(zip(table[KEY].tolist(), prints)), keyed=key is not None)


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


def _protect(wb, ws, specs, table: pd.DataFrame, last: int) -> None:
    """Every cell down to `last` styled: locked grey for key and system columns (the key open again in
    the empty rows, for new customers), a number format per type; the sheet protected."""
    def style(is_locked: bool, number_format: str | None) -> str:
        props = {"locked": is_locked} | ({"bg_color": LOCKED_FILL, "pattern": 1} if is_locked else {})
        return style_attr(wb.add_format(props | ({"num_format": number_format} if number_format else {})))

    filled, empty = [], []
    for spec in specs:
        number_format = {"date": "yyyy-mm-dd", "number": "#,##0.##", "text": "@"}.get(spec.type)  # @: codes keep leading zeros
        old = style(locked(spec), number_format)
        new = style(locked(spec) and spec.name != KEY, number_format)  # new customers need a code
        filled.append(CellStyles(number=old, date=old, text=old, blank=old))
        empty.append(CellStyles(number=new, date=new, text=new, blank=new))
    wb.add_table_rows(ws, table, filled, first_row=2)
    wb.add_table_rows(ws, pd.DataFrame({s.name: np.full(last - len(table) - 1, None, dtype=object) for s in specs}),
                      empty, first_row=len(table) + 2)
    # people may still widen columns, format cells, filter and sort
    ws.protect("", {"format_cells": True, "format_columns": True, "autofilter": True, "sort": True})


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
    position = {spec.name: j for j, spec in enumerate(specs)}
    for rule in input_rules(model, lang):
        if rule.kind == "list":
            check = {"validate": "list", "source": list(rule.choices)}
        elif rule.kind == "decimal":
            check = {"validate": "decimal", "criteria": "between", "minimum": rule.low, "maximum": rule.high}
        else:  # serial day `low` onwards
            check = {"validate": "date", "criteria": ">",
                     "value": dt.date(1899, 12, 31) + dt.timedelta(days=int(rule.low))}
        j = position[rule.column]
        ws.data_validation(1, j, last - 1, j, check | {
            "ignore_blank": True, "error_title": rule.title[:32], "error_message": rule.hint[:255],
            "input_title": rule.title[:32], "input_message": rule.hint[:255]})


def instructions_sheet(lang: str) -> str:
    return text("instructions.sheet", lang)


def _instructions(wb, lang: str) -> None:
    ws = wb.add_worksheet(instructions_sheet(lang))
    title = wb.add_format({"bold": True, "font_size": 14, "text_wrap": True, "valign": "top"})
    body = wb.add_format({"font_size": 11, "text_wrap": True, "valign": "top"})
    for i, line in enumerate(lines("instructions", lang)):
        ws.write_string(i, 0, line, title if i == 0 else body)
    ws.set_column(0, 0, 100)
    print_setup(ws, width=100, header_rows=0, footer=page_footer(lang))


def _metadata(wb, model: ScoringModel, manager: str | None, lang: str, prints: list, keyed: bool = False) -> None:
    ws = wb.add_worksheet(META_SHEET)
    ws.very_hidden()  # not listed by Excel's Unhide: only code reads it
    facts = [("template_id", str(uuid.uuid4())), ("schema_version", SCHEMA_VERSION), ("model", model.title),
             ("manager", manager or ""), ("language", lang),
             ("created_at", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
             ("locked_columns", ",".join(s.name for s in template_columns() if locked(s))),
             ("fingerprints", "hmac-store" if keyed else "sha256")]
    for i, (name, value) in enumerate(facts):
        ws.write_string(i, 0, name)
        if value:
            ws.write_string(i, 1, value)
    # A second mark outside the hidden sheet: a template whose metadata sheet was deleted is still known
    wb.set_custom_property(TEMPLATE_PROPERTY, facts[0][1])
    ws.write_string(len(facts) + 1, 0, "customer_code")
    ws.write_string(len(facts) + 1, 1, "fingerprint")
    codes = pd.DataFrame({"customer_code": [text_of(code) or "" for code, _ in prints],
                          "fingerprint": [mark for _, mark in prints]})
    wb.add_table_rows(ws, codes, [CellStyles(), CellStyles()], first_row=len(facts) + 3)  # codes as text


def write_template(path: Path, model: ScoringModel, customers: pd.DataFrame | None = None,
                   manager: str | None = None, lang: str = "ko", key: bytes | None = None) -> Path:
    if path.suffix.lower() != ".xlsx":  # a template is a workbook; xlsx bytes under .csv would not open
        raise InputError([finding("unsupported-output", file=path, suffix=path.suffix, allowed=".xlsx")])
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        _build_template(wb, model, customers, manager, lang, key)
        wb.close()
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
    meta["fingerprint_scheme"] = meta.get("fingerprints", "sha256")  # "hmac-store": only the store can check
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
