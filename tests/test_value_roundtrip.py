"""Property: whatever a person types into the template reads back as what they meant, or is a finding
at its cell; and the next month's untouched template changes nothing.

template -> fill (generated values: numbers typed as text with separators, currency marks and
full-width digits; dates as date cells or text in ko/zh/en forms, far dates included; any Unicode
text) -> validate -> merge -> export -> template --from-store -> merge again.
"""
import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_xl.fields import canonical
from crm_xl.model import default_model
from crm_xl.sheets.template import read_metadata, write_template
from crm_xl.sheets.validation import validate_file
from crm_xl.store import db
from crm_xl.store.export import export_master, master_frame, record_template
from tests.test_store import BASE, master, merge, upload

FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Characters a workbook cannot hold are their own finding (tests/test_values.py); here: every other one.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@st.composite
def typed_number(draw):
    """(what is typed, the number it means)"""
    cents = draw(st.booleans())
    value = draw(st.integers(0, 10**12)) / (100 if cents else 1)
    grouped = f"{value:,.2f}" if cents else f"{value:,.0f}"
    typed = draw(st.sampled_from([
        value, grouped, f"{grouped}원", f"¥{grouped}", f"{grouped} 元", f"₩ {grouped}", grouped.translate(FULL_WIDTH),
        f"  {grouped}  ",
    ]))
    return typed, value


@st.composite
def typed_date(draw):
    day = draw(st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)))
    typed = draw(st.sampled_from([
        dt.datetime.combine(day, dt.time()), day.isoformat(), day.strftime("%Y/%m/%d").replace(" ", ""),
        f"{day.year:04d}.{day.month:02d}.{day.day:02d}", f"{day.year}년 {day.month}월 {day.day}일",
        f"{day.year}年{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]} {day.year}",
        f"{MONTHS[day.month - 1]} {day.day}, {day.year}",
    ]))
    return typed, day


ROW = st.fixed_dictionaries({
    "store_name": TEXT, "address": TEXT, "net_worth": typed_number(), "registered_capital": typed_number(),
    "issue_date": typed_date(), "expiry_date": typed_date(),
})
NUMBERS, DATES, TEXTS = ("net_worth", "registered_capital"), ("issue_date", "expiry_date"), ("store_name", "address")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=3))
def test_what_is_typed_reads_back_as_meant_and_an_untouched_template_changes_nothing(rows):
    frame = BASE.head(len(rows))
    edits = {f"{code}__{name}": (cell[0] if isinstance(cell, tuple) else cell)
             for code, row in zip(frame.customer_code, rows) for name, cell in row.items()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        engine = db.connect(f"sqlite:///{tmp / 'master.db'}")
        path = fill(upload(tmp, "filled.xlsx", frame), edits)
        report, _ = validate_file(path, default_model())
        flagged = {(f.row, f.column) for f in report.findings if f.severity == "error"}
        merge(engine, [path], role="back_office")
        stored = master(engine)
        # Every generated number and date is one a person may type, so none may be refused; text only
        # when the required store name is left empty.
        allowed = {(i + 2, "store_name") for i, row in enumerate(rows) if not row["store_name"].strip()}
        assert flagged <= allowed, [f.message for f in report.findings if f.severity == "error"]
        for i, (code, row) in enumerate(zip(frame.customer_code, rows)):
            assert (code in stored) == ((i + 2, "store_name") not in flagged)
            for name, cell in row.items():
                if code in stored:
                    assert _read(name, stored[code][name]) == _meant(name, cell), (name, cell, stored[code][name])

        export_master(engine, tmp / "master.xlsx")
        exported = _exported(tmp / "master.xlsx")
        for code, values in stored.items():
            for name in (*NUMBERS, *DATES, *TEXTS):
                assert exported[code].get(name) == _read(name, values[name]), (code, name)

        again = write_template(tmp / "again.xlsx", default_model(), master_frame(engine), lang="ko")
        record_template(engine, read_metadata(again))
        second = merge(engine, [again], role="back_office")
        assert (second.inserted, second.updated_fields, second.queued_reviews, second.rows_out) == (0, 0, 0, 0), \
            [f.message for f in second.held_back]
        assert master(engine) == stored
        engine.dispose()


def fill(path, edits: dict):
    """Type values into a template as a person does; text stays text even when it starts with `=`
    (in Excel: typed with a leading quote)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Customers"]
    cols = {canonical(c.value): c.column for c in ws[1]}
    rows = {ws.cell(r, cols["customer_code"]).value: r for r in range(2, ws.max_row + 1)}
    for key, value in edits.items():
        code, name = key.split("__")
        cell = ws.cell(rows[code], cols[name])
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    wb.save(path)
    return path


def _meant(name, cell):
    if name in TEXTS:
        return cell.strip() or None
    return cell[1]


def _read(name, stored_text):
    """A stored text as the value it stands for."""
    if stored_text is None:
        return None
    if name in NUMBERS:
        return float(stored_text)
    if name in DATES:
        return dt.date.fromisoformat(stored_text)
    return stored_text


def _exported(path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path, read_only=True)["Customers"]
    rows = ws.iter_rows(values_only=True)
    header = next(rows)
    out = {}
    for row in rows:
        record = dict(zip(header, row))
        for name in DATES:
            if isinstance(record.get(name), dt.datetime):
                record[name] = record[name].date()
        for name in NUMBERS:
            if record.get(name) is not None:
                record[name] = float(record[name])
        out[record["customer_code"]] = record
    return out
