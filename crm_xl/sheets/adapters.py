"""The sheet interface of crm_xl.sheets.regrade for openpyxl worksheets and xlwings sheets."""
from __future__ import annotations

from typing import Any


class OpenpyxlSheet:
    """An openpyxl worksheet (headless: `crm-xl regrade`)."""

    def __init__(self, ws):
        self.ws = ws
        self.name = ws.title

    def values(self) -> list[list]:
        return [list(row) for row in self.ws.iter_rows(min_row=1, min_col=1, values_only=True)]

    def error_cells(self) -> list[tuple[int, int]]:
        """0-based (row, column) of the cells holding an Excel error value (t="e"; `#N/A` typed as
        text is text). xlwings cannot tell the two apart, so XlwingsSheet has no such method."""
        return [(cell.row - 1, cell.column - 1) for row in self.ws.iter_rows(min_row=1, min_col=1)
                for cell in row if cell.data_type == "e"]

    def write(self, row: int, col: int, block: list[list], number_format: str | None = None) -> None:
        for i, values in enumerate(block):
            for j, value in enumerate(values):
                cell = self.ws.cell(row=row + i + 1, column=col + j + 1, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text we write never becomes a formula
                if number_format:
                    cell.number_format = number_format

    def fill(self, row: int, col: int, colour: str | None) -> None:
        from openpyxl.styles import PatternFill

        cell = self.ws.cell(row=row + 1, column=col + 1)
        cell.fill = PatternFill("solid", fgColor=colour) if colour else PatternFill(fill_type=None)

    def note(self, row: int, col: int, text: str | None) -> None:
        from openpyxl.comments import Comment

        cell = self.ws.cell(row=row + 1, column=col + 1)
        cell.comment = Comment(text, "crm_xl", width=320, height=120) if text else None


    def width(self, col: int, chars: float) -> None:
        from openpyxl.utils import get_column_letter

        self.ws.column_dimensions[get_column_letter(col + 1)].width = chars


class XlwingsSheet:  # pragma: no cover - needs Excel (desktop) or an xlwings Server/Lite book
    """An xlwings sheet (the ribbon buttons in Excel)."""

    def __init__(self, sheet: Any):
        self.sheet = sheet
        self.name = sheet.name

    def values(self) -> list[list]:
        last = self.sheet.used_range.last_cell
        return self.sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value

    def write(self, row: int, col: int, block: list[list], number_format: str | None = None) -> None:
        # One write per block: a round trip per cell would take minutes over xlwings Server.
        target = self.sheet.range((row + 1, col + 1))
        target.value = [[_text(v) for v in r] for r in block]
        if number_format and block:
            self.sheet.range((row + 1, col + 1), (row + len(block), col + len(block[0]))).number_format = number_format

    def fill(self, row: int, col: int, colour: str | None) -> None:
        self.sheet.range((row + 1, col + 1)).color = f"#{colour}" if colour else None

    def note(self, row: int, col: int, text: str | None) -> None:
        cell = self.sheet.range((row + 1, col + 1))
        if cell.note:
            cell.note.delete()
        if text:
            cell.add_note(text)


    def width(self, col: int, chars: float) -> None:
        self.sheet.range((1, col + 1)).column_width = chars


def _text(value):
    """A quote prefix keeps text that looks like a formula as text when written through xlwings."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value
