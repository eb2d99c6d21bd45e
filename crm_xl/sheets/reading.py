"""Reading customer and transaction tables from xlsx or csv, headers matched to canonical names."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.findings import Finding, InputError, finding
from crm_xl.sheets.safety import check_xlsx
from crm_xl.sheets.schema import canonical, columns

HEADER_SEARCH_ROWS = 20
CSV_ENCODINGS = ("utf-8-sig", "cp949", "gb18030")  # Excel's CSV exports in Korea and China


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

    def cell(self, position: int, column: str) -> str:
        """Spreadsheet reference of the `position`-th data row in `column`, e.g. E8."""
        column_letter = self.letters.get(column, "")
        return f"{column_letter}{self.header_row + 1 + int(self.frame.index[position])}"

    @property
    def where(self) -> str:
        return f"{self.file} [{self.sheet}]"


def read_table(path: str | Path, sheet: str | None = None, key: str = "customer_code") -> Table:
    """The first sheet (or `sheet`) of an xlsx, or a csv, whose header row has the `key` column."""
    path = Path(path)
    if not path.is_file():
        raise InputError([finding("file-not-found", file=path)])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid, sheet = _xlsx_grid(path, sheet)
    elif suffix in (".csv", ".txt"):
        grid, sheet = _csv_grid(path), path.stem
    else:
        raise InputError([finding("file-unreadable", file=path, detail=f"{suffix or 'no suffix'} is not .xlsx or .csv")])
    return table_from_grid(grid, path, sheet, key)


def _xlsx_grid(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    from python_calamine import CalamineWorkbook

    check_xlsx(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several error types for damaged or encrypted files
        raise InputError([finding("file-unreadable", file=path, detail=f"cannot be opened as a workbook ({exc})")]) from None
    try:
        names = wb.sheet_names
        name = sheet or names[0]
        if name not in names:
            raise InputError([finding("sheet-missing", file=path, sheet=name, sheets=", ".join(names))])
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()
    return pd.DataFrame(rows, dtype=object), name


def _csv_grid(path: Path) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, header=None, dtype=object, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError([finding("file-unreadable", file=path, detail=f"is not a readable CSV ({exc})")]) from None
    raise InputError([finding("file-unreadable", file=path,
                              detail=f"is not text in {', '.join(CSV_ENCODINGS)}")])


def table_from_grid(grid: pd.DataFrame, path: Path, sheet: str, key: str = "customer_code") -> Table:
    """A table from a grid of cell values (row 0 = spreadsheet row 1), headers found and matched."""
    top = grid.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist()
    header_at = next((i for i, row in enumerate(top)
                      if any(canonical(v) == key for v in row if v not in (None, ""))), None)
    if header_at is None:
        raise InputError([finding("no-header", file=path, sheet=sheet, rows=HEADER_SEARCH_ROWS)])
    names, letters, headers, problems = [], {}, {}, []
    for j, header in enumerate(top[header_at]):
        text = "" if header is None or header != header else str(header).strip()
        name = canonical(text) or text or None
        if name is not None and name in letters:
            problems.append(finding("duplicate-column", file=path, sheet=sheet, cell=f"{letter(j)}{header_at + 1}",
                                    header=text, column=name, first=f"{letters[name]}{header_at + 1}"))
        if name is not None:
            letters.setdefault(name, letter(j))
            headers.setdefault(name, text)
        names.append(name)
    if problems:
        raise InputError(problems)
    body = grid.iloc[header_at + 1:]
    frame = pd.DataFrame({name: _clean(body.iloc[:, j], name) for j, name in enumerate(names) if name is not None})
    frame.index = pd.RangeIndex(len(body))
    # Blank rows are dropped but the index keeps each row's offset below the header, for cell references.
    frame = frame.loc[frame.notna().any(axis=1).to_numpy(dtype=bool)] if len(frame.columns) else frame
    return Table(frame, path, sheet, header_at + 1, letters, headers)


def _clean(column: pd.Series, name: str) -> pd.Series:
    """Empty cells become None; whole numbers in text columns read as text without `.0`."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values) | (values == "")] = None
    spec = columns().get(name)
    if spec is not None and spec.type == "text":
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # the usual case, at C speed
            stripped = pd.Series(values, dtype=object).str.strip()
            values = stripped.where(stripped != "", None).to_numpy(dtype=object)
        else:
            values = np.array([_as_text(v) for v in values], dtype=object)
    elif spec is not None and spec.type == "number":
        converted = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        if not (np.isnan(converted) & (values != None)).any():  # noqa: E711 - all plain numbers: a float column
            return pd.Series(converted)
    return pd.Series(values, dtype=object)


def _as_text(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip()
    return text or None


def letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_position(ref: str) -> tuple[int, int]:
    """0-based (row, column) of a reference like E8."""
    letters = "".join(ch for ch in ref if ch.isalpha())
    return int(ref[len(letters):]) - 1, column_index(letters)
