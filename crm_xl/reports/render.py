"""Fill an xlsx template: Jinja2 placeholders in cells, rows that repeat, matrices and native charts.

What a template cell may hold (a business user restyles the template in Excel; the styles stay):
- `{{ expression }}`: a value from the report. A cell holding only one expression gets the value
  itself, so numbers stay numbers and the cell's number format applies.
- `{%row for t in tiers %}{{ t.label }}` in a row's first cell: the row repeats once per item;
  the other cells of the row use `t` too (`{{ t.count }}`). No items: the row says "(none this month)".
- `{%matrix tier_moves %}`: a block with column labels across, row labels down and counts.
- `{%chart bar tiers count "Customers per tier" %}`: a native chart anchored at the cell, over
  a repeated row's label column and the named field (`bar`, `line` or `column2` for previous vs count).
"""
from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass

import jinja2
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from crm_xl.findings import InputError, finding

ROW = re.compile(r"^\{%\s*row\s+for\s+(\w+)\s+in\s+(\w+)\s*%\}")
MATRIX = re.compile(r"^\{%\s*matrix\s+(\w+)\s*%\}$")
CHART = re.compile(r'^\{%\s*chart\s+(\w+)\s+(\w+)\s+(\w+)\s+"([^"]*)"\s*%\}$')
ONLY_EXPRESSION = re.compile(r"^\{\{\s*([^{}]+?)\s*\}\}$")
FIELD = re.compile(r"\{\{\s*\w+\.(\w+)")
EMPTY_TABLE = "(none this month)"
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass
class TableRange:
    sheet: str
    first: int  # first data row (1-based)
    last: int
    columns: dict  # field -> column number


def render_workbook(wb, context: dict, template_name: str) -> dict[str, TableRange | None]:
    """Render every sheet of `wb` in place; returns where each repeated table landed."""
    tables: dict[str, TableRange] = {}
    for ws in wb.worksheets:
        _fill_cells(ws, context, template_name)  # first, so errors name the template's own cells
        _expand_rows(ws, context, tables, template_name)
        _expand_matrices(ws, context, template_name)
    for ws in wb.worksheets:
        _charts(ws, tables, template_name)
    return tables


def _fail(template: str, ws, cell, detail: str) -> InputError:
    return InputError([finding("file-unreadable", file=template, detail=f"[{ws.title}] {cell}: {detail}")])


def _expand_rows(ws, context, tables, template) -> None:
    offset = 0
    for row in [r for r in range(1, ws.max_row + 1) if _row_marker(ws.cell(r, 1).value)]:
        r = row + offset
        name, source = _row_marker(ws.cell(r, 1).value)
        items = context.get(source)
        if items is None:
            raise _fail(template, ws, f"A{r}", f"no table named {source!r} in the report")
        templates = [(c.column, c.value, copy(c._style)) for c in ws[r]]
        templates[0] = (1, ROW.sub("", templates[0][1]), templates[0][2])
        height = ws.row_dimensions[r].height
        if not items:  # the row stays, saying so, so the reader knows nothing was left out
            for col, _, _ in templates:
                ws.cell(r, col).value = None
            ws.cell(r, 1).value = EMPTY_TABLE
            tables[source] = None  # charts over it say there is no data
            continue
        if len(items) > 1:
            ws.insert_rows(r + 1, len(items) - 1)
        for i, item in enumerate(items):
            ws.row_dimensions[r + i].height = height
            for col, text, style in templates:
                cell = ws.cell(r + i, col)
                cell._style = copy(style)
                _set(cell, text, {**context, name: item}, template, ws)
        fields = {m.group(1): col for col, text, _ in templates if isinstance(text, str) for m in [FIELD.search(text)] if m}
        tables[source] = TableRange(ws.title, r, r + len(items) - 1, fields)
        offset += len(items) - 1


def _row_marker(value):
    match = ROW.match(value) if isinstance(value, str) else None
    return match.groups() if match else None


def _expand_matrices(ws, context, template) -> None:
    markers = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and MATRIX.match(c.value)]
    for marker in reversed(markers):  # bottom first: inserted rows never move a marker still to do
        name = MATRIX.match(marker.value).group(1)
        matrix = context.get(name)
        if matrix is None:
            raise _fail(template, ws, marker.coordinate, f"no matrix named {name!r} in the report")
        r, c = marker.row, marker.column
        ws.insert_rows(r + 1, len(matrix["rows"]))
        header_style, body_style = copy(marker._style), copy(ws.cell(r, c + 1)._style)
        marker.value = matrix.get("corner", "")
        for j, label in enumerate(matrix["columns"], start=1):
            width = ws.column_dimensions[get_column_letter(c + j)]
            width.width = max(width.width or 0, min(14, len(str(label)) + 2))
            head = ws.cell(r, c + j, label)
            head._style = copy(header_style)
            head.alignment = Alignment(horizontal="right", wrap_text=True)  # over right-aligned counts
        for i, (label, cells) in enumerate(zip(matrix["rows"], matrix["cells"]), start=1):
            ws.cell(r + i, c, label)._style = copy(header_style)
            for j, value in enumerate(cells, start=1):
                cell = ws.cell(r + i, c + j, value)
                cell._style = copy(body_style)
                cell.number_format = "#,##0"


def _fill_cells(ws, context, template) -> None:
    """Every placeholder outside repeated rows, matrix and chart markers."""
    for row in ws.iter_rows():
        if _row_marker(row[0].value):
            continue
        for cell in row:
            text = cell.value
            if isinstance(text, str) and "{" in text and not (CHART.match(text) or MATRIX.match(text)):
                _set(cell, text, context, template, ws)


