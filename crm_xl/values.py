"""What a typed cell means: one contract for every reader, check, store and writer.

A number, a date or a piece of text is parsed here, a whole column at a time, into the value it
means, or rejected with the catalogue code that says why; the master data stores each value as
its canonical text (`stored_texts`), which reads back as the same value. Validate, score, merge
and export all call these functions, so what validates is exactly what is stored and comes back.

- Numbers: plain numbers, and text people type for them: thousands separators in groups of three
  (`1,234,000`), currency marks (`원 ₩ ¥ 元 $ € £`), spaces, full-width forms (`４５０，０００`),
  a percentage (`50%` is 0.5, as Excel reads it; 95 in a field measured in percent points).
  Amounts of money (`money`) refuse `%`: 5% is no amount. Not numbers: `NaN`, `Infinity`, `1,5`
  (a decimal comma or a typo), TRUE, dates, a number too small to hold (`1e-400` would become 0).
  Beyond ±10^15 is out of range (Excel keeps 15 digits; no amount is that large).
- Dates: real date cells, Excel serials, and text in year-first forms (`2026-10-05`, `2026/10/05`,
  `2026.10.05`, `20261005`, `2026년 10월 5일`, `2026年10月5日`) or with an English month name
  (`5 Oct 2026`, `Oct 5, 2026`). Day-month ambiguous forms (`05/10/2026`) are refused. Years
  1900–9999 (a licence that never expires is 9999-12-31): kept as datetime64[s], never wrapped.
- Text: kept as typed (trimmed); over 32,767 UTF-16 units (a cell's limit) or holding characters
  a workbook cannot store (control characters) is rejected rather than cut or dropped later.

Imports nothing of crm_xl but the field definitions: everything else may build on it.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_xl.xlsx.formulas import FORMULA_START, SIGN_START, runs_as_formula  # noqa: F401 - callers read them here
from crm_xl.xlsx.spaces import SPACES  # noqa: F401 - callers read it here

MAX_NUMBER = 1e15
MAX_TEXT = 32_767
FIRST_YEAR, LAST_YEAR = 1900, 9999
FIRST_DAY, LAST_DAY = np.datetime64(f"{FIRST_YEAR}-01-01", "s"), np.datetime64(f"{LAST_YEAR}-12-31", "s")
FIRST_MONTH, LAST_MONTH = f"{FIRST_YEAR}-01", f"{LAST_YEAR}-11"  # a month is scored as of the day after it
EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
LAST_SERIAL = 2_958_465  # 9999-12-31
DATE_UNIT = "datetime64[s]"
SMALL = 64  # up to this many cells plain loops beat numpy's and pandas' set-up (a formula filled down)

_MARKS = re.compile(r"[원₩¥元$€£]")  # currency marks and units typed beside an amount
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}( \d{3})+(\.\d+)?")  # 1 234 000: spaces between groups of three
_PERCENT = re.compile("[%\uff05\ufe6a]")  # %, full-width ％, small ﹪
_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")  # C0, DEL, C1
_MONTHS = {m.casefold(): i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DATE_FORMS = [  # (pattern, order of year / month / day groups)
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ tT](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"),
     "ymd"),  # a time of day is dropped (dates are whole days), but it must be one
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),
    (re.compile(r"(\d{4})\s*[년年]\s*(\d{1,2})\s*[월月]\s*(\d{1,2})\s*[일日]?"), "ymd"),
    (re.compile(r"(\d{1,2})[\s-]+([a-z]{3,9})\.?[\s,-]+(\d{4})"), "dmy"),
    (re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})"), "mdy"),
]


@dataclass
class Rejected:
    """Cells of a column that are not a usable value, all for one reason (a catalogue code)."""

    code: str
    mask: np.ndarray
    fields: dict = field(default_factory=dict)
    show_value: bool = True  # False where the value itself is the problem to print (a 5 MB text)


@dataclass
class Parsed:
    """A column parsed by the contract: values (NaN / NaT where empty or rejected), which cells were
    empty, and the rejected ones with their reasons."""

    values: np.ndarray
    empty: np.ndarray
    rejected: list[Rejected]

    @property
    def bad(self) -> np.ndarray:
        out = np.zeros(len(self.values), bool)
        for r in self.rejected:
            out |= r.mask
        return out


def numbers(s: pd.Series, percent_points: bool = False) -> Parsed:
    """Float values of a column; NaN where empty or rejected (not-a-number, out-of-range). With
    `percent_points` (a field measured in percent) `95%` is 95, else 0.95 as Excel reads it."""
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return float_numbers(s.to_numpy(dtype=float, na_value=np.nan, copy=True))
    obj = s.to_numpy(dtype=object)
    kind = _kinds(obj)
    values = np.full(len(obj), np.nan)
    plain = kind == NUMBER
    values[plain] = obj[plain].astype(float)
    text = kind == TEXT
    values[text], blank = _each_distinct(obj[text], _number_in_points if percent_points else _number, np.nan)
    empty = kind == EMPTY
    empty[text] |= blank
    failed = ~empty & np.isnan(values) & ~plain  # text that is no number, TRUE/FALSE, a date
    return _checked_numbers(values, empty, failed)


def money(s: pd.Series) -> Parsed:
    """`numbers` of a column of amounts of money (an order amount, a balance): the same contract,
    except that text marked as a percentage (`5%`) is rejected (`percent-not-money`) rather than
    read as 0.05, since a share of something is no amount. Other marks are units (`1,000원` is 1000)."""
    parsed = numbers(s)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return parsed
    codes, distinct = pd.factorize(s.to_numpy(dtype=object))  # a column repeats itself: each text looked at once
    marked = np.array([isinstance(v, str) and _PERCENT.search(v) is not None for v in distinct] + [False])
    percent = marked[codes]  # code -1 (empty) picks the trailing False
    if not percent.any():
        return parsed
    rejected = [Rejected(r.code, r.mask & ~percent, r.fields, r.show_value) for r in parsed.rejected]
    rejected = [r for r in rejected if r.mask.any()] + [Rejected("percent-not-money", percent)]
    return Parsed(np.where(percent, np.nan, parsed.values), parsed.empty & ~percent, rejected)


def float_numbers(values: np.ndarray) -> Parsed:
    """A column (or a block of columns) whose cells are numbers already (a float array, NaN where
    empty): the range checks only."""
    empty = np.isnan(values)
    if not _beyond(values, MAX_NUMBER):
        return Parsed(values, empty, [])  # the usual column: nothing rejected (a one-cell call's fast exit)
    return _checked_numbers(values, empty, np.zeros(values.shape, bool))


def outside(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Mask of the values below `low` or above `high`; NaN (an empty cell) is neither."""
    if values.size <= SMALL and all(low <= v <= high for v in values.ravel().tolist() if v == v):
        return np.zeros(values.shape, bool)  # a few cells, all inside: a loop beats numpy's set-up
    return (values < low) | (values > high)


