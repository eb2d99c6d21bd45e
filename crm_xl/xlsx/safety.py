"""A bounded look inside an xlsx before and while a parser reads it.

Zip bombs, sheets whose cells reach XFD1048576 and shared-string tables declaring billions of
entries make the fast (Rust) readers allocate hundreds of GB and abort the whole process, which
Python cannot catch. Three levels, each bounded in memory:

- `check_xlsx`, before any parser: the zip directory (duplicate or encrypted parts, macro code,
  declared sizes) and the first bytes of every XML part (entity declarations, declared sheet
  area and shared-string counts, either quote style). Milliseconds.
- `scan_parts`, alongside the parse (in the same child process, while the Rust reader runs):
  every part inflated with a cap, its real size and checksum compared with the zip directory,
  NUL characters, cells without a reference; the sheet being read is handed to the reader for
  its formula scan on the way.
- `check_thoroughly`, after a reader died: all of the above plus the farthest cell of every
  sheet, to name what killed it.
"""
from __future__ import annotations

import codecs
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from crm_xl.findings import InputError, finding
from crm_xl.xlsx.refs import column_index, letter

try:  # ISA-L's inflate and crc32 (the `fast` extra): twice zlib's speed, the same checks of the stream
    from isal import isal_zlib as inflating
except ImportError:
    inflating = zlib
_DAMAGED = (zipfile.BadZipFile, zlib.error, inflating.error, EOFError, struct.error)

MAX_UNCOMPRESSED = 2 * 1024**3  # bytes inflated in all
MAX_RATIO = 200  # inflated / compressed, per large member
MAX_CELLS = 60_000_000  # sheet area (rows x columns)
MAX_STRINGS = 50_000_000  # declared shared strings (a reader reserves memory for each)
HEAD = 64 * 1024
CHUNK = 4 * 1024**2
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
MACRO_FREE = (".xlsx", ".xltx")
_Q = rb"[\"']"  # XML allows either quote around attribute values
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=" + _Q + rb"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?" + _Q)
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=" + _Q + rb"([A-Z]{1,3})(\d{1,7})" + _Q)
_COUNTS = re.compile(rb"\b(uniqueCount|count)=" + _Q + rb"(\d+)" + _Q)
_CELL_TAG = re.compile(rb"<(?:\w+:)?c(?:\s[^>]*)?/?>")
_HAS_REF = re.compile(rb"\sr=" + _Q)
_NUL_REF = re.compile(rb"&#(?:0+|[xX]0+);")
_ROOT = re.compile(rb"<(\w+:)?(?:worksheet|sst|workbook)[\s>]")


@dataclass
class Checked:
    """What the pre-check learnt that a reader needs: parts written in UTF-16 (valid OOXML that
    the fast reader cannot parse; read from a UTF-8 copy)."""

    utf16: list[str] = field(default_factory=list)


def check_file(path: Path) -> Checked | None:
    """The pre-check of any input file: workbooks (by name or by content) in full, text for NUL bytes."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES or zipfile.is_zipfile(path):
        return check_xlsx(path)
    check_text(path)
    return None


def check_text(path: Path) -> None:
    """A NUL byte ends a C string: the CSV parser silently drops the rest of its cell. Text saved as
    CSV never holds one (UTF-16, which does, starts with its byte-order mark)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):
            return
        fh.seek(0)
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk:
                raise _failer(path)("holds NUL bytes, which no text a spreadsheet saves has; save it again as "
                                    "CSV UTF-8 (or .xlsx)")


def _failer(path: Path):
    def fail(detail: str) -> InputError:
        return InputError([finding("file-unreadable", file=path, detail=detail)])
    return fail


