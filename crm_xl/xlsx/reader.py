"""Reading one xlsx sheet fast and without losing a cell.

fastexcel (Rust, calamine underneath) reads each column straight into Arrow in the type the
schema gives it: numbers as exact floats, dates as timestamps, everything else as text. A cell
that is not of its column's type (`1,234원` in an amount column) comes back as its own text from
fastexcel's error list, so the validator can name it; nothing is guessed from the first rows and
nothing silently turns empty. Two things no fast reader shows are found by one streaming pass over
the sheet XML, alongside the parse: formula cells (readers return only the cached value) and
TRUE/FALSE cells (read as 1/0 in a number column).

The header row has to be known before the typed read, so `head_rows` parses just the first rows
of the sheet XML (and as much of the shared strings as they use) — milliseconds, however big the
sheet.

(Just over 300 lines: the header read, the typed read and the XML scan share the zip/XML helpers
and must agree on row numbering, so they stay together.)
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from crm_xl.findings import InputError, finding
from crm_xl.xlsx.spaces import SPACES
from crm_xl.xlsx.refs import cell_position, column_index, letter
from crm_xl.xlsx.safety import check_xlsx, scan_parts

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
HEAD_BYTES = 8 * 1024**2  # the first rows of any sheet fit in this, however wide
CHUNK = 4 * 1024**2
EXCEL_EPOCH = np.datetime64("1899-12-30")
LAST_SERIAL = 2_958_465  # 9999-12-31, the last day a workbook holds
EMPTY = {"number": (np.nan, float), "date": (np.datetime64("NaT"), "datetime64[ms]"), "text": (None, object)}
READ_AS = {"number": "float", "date": "datetime", "text": "string"}
ERROR_TEXT = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
              "Ref": "#REF!", "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}


@dataclass
class SheetColumns:
    """Typed columns of one sheet, each indexed from spreadsheet row 1."""

    values: dict[int, np.ndarray]  # 0-based column index -> float, datetime64 or object (text, None) array
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column), 0-based
    errors: list[tuple[int, int]] = field(default_factory=list)  # cells holding an Excel error (t="e")


def fast_reader():
    """The fastexcel module, or None on an install without the `fast` extra (e.g. Pyodide)."""
    try:
        import fastexcel
    except ImportError:
        return None
    return fastexcel


def open_workbook(path: Path):
    """A fastexcel reader of the workbook (it parses the shared strings once, for every sheet read),
    or, without fastexcel, the pure-Python PlainWorkbook that keeps the same promises.

    Call only after `safety.check_xlsx`: the Rust reader aborts the process on hostile files.
    Parts written in UTF-16 (valid OOXML the Rust reader cannot parse) are read from a UTF-8 copy.
    """
    fastexcel = fast_reader()
    if fastexcel is None:
        from crm_xl.xlsx.plain_reader import PlainWorkbook

        return PlainWorkbook(path)
    try:
        return fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for damaged or encrypted files
        utf16 = check_xlsx(path).utf16
        if utf16:
            return _open_utf8_copy(path, utf16)
        raise InputError([finding("file-unreadable", file=path, detail=f"cannot be opened as a workbook ({exc})")]) from None


def _open_utf8_copy(path: Path, parts: list[str]):
    import fastexcel

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "utf8.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename in parts:
                    text = data.decode("utf-16")
                    data = re.sub(r"""^(<\?xml[^>]*encoding=)["'][^"']*["']""", r'\1"UTF-8"', text).encode("utf-8")
                target.writestr(info.filename, data)
        try:
            return fastexcel.read_excel(str(copy))  # it reads the whole file in: the copy can go
        except Exception as exc:
            raise InputError([finding("file-unreadable", file=path,
                                      detail=f"cannot be opened as a workbook ({exc})")]) from None


def sheet_member(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet's XML, found through workbook.xml and its relationships."""
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rid = next((s.get(REL_ID) for s in book.iter(f"{MAIN_NS}sheet") if s.get("name") == sheet), None)
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def head_rows(path: Path, sheet: str, rows: int) -> list[list]:
    """The values of the sheet's first `rows` rows (row 0 = spreadsheet row 1), padded to one width."""
    try:
        return _head_rows(path, sheet, rows)
    except (ElementTree.ParseError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # damaged XML or parts
        raise InputError([finding("file-unreadable", file=path, detail=f"sheet {sheet} cannot be read ({exc})")]) from None


def _head_rows(path: Path, sheet: str, rows: int) -> list[list]:
    with zipfile.ZipFile(path) as z:
        member = sheet_member(z, sheet)
        if member is None:
            return []
        cells = _head_cells(z, member, rows)
        wanted = {v.index for v in cells.values() if isinstance(v, _Shared)}
        strings = _shared_strings(z, max(wanted) + 1) if wanted else []
    width = max((c for _, c in cells), default=-1) + 1
    grid = [[None] * width for _ in range(max((r for r, _ in cells), default=-1) + 1)]
    for (r, c), v in cells.items():
        grid[r][c] = (strings[v.index] if v.index < len(strings) else None) if isinstance(v, _Shared) else v
    return grid


@dataclass(frozen=True)
class _Shared:
    index: int


def _head_cells(z: zipfile.ZipFile, member: str, rows: int) -> dict[tuple[int, int], object]:
    parser = ElementTree.XMLPullParser(events=("end",))
    cells: dict[tuple[int, int], object] = {}
    row_at, read = -1, 0
    with z.open(member) as fh:
        while read < HEAD_BYTES and (chunk := fh.read(64 * 1024)):
            read += len(chunk)
            parser.feed(chunk)
            for _, el in parser.read_events():
                if _local(el.tag) != "row":
                    continue
                row_at = int(el.get("r")) - 1 if el.get("r") else row_at + 1
                if row_at >= rows:
                    return cells
                col_at = -1
                for c in el:
                    col_at = cell_position(c.get("r"))[1] if c.get("r") else col_at + 1
                    value = _cell_value(c)
                    if value is not None:
                        cells[(row_at, col_at)] = value
                el.clear()
    return cells


def _cell_value(c: ElementTree.Element):
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return _text_of(next((e for e in c if _local(e.tag) == "is"), None))
    v = next((e.text for e in c if _local(e.tag) == "v"), None)
    if v is None:
        return None
    if kind == "s":
        return _Shared(int(v))
    if kind == "n":
        try:
            return float(v)
        except ValueError:
            return v
    return v  # str (a formula's text), b, e, d: the header search only needs text


def _shared_strings(z: zipfile.ZipFile, count: int) -> list[str]:
    """The first `count` shared strings (the first rows use the first strings of the table)."""
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    parser = ElementTree.XMLPullParser(events=("end",))
    out: list[str] = []
    with z.open("xl/sharedStrings.xml") as fh:
        while chunk := fh.read(256 * 1024):
            parser.feed(chunk)
            for _, el in parser.read_events():
                if _local(el.tag) == "si":
                    out.append(_text_of(el))
                    el.clear()
                    if len(out) >= count:
                        return out
    return out


def _text_of(el: ElementTree.Element | None) -> str:
    """A rich or plain string's text: its <t> runs, without phonetic (<rPh>) guides."""
    if el is None:
        return ""
    parts = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_columns(workbook, path: Path, sheet: str, types: dict[int, str], first_row: int = 0) -> SheetColumns:
    """The columns `types` names (0-based index -> text, number or date), each in its type.

    Arrays are indexed from spreadsheet row 1; only rows from `first_row` (0-based) down are data:
    above it (the header, a title) a cell of another type is simply empty, not kept as text.

    The typed read (Rust, no GIL) runs while this thread scans the sheet XML for formula and
    TRUE/FALSE cells, so the scan costs no extra time on two cores.
    """
    with ThreadPoolExecutor(1) as pool:
        typed = pool.submit(_typed_read, workbook, path, sheet, types, first_row)
        formulas, booleans, errors = cell_marks(path, sheet)
        values = typed.result()
    for row, col in booleans:  # as Excel shows them (a number column would hold 1/0, a text one true/false)
        if types.get(col) in ("number", "text") and first_row <= row < len(values[col]):
            values[col] = _as_objects(values[col])
            values[col][row] = "TRUE" if values[col][row] in (1, "true") else "FALSE"
    for (row, col), shown in errors:  # as Excel shows them, in any column (a reader may leave them empty)
        if col in types and first_row <= row < len(values[col]) and shown and values[col][row] != shown:
            values[col] = _as_objects(values[col])
            values[col][row] = shown
    return SheetColumns(values, formulas, [cell for cell, _ in errors])


def _typed_read(workbook, path: Path, sheet: str, types: dict[int, str], first_row: int) -> dict[int, np.ndarray]:
    if not types:
        return {}
    if not hasattr(workbook, "load_sheet"):  # the pure-Python reader
        return workbook.typed_columns(sheet, types, first_row)
    letters = ",".join(letter(c) for c in sorted(types))
    try:
        loaded = workbook.load_sheet(
            sheet, header_row=None, skip_rows=0, use_columns=letters,
            dtypes={c: READ_AS[t] for c, t in types.items()})
        batch, errors = loaded.to_arrow_with_errors()
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # fastexcel's errors, and Rust panics (not Exceptions), e.g. a date serial out of range
        raise InputError([finding("file-unreadable", file=path, detail=_unreadable(exc))]) from None
    positions = [c.absolute_index for c in loaded.selected_columns]
    values = {col: _to_numpy(batch.column(j), types[col]) for j, col in enumerate(positions)}
    # The texts `NaN`, `inf`, `1e309` read as numbers no cell can hold: each such cell is kept as typed
    unheld = {col: rows for j, col in enumerate(positions) if types[col] == "number"
              and (rows := [r for r in _non_finite_rows(batch.column(j)) if r >= first_row])}
    for col, typed in _typed_texts(workbook, sheet, unheld, values).items():
        values[col] = _as_objects(values[col])
        values[col][unheld[col]] = typed
    # An error's column is counted from the start of the sheet's used range (ColumnInfo.index), not
    # from column A, nor among the columns read (a column without a header is left out).
    in_range = {c.index: c.absolute_index for c in loaded.selected_columns}
    for error in (errors.errors if errors else []):
        row, j = error.position
        if row < first_row:  # the header and any title above it: not data
            continue
        if j not in in_range:
            raise InputError([finding("file-unreadable", file=path, detail=f"cannot be read (a cell the reader "
                                      f"could not place: row {row + 1}, column {j + 1} of the used range)")])
        col = in_range[j]
        values[col] = _as_objects(values[col])
        values[col][row] = _original(error.detail)
    return {c: values.get(c, np.full(batch.num_rows, None, dtype=object)) for c in types}


def _non_finite_rows(array) -> list[int]:
    """Rows where a number column holds NaN or an infinity (not empty: that is null): a cell typed
    `NaN`, `-nan`, `inf` or `1e309`, or a hand-made number cell `<v>nan</v>`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_floating(array.type):
        return []
    held = pc.fill_null(pc.is_finite(array), True)  # null: an empty cell
    return np.flatnonzero(~held.to_numpy(zero_copy_only=False)).tolist()


def _typed_texts(workbook, sheet: str, cells: dict[int, list[int]], numbers: dict[int, np.ndarray]) -> dict:
    """What these cells (column -> rows) hold as text, read again as text: such cells are rare, and
    the typed read gave a float. A cell without a text (a number cell) is written as its float is."""
    if not cells:
        return {}
    loaded = workbook.load_sheet(sheet, header_row=None, skip_rows=0, use_columns=",".join(letter(c) for c in cells),
                                 dtypes={c: "string" for c in cells})
    batch = loaded.to_arrow()
    texts = {c.absolute_index: batch.column(j).to_pylist() for j, c in enumerate(loaded.selected_columns)}
    out = {}
    for col, rows in cells.items():
        column = texts.get(col, [])
        out[col] = np.array([column[r] if r < len(column) and column[r] else _float_text(numbers[col][r])
                             for r in rows], dtype=object)
    return out


def _float_text(value: float) -> str:
    return "NaN" if value != value else ("inf" if value > 0 else "-inf")


def _as_objects(values: np.ndarray) -> np.ndarray:
    """An object array of the same cells (dates as Timestamps: numpy would give nanosecond ints)."""
    if values.dtype == object:
        return values if values.flags.writeable else values.copy()
    return np.array(pd.Series(values).astype(object).to_numpy(), dtype=object)  # a writable copy


def _to_numpy(array, kind: str) -> np.ndarray:
    import pyarrow as pa

    if pa.types.is_null(array.type):  # an all-empty column: empty in its own type
        return np.full(len(array), *EMPTY[kind])
    if kind == "number":
        return array.to_numpy(zero_copy_only=False)  # float64, NaN where empty
    if kind == "date":
        return array.cast("timestamp[ms]").to_numpy(zero_copy_only=False)  # ms: nanoseconds wrap after 2262
    import pyarrow.compute as pc

    text = pc.utf8_trim(array, SPACES)  # spaces only, as values.texts trims: a control character stays, to be named
    text = pc.if_else(pc.equal(text, ""), None, text)
    return text.to_numpy(zero_copy_only=False)  # object: str, None where empty


def _unreadable(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "PanicException":  # the Rust reader gave up on a value, e.g. a date serial out of range
        return (f"cannot be read: a cell holds a value the reader cannot handle ({text}); dates must lie between "
                "1900-01-01 and 9999-12-31")
    return f"cannot be read ({text})"


_DETAIL = re.compile(r"Expected \w+ but got '(\w+)\((.*)\)'$", re.S)
_RUST_ESCAPE = re.compile(r"\\(u\{([0-9a-fA-F]+)\}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


def _original(detail: str):
    """The value of a cell fastexcel could not read as its column's type, from its error text.

    Strings come as Rust debug literals (`String("1,234원")`), dates as Excel serials.
    """
    match = _DETAIL.match(detail)
    if not match:
        return detail
    kind, inner = match.groups()
    if kind == "String" and inner.startswith('"') and inner.endswith('"'):
        return _RUST_ESCAPE.sub(lambda m: chr(int(m.group(2), 16)) if m.group(2)
                                else _SIMPLE_ESCAPES.get(m.group(1), m.group(1)), inner[1:-1])
    if kind == "DateTime":
        serial = re.search(r"value: ([-0-9.eE]+)", inner)
        if serial:
            days = float(serial.group(1))
            if not 0 <= days < LAST_SERIAL + 1:  # beyond 9999-12-31: no date, keep what the cell held
                return serial.group(1)
            seconds = round(days * 86_400)  # whole seconds from the Excel epoch: no nanosecond wrap
            return (np.datetime64(EXCEL_EPOCH, "s") + np.timedelta64(seconds, "s")).astype(object)
    if kind == "Bool":
        return inner.upper()
    if kind == "Error":
        return ERROR_TEXT.get(inner, f"#{inner.upper()}")
    return inner


_CELL = rb"""<(?:\w+:)?c\s[^>]*?\br=["']([A-Z]{1,3})(\d{1,7})["']"""  # either quote, r anywhere
_FORMULA = re.compile(_CELL + rb'[^>]*>\s*<(?:\w+:)?f[ >/]')
_BOOLEAN = re.compile(_CELL + rb"""[^>]*\bt=["']b["']""")
_ERROR = re.compile(_CELL + rb"""[^>]*\bt=["']e["'][^>]*>\s*"""  # then the formula, if any, and the error's text
                    rb"""(?:<(?:\w+:)?f\b[^>]*/>\s*|<(?:\w+:)?f\b[^>]*>[^<]*</(?:\w+:)?f>\s*)?(?:<(?:\w+:)?v>([^<]*)<)?""")


def cell_marks(path: Path, sheet: str) -> tuple[list, list, list]:
    """0-based (row, column) of every formula cell, every TRUE/FALSE cell and every cell holding an
    Excel error value (t="e": readers give its text, the same as a person typing `#N/A`) of a sheet.

    The sheet's text comes from the safety scan of the whole workbook (safety.scan_parts), which
    inflates every part once with its caps and checks: one pass does both.
    """
    with zipfile.ZipFile(path) as z:
        member = sheet_member(z, sheet)
    marks = _Marks(path)
    scan_parts(path, {member: marks.feed} if member else {})
    return sorted(marks.formulas), sorted(marks.booleans), sorted(marks.errors.items())


class _Marks:
    def __init__(self, path: Path):
        self.path = path
        self.formulas: set[tuple[int, int]] = set()
        self.booleans: set[tuple[int, int]] = set()
        self.errors: dict[tuple[int, int], str] = {}  # cell -> the error as the sheet holds it (#N/A)
        self.tail, self.formula_tag = b"", None

    def feed(self, chunk: bytes) -> None:
        text = self.tail + chunk
        self.tail = text[-512:]  # a cell's opening tag is split across chunks at most this far
        self.formula_tag = self.formula_tag or _formula_tag(text)
        # Substring tests first (each ~1 GB/s): the usual upload has no formula and no boolean.
        if self.formula_tag in text:
            found = list(_refs(_FORMULA, text))
            if text.count(self.formula_tag + b">") + text.count(self.formula_tag + b" ") > len(found):
                # every <f> sits in a cell; a formula the pattern missed would pass as a typed value
                _check_formula_cells(text, self.formula_tag, self.path)
            self.formulas.update(found)
        if b't="b"' in text or b"t='b'" in text:
            self.booleans.update(_refs(_BOOLEAN, text))
        if b't="e"' in text or b"t='e'" in text:
            for letters, row, shown in _ERROR.findall(text):
                self.errors[(int(row) - 1, column_index(letters.decode()))] = shown.decode("utf-8", "replace").strip()


def _check_formula_cells(text: bytes, tag: bytes, path: Path) -> None:
    for cell in re.finditer(rb"<(?:\w+:)?c\b([^>]*)>(?:(?!</(?:\w+:)?c>).)*?" + re.escape(tag) + rb"[ >/]", text, re.S):
        if not re.search(rb"""\br=["'][A-Z]{1,3}\d{1,7}["']""", cell.group(1)):
            raise InputError([finding("file-unreadable", file=path, detail="has a formula cell without a cell "
                                      "reference (r attribute); open it in Excel or LibreOffice and save it again")])


def _formula_tag(text: bytes) -> bytes:
    """`<f`, or `<x:f` in a sheet written with a namespace prefix (as some generators do)."""
    root = re.search(rb"<(\w+:)?worksheet[ >]", text)
    return b"<" + (root.group(1) or b"") + b"f" if root else b"<f"


def _refs(pattern: re.Pattern, text: bytes):
    return ((int(row) - 1, column_index(letters.decode())) for letters, row in pattern.findall(text))


def text_rows(workbook, path: Path, sheet: str) -> list[list[str | None]]:
    """Every row of a small sheet as text (None where empty), from either reader."""
    try:
        if not hasattr(workbook, "load_sheet"):
            return workbook.text_rows(sheet)
        loaded = workbook.load_sheet(sheet, header_row=None, dtypes="string", eager=True)
        columns = [loaded.column(i).to_pylist() for i in range(loaded.num_columns)]
    except InputError:
        raise
    except Exception as exc:  # fastexcel's own error types: a damaged or hand-edited sheet
        raise InputError([finding("file-unreadable", file=path, detail=f"sheet {sheet} cannot be read ({exc})")]) from None
    return [list(row) for row in zip(*columns)]
