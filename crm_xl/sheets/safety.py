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

MAX_UNCOMPRESSED = 2 * 1024**3  # bytes inflated in all
MAX_RATIO = 200  # inflated / compressed, per large member
MAX_CELLS = 60_000_000  # declared sheet area (rows x columns)
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
            if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml"):
                with z.open(m) as fh:
                    head = fh.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise fail(f"{m.filename} declares XML entities, which workbooks never need")
                _check_dimension(head, m.filename, fail)


def _check_dimension(head: bytes, name: str, fail) -> None:
    match = _DIMENSION.search(head)
    if not match or not match.group(3):
        return
    rows = int(match.group(4)) - int(match.group(2)) + 1
    cols = _col_number(match.group(3)) - _col_number(match.group(1)) + 1
    if rows * cols > MAX_CELLS:
        raise fail(f"{name} declares {rows:,} rows x {cols:,} columns, far beyond any customer table")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n