def _set(cell, text, context, template, ws) -> None:
    if not isinstance(text, str) or ("{{" not in text and "{%" not in text):
        cell.value = text
        return
    try:
        only = ONLY_EXPRESSION.match(text)
        if only:
            value = ENV.compile_expression(only.group(1), undefined_to_none=False)(**context)
            if isinstance(value, jinja2.Undefined):
                str(value)  # raises with the name of what is missing
            cell.value = value if value is None or isinstance(value, (int, float)) else str(value)
        else:
            cell.value = ENV.from_string(text).render(**context)
    except jinja2.TemplateError as exc:
        raise _fail(template, ws, cell.coordinate, f"{text!r}: {exc}") from None
    if isinstance(cell.value, str):
        cell.data_type = "s"  # report text (store names included) never becomes a formula


def _charts(ws, tables: dict[str, TableRange], template) -> None:
    markers = []
    for row in ws.iter_rows():
        for cell in row:
            match = CHART.match(cell.value) if isinstance(cell.value, str) else None
            if not match:
                continue
            kind, source, field, title = match.groups()
            if source in tables and tables[source] is None:
                cell.value = f"{title}: no data this month"
                continue
            table = tables.get(source)
            if table is None or field not in table.columns or "label" not in table.columns and "month" not in table.columns:
                raise _fail(template, ws, cell.coordinate, f"chart needs a repeated table {source!r} with field {field!r}")
            cell.value = None
            markers.append((cell.row, cell.column, _chart(kind, table, field, title, ws.parent[table.sheet])))
    taken = _occupied(ws)  # after every marker is cleared: only what the reader sees
    for row, col, chart in markers:
        chart.anchor = _free_anchor(ws, row, col, taken)
        ws.add_chart(chart)


CHART_PX = (605, 283)  # 16 x 7.5 cm
DEFAULT_WIDTH, DEFAULT_ROW_PX = 8.43, 20


def _column_px(ws, col: int) -> float:
    width = ws.column_dimensions[get_column_letter(col)].width or DEFAULT_WIDTH
    return width * 7 + 5


def _row_px(ws, row: int) -> float:
    height = ws.row_dimensions[row].height
    return height * 4 / 3 if height else DEFAULT_ROW_PX


def _occupied(ws) -> set[tuple[int, int]]:
    """Every cell a reader sees something in: filled cells, and the cells their text runs over."""
    taken = set()
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.value == "":
                continue
            taken.add((cell.row, cell.column))
            if isinstance(cell.value, str) and not (cell.alignment and cell.alignment.wrap_text):
                need = sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell.value) * 7  # CJK is twice as wide
                col, room = cell.column, _column_px(ws, cell.column)
                while room < need and ws.cell(cell.row, col + 1).value in (None, ""):
                    col += 1
                    room += _column_px(ws, col)
                    taken.add((cell.row, col))
    return taken


def _span(ws, row: int, col: int) -> tuple[int, int]:
    """How many columns and rows from (row, col) the chart's size covers."""
    cols, width = 0, 0.0
    while width < CHART_PX[0]:
        width += _column_px(ws, col + cols)
        cols += 1
    rows, height = 0, 0.0
    while height < CHART_PX[1]:
        height += _row_px(ws, row + rows)
        rows += 1
    return rows, cols


def _free_anchor(ws, row: int, col: int, taken: set) -> TwoCellAnchor:
    """The template's place for the chart when nothing shows there; else beside what is in its rows;
    else below everything. The chart never covers a filled cell or the text running out of one."""
    def clear(r, c):
        rows, cols = _span(ws, r, c)
        return all((i, j) not in taken for i in range(r, r + rows) for j in range(c, c + cols))

    rows, _ = _span(ws, row, col)
    beside = 2 + max((j for i, j in taken if row <= i < row + rows), default=col - 2)
    below = 2 + max((i for i, _ in taken), default=row - 2)
    r, c = next(((r, c) for r, c in ((row, col), (row, max(beside, col)), (below, 1)) if clear(r, c)), (below, 1))
    rows, cols = _span(ws, r, c)
    taken.update((i, j) for i in range(r, r + rows) for j in range(c, c + cols))  # the next chart goes elsewhere
    return TwoCellAnchor(_from=AnchorMarker(col=c - 1, row=r - 1), to=AnchorMarker(col=c - 1 + cols, row=r - 1 + rows))


def _chart(kind: str, table: TableRange, field: str, title: str, data_ws):
    chart = LineChart() if kind == "line" else BarChart()
    chart.y_axis.majorGridlines = None if kind == "line" else chart.y_axis.majorGridlines
    if kind in ("bar", "column2"):
        chart.type = "col"
    chart.title = title
    chart.height, chart.width = 7.5, 16
    label_col = table.columns.get("label", table.columns.get("month"))
    fields = ["previous", field] if kind == "column2" else [field]
    for name in fields:
        col = table.columns[name]
        chart.add_data(Reference(data_ws, min_col=col, min_row=table.first - 1, max_row=table.last), titles_from_data=True)
    chart.set_categories(Reference(data_ws, min_col=label_col, min_row=table.first, max_row=table.last))
    chart.legend = None if len(fields) == 1 else chart.legend
    for series in chart.series:
        series.smooth = False  # a month-to-month line, not a curve
    return chart
