"""Reading customer and transaction tables from xlsx or csv, headers matched to canonical names."""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.fields import canonical, columns
from crm_xl.findings import Finding, InputError, finding
from crm_xl.isolation import read_untrusted, read_untrusted_many
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.scoring.rfm import Transactions, prepare_transactions
from crm_xl.sheets.template import META_SHEET
from crm_xl.values import SPACES, typed_as_nonzero
from crm_xl.xlsx.reader import head_rows, open_workbook, read_columns
from crm_xl.xlsx.refs import letter
from crm_xl.xlsx.safety import check_text, check_xlsx

HEADER_SEARCH_ROWS = 20
CSV_ENCODINGS = ("utf-8-sig", "cp949", "gb18030")  # Excel's CSV exports in Korea and China
MAX_COLUMNS = 16_384  # Excel's last column, XFD


@dataclass
class Table:
    """A table read from a file, with canonical column names and where each came from."""

    frame: pd.DataFrame
    file: Path
    sheet: str
    header_row: int  # 1-based spreadsheet row of the headers
    letters: dict[str, str]  # column name -> spreadsheet column letter
    headers: dict[str, str] = field(default_factory=dict)  # column name -> the header as the file spells it
    notices: list[Finding] = field(default_factory=list)
    formulas: list[tuple[int, str]] = field(default_factory=list)  # (offset below the header, column)
    errors: list[tuple[int, str]] = field(default_factory=list)  # cells holding an Excel error value, as formulas

    def __getstate__(self) -> dict:  # a table comes back from its reading child pickled: text as Arrow
        return {**self.__dict__, "frame": _portable(self.frame)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, frame=_restored(state["frame"]))

    def sheet_row(self, position: int) -> int:
        """The row number the sheet shows for the `position`-th data row (blank rows counted)."""
        return self.header_row + 1 + int(self.frame.index[position])

    def cell(self, position: int, column: str) -> str:
        """Spreadsheet reference of the `position`-th data row in `column`, e.g. E8."""
        return f"{self.letters.get(column, '')}{self.sheet_row(position)}"

    def finding(self, code: str, position: int, column: str, **fields) -> Finding:
        """A finding at the cell of the `position`-th data row in `column`."""
        return finding(code, row=self.sheet_row(position), file=self.file, sheet=self.sheet,
                       cell=self.cell(position, column), column=column, **fields)

    def findings(self, batches) -> list[Finding]:
        """A finding at every failing cell of scoring checks' batches (crm_xl.scoring.problems), in row
        order; a cell read by two checks is reported once. Columns the file lacks get no cell."""
        out: dict[tuple[int, str, str], Finding] = {}
        for b in batches:
            values = b.values if b.values is not None else [None] * len(b.rows)
            for i, (position, value) in enumerate(zip(b.rows.tolist(), values)):
                fields = {"value": display_value(value), **(b.fields_at(i) if b.per_row() else b.fields)}
                if b.column in self.letters:
                    f = self.finding(b.code, position, b.column, **fields)
                else:
                    f = finding(b.code, row=self.sheet_row(position), file=self.file, sheet=self.sheet, cell=None,
                                column=b.column, **fields)
                out.setdefault((f.row, f.column, f.code), f)
        return sorted(out.values(), key=lambda f: f.row)

    def error_cells(self) -> list[tuple[int, str]]:
        """(position, column) of every cell holding an Excel error value (#N/A, #REF!, …: t="e" in the
        sheet; text typed as `#N/A` is text), positions counted like Problems rows."""
        positions = {int(i): p for p, i in enumerate(self.frame.index)}
        return [(positions[offset], column) for offset, column in self.errors if offset in positions]

    def error_findings(self) -> list[Finding]:
        """An `error-value` finding at every error cell, naming the error the sheet shows."""
        return [self.finding("error-value", position, column, value=self.frame[column].iat[position])
                for position, column in self.error_cells()]

    @property
    def where(self) -> str:
        return f"{self.file} [{self.sheet}]"


