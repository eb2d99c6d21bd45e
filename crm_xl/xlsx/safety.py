"""A bounded look inside an xlsx before any parser touches it.

Zip bombs and sheets that declare cells at XFD1048576 make the fast (Rust) readers allocate
hundreds of GB and abort the whole process, which Python cannot catch; these checks read
only the zip directory and the first bytes of each sheet, so they take milliseconds.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from crm_xl.findings import InputError, finding
from crm_xl.xlsx.refs import column_index, letter

MAX_UNCOMPRESSED = 2 * 1024**3  # bytes inflated in all
MAX_RATIO = 200  # inflated / compressed, per large member
MAX_CELLS = 60_000_000  # declared sheet area (rows x columns)
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def check_xlsx(path: Path) -> None:
    """Raise InputError naming the problem when the file is not a safe xlsx to parse."""
    def fail(detail: str) -> InputError:
        return InputError([finding("file-unreadable", file=path, detail=detail)])

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise fail("is an encrypted or legacy .xls workbook; save it as .xlsx without a password")
        raise fail("is not an xlsx workbook (not a zip file)")
    with zipfile.ZipFile(path) as z:
        members = z.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            raise fail(f"inflates to {total / 1024**2:,.0f} MB, over the {MAX_UNCOMPRESSED / 1024**2:,.0f} MB limit")
        for m in members:
            if m.file_size > 10 * 1024**2 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise fail(f"{m.filename} is compressed {m.file_size // max(m.compress_size, 1):,}:1, "
                           "which only a zip bomb does")
            if not m.filename.endswith((".xml", ".rels")):
                continue
            with z.open(m) as fh:
                head = fh.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:  # entity expansion ("billion laughs") and friends
                raise fail(f"{m.filename} declares XML entities, which workbooks never need")
            if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml"):
                match = _DIMENSION.search(head)
                if match:
                    col0, row0, col1, row1 = (g.decode() if g else None for g in match.groups())
                    _check_area(col0, int(row0), col1 or col0, int(row1 or row0), m.filename, fail)
                else:  # no declared size (hand-made files): find the farthest cell ourselves
                    _check_cells(z, m, fail)


def _check_area(col0: str, row0: int, col1: str, row1: int, name: str, fail) -> None:
    rows = row1 - row0 + 1
    cols = column_index(col1) - column_index(col0) + 1
    if rows * cols > MAX_CELLS:
        raise fail(f"{name} spans {rows:,} rows x {cols:,} columns, far beyond any customer table")


def _check_cells(z: zipfile.ZipFile, member: zipfile.ZipInfo, fail) -> None:
    max_row, max_col, tail = 1, 1, b""
    with z.open(member) as fh:
        while chunk := fh.read(1 << 20):
            text = tail + chunk
            for col, row in _CELL_REF.findall(text):
                max_row, max_col = max(max_row, int(row)), max(max_col, column_index(col.decode()) + 1)
            tail = text[-32:]
    _check_area("A", 1, letter(max_col - 1), max_row, member.filename, fail)
