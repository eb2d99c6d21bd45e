"""A table's rows as worksheet XML, built a column at a time, spliced into an xlsxwriter workbook.

Why: xlsxwriter spends ~20 us of Python per cell (type checks, a tuple, an XML call), which is
most of the 17-25 s a 100,000-row scored workbook took. Here each column is turned into cell
XML at once (text escaped once per distinct value), so the cost is a few string operations per
cell. xlsxwriter still writes everything else (header, formats, filters, conditional formats,
other sheets); `FastTableWorkbook.close` puts the rows in before `</sheetData>`, built CHUNK rows
at a time and shared with forked workers on spare cores (forked.py), deflated by ISA-L when it
is installed (fast_deflate).

Cells are what `write_value` writes: text always as an inline string (never a formula), numbers
with the column's number format, dates as serial numbers with the date format, booleans as
booleans; missing values (None, NaN, NaT, +-inf) are left out.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from itertools import repeat
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import xlsxwriter

from crm_xl.xlsx import forked
from crm_xl.xlsx.refs import letter

CHUNK = 10_000  # rows per piece of XML: ten pieces at 100k rows, shared between the cores
MAX_TEXT = 32_767  # a cell's limit (UTF-16 units): longer text is cut, as xlsxwriter does
# A typed "_x0041_" must not read back as "A": each "_" that starts such a run is escaped (_x005F_).
# Overlapping runs count: "_x005F_x0041_" has two. xlsxwriter matches without overlap, so it wrote
# that text to read back as "_x005FA"; its own pattern is replaced by this one for every sheet and
# shared-string table it writes (tests/test_sheetdata.py holds the cases).
_ESCAPED_ESCAPE = re.compile("(_(?=x[0-9a-fA-F]{4}_))")
xlsxwriter.xmlwriter.re_control_chars_1 = _ESCAPED_ESCAPE
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f\ufffe\uffff])")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")  # serial 1 = 1900-01-01 after Excel's 1900 leap day
_SECONDS_PER_DAY = 86_400.0


def escape_text(text: str, style: str = "") -> str:
    """Inline-string XML for one text value (escapes as Excel's own _xHHHH_ form for control chars)."""
    if len(text) > MAX_TEXT // 2 and len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        text = text.encode("utf-16-le")[: MAX_TEXT * 2].decode("utf-16-le", "ignore")
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _texts(values: np.ndarray, style: str) -> np.ndarray:
    """Cell tails for text values, escaping each distinct text once."""
    codes, tails = text_tails(values, style)
    return np.array(tails + [""], dtype=object)[codes]


def text_tails(values: np.ndarray, style: str) -> tuple[np.ndarray, list[str]]:
    """(each value's code, -1 where missing; the tail of each distinct text, in code order)."""
    codes, uniques = pd.factorize(values)
    return codes, _escaped(uniques.tolist(), style)


_NEEDS_CARE = re.compile(r"_x[0-9a-fA-F]{4}_|[\x01-\x08\x0b-\x1f\ufffe\uffff]")  # escape_text's own cases (NUL: below)
_SPACED = re.compile(r"\x00(?=\s)|\s(?=\x00)")  # \s is str.isspace: a text that starts or ends with a space


def _escaped(texts: list[str], style: str) -> list[str]:
    """escape_text of each text. The usual texts (short, no control character, no `_xHHHH_`) are
    escaped and wrapped in passes over all of them joined by NUL, in C; the others go one by one."""
    if not texts:
        return []
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: the joined form cannot be split back
        return [escape_text(t, style) for t in texts]
    careful = np.array([len(t) > MAX_TEXT // 2 for t in texts]) if max(map(len, texts)) > MAX_TEXT // 2 else None
    marks = [m.start() for m in _NEEDS_CARE.finditer(joined)]
    # where the space is in `joined`: after a matched NUL, or at a matched space (less the NUL put in front)
    spaced = [m.start() - (m.group() != "\x00") for m in _SPACED.finditer(f"\x00{joined}\x00")]
    if marks or spaced:  # which texts hold them: by where each text starts in the joined string
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        which = lambda positions: np.searchsorted(starts, positions, side="right") - 1  # noqa: E731
    if marks:
        careful = np.zeros(len(texts), bool) if careful is None else careful
        careful[which(marks)] = True
    head, end = f'{style} t="inlineStr"><is><t', "</t></is></c>"
    escaped = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = (f"{head}>" + escaped.replace("\x00", f"{end}\x00{head}>") + end).split("\x00")
    for i in (np.unique(which(spaced)).tolist() if spaced else []):
        out[i] = f"{head}{_SPACE}{out[i][len(head):]}"
    if careful is not None:
        for i in np.flatnonzero(careful).tolist():
            out[i] = escape_text(texts[i], style)
    return out


_SPACE = ' xml:space="preserve"'



def _numbers(values: np.ndarray, style: str) -> np.ndarray:
    """Cell tails for floats ('' for non-finite)."""
    finite = np.isfinite(values)
    out = np.full(len(values), "", dtype=object)
    out[finite] = f"{style}><v>" + number_texts(values[finite]) + "</v></c>"
    return out


def number_texts(values: np.ndarray) -> np.ndarray:
    """The shortest text that reads back exactly: whole numbers as integers (12.0 as 12, as Excel
    stores it; numpy formats those at C speed), the rest by repr."""
    whole = whole_numbers(values)
    out = np.empty(len(values), dtype=object)
    small = whole & (values >= 0) & (values < len(_SMALL_WHOLE))  # scores, days, counts: looked up, not formatted
    out[small] = _SMALL_WHOLE[values[small].astype(np.int64)]
    large = whole & ~small
    out[large] = values[large].astype(np.int64).astype(str).astype(object)
    out[~whole] = repr_texts(values[~whole])
    return out


def whole_numbers(values: np.ndarray) -> np.ndarray:
    """Which (finite) values are written as integers: whole, and exact as one (below 2**53)."""
    return (values == np.floor(values)) & (np.abs(values) < 2.0**53)


def repr_texts(values: np.ndarray) -> list[str]:
    """The shortest texts that read back exactly, for values that are not whole_numbers."""
    return [repr(v).removesuffix(".0") for v in values.tolist()]  # 1e+16 stays as repr writes it


_SMALL_WHOLE = np.array([str(i) for i in range(10_000)], dtype=object)


def _serials(moments: np.ndarray) -> np.ndarray:
    """Excel serial day numbers of datetime64 values (NaT -> NaN); days before 1900-03-01 as xlsxwriter does."""
    seconds = moments.astype("datetime64[s]")
    days = (seconds - _EXCEL_EPOCH).astype(np.float64) / _SECONDS_PER_DAY
    days[np.isnat(seconds)] = np.nan
    return np.where(days < 61, days - 1, days)


def _date_of(value) -> np.datetime64:
    if isinstance(value, pd.Timestamp):
        return np.datetime64(value.tz_localize(None) if value.tz else value, "s")
    if isinstance(value, dt.datetime):
        return np.datetime64(value.replace(tzinfo=None), "s")
    if isinstance(value, dt.date):
        return np.datetime64(value, "s")
    return np.datetime64(value, "s")


def column_tails(series: pd.Series, style: CellStyles) -> np.ndarray:
    """Everything after `<c r="A2"` for each cell of a column; '' where the cell stays empty."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = column_tails(pd.Series(dtype.categories.to_numpy(dtype=object), dtype=object), style)
        return np.append(categories, "")[series.cat.codes.to_numpy()]  # code -1 (missing) -> ''
    if pd.api.types.is_bool_dtype(dtype):
        return np.array(["" if v is pd.NA or v is None else f' t="b"{style.number}><v>{int(bool(v))}</v></c>'
                         for v in series.to_numpy(dtype=object)], dtype=object)
    if pd.api.types.is_numeric_dtype(dtype):
        return _numbers(series.to_numpy(dtype=np.float64, na_value=np.nan), style.number)
    if pd.api.types.is_datetime64_dtype(dtype):
        return _numbers(_serials(series.to_numpy()), style.date)
    return _mixed(series.to_numpy(dtype=object), style)


def _mixed(values: np.ndarray, style: CellStyles) -> np.ndarray:
    """An object column: each value by its own type (a date typed into a text column stays a date)."""
    kinds = _kinds(values)
    out = np.full(len(values), "", dtype=object)
    text = kinds == _TEXT
    if text.any():
        out[text] = _texts(values[text], style.text)
    number = kinds == _NUMBER
    if number.any():
        out[number] = _numbers(values[number].astype(np.float64), style.number)
    flag = kinds == _BOOL
    out[flag] = [f' t="b"{style.number}><v>{int(bool(v))}</v></c>' for v in values[flag]]
    moment = kinds == _DATE
    if moment.any():
        out[moment] = _numbers(_serials(np.array([_date_of(v) for v in values[moment]])), style.date)
    other = kinds == _OTHER
    if other.any():
        out[other] = _texts(np.array([str(v) for v in values[other]], dtype=object), style.text)
    return out


_MISSING, _TEXT, _NUMBER, _BOOL, _DATE, _OTHER = range(6)


def _kinds(values: np.ndarray) -> np.ndarray:
    """Each value's kind; a column of only text and blanks (the usual one) is told apart at C speed,
    any other by its values' exact types, with _kind for a type not listed (subclasses, NaT)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        blank = pd.isna(values) | (values == "")
        return np.where(blank, _MISSING, _TEXT).astype(np.int8)
    kinds = np.fromiter(map(_KIND_OF_TYPE.get, map(type, values), repeat(_UNLISTED)), np.int8, len(values))
    text = np.flatnonzero(kinds == _TEXT)
    kinds[text[values[text] == ""]] = _MISSING  # an empty text is an empty cell
    unlisted = np.flatnonzero(kinds == _UNLISTED)
    kinds[unlisted] = [_kind(v) for v in values[unlisted]]
    return kinds


_UNLISTED = -1
_KIND_OF_TYPE = {type(None): _MISSING, str: _TEXT, float: _NUMBER, int: _NUMBER, np.float64: _NUMBER,
                 np.int64: _NUMBER, bool: _BOOL, np.bool_: _BOOL, pd.Timestamp: _DATE, dt.datetime: _DATE,
                 dt.date: _DATE}


def _kind(v) -> int:
    if v is None or v is pd.NA or v is pd.NaT:
        return _MISSING
    if isinstance(v, str):
        return _TEXT if v else _MISSING  # an empty text is an empty cell
    if isinstance(v, (bool, np.bool_)):
        return _BOOL
    if isinstance(v, (int, float, np.integer, np.floating)):
        return _NUMBER  # NaN and inf become '' in _numbers
    if isinstance(v, (dt.date, np.datetime64)):
        return _MISSING if isinstance(v, np.datetime64) and np.isnat(v) else _DATE
    return _OTHER


@dataclass(frozen=True)
class CellStyles:
    """The style attribute (' s="N"' or '') a column's cells get, by what they hold."""

    number: str = ""  # numbers and booleans
    date: str = ""
    text: str = ""
    blank: str | None = None  # an empty cell: None leaves it out, else it is written with this style


def style_attr(fmt) -> str:
    """' s="N"' for an xlsxwriter format (numbered now, as the rows refer to it), '' for none."""
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


@dataclass(frozen=True)
class TableRows:
    """A frame queued for a sheet: its rows go in from sheet row `first_row` (1-based)."""

    frame: pd.DataFrame
    styles: list[CellStyles]
    first_row: int
    progress: Callable[[int], None] | None = None
    links: tuple[tuple[int, int, str], ...] = ()  # (position, column, location in the workbook): a hyperlink each
    # (column, positions in ascending order, styles): cells styled apart from their column (marked red,
    # locked grey); a later entry wins over an earlier one for the same cell
    overrides: tuple[tuple[int, np.ndarray, CellStyles], ...] = ()

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.frame) - 1

    def starts(self) -> range:
        return range(0, len(self.frame), CHUNK)

    def overrides_in(self, column: int, start: int, count: int) -> list[tuple[np.ndarray, CellStyles]]:
        """The overrides of `column` among the `count` rows from position `start`, at positions from there."""
        out = []
        for j, positions, styles in self.overrides:
            if j == column:
                inside = positions[(positions >= start) & (positions < start + count)] - start
                if len(inside):
                    out.append((inside, styles))
        return out


def styled_tails(series: pd.Series, style: CellStyles) -> np.ndarray:
    """column_tails, with empty cells written with the blank style when it has one."""
    tails = column_tails(series, style)
    return np.where(tails == "", style.blank + "/>", tails) if style.blank is not None else tails


def rows_xml(table: TableRows, start: int) -> str:
    """`<row>` elements for the CHUNK rows of the table from position `start` on."""
    part = table.frame.iloc[start:start + CHUNK]
    numbers = np.arange(table.first_row + start, table.first_row + start + len(part)).astype(str).astype(object)
    grid = np.empty((len(part), len(part.columns) + 2), dtype=object)  # row head, cells, row end: one join
    grid[:, 0] = '<row r="' + numbers + '">'
    for j in range(len(part.columns)):
        tails = styled_tails(part.iloc[:, j], table.styles[j])
        for local, styles in table.overrides_in(j, start, len(part)):
            tails[local] = styled_tails(part.iloc[local, j], styles)
        grid[:, j + 1] = np.where(tails == "", "", f'<c r="{letter(j)}' + numbers + '"' + tails)
    grid[:, -1] = "</row>"
    return "".join(grid.ravel().tolist())


class TextSafeWorksheet(xlsxwriter.worksheet.Worksheet):
    """In constant-memory mode xlsxwriter writes any text shaped like `<r>…</r>` raw, as its own
    rich-string XML: a typed `<r>a<b</r>` would break the workbook. A plain text cell stays text."""

    _plain_text = False
    table_from: int | None = None  # 0-based first row of the tables spliced in (FastTableWorkbook.add_table_rows)

    def _write_empty_row(self, row, spans, row_info=None) -> None:
        # A note on a cell of a spliced table makes xlsxwriter write its row, empty: the table writes it
        if self.table_from is None or row < self.table_from:
            super()._write_empty_row(row, spans, row_info)

    def _write_cell(self, row, col, cell) -> None:
        self._plain_text = type(cell).__name__ == "String"  # not a RichString xlsxwriter built itself
        super()._write_cell(row, col, cell)

    def _xml_rich_inline_string(self, string, attributes=()) -> None:
        if self._plain_text:
            self._xml_inline_string(string, string != string.strip() or "\n" in string, list(attributes))
        else:
            super()._xml_rich_inline_string(string, list(attributes))


class FastTableWorkbook(xlsxwriter.Workbook):
    """An xlsxwriter workbook that can take whole tables as column-built XML (see module docstring);
    its sheets write typed text as text whatever it looks like (TextSafeWorksheet)."""

    worksheet_class = TextSafeWorksheet

    def __init__(self, filename, options=None):
        super().__init__(filename, options)
        self._tables: dict[int, list[TableRows]] = {}  # sheet number -> its tables, in row order
        # Every cell at the top of its row: a row grows with a wrapped text (a long store name) and the
        # cells beside it stay level with its first line. xf 0 (a cell without a style) included.
        self.formats[0].set_align("top")
        self.date_format = self.add_format({"num_format": (options or {}).get("default_date_format", "yyyy-mm-dd"),
                                            "valign": "top"})

    def add_table_rows(self, ws, frame: pd.DataFrame, styles: list[CellStyles], first_row: int,
                       progress: Callable[[int], None] | None = None,
                       links: list[tuple[int, int, str]] = (),
                       overrides: list[tuple[int, np.ndarray, CellStyles]] = ()) -> None:
        """Queue the frame's rows for sheet `ws`, from sheet row `first_row` (1-based) on; rows written
        to `ws` the ordinary way must all come before them. `links`: (position, column, location) of
        cells that link to a place in the workbook (`'Customers'!D5`), as write_url's internal links do.
        `overrides`: (column, positions, styles) of cells styled apart from their column."""
        index = self.worksheets().index(ws) + 1
        ws.table_from = first_row - 1 if ws.table_from is None else min(ws.table_from, first_row - 1)
        overrides = tuple((j, np.sort(np.asarray(p, dtype=np.int64)), s) for j, p, s in overrides)
        self._tables.setdefault(index, []).append(TableRows(frame, styles, first_row, progress, tuple(links), overrides))

    def close(self) -> None:
        for index, tables in self._tables.items():  # cells written the ordinary way must all sit above the rows
            ws, first = self.worksheets()[index - 1], min(t.first_row for t in tables)
            last = _last_cell_row(ws)
            if last is not None and last > first - 2:
                raise RuntimeError(f"sheet {ws.name}: a cell was written at row {last + 1}, "
                                   f"among the table rows spliced in from row {first}")
            if any(row >= first - 1 for row in ws.row_info):  # a row's height or format would be lost
                raise RuntimeError(f"sheet {ws.name}: set_row among the table rows spliced in from row {first}")
            if ws.hlink_count and any(t.links for t in tables):  # one <hyperlinks> element per sheet
                raise RuntimeError(f"sheet {ws.name}: links written with write_url beside table links")
        super().close()
        if self._tables:
            _splice(Path(self.filename), self._tables)


def _splice(path: Path, tables: dict[int, list[TableRows]]) -> None:
    """Rewrite the zip with each table's rows inserted into its sheet's XML."""
    by_sheet = {f"xl/worksheets/sheet{i}.xml": queued for i, queued in tables.items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name.lstrip('.')}.", suffix=".part")  # hidden
    os.close(fd)
    os.chmod(tmp, os.stat(path).st_mode)  # mkstemp makes it private; keep the mode the file had
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename not in by_sheet:
                    dst.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
                    continue
                queued = by_sheet[item.filename]
                last, ncols = max(t.last_row for t in queued), max(len(t.frame.columns) for t in queued)
                xml = data.decode("utf-8")
                if last >= 2:
                    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{letter(ncols - 1)}{last}"/>', xml, 1)
                head, tail = xml.split("</sheetData>", 1) if "</sheetData>" in xml else (
                    xml.replace("<sheetData/>", "<sheetData>", 1).split("<sheetData>", 1)[0] + "<sheetData>",
                    xml.split("<sheetData/>", 1)[1])
                # by name, so the entry takes the archive's compresslevel (a bare ZipInfo would get
                # zlib's default, 6: three times the time for a file a fifth smaller)
                with dst.open(item.filename, "w", force_zip64=True) as out:
                    fast_deflate(out)
                    out.write(head.encode("utf-8"))
                    _write_behind(out, _rows_bytes(queued))
                    out.write(("</sheetData>" + _with_links(tail, queued)).encode("utf-8"))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _last_cell_row(ws) -> int | None:
    """The last row (0-based) holding a cell written the ordinary way. Out of constant-memory mode
    (notes on cells) xlsxwriter keeps its cells in `table`; a note alone is no cell."""
    if ws.constant_memory:
        return ws.dim_rowmax
    return max((row for row, cells in ws.table.items() if cells), default=None)


# What may follow <hyperlinks> in a worksheet (the schema fixes the order of its elements)
_AFTER_LINKS = re.compile(r"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|"
                          r"cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|"
                          r"oleObjects|controls|webPublishItems|tableParts|extLst)\b|</worksheet>")


def _with_links(tail: str, tables: list[TableRows]) -> str:
    """The sheet XML after </sheetData>, with a <hyperlinks> element for the tables' links (if any)."""
    links = [f'<hyperlink ref="{letter(column)}{t.first_row + position}" location="{escape(location, _QUOTE)}"/>'
             for t in tables for position, column, location in t.links]
    if not links:
        return tail
    at = _AFTER_LINKS.search(tail).start()
    return f"{tail[:at]}<hyperlinks>{''.join(links)}</hyperlinks>{tail[at:]}"


_QUOTE = {'"': "&quot;"}  # escape() does &, < and >; an attribute in double quotes needs " too


def _rows_bytes(tables: list[TableRows]) -> Iterator[bytes]:
    """The tables' rows as UTF-8 XML, a chunk at a time and in order, built side by side on spare cores."""
    chunks = [(t, start) for t in tables for start in t.starts()]
    build = _row_builder()
    built = forked.in_order(len(chunks), lambda i: build(*chunks[i]))
    for (table, start), data in zip(chunks, built):
        yield data
        if table.progress:
            table.progress(min(CHUNK, len(table.frame) - start))


def _row_builder() -> Callable[[TableRows, int], bytes]:
    """arrow_rows.rows_bytes where pyarrow is installed (the same bytes, under half the CPU), else rows_xml."""
    try:
        from crm_xl.xlsx.arrow_rows import rows_bytes
    except ImportError:
        return lambda table, start: rows_xml(table, start).encode("utf-8")
    return rows_bytes


def fast_deflate(entry) -> None:
    """ISA-L's deflate for a zip entry opened for writing, when the `fast` extra is installed: on a
    169 MB sheet 0.22 s and 27.6 MB, against zlib level 1's 1.0 s and 29.7 MB. zipfile has no
    switch for another compressor, so the entry's is replaced before anything is written."""
    try:
        from isal import isal_zlib
    except ImportError:
        return
    if getattr(entry, "_compressor", None) is not None and entry._file_size == 0:
        entry._compressor = isal_zlib.compressobj(2, isal_zlib.DEFLATED, -15)


def _write_behind(out, chunks: Iterator[bytes]) -> None:
    """Write each chunk in a second thread while the next is built: deflate and crc32 release the
    GIL, so on two cores compressing costs no wall time beside building the XML."""
    with ThreadPoolExecutor(1) as pool:
        pending = None
        for chunk in chunks:
            if pending is not None:
                pending.result()
            pending = pool.submit(out.write, chunk)
        if pending is not None:
            pending.result()
