"""The model as a Key | Value sheet, so a credit manager can edit weights and bands in Excel.

Every leaf of the model is one row, keyed by its path (`credit.grades[2].from`), the same
path that model check messages name; reading the sheet back rebuilds the same structure.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from crm_xl.findings import ModelError, finding

KEY_HEADER, VALUE_HEADER = "Key", "Value"
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


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


def write_model_sheet(workbook, model, name: str = "Model") -> None:
    """Add the model as a sheet to an xlsxwriter workbook (user text always stays text)."""
    ws = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    ws.write_string(0, 0, f"Scoring model: {model.title}", title)
    ws.write_string(1, 0, "Edit the Value column, then load this workbook with --model FILE.xlsx. "
                          "Bands go from the lowest to the highest lower edge.")
    ws.write_string(3, 0, KEY_HEADER, bold)
    ws.write_string(3, 1, VALUE_HEADER, bold)
    for row, (key, value) in enumerate(model_rows(model.raw), start=4):
        ws.write_string(row, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value)
        elif isinstance(value, (int, float)):
            ws.write_number(row, 1, value)
        else:
            ws.write_string(row, 1, str(value))
    ws.set_column(0, 0, 48)
    ws.set_column(1, 1, 40)
    ws.freeze_panes(4, 0)


def read_model_sheet(path: Path, sheet: str) -> dict:
    """The raw model from a Key | Value sheet; bad keys are reported with their cell."""
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
    return _unflatten(rows, f"{path} [{sheet}]")


def _unflatten(rows: list[tuple], source: str) -> dict:
    start = next((i + 1 for i, r in enumerate(rows) if r[:2] == (KEY_HEADER, VALUE_HEADER)), None)
    if start is None:
        raise ModelError([finding("model-unreadable", source=source,
                                  detail=f"no header row with {KEY_HEADER} | {VALUE_HEADER}")])
    root: dict = {}
    problems = []
    for i, row in enumerate(rows[start:], start=start + 1):
        key, value = (tuple(row) + (None, None))[:2]
        if key is None or str(key).strip() == "" or str(key).startswith("#"):
            continue
        if isinstance(value, str):
            value = value.strip()
        error = _place(root, str(key).strip(), value)
        if error:
            problems.append(finding("model-bad-key", source=source, cell=f"A{i}", value=key, detail=error))
    if problems:
        raise ModelError(problems)
    return _lists(root)


def _place(root: dict, key: str, value: Any) -> str | None:
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(key)]
    rebuilt = "".join(name if name is not None else f"[{idx}]" for name, idx in tokens)
    if not tokens or rebuilt.replace(".", "") != key.replace(".", "") or tokens[0][0] is None:
        return "is not a model path"
    node = root
    steps = [name if name is not None else int(idx) for name, idx in tokens]
    for step, nxt in zip(steps, steps[1:]):
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
