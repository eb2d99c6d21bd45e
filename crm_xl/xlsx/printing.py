"""Print setup for every sheet we write: landscape where wide, as few pages wide as keep the text
readable (one for most sheets; a 40-column table on one page would be too small to read, so it
runs over a few, its first column repeated on each), header rows repeated on each page, a footer
naming the file, sheet and page. Excel's own print and `--pdf` then agree.

The footer text comes from the caller (in the reader's language) with Excel's codes in it:
&F file, &A sheet, &P page, &N pages (see crm_xl.texts.page_footer).
"""
from __future__ import annotations

import math

from openpyxl.worksheet.properties import PageSetupProperties

WIDE = 100  # sheets wider than this many characters print landscape (portrait A4 holds ~95)
PAGE = 200  # characters of column width one landscape A4 page holds at a readable scale (about 75 %)
A4 = 9


def pages_wide(width: float) -> int:
    return max(1, math.ceil(width / PAGE))


def print_setup(ws, *, width: float, header_rows: int = 1, footer: str = "&F · &A · &P / &N") -> None:
    """An xlsxwriter worksheet `width` characters wide, its first `header_rows` rows repeated on every page."""
    ws.set_paper(A4)
    if width > WIDE:
        ws.set_landscape()
    ws.fit_to_pages(pages_wide(width), 0)  # as many tall as it takes
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    if pages_wide(width) > 1:
        ws.repeat_columns(0, 0)  # the code, on every page of a row
    ws.set_footer(f"&C{_escaped(footer)}")
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)


def print_setup_openpyxl(ws, *, width: float, header_rows: int = 1, footer: str = "&F · &A · &P / &N") -> None:
    """The same for an openpyxl worksheet."""
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if width > WIDE else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = pages_wide(width), 0
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    if pages_wide(width) > 1:
        ws.print_title_cols = "A:A"
    ws.oddFooter.center.text = _escaped(footer)
    ws.page_margins.left = ws.page_margins.right = 0.4


def _escaped(footer: str) -> str:
    """A literal & doubled, Excel's own codes (&F &A &P &N) kept."""
    out, i = [], 0
    while i < len(footer):
        if footer[i] == "&" and footer[i + 1:i + 2] in ("F", "A", "P", "N"):
            out.append(footer[i:i + 2])
            i += 2
        else:
            out.append("&&" if footer[i] == "&" else footer[i])
            i += 1
    return "".join(out)