def _portable(frame: pd.DataFrame):
    """The frame to pickle, its text columns (str or None throughout) as Arrow arrays: pickle writes
    each Python string on its own (0.3 s for a 100,000-customer table), Arrow its buffers. The
    frame itself without pyarrow."""
    try:
        import pyarrow as pa
    except ImportError:
        return frame
    if frame.columns.has_duplicates:
        return frame
    columns = {}
    for name in frame.columns:
        values = frame[name] if frame[name].dtype != object else frame[name].to_numpy()  # other dtypes: as they are
        if isinstance(values, np.ndarray):
            try:
                values = pa.array(values, type=pa.string(), from_pandas=False)  # NaN or a number: as it is
            except (pa.ArrowException, TypeError, ValueError, UnicodeError):
                pass
        columns[name] = values
    return (frame.index, columns)


def _restored(portable) -> pd.DataFrame:
    if isinstance(portable, pd.DataFrame):
        return portable
    import pyarrow as pa

    index, columns = portable

    def column(values):
        if isinstance(values, pa.Array):
            values = values.to_numpy(zero_copy_only=False)
        return pd.Series(values, dtype=object, index=index) if isinstance(values, np.ndarray) else values

    return pd.DataFrame({name: column(values) for name, values in columns.items()}, index=index)


def typed_transactions(table: Table) -> tuple[Transactions, list[Finding]]:
    """A transactions table typed by the value contract (crm_xl.scoring.rfm.prepare_transactions):
    the orders that count, and a finding at every bad cell (whose order is left out)."""
    problems = Problems(len(table.frame))
    return prepare_transactions(table.frame, problems), _absent_order_columns(table) + table.findings(problems.batches)


ORDER_FIGURES = {"quantity": "avg_monthly_qty", "amount": "amount_12m, avg_monthly_amount and the RFM monetary score"}


def _absent_order_columns(table: Table) -> list[Finding]:
    """A transactions file without its quantity or amount column counts every order as 0 of it: said
    once, as a customer file's absent column is. (Without a date every order is its own finding.)"""
    return [finding("column-missing", file=table.file, sheet=table.sheet, affects=affects, column=name,
                    aliases=", ".join(columns()[name].aliases[:3]))
            for name, affects in ORDER_FIGURES.items() if name not in table.frame.columns]


def read_untrusted_table(path: str | Path, sheet: str | None = None, key: str = "customer_code",
                         headers: dict[str, str | None] | None = None) -> Table:
    """`read_table` of a file a user gave: pre-checked, then parsed in a child process with memory and
    time limits (crm_xl.isolation), so no file can take the command down. Every command reads this way."""
    return read_untrusted(read_table, path, sheet, key, headers)


def read_untrusted_tables(requests: list[tuple[str | Path, str | None, str]]) -> list[Table]:
    """`read_untrusted_table` of several (path, sheet, key) side by side, each in its own child."""
    return read_untrusted_many([(read_table, path, sheet, key, None) for path, sheet, key in requests])


def read_transactions(path: str | Path) -> tuple[Transactions, list[Finding]]:
    """A transactions file read and typed (typed_transactions). Run in the reading child, so that the
    typing of 600,000 orders runs beside the customers' read, and only the typed orders come back
    (a few arrays), not every row's text."""
    return typed_transactions(read_table(path, None, "customer_code"))


def read_untrusted_with_orders(requests: list[tuple[str | Path, str | None, str]], transactions: str | Path | None
                               ) -> tuple[list[Table], tuple[Transactions, list[Finding]] | None]:
    """The tables of `requests` (as read_untrusted_tables) and a transactions file read and typed
    (read_transactions), all side by side, each in its own child."""
    calls = [(read_table, path, sheet, key, None) for path, sheet, key in requests]
    read = read_untrusted_many(calls + ([(read_transactions, transactions)] if transactions else []))
    return read[:len(requests)], (read[-1] if transactions else None)


