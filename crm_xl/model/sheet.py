"""The model as a Key | Value sheet, so a credit manager can edit weights and bands in Excel.

Every leaf of the model is one row, keyed by its path (`credit.grades[2].from`), the same
path that model check messages name; reading the sheet back rebuilds the same structure.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from crm_xl.findings import ModelError, finding
from crm_xl.xlsx.printing import print_setup

KEY_HEADER, VALUE_HEADER = "Key", "Value"
_TOKEN = re.compile(r"([A-Za-z0-9_\-]+)|\[(\d+)\]")


def model_rows(raw: dict) -> list[tuple[str, Any]]:
    """(key path, value) for every leaf, in file order."""
    return list(_flatten(raw, ""))


def _flatten(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{path}[{i}]")
    else:
        yield path, value


SECTIONS = {"model": "About this model", "credit": "Credit: indicators, weights, grades, limits",
            "tiers": "Customer tiers", "classification": "Classification (42 classes)",
            "value": "Value segments", "rfm": "Behaviour (RFM)", "tags": "Portrait tags"}

# What a key means, for the person editing it: (pattern, text); {1}, {2} are the pattern's groups.
KEY_NOTES = [
    (r"credit\.indicator_sets\.([^.]+)\.(\w+)", "weight of {2} in the {1} indicator set (relative)"),
    (r"credit\.indicators\[\d+\]\.bands\[\d+\]\.from", "raw value from which this score applies"),
    (r"credit\.indicators\[\d+\]\.bands\[\d+\]\.score", "score 1-10 given from that value up"),
    (r"credit\.indicators\[\d+\]\.column", "input column holding this indicator"),
    (r"credit\.grades\[\d+\]\.from", "lowest credit level (0-1) of this grade"),
    (r"credit\.grades\[\d+\]\.limit_factor", "k: limit = monthly purchases x terms/30 x k"),
    (r"credit\.grades\[\d+\]\.policy", "credit policy shown for this grade"),
    (r"credit\.grades\[\d+\]\.colour", "cell colour (hex RGB) for this grade"),
    (r"credit\.grades\[\d+\]\.tolerance", "share an order may take the balance over the limit (0.1 = 10%)"),
    (r"credit\.indicators\[\d+\]\.labels\.(\w+)", "the indicator's name in {1} reason texts"),
    (r"credit\.check\.hold_overdue_days", "an order is held when a payment is overdue more days than this"),
    (r"credit\.check\.reject_overdue_days", "an order is rejected when a payment is overdue more days than this"),
    (r"credit\.check\.release_roles\[\d+\]", "a role that may release a held order"),
    (r"credit\.review\.limit_rise_share", "a limit rising by more than this share waits for review"),
    (r"credit\.review\.grade_steps", "a grade moving this many steps or more waits for review"),
    (r"credit\.review\.approver_roles\[\d+\]", "a role that may approve credit reviews"),
    (r"credit\.monitoring\.psi_bins\[\d+\]", "lower edge of a credit-level bin for the PSI"),
    (r"credit\.texts\.(\w+)\.(\w+)", "{1} text shown for {2}; keep the {{fields}} it names"),
    (r"credit\.net_worth_cap", "a limit never exceeds this share of net worth"),
    (r"credit\.level_decimals", "the level is rounded to this many decimals before grading"),
    (r"tiers\.presets\.[^.]+\.bands\[\d+\]\.from", "lowest value of the measure for this tier"),
    (r"tiers\.presets\.[^.]+\.composite\.(\w+)", "weight of {1} in the composite"),
    (r"classification\.scales\[\d+\]\.from", "lowest monthly amount for this scale"),
    (r"classification\.\w+\[\d+\]\.aliases\[\d+\]", "another spelling staff may type"),
    (r"value\.split", "high from this weighted index (0-100), or \"mean\""),
    (r"value\.(current|potential)\.(\w+)", "weight of {2} in {1} value"),
    (r"rfm\.segments\[\d+\]\.([rf])\[0\]", "lowest {1} score (1-5) of this segment"),
    (r"rfm\.segments\[\d+\]\.([rf])\[1\]", "highest {1} score (1-5) of this segment"),
    (r"tags\[\d+\]\.in\[\d+\]", "the tag applies when the column has this value"),
    (r"tags\[\d+\]\.min", "the tag applies from this value up"),
]


def key_note(key: str) -> str:
    for pattern, text in KEY_NOTES:
        match = re.fullmatch(pattern, key)
        if match:
            return text.format("", *match.groups())
    return ""


def write_model_sheet(workbook, model, name: str = "Model") -> None:
    """Add the model as a sheet to an xlsxwriter workbook (user text always stays text)."""
    ws = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
    section = workbook.add_format({"bold": True, "font_color": "#1F4E78"})
    title = workbook.add_format({"bold": True, "font_size": 14})
    note = workbook.add_format({"font_color": "#595959", "italic": True})
    editable = workbook.add_format({"bg_color": "#FFF2CC"})
    ws.write_string(0, 0, f"Scoring model: {model.title}", title)
    ws.write_string(1, 0, "Edit the yellow Value cells, then use this workbook with --model FILE.xlsx "
                          "(crm-xl model check FILE.xlsx checks it). Bands go from the lowest to the highest edge.")
    ws.write_row(3, 0, [KEY_HEADER, VALUE_HEADER, "Meaning"], bold)
    print_setup(ws, width=46 + 34 + 60, header_rows=4)
    row, current = 4, None
    for key, value in model_rows(model.raw):
        top = re.split(r"[.\[]", key, maxsplit=1)[0]
        if top != current:
            current = top
            row += 1 if row > 4 else 0
            ws.write_string(row, 0, f"# {SECTIONS.get(top, top)}", section)
            row += 1
        ws.write_string(row, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value, editable)
        elif isinstance(value, (int, float)):
            ws.write_number(row, 1, value, editable)
        else:
            ws.write_string(row, 1, str(value), editable)
        ws.write_string(row, 2, key_note(key), note)
        row += 1
    ws.set_column(0, 0, 46)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, 52)
    ws.freeze_panes(4, 1)


def read_model_sheet(path: Path, sheet: str) -> dict:
    """The raw model from a Key | Value sheet; bad keys are reported with their cell."""
    return read_model_cells(path, sheet)[0]


def read_model_cells(path: Path, sheet: str) -> tuple[dict, dict[str, str]]:
    """The raw model from a Key | Value sheet and the cell of each key's value (`credit.grades[2].from`
    -> B40), so a bad value is reported at the cell to fix."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any unreadable workbook is the user's file problem, not a crash
        raise ModelError([finding("model-unreadable", source=path, detail=f"not a readable workbook ({exc})")]) from None
    try:
        if sheet not in wb.sheetnames:
            raise ModelError([finding("model-sheet-missing", source=path, sheet=sheet,
                                      sheets=", ".join(wb.sheetnames))])
        rows = list(wb[sheet].iter_rows(max_col=2, values_only=True))
    finally:
        wb.close()
    cells: dict[str, str] = {}
    return rows_to_raw(rows, f"{path} [{sheet}]", cells), cells


