"""The ribbon scripts on an in-memory stand-in for an xlwings Book (no Excel on these machines).

The stand-in implements only the xlwings calls the adapter makes (range by (row, col), .value
with ndim=2, .color, notes, used_range, alert), so a change of those calls breaks this test.
"""
import openpyxl

from crm_xl.fields import canonical
from crm_xl.model import default_model
from crm_xl.model.export import export_model
from crm_xl.sheets.adapters import OpenpyxlSheet
from crm_xl.sheets.regrade import regrade
from udfs import scripts


class FakeRange:
    def __init__(self, sheet, first, last=None):
        self.sheet, self.first, self.last = sheet, first, last or first

    def options(self, ndim=None):
        return self

    @property
    def value(self):
        (r0, c0), (r1, c1) = self.first, self.last
        return [[self.sheet.cells.get((r, c)) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]

    @value.setter
    def value(self, block):
        r0, c0 = self.first
        for i, row in enumerate(block):
            for j, v in enumerate(row):
                self.sheet.cells[(r0 + i, c0 + j)] = v

    @property
    def color(self):
        return self.sheet.colors.get(self.first)

    @color.setter
    def color(self, value):
        self.sheet.colors[self.first] = value

    @property
    def note(self):
        return self.sheet.notes.get(self.first)

    def add_note(self, text):
        self.sheet.notes[self.first] = FakeNote(self.sheet, self.first, text)

    number_format = None
    column_width = None

    @property
    def row(self):
        return self.first[0]

    @property
    def column(self):
        return self.first[1]

    @property
    def last_cell(self):
        return FakeRange(self.sheet, self.last)


class FakeNote:
    def __init__(self, sheet, at, text):
        self.sheet, self.at, self.text = sheet, at, text

    def delete(self):
        del self.sheet.notes[self.at]


class FakeSheet:
    def __init__(self, name, rows):
        self.name = name
        self.cells = {(i + 1, j + 1): v for i, row in enumerate(rows) for j, v in enumerate(row) if v is not None}
        self.colors, self.notes = {}, {}

    def range(self, first, last=None):
        return FakeRange(self, first, last)

    @property
    def used_range(self):
        rows = max(r for r, _ in self.cells)
        cols = max(c for _, c in self.cells)
        return FakeRange(self, (1, 1), (rows, cols))


class FakeBook:
    def __init__(self, sheets):
        self.name = "customers.xlsx"
        self._sheets = {s.name: s for s in sheets}
        self.sheets = FakeSheets(self._sheets)
        self.app = self
        self.alerts = []

    def alert(self, message, title=None):
        self.alerts.append(message)


class FakeSheets(dict):
    @property
    def active(self):
        return next(iter(self.values()))

    def __iter__(self):
        return iter(self.values())


ROWS = [["고객코드", "품성", "상환능력", "자본", "담보", "여건", "월평균수량"],
        ["C1", 9, 9, 9, 9, 9, 45], ["C2", 7, 12, 7, 7, 7, 3], ["C3", 6, 6, 6, 6, 6, 12]]


def test_regrade_script_matches_the_headless_command(tmp_path):
    book = FakeBook([FakeSheet("Customers", ROWS)])
    message = scripts.regrade_sheet(book)
    assert message == "Regraded 3 customers on Customers: AAA 1 · B 1; 1 row has issues"
    assert book.alerts == [message]
    sheet = book.sheets.active
    header = {canonical(v): c for (r, c), v in sheet.cells.items() if r == 1}
    assert sheet.cells[(1, header["credit_grade"])] == "신용등급"  # added columns speak the sheet's language
    assert sheet.cells[(1, header["scoring_issues"])] == "계산문제"
    assert sheet.cells[(3, header["scoring_issues"])] == "상환능력: 12은(는) 1–10 밖입니다"
    grades = [sheet.cells.get((r, header["credit_grade"])) for r in (2, 3, 4)]
    assert grades == ["AAA", None, "B"]
    assert sheet.colors[(2, header["credit_grade"])] == "#63BE7B"

    wb = openpyxl.Workbook()
    for row in ROWS:
        wb.active.append(row)
    headless = OpenpyxlSheet(wb.active)
    regrade(headless, default_model())
    assert {c: [sheet.cells.get((r, c)) for r in range(1, 5)] for c in range(1, 21)} == \
           {c: [wb.active.cell(r, c).value for r in range(1, 5)] for c in range(1, 21)}


def test_validate_script_notes_bad_cells():
    book = FakeBook([FakeSheet("Customers", ROWS)])
    scripts.validate_sheet(book)
    sheet = book.sheets.active
    assert sheet.notes[(3, 3)].text == "상환능력: 12은(는) 1–10 밖입니다\n고치는 방법: 1부터 10까지의 값을 쓰세요."
    assert sheet.colors[(3, 3)] == "#FFC7CE"


def test_the_workbooks_own_model_sheet_is_used(tmp_path):
    path = export_model(default_model(), tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(path)["Model"]
    rows = [[c.value for c in row[:2]] for row in ws.iter_rows()]
    for row in rows:
        if row[0] == "credit.grades[4].from":
            row[1] = 0.95  # AAA from 0.95: C1's 0.9 becomes AA
    book = FakeBook([FakeSheet("Customers", ROWS), FakeSheet("Model", rows)])
    assert scripts.regrade_sheet(book).startswith("Regraded 3 customers on Customers: AA 1 · B 1")


def test_a_bad_model_sheet_is_reported_not_raised(tmp_path):
    rows = [["Key", "Value"], ["model.name", "x"]]
    book = FakeBook([FakeSheet("Customers", ROWS), FakeSheet("Model", rows)])
    message = scripts.regrade_sheet(book)
    assert "model.version: required entry is missing" in message and "Fix:" in message


def test_monthly_report_script_writes_the_report_next_to_the_workbook(tmp_path):
    from crm_xl.demo import make_demo

    data = make_demo(60, seed=4)
    customers = [list(data.customers.columns)] + data.customers.astype(object).where(
        data.customers.notna(), None).values.tolist()
    tx = data.transactions
    orders = [list(tx.columns)] + [[c, d.to_pydatetime(), q, a] for c, d, q, a in tx.itertuples(index=False)]
    book = FakeBook([FakeSheet("Customers", customers), FakeSheet("Transactions", orders)])
    book.fullname = str(tmp_path / "customers.xlsx")
    message = scripts.monthly_report(book)
    assert message.startswith("Report 2026-10: 60 customers") and "customers report 2026-10.xlsx" in message
    wb = openpyxl.load_workbook(tmp_path / "customers report 2026-10.xlsx")
    assert wb["Summary"]["B5"].value == 60


def test_monthly_report_script_asks_for_what_it_needs(tmp_path):
    book = FakeBook([FakeSheet("Customers", ROWS)])
    book.fullname = str(tmp_path / "customers.xlsx")
    assert scripts.monthly_report(book).startswith("Add a sheet named Transactions")