def read_table(path: str | Path, sheet: str | None = None, key: str = "customer_code",
               headers: dict[str, str | None] | None = None) -> Table:
    """`sheet` of an xlsx (default: the first sheet whose top rows hold the `key` column's header,
    so a cover or instructions sheet in front is passed over), or a csv.

    `headers` maps a file's own header texts to field names (None: leave the column out), ahead of
    the aliases: a legacy file read with the mapping a person confirmed."""
    path = Path(path)
    if not path.is_file():
        raise InputError([finding("file-not-found", file=path)])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_table(path, sheet, key, headers)
    if suffix in (".csv", ".txt"):
        check_text(path)
        return table_from_grid(_csv_grid(path), path, path.stem, key, headers)
    raise InputError([finding("file-unreadable", file=path, detail=f"{suffix or 'no suffix'} is not .xlsx or .csv")])


def top_rows(path: str | Path, sheet: str | None = None) -> tuple[str, list[list]]:
    """The sheet name and the first rows' values of an xlsx (after the safety check) or csv."""
    path = Path(path)
    if not path.is_file():
        raise InputError([finding("file-not-found", file=path)])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        check_xlsx(path)
        name = _sheet_name(path, open_workbook(path), sheet)
        return name, head_rows(path, name, HEADER_SEARCH_ROWS)
    if suffix in (".csv", ".txt"):
        check_text(path)
        return path.stem, _csv_grid(path).head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist()
    raise InputError([finding("file-unreadable", file=path, detail=f"{suffix or 'no suffix'} is not .xlsx or .csv")])


def _sheet_name(path: Path, workbook, sheet: str | None) -> str:
    names = [n for n in workbook.sheet_names if n != META_SHEET]  # a template's hidden metadata is never a table
    name = sheet or (names[0] if names else "")
    if name not in workbook.sheet_names:
        raise InputError([finding("sheet-missing", file=path, sheet=name, sheets=", ".join(names))])
    return name


def _xlsx_table(path: Path, sheet: str | None, key: str, headers=None) -> Table:
    """Header found in the first rows (of the first sheet that has one), then each column read once,
    in its schema type."""
    check_xlsx(path)
    workbook = open_workbook(path)
    searched = [n for n in workbook.sheet_names if n != META_SHEET] if sheet is None else []
    candidates = searched or [_sheet_name(path, workbook, sheet)]  # named, or no sheet at all: as named
    name, header = _header_sheet(path, candidates, key, headers)
    types = {j: column_type(c) for j, c in enumerate(header.names) if c is not None}
    start = header.at + 1
    read = read_columns(workbook, path, name, types, start)
    frame = pd.DataFrame({header.names[j]: _typed_column(values[start:], types[j])
                          for j, values in read.values.items()})
    formulas = [(row - start, header.names[col]) for row, col in read.formulas if row >= start and col in types]
    errors = [(row - start, header.names[col]) for row, col in read.errors if row >= start and col in types]
    return _table(frame, path, name, header, formulas, errors)


def _header_sheet(path: Path, candidates: list[str], key: str, headers=None) -> tuple[str, Header]:
    """The first candidate sheet with a header row; when none has one, the first sheet's finding."""
    first_problem = None
    for name in candidates:
        try:
            return name, find_header(head_rows(path, name, HEADER_SEARCH_ROWS), path, name, key, headers)
        except InputError as exc:
            if any(f.code != "no-header" for f in exc.findings) or len(candidates) == 1:
                raise
            first_problem = first_problem or exc
    raise first_problem or InputError([finding("no-header", file=path, sheet="", rows=HEADER_SEARCH_ROWS)])


def _typed_column(values: np.ndarray, kind: str) -> pd.Series:
    """A column from the typed read: numbers stay floats, dates datetimes, unless a cell holds other text."""
    if values.dtype != object:
        return pd.Series(values)
    if kind == "text":
        return pd.Series(values, dtype=object)
    return _clean(pd.Series(values, dtype=object), kind)


