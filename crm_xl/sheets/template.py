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
import re
import uuid
import zipfile
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from crm_xl.fields import Column, columns
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.values import text_of
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
INSTRUCTIONS = {
    "en": ["How to fill in this sheet",
           "Grey columns are kept by the system (customer code, figures from orders): they are locked.",
           "Pick coded fields (format, market, scale) from their dropdowns; scores are 1–10, indices 0–100.",
           "Add new customers in the empty rows below, with a new customer code.",
           "Save as .xlsx and upload it. Problems come back marked in red, with a note on each cell."],
    "ko": ["작성 방법",
           "회색 열(고객코드, 주문에서 계산되는 값)은 시스템이 관리하며 잠겨 있습니다.",
           "업태·시장유형·규모는 목록에서 고르고, 점수는 1–10, 지수는 0–100으로 입력하세요.",
           "새 고객은 아래 빈 행에 새 고객코드와 함께 추가하세요.",
           ".xlsx로 저장해 업로드하세요. 문제가 있는 셀은 빨간색과 메모로 표시되어 돌아옵니다."],
    "zh": ["填写说明",
           "灰色列（客户编码、由订单计算的数值）由系统维护，已锁定。",
           "业态、市场类型、规模请从下拉列表选择；评分为1–10，指数为0–100。",
           "新客户请在下方空行填写，并使用新的客户编码。",
           "保存为 .xlsx 后上传。有问题的单元格会以红色和批注标出。"],
}


def header(spec: Column, lang: str) -> str:
    """The column's header in a language: the first alias written in its script."""
    scripts = {"ko": r"[가-힣]", "zh": r"[\u4e00-\u9fff]"}
    if lang == "en":
        return spec.aliases[0] if spec.aliases else spec.name
    for alias in spec.aliases:
        if re.search(scripts[lang], alias) and not (lang == "zh" and re.search(scripts["ko"], alias)):
            return alias
    return spec.name


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
    if manager and "account_manager" in rows.columns:
        rows = rows[rows["account_manager"].astype(str) == manager]
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    for j, spec in enumerate(specs, start=1):
        cell = ws.cell(1, j, header(spec, lang))
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        wide = 14 if spec.type in ("number", "date") else 10  # amounts like 118,900,000 must not show ###
        ws.column_dimensions[get_column_letter(j)].width = max(wide, min(24, len(cell.value) * 2 + 2))
        if spec.pattern_hint:
            cell.comment = Comment(spec.pattern_hint, "crm_xl")
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
    _instructions(wb, lang)
    _metadata(wb, model, manager, lang, prints, keyed=key is not None)
    return wb


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


def _validations(ws, specs, model: ScoringModel, lang: str, last: int) -> None:
    cls = model.classification
    lists = {"business_format": cls.formats, "market_type": cls.markets, "business_scale": cls.scales}
    for j, spec in enumerate(specs, start=1):
        ref = f"{get_column_letter(j)}2:{get_column_letter(j)}{last}"
        if spec.name in lists:
            names = [_option_label(o, lang) for o in lists[spec.name]]
            dv = DataValidation(type="list", formula1='"' + ",".join(names) + '"', allow_blank=True)
        elif spec.name.startswith("score_"):
            dv = DataValidation(type="decimal", operator="between", formula1="1", formula2="10", allow_blank=True)
        elif spec.name.startswith("value_"):
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
        elif spec.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        else:
            continue
        dv.error, dv.errorTitle, dv.showErrorMessage = _hint(spec, lists), spec.name, True
        dv.prompt, dv.promptTitle, dv.showInputMessage = _hint(spec, lists), spec.name, True
        ws.add_data_validation(dv)
        dv.add(ref)


def _option_label(option, lang: str) -> str:
    for alias in option.aliases:
        if lang == "ko" and re.search(r"[가-힣]", alias):
            return alias
        if lang == "zh" and re.search(r"[\u4e00-\u9fff]", alias) and not re.search(r"[가-힣]", alias):
            return alias
    return option.label


def _hint(spec: Column, lists) -> str:
    if spec.name in lists:
        return "Pick from the list"
    if spec.name.startswith("score_"):
        return "A score from 1 to 10"
    if spec.name.startswith("value_"):
        return "An index from 0 to 100"
    return "A date, YYYY-MM-DD"


def _instructions(wb: Workbook, lang: str) -> None:
    ws = wb.create_sheet("Instructions" if lang == "en" else ("작성 방법" if lang == "ko" else "填写说明"))
    for i, line in enumerate(INSTRUCTIONS[lang], start=1):
        ws.cell(i, 1, line).font = Font(bold=i == 1, size=14 if i == 1 else 11)
    ws.column_dimensions["A"].width = 100


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