def _beyond(values: np.ndarray, bound: float) -> bool:
    """Whether any value is beyond ±bound (Infinity is; NaN, an empty cell, is not)."""
    if values.size <= SMALL:  # a few cells: a plain loop beats numpy's set-up
        return any(abs(v) > bound for v in values.ravel().tolist())
    return bool(np.fmax.reduce(np.abs(values), axis=None) > bound)  # fmax skips NaN


def _checked_numbers(values: np.ndarray, empty: np.ndarray, failed: np.ndarray) -> Parsed:
    failed = failed | (~empty & ~np.isfinite(values) & ~failed)  # NaN or Infinity typed as a value
    huge = ~failed & np.isfinite(values) & (np.abs(values) > MAX_NUMBER)
    values = np.where(failed | huge, np.nan, values)
    rejected = [Rejected("not-a-number", failed), Rejected("out-of-range", huge, {"low": f"-{MAX_NUMBER:,.0f}",
                                                                                   "high": f"{MAX_NUMBER:,.0f}"})]
    return Parsed(values, empty & ~failed, [r for r in rejected if r.mask.any()])


def _number_in_points(text: str) -> float:
    return _number(text, percent=1.0)


def _number(text: str, percent: float = 0.01) -> float:
    """The number a text means, NaN when it is none. A trailing % multiplies by `percent`: 0.01 as
    Excel reads `50%` (0.5, a ratio typed as a percentage); a % anywhere else is not a number."""
    if any(c.isdigit() and not c.isdecimal() for c in text):
        return np.nan  # 10² or ①: NFKC would read them as 102 and 1
    text = " ".join(unicodedata.normalize("NFKC", text).split())  # any run of spaces as one
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], percent
    text = _MARKS.sub("", text).strip()
    if _SPACE_GROUPED.fullmatch(text):
        text = text.replace(" ", "")
    if _PLAIN.fullmatch(text):
        value = float(text)
    elif _GROUPED.fullmatch(text):
        value = float(text.replace(",", ""))
    else:
        return np.nan
    if value == 0 and typed_as_nonzero(text):
        return np.nan  # 1e-400: a number too small for a float would be stored as 0
    return value * scale