def _csv_grid(path: Path) -> pd.DataFrame:
    with open(path, "rb") as fh:
        encoding = csv_encoding(fh)
        fh.seek(0)
        head = fh.read(65_536)
    if encoding is None:
        raise InputError([finding("file-unreadable", file=path,
                                  detail=f"is not text in {', '.join(CSV_ENCODINGS)}")])
    if encoding == UNCLEAR:  # a wrong guess would be stored as nonsense no check notices
        raise InputError([finding("file-unreadable", file=path, detail="could be Korean (CP949) or Chinese (GBK) "
                                  "text, and holds too little of it to tell which; save it as CSV UTF-8")])
    if encoding == WESTERN:
        raise InputError([finding("file-unreadable", file=path, detail="is not UTF-8, and read as Korean or Chinese "
                                  "its Latin words break apart (Müller as M黮ler): it was saved in another code "
                                  "page (a Western one?); save it as CSV UTF-8")])
    try:
        grid = pd.read_csv(path, header=None, dtype=object, keep_default_na=False, encoding=encoding,
                           sep=_separator(head.decode(encoding, "ignore")))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        detail = " ".join(str(exc).split())  # pandas' message has a line break in it
        raise InputError([finding("file-unreadable", file=path, detail=f"is not a readable CSV ({detail})")]) from None
    if grid.shape[1] > MAX_COLUMNS:  # no sheet saved it: checking each column would take minutes
        raise InputError([finding("file-unreadable", file=path, detail=f"has {grid.shape[1]:,} columns, more than a "
                                  f"sheet holds ({MAX_COLUMNS:,}); save the customer table from its workbook again")])
    return grid


def _separator(head: str) -> str:
    """Comma, or the semicolon or tab a spreadsheet uses where the comma is the decimal mark or for
    "Unicode text": whichever the header line holds most of."""
    line = head.lstrip("\ufeff").split("\n", 1)[0]
    return max((",", ";", "\t"), key=line.count)