def check_xlsx(path: Path) -> Checked:
    """Raise InputError naming the problem when the file is not a safe xlsx to hand to a parser."""
    fail = _failer(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise fail("is an encrypted or legacy .xls workbook; save it as .xlsx without a password")
        raise fail("is not an xlsx workbook (not a zip file)")
    try:
        with zipfile.ZipFile(path) as z:
            return _check_directory_and_heads(z, path, fail)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise fail(f"is a damaged zip file ({exc})") from None


def _check_directory_and_heads(z: zipfile.ZipFile, path: Path, fail) -> Checked:
    members = z.infolist()
    seen: set[str] = set()
    for m in members:
        if m.filename in seen:  # two readers may each take a different one of the pair
            raise fail(f"holds two parts named {m.filename}, which no spreadsheet application writes")
        seen.add(m.filename)
        if m.flag_bits & 0x1:
            raise fail(f"{m.filename} is encrypted; save the workbook without a password")
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise fail(f"{m.filename} uses a compression method workbooks do not use")
    if path.suffix.lower() in MACRO_FREE and any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise InputError([finding("macro-enabled", file=path)])  # macro code under an .xlsx name
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise fail(f"inflates to {total / 1024**2:,.0f} MB, over the {MAX_UNCOMPRESSED / 1024**2:,.0f} MB limit")
    checked = Checked()
    for m in members:
        if m.file_size > 10 * 1024**2 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise fail(f"{m.filename} is compressed {m.file_size // max(m.compress_size, 1):,}:1, "
                       "which only a zip bomb does")
        if not _is_xml(m.filename):
            continue
        with z.open(m) as fh:
            raw = fh.read(HEAD)
        head, utf16 = _as_utf8(raw, m.filename, fail)
        if utf16:
            checked.utf16.append(m.filename)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:  # entity expansion ("billion laughs") and friends
            raise fail(f"{m.filename} declares XML entities, which workbooks never need")
        if _is_sheet(m.filename):
            match = _DIMENSION.search(head)
            if match:
                col0, row0, col1, row1 = (g.decode() if g else None for g in match.groups())
                _check_area(col0, int(row0), col1 or col0, int(row1 or row0), m.filename, fail)
            elif not utf16:  # no declared size (hand-made files): find the farthest cell ourselves
                _check_cells(_read_plain(z, m), m.filename, fail)
        if m.filename == "xl/sharedStrings.xml":
            _check_string_counts(head, m.filename, fail)
    return checked


def _check_string_counts(head: bytes, name: str, fail) -> None:
    root = re.search(rb"<(?:\w+:)?sst\b[^>]*>", head)
    for attr, value in _COUNTS.findall(root.group(0) if root else b""):
        if int(value) > MAX_STRINGS:
            raise fail(f"{name} declares {int(value):,} strings ({attr.decode()}), "
                       f"more than the {MAX_STRINGS:,} any workbook this tool reads holds")


def _check_area(col0: str, row0: int, col1: str, row1: int, name: str, fail) -> None:
    rows = abs(row1 - row0) + 1
    cols = abs(column_index(col1) - column_index(col0)) + 1
    if rows * cols > MAX_CELLS:
        raise fail(f"{name} spans {rows:,} rows x {cols:,} columns, far beyond any customer table")


def _check_cells(chunks, name: str, fail) -> None:
    """The area from A1 to the farthest cell any `r` names."""
    max_row, max_col, tail = 1, 1, b""
    for chunk in chunks:
        text = tail + chunk
        cut = text.rfind(b"<")
        text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
        for col, row in _CELL_REF.findall(text):
            max_row, max_col = max(max_row, int(row)), max(max_col, column_index(col.decode()) + 1)
    _check_area("A", 1, letter(max_col - 1), max_row, name, fail)


def scan_parts(path: Path, consumers: dict[str, Callable[[bytes], None]] | None = None,
               far_cells: bool = False) -> None:
    """Inflate every part of the workbook with a cap and check what the directory cannot show:
    real sizes and checksums, NUL characters, cells without a reference (with `far_cells`, also
    every sheet's farthest cell). `consumers[part]` gets that part's text (UTF-8) chunk by chunk."""
    fail = _failer(path)
    consumers = consumers or {}
    try:
        with zipfile.ZipFile(path) as z:
            budget = MAX_UNCOMPRESSED
            for m in z.infolist():
                chunks = _inflate(z, m, budget, fail)
                if _is_xml(m.filename):
                    chunks = _utf8_chunks(chunks, m.filename, fail)
                    chunks = _checked_xml(chunks, m.filename, fail)
                    if _is_sheet(m.filename):
                        chunks = _checked_cells(chunks, m.filename, fail)
                consume = consumers.get(m.filename)
                if far_cells and _is_sheet(m.filename):
                    _check_cells(_feeding(chunks, consume), m.filename, fail)
                else:
                    for chunk in chunks:
                        if consume:
                            consume(chunk)
                budget -= m.file_size
    except _DAMAGED as exc:
        raise fail(f"is a damaged zip file ({exc})") from None


def check_thoroughly(path: Path) -> None:
    """Every check there is, reading every byte: used to name what made a reader die."""
    if check_file(path) is not None:
        scan_parts(path, far_cells=True)


def _feeding(chunks, consume):
    for chunk in chunks:
        if consume:
            consume(chunk)
        yield chunk


def _inflate(z: zipfile.ZipFile, m: zipfile.ZipInfo, budget: int, fail) -> Iterator[bytes]:
    """The member's bytes as really stored (not as the directory claims), stopped at the caps."""
    fh = z.fp
    fh.seek(m.header_offset)
    local = fh.read(30)
    if local[:4] != b"PK\x03\x04":
        raise fail(f"{m.filename} has no local header where the zip directory says")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    start = m.header_offset + 30 + name_len + extra_len
    cap = min(budget, max(10 * 1024**2, MAX_RATIO * max(m.compress_size, 1)))
    inflater = inflating.decompressobj(-15) if m.compress_type == zipfile.ZIP_DEFLATED else None
    left, position, produced, crc = m.compress_size, start, 0, 0

    def emitted(out: bytes) -> bytes:
        nonlocal produced, crc
        produced += len(out)
        if produced > cap:
            raise fail(f"{m.filename} inflates to more than {cap / 1024**2:,.0f} MB "
                       f"(the zip directory says {m.file_size:,} bytes), which only a zip bomb does")
        crc = inflating.crc32(out, crc)
        return out

    while left > 0:
        fh.seek(position)  # the zip's one file handle: other readers may have moved it
        raw = fh.read(min(CHUNK, left))
        if not raw:
            raise fail(f"{m.filename} is cut short (the file is truncated)")
        left -= len(raw)
        position += len(raw)
        if inflater is None:
            yield emitted(raw)
            continue
        while not inflater.eof:
            out = inflater.decompress(raw, CHUNK)  # at most CHUNK out per call: memory stays bounded
            raw = inflater.unconsumed_tail
            if out:
                yield emitted(out)
            if not raw and len(out) < CHUNK:  # this input is used up
                break
    if inflater is not None:
        if not inflater.eof:
            raise fail(f"{m.filename} is cut short (its compressed data does not end)")
    if produced != m.file_size:
        raise fail(f"{m.filename} holds {produced:,} bytes but the zip directory says {m.file_size:,}: "
                   "the file was altered or damaged")
    if crc != m.CRC:
        raise fail(f"{m.filename} is damaged (its checksum does not match: bad CRC)")


def _utf8_chunks(chunks, name: str, fail) -> Iterator[bytes]:
    """The part as UTF-8, whatever Unicode encoding it declares by its first bytes."""
    decoder = None
    for chunk in chunks:
        if decoder is None:
            _, utf16 = _as_utf8(chunk[:4], name, fail)
            if not utf16:
                yield from _plain_rest(chunk, chunks)
                return
            decoder = codecs.getincrementaldecoder(_utf16_codec(chunk))("strict")
        try:
            yield decoder.decode(chunk).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(f"{name} is not valid UTF-16 text ({exc.reason})") from None


def _plain_rest(first: bytes, rest) -> Iterator[bytes]:
    yield first
    yield from rest


def _checked_xml(chunks, name: str, fail) -> Iterator[bytes]:
    for chunk in chunks:
        if b"\x00" in chunk or (b"&#" in chunk and _NUL_REF.search(chunk)):
            raise fail(f"{name} holds NUL characters, which XML does not allow and no workbook writes")
        yield chunk


def _checked_cells(chunks, name: str, fail) -> Iterator[bytes]:
    """Cells must say where they are (`r`): a cell without one is placed by counting, which the
    readers do not agree on (and one aborts on)."""
    tail, first_not_r = b"", None
    for chunk in chunks:
        yield chunk
        text = tail + chunk
        cut = text.rfind(b"<")
        text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
        if first_not_r is None:
            root = _ROOT.search(text)
            prefix = (root.group(1) or b"") if root else b""
            first_not_r = re.compile(b"<" + re.escape(prefix) + rb"c(?:[\t\r\n>/]| (?!r=))")
        # Fast path (one scan): every writer puts r first, so only a cell starting otherwise needs a look.
        if first_not_r.search(text):
            for cell in _CELL_TAG.finditer(text):
                if not _HAS_REF.search(cell.group(0)):
                    raise fail(f"{name} has cells without a cell reference (r attribute), which Excel never "
                               "writes; open the file in Excel or LibreOffice and save it again")


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _utf16_codec(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-16-le" if raw[:2] == b"<\x00" else "utf-16-be"


def _as_utf8(raw: bytes, name: str, fail) -> tuple[bytes, bool]:
    """(the text as UTF-8, whether it was UTF-16), from the first bytes of a part."""
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return raw, False
    return codecs.decode(raw[: len(raw) // 2 * 2], _utf16_codec(raw), "ignore").encode("utf-8"), True


def _read_plain(z: zipfile.ZipFile, m: zipfile.ZipInfo) -> Iterator[bytes]:
    with z.open(m) as fh:
        while chunk := fh.read(1 << 20):
            yield chunk