def typed_as_nonzero(text: str) -> bool:
    """Whether a number's text has a digit other than 0 before any exponent: when a float reads it
    as 0 (`1e-400`), it was too small to hold, not 0."""
    return re.search(r"[1-9]", re.split("[eE]", text, maxsplit=1)[0]) is not None


EMPTY, NUMBER, TEXT, OTHER = 0, 1, 2, 3
_KIND_OF_TYPE = {type(None): EMPTY, float: NUMBER, int: NUMBER, np.float64: NUMBER, np.int64: NUMBER, str: TEXT}


def _kinds(obj: np.ndarray) -> np.ndarray:
    """What each cell of an object column holds: empty, a plain number, text, or something else
    (TRUE/FALSE, a date, an error value). NaN and NaT count as empty."""
    if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):  # the usual (CSV) column, at C speed
        return np.where(pd.isna(obj), EMPTY, TEXT).astype(np.int8)
    kind = np.fromiter((_KIND_OF_TYPE.get(type(v), OTHER) for v in obj), np.int8, len(obj))
    for i in np.flatnonzero(kind == OTHER):  # other number types (numpy's, Decimal-free); never TRUE/FALSE
        v = obj[i]
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            kind[i] = NUMBER
    kind[(kind != TEXT) & pd.isna(obj)] = EMPTY
    return kind


def _each_distinct(texts: np.ndarray, parse, missing) -> tuple[np.ndarray, np.ndarray]:
    """`parse` of every text and whether it is blank (spaces only), each worked out once per distinct
    text (uploads repeat themselves: a year of orders has a few hundred dates)."""
    if not len(texts):
        return np.array([], dtype=object if missing is None else type(missing)), np.zeros(0, bool)
    codes, uniques = pd.factorize(texts)
    uniques = uniques.tolist()
    parsed = np.array([parse(u) for u in uniques], dtype=object if missing is None else None)
    return parsed[codes], np.array([not u.strip() for u in uniques], bool)[codes]