def csv_encoding(source) -> str | None:
    """The encoding a CSV was saved in: UTF-8, else the Korean or Chinese code page Excel uses there.

    Text saved as GBK almost always decodes as CP949 too (and Korean as GB18030), into nonsense that
    no check would notice, so the first code page that decodes is not enough: Korean text decoded
    as CP949 is Hangul syllables; Chinese text decoded as CP949 is Hangul mixed with Hanja.
    UTF-16 with its byte-order mark is Excel's "Unicode text". `source`: bytes, or a binary file
    (seekable) read in chunks, UTF-8 first: a large file is never held as text, nor decoded three times."""
    source = io.BytesIO(source) if isinstance(source, bytes) else source
    start = source.tell()
    first = source.read(1 << 20)
    if first[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if _decodes(first, source.read, "utf-8"):  # the usual file: the code pages need not be tried
        return "utf-8-sig"
    source.seek(start)
    read = source.read
    first = read(1 << 20)
    decoders = {e: codecs.getincrementaldecoder(e)() for e in ("cp949", "gb18030")}
    sample = {e: "" for e in decoders}  # the first megabyte as each code page reads it
    letters = {e: [] for e in decoders}  # the first Korean or Chinese characters, wherever in the file
    chunk = first
    while decoders:
        final = len(chunk) == 0
        for encoding, decoder in list(decoders.items()):
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                del decoders[encoding]
                continue
            if len(sample[encoding]) < 1_000_000:
                sample[encoding] += text[:1_000_000]
            if len(letters[encoding]) < 20_000:
                letters[encoding] += _CJK_CHAR.findall(text)[:20_000 - len(letters[encoding])]
        if final:
            break
        chunk = read(1 << 20)
    if len(decoders) < 2:
        chosen = next(iter(decoders), None)
    else:
        chosen = _korean_or_chinese(sample["cp949"][:1_000_000], sample["gb18030"][:1_000_000]) or UNCLEAR
    if chosen in letters and _reads_as_western(letters[chosen], chosen):
        return WESTERN
    return chosen


def _reads_as_western(chars: list[str], encoding: str) -> bool:
    """Whether a text decoded as CP949 or GB18030 (its Korean or Chinese `chars`) was written in a
    Western code page instead.

    There, an accented letter and the ASCII letter after it read as one character (cp1252 Müller as
    GB18030 M黮ler): a character whose second byte is ASCII. The characters Korean and Chinese text is
    made of (KS X 1001, GB2312) all have a second byte of 0xA1 or more; only rarer ones (UHC's extra
    syllables, GBK's extension) do not. So: nearly all such characters means a Western file."""
    codec = "cp949" if encoding == "cp949" else "gbk"
    seconds = [c.encode(codec, "ignore")[1:2] for c in chars]
    ascii_second = sum(1 for b in seconds if b and b[0] < 0x80)
    return ascii_second > 0 and ascii_second > 0.8 * len(chars)


_CJK_CHAR = re.compile("[\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff]")


def _decodes(first: bytes, read, encoding: str) -> bool:
    """Whether the bytes (`first`, then the rest from `read`) are text in `encoding`, read in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)()
    chunk = first
    try:
        while chunk:
            decoder.decode(chunk)
            chunk = read(1 << 20)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _korean_or_chinese(as_korean: str, as_chinese: str) -> str | None:
    """cp949 or gb18030 for a text both decode, None when too little of it says which.

    Read with the wrong code page the text still decodes: Chinese read as CP949 mixes Hangul and
    Hanja inside one word (幸福超市 -> 妗르낚懇); Korean read as GB18030 meets private-use characters
    where its Hanja are. Korean without Hanja reads as Hangul only, and so do a few Chinese
    characters: only a longer text of pure Hangul is taken as Korean."""
    if _PRIVATE_USE.search(as_chinese):
        return "cp949"
    words = _CJK_WORD.findall(as_korean)
    if any(_HANGUL.search(w) and _HANJA.search(w) for w in words):
        return "gb18030"
    if not _HANJA.search(as_korean) and len(_HANGUL.findall(as_korean)) >= 10:  # 10 GBK characters as Hangul: <1 %
        return "cp949"
    return None


_HANGUL = re.compile("[\uac00-\ud7a3]")
_HANJA = re.compile("[\u4e00-\u9fff\uf900-\ufaff]")
_CJK_WORD = re.compile("[\uac00-\ud7a3\u4e00-\u9fff\uf900-\ufaff]+")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
UNCLEAR = "unclear"  # csv_encoding: Korean or Chinese, and too little text to tell
WESTERN = "western"  # csv_encoding: not UTF-8, and Latin words break apart read as Korean or Chinese


@dataclass
class Header:
    at: int  # 0-based row of the headers
    names: list[str | None]  # canonical name (or the header text) of each column, None where blank
    letters: dict[str, str]
    headers: dict[str, str]
    unknown: list[Finding]  # headers that name no field: a warning each


def find_header(top: list[list], path: Path, sheet: str, key: str, mapped: dict | None = None) -> Header:
    """The first of the top rows holding the `key` column's header, its columns matched to canonical names
    (or through `mapped`, a header text -> field mapping a person confirmed)."""
    def name_of(value):
        text = str(value).strip()
        return mapped[text] if mapped and text in mapped else canonical(value)

    header_at = next((i for i, row in enumerate(top)
                      if any(name_of(v) == key for v in row if v not in (None, ""))), None)
    if header_at is None:
        raise InputError([finding("no-header", file=path, sheet=sheet, rows=HEADER_SEARCH_ROWS)])
    names, letters, headers, problems, unknown = [], {}, {}, [], []
    for j, cell in enumerate(top[header_at]):
        text = "" if cell is None or cell != cell else str(cell).strip()
        if mapped and text in mapped:  # a person's decision: no warning for a column left out
            name = mapped[text] or None
        else:
            name = canonical(text) or text or None
            if text and canonical(text) is None:
                unknown.append(finding("unknown-column", file=path, sheet=sheet, cell=f"{letter(j)}{header_at + 1}",
                                       header=text))
        if name is not None and name in letters:
            problems.append(finding("duplicate-column", file=path, sheet=sheet, cell=f"{letter(j)}{header_at + 1}",
                                    header=text, column=name, first=f"{letters[name]}{header_at + 1}"))
        if name is not None:
            letters.setdefault(name, letter(j))
            headers.setdefault(name, text)
        names.append(name)
    if problems:
        raise InputError(problems)
    return Header(header_at, names, letters, headers, unknown)


def table_from_grid(grid: pd.DataFrame, path: Path, sheet: str, key: str = "customer_code",
                    headers: dict | None = None) -> Table:
    """A table from a grid of cell values (row 0 = spreadsheet row 1), headers found and matched."""
    header = find_header(grid.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist(), path, sheet, key, headers)
    body = grid.iloc[header.at + 1:]
    frame = pd.DataFrame({name: _clean(body.iloc[:, j], column_type(name) if name in columns() else None)
                          for j, name in enumerate(header.names) if name is not None})
    return _table(frame, path, sheet, header)


def _table(frame: pd.DataFrame, path: Path, sheet: str, header: Header, formulas=(), errors=()) -> Table:
    frame.index = pd.RangeIndex(len(frame))
    # Blank rows are dropped but the index keeps each row's offset below the header, for cell references.
    frame = frame.loc[frame.notna().any(axis=1).to_numpy(dtype=bool)] if len(frame.columns) else frame
    return Table(frame, path, sheet, header.at + 1, header.letters, header.headers, notices=header.unknown,
                 formulas=list(formulas), errors=list(errors))


def column_type(name: str) -> str:
    spec = columns().get(name)
    return spec.type if spec is not None else "text"


def _clean(column: pd.Series, kind: str | None) -> pd.Series:
    """Empty cells become None; `kind` (text, number, date; None: a column not in the schema) decides
    the rest: whole numbers in text columns read as text without `.0`, plain numbers make a float column."""
    values = column.to_numpy(dtype=object, copy=True)
    if kind == "text" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pd.Series(_trimmed_texts(values), dtype=object)  # the usual text column, at C speed
    if kind == "number":
        plain = _plain_numbers(values)
        if plain is not None and _as_typed(plain[0], values, plain[1]):  # the usual number column
            return pd.Series(plain[0])
    values[pd.isna(values) | (values == "")] = None
    if kind == "text":
        values = np.array([_as_text(v) for v in values], dtype=object)
    elif kind == "number":  # dtype=object: pandas 3 would infer its string dtype, whose parse costs twice as much
        converted = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
        if _as_typed(converted, values, values != None):  # noqa: E711
            return pd.Series(converted)
    return pd.Series(values, dtype=object)


def _as_typed(numbers: np.ndarray, texts: np.ndarray, present: np.ndarray) -> bool:
    """Whether the numbers parsed from a column's texts are what was typed: all finite (`1e309` and
    `inf` are not) and none a 0 that was typed as something else (`1e-400` is too small for a float).
    When not, the column stays as typed, for the value checks to name its cells."""
    if not np.isfinite(numbers[present]).all():
        return False
    zero = np.flatnonzero(present & (numbers == 0))
    return not any(typed_as_nonzero(str(texts[i])) for i in zero.tolist())


def _trimmed_texts(values: np.ndarray) -> np.ndarray:
    """Texts (None or NaN where empty) trimmed of spaces, None where nothing is left: each distinct
    text trimmed once (codes repeat themselves in an order table)."""
    codes, uniques = pd.factorize(values)  # empty: -1
    return np.array([u.strip(SPACES) or None for u in uniques.tolist()] + [None], dtype=object)[codes]


def _plain_numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(floats, which cells are not empty) of a column of number texts, parsed by Arrow (C++, a
    tenth of pd.to_numeric's time); None when some cell is not a plain number Arrow reads (spaces,
    `1,000`, a number cell among texts) or there is no pyarrow: pd.to_numeric then decides, cell by
    cell. What Arrow reads, to_numeric reads as the same number (tests/test_reading.py)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)  # None and NaN: empty
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        return (pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False),
                text.is_valid().to_numpy(zero_copy_only=False))
    except (pa.ArrowException, ValueError, TypeError, UnicodeError):
        return None


def _as_text(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip(SPACES)
    return text or None