def rows_to_raw(rows: list[tuple], source: str, cells: dict[str, str] | None = None) -> dict:
    """The raw model from Key | Value rows; rows above a Key | Value header are skipped. `cells`, when
    given, receives the cell of each key's value."""
    start = next((i + 1 for i, r in enumerate(rows) if tuple(r[:2]) == (KEY_HEADER, VALUE_HEADER)), 0)
    root: dict = {}
    problems = []
    for i, row in enumerate(rows[start:], start=start + 1):
        key, value = (tuple(row) + (None, None))[:2]
        if key is None or str(key).strip() == "" or str(key).startswith("#"):
            continue
        if isinstance(value, str):
            value = value.strip()
        error = _place(root, str(key).strip(), value)
        if cells is not None:
            cells[str(key).strip()] = f"B{i}"
        if error:
            problems.append(finding("model-bad-key", source=source, cell=f"A{i}", value=key, detail=error))
    if problems:
        raise ModelError(problems)
    return _lists(root)


def _place(root: dict, key: str, value: Any) -> str | None:
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(key)]
    rebuilt = "".join(name if name is not None else f"[{idx}]" for name, idx in tokens)
    if not tokens or rebuilt.replace(".", "") != key.replace(".", "") or tokens[0][0] is None or ".." in key:
        return "is not a model path"
    node = root
    steps = [name if name is not None else int(idx) for name, idx in tokens]
    for step in steps[:-1]:
        child = node.setdefault(step, {})
        if not isinstance(child, dict):
            return "sets a value and a group at once"
        node = child
    if steps[-1] in node:
        return "appears twice"
    node[steps[-1]] = value
    return None


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n-1 (from `[i]` steps) become lists."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        keys = sorted(node)
        if keys != list(range(len(keys))):
            raise ModelError([finding("model-bad-key", source="Model sheet", cell="",
                                      value=f"[{keys}]", detail="list positions must run 0, 1, 2, ... without gaps")])
        return [_lists(node[k]) for k in keys]
    return {k: _lists(v) for k, v in node.items()}