def dates(s: pd.Series) -> Parsed:
    """datetime64[s] values of a column (whole days); NaT where empty or rejected (not-a-date)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = s.to_numpy().astype(DATE_UNIT)
        empty = np.isnat(values)
        return _checked_dates(values.astype("datetime64[D]").astype(DATE_UNIT), empty, np.zeros(len(values), bool))
    obj = s.to_numpy(dtype=object)
    kind = _kinds(obj)
    values = np.full(len(obj), np.datetime64("NaT"), dtype=DATE_UNIT)
    serial = kind == NUMBER
    if serial.any():  # an Excel serial: whole days from the epoch, within what a workbook holds
        days = obj[serial].astype(float)
        ok = (days >= 1) & (days <= LAST_SERIAL)
        values[np.flatnonzero(serial)[ok]] = EXCEL_EPOCH + days[ok].astype(np.int64).astype("timedelta64[D]")
    other = kind == OTHER
    other[other] = [isinstance(v, (dt.date, np.datetime64)) for v in obj[other].tolist()]
    if other.any():  # date and datetime objects, Timestamps of any resolution
        days = pd.to_datetime(pd.Series(obj[other]), errors="coerce").to_numpy().astype("datetime64[D]")
        for i in np.flatnonzero(np.isnat(days)):  # beyond pandas' chosen resolution (9999-12-31 in ns): by hand
            v = obj[other][i]
            days[i] = np.datetime64(v.date() if isinstance(v, dt.datetime) else v, "D")
        values[other] = days
    text = kind == TEXT
    values[text], blank = _each_distinct(obj[text], _date_text_or_nat, np.datetime64("NaT", "s"))
    empty = kind == EMPTY
    empty[text] |= blank
    failed = ~empty & np.isnat(values)
    return _checked_dates(values, empty, failed)


def _checked_dates(values: np.ndarray, empty: np.ndarray, failed: np.ndarray) -> Parsed:
    years = values.astype("datetime64[Y]").astype(np.int64) + 1970
    outside = ~np.isnat(values) & ((years < FIRST_YEAR) | (years > LAST_YEAR))
    failed = failed | outside
    values = np.where(failed, np.datetime64("NaT"), values).astype(DATE_UNIT)
    return Parsed(values, empty & ~failed, [Rejected("not-a-date", failed)] if failed.any() else [])


def _date_text_or_nat(text: str) -> np.datetime64:
    day = _date_text(unicodedata.normalize("NFKC", text).strip().casefold())
    return np.datetime64("NaT", "s") if day is None else day


def _date_text(text: str) -> np.datetime64 | None:
    for pattern, order in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        parts = dict(zip(order, match.groups()))
        if not _a_time_of_day(match.groupdict()):
            return None
        month = parts["m"] if parts["m"].isdigit() else _MONTHS.get(parts["m"][:3])
        try:
            return np.datetime64(dt.date(int(parts["y"]), int(month), int(parts["d"])), "D").astype(DATE_UNIT)
        except (TypeError, ValueError):  # no such month or day (2026-02-30, 'Foo 5, 2026')
            return None
    return None


def _a_time_of_day(time: dict) -> bool:
    """Whether the hours, minutes and seconds a date text holds (if any) are a time of day (25:99 is not)."""
    limits = {"H": 23, "M": 59, "S": 59}
    return all(int(v) <= limits[k] for k, v in time.items() if v is not None)


def texts(s: pd.Series) -> Parsed:
    """Text values as typed (trimmed; None where empty); rejected: too long for a cell, or holding
    characters a workbook cannot store."""
    obj = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):  # the usual case: text or empty
        codes, uniques = pd.factorize(obj)  # each distinct text looked at once (codes repeat themselves)
        distinct = np.array([u.strip(SPACES) or None for u in uniques.tolist()] + [None], dtype=object)  # -1: empty
        values = distinct[codes]
        rejected = [Rejected(r.code, r.mask[codes], r.fields, r.show_value) for r in _unstorable(distinct)]
    else:
        values = np.array([text_of(v) for v in obj.tolist()], dtype=object)
        rejected = _unstorable(values)
    return Parsed(values, values == None, rejected)  # noqa: E711


def _unstorable(values: np.ndarray) -> list[Rejected]:
    """The texts a cell cannot hold: too long, or with characters a workbook cannot store."""
    present = [v for v in values.tolist() if v is not None]
    rejected = []
    if present and max(map(len, present)) > MAX_TEXT // 2:  # only then can it hold too many UTF-16 units
        long = np.fromiter((v is not None and cell_length(v) > MAX_TEXT for v in values), bool, len(values))
        if long.any():
            rejected.append(Rejected("text-too-long", long, {"limit": MAX_TEXT}, show_value=False))
    if present and _BAD_CHARACTERS.search("".join(present)):  # one search: almost never any
        odd = np.fromiter((v is not None and cell_length(v) <= MAX_TEXT and _BAD_CHARACTERS.search(v) is not None
                           for v in values), bool, len(values))
        rejected.append(Rejected("bad-characters", odd))
    return rejected


_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month_start(text: str | None) -> pd.Timestamp | None:
    """The first day of a month typed YYYY-MM; None when it is no month or outside FIRST_MONTH to
    LAST_MONTH (a month is scored as of the day after it ends, which must be a day a workbook holds)."""
    match = _MONTH.fullmatch((text or "").strip())
    if not match or not FIRST_MONTH <= match.group(0) <= LAST_MONTH:
        return None
    return pd.Timestamp(np.datetime64(f"{match.group(0)}-01", "s"))


def in_date_range(day: pd.Timestamp) -> bool:
    """Whether a day lies within FIRST_DAY to LAST_DAY (what a workbook holds)."""
    return FIRST_DAY <= np.datetime64(day, "s") <= LAST_DAY


MONTH_PROBLEM = f"is not a month from {FIRST_MONTH} to {LAST_MONTH}"
MONTH_HINT = (f"Give the month as YYYY-MM, e.g. 2026-10 (a month is scored as of the day after it ends, and "
              f"{LAST_YEAR}-12-31 is the last day a workbook holds).")


def cell_length(text: str) -> int:
    """The length of a text as a spreadsheet cell counts it (UTF-16 units: an emoji is two)."""
    return len(text) if len(text) <= MAX_TEXT // 2 else len(text.encode("utf-16-le")) // 2


def parse(s: pd.Series, kind: str, percent_points: bool = False) -> Parsed:
    """A column parsed as its field type: number, date or text."""
    if kind == "number":
        return numbers(s, percent_points)
    return dates(s) if kind == "date" else texts(s)


def stored_texts(s: pd.Series, kind: str, empty=None, percent_points: bool = False) -> list:
    """The canonical text of every cell, as the master data stores it and fingerprints compare it:
    numbers without separators or `.0` (1234000), dates as YYYY-MM-DD, text trimmed. A cell the
    contract rejects keeps its own text, so nothing typed is lost from a comparison."""
    parsed = parse(s, kind, percent_points)
    if kind == "number":
        out = _number_texts(parsed.values, empty)
    elif kind == "date":
        days = np.datetime_as_string(parsed.values, unit="D").astype(object)
        days[np.isnat(parsed.values)] = empty
        out = days.tolist()
    else:
        out = [empty if v is None else v for v in parsed.values.tolist()]
    bad = np.flatnonzero(parsed.bad)
    if len(bad):
        raw = s.to_numpy(dtype=object)
        for i in bad.tolist():
            out[i] = text_of(raw[i]) or empty
    return out


def as_meant(s: pd.Series, kind: str, percent_points: bool = False) -> pd.Series:
    """A column's cells as the values they mean (numbers as floats, dates as dates) where the
    contract reads them, each other cell as typed: a workbook written from a table read as text
    then sums and sorts, and one bad cell does not turn its whole column into text."""
    if kind not in ("number", "date") or (kind == "number" and pd.api.types.is_numeric_dtype(s.dtype)) or \
            (kind == "date" and pd.api.types.is_datetime64_any_dtype(s.dtype)):
        return s
    parsed = parse(s, kind, percent_points)
    good = ~parsed.bad & ~parsed.empty
    if kind == "number" and good.all():
        return pd.Series(parsed.values, index=s.index)
    out = s.to_numpy(dtype=object, copy=True)
    meant = parsed.values.astype(object) if kind == "number" else dates_as_objects(parsed.values)
    out[good] = meant[good]
    out[parsed.empty & ~parsed.bad] = None
    return pd.Series(out, index=s.index, dtype=object)


def text_of(value) -> str | None:
    """A single cell's value as stable text: 123.0 -> "123", dates as YYYY-MM-DD, text stripped; None if empty."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):
        return str(np.datetime64(value, "D"))
    text = str(value).strip(SPACES)
    return text or None


def _number_texts(values: np.ndarray, empty) -> list:
    """Text of a float array: whole numbers (the usual case) converted by numpy at once."""
    whole = np.isfinite(values) & (np.abs(values) < 2**53) & (values == np.round(values))
    out = np.full(len(values), empty, dtype=object)
    out[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    other = np.flatnonzero(~whole & ~np.isnan(values))
    out[other] = [repr(float(v)) for v in values[other].tolist()]
    return out.tolist()


def dates_as_objects(values: np.ndarray) -> np.ndarray:
    """datetime64 values as datetime.date objects (None for NaT): what writers and pandas keep
    without the nanosecond range limit."""
    out = values.astype("datetime64[D]").astype(object)
    out[np.isnat(values)] = None
    return out
