"""Reading xlsx uploads: every cell arrives, in its column's type or as its own text, at its own cell."""
import datetime as dt
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter

from crm_xl.model import default_model
from crm_xl.sheets.reading import read_table
from crm_xl.sheets.validation import validate_files

pytestmark = pytest.mark.usefixtures("either_reader")  # every test with both readers

HEADERS = ["고객코드", "상호", "품성", "월평균금액", "발급일"]


def openpyxl_sheet(path, rows, title=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws["A1"] = title
    for row in rows:
        ws.append(row) if not title else None
    if title:  # a title above, the table from B3
        for i, row in enumerate(rows, start=3):
            for j, value in enumerate(row, start=2):
                ws.cell(i, j, value)
    wb.save(path)
    return path


def test_cells_of_another_type_keep_their_own_text(tmp_path):
    path = openpyxl_sheet(tmp_path / "u.xlsx", [
        HEADERS,
        ["C1", "가게", 7, 1 / 3, dt.date(2024, 3, 1)],
        ["C2", 123, 'seven "7"\nnot\\a\u200bnumber', "1,234원", "2024-03-02"],
        ["C3", "가게", True, dt.date(2024, 1, 2), 45352],
        ["C4", "가게", "  8 ", 12345678.87654321, "tomorrow"],
    ])
    frame = read_table(path).frame
    assert frame["store_name"].tolist() == ["가게", "123", "가게", "가게"]  # a number typed into a text column
    assert frame["score_character"].tolist() == [7.0, 'seven "7"\nnot\\a\u200bnumber', "TRUE", "  8 "]
    amounts = frame["avg_monthly_amount"].tolist()
    assert amounts[0] == 1 / 3 and amounts[3] == 12345678.87654321  # exact, not rounded for display
    assert amounts[1] == "1,234원" and amounts[2] == dt.datetime(2024, 1, 2)
    issued = frame["issue_date"].tolist()
    assert issued[0] == dt.datetime(2024, 3, 1) and issued[1] == "2024-03-02" and issued[3] == "tomorrow"
    assert issued[2] == dt.datetime(2024, 3, 1)  # an Excel serial in a date column is that date


def test_wrong_cells_become_findings_at_their_cells(tmp_path):
    path = openpyxl_sheet(tmp_path / "u.xlsx", [
        HEADERS,
        ["C1", "가게", 7, 1000, dt.date(2024, 3, 1)],
        ["C2", "가게", 'seven "7"', 1000, dt.date(2024, 3, 1)],
        ["C3", "가게", True, dt.date(2024, 1, 2), dt.date(2024, 3, 1)],
        ["C4", "가게", 8, "1,234원", "tomorrow"],
    ])
    report = validate_files([path], default_model())[0]
    found = {(f.fields["cell"], f.code, str(f.fields.get("value"))) for f in report.findings}
    assert found == {("C3", "not-a-number", 'seven "7"'), ("C4", "not-a-number", "TRUE"),
                     ("D4", "not-a-number", "2024-01-02"), ("E5", "not-a-date", "tomorrow")}


def test_a_table_below_a_title_and_right_of_column_a(tmp_path):
    path = openpyxl_sheet(tmp_path / "u.xlsx", [HEADERS, ["C1", "가게", 7, 10, None], ["C2", "가게", 70, 10, None]],
                          title="3월 고객 명단")
    table = read_table(path)
    assert table.header_row == 3 and table.letters["customer_code"] == "B"
    assert table.frame["customer_code"].tolist() == ["C1", "C2"]
    report = validate_files([path], default_model())[0]
    assert [(f.fields["cell"], f.code) for f in report.findings] == [("D5", "out-of-range")]


def test_shared_rich_and_inline_strings_read_alike(tmp_path):
    """xlsxwriter writes a shared-string table (as Excel does), with a rich-text header here."""
    shared = tmp_path / "shared.xlsx"
    wb = xlsxwriter.Workbook(str(shared))
    ws = wb.add_worksheet("고객")
    bold = wb.add_format({"bold": True})
    ws.write_rich_string(0, 0, bold, "고객", "코드")
    for j, header in enumerate(HEADERS[1:4], start=1):
        ws.write_string(0, j, header)
    ws.write_row(1, 0, ["00123", "가게", 7, 10])
    wb.close()
    inline = openpyxl_sheet(tmp_path / "inline.xlsx", [HEADERS[:4], ["00123", "가게", 7, 10]])
    frames = [read_table(p).frame for p in (shared, inline)]
    assert frames[0]["customer_code"].tolist() == ["00123"]
    assert frames[0].to_dict("list") == frames[1].to_dict("list")


def test_formulas_and_booleans_found_in_prefixed_sheet_xml(tmp_path):
    """Some generators write `<x:c>`; formulas must still be found, wherever the XML breaks lines."""
    path = openpyxl_sheet(tmp_path / "u.xlsx", [HEADERS[:4], ["C1", "=\"가\"&\"게\"", 7, 10], ["C2", "가게", True, 10]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r"<(/?)(\w+)", r"<\1x:\2", xml).replace('xmlns="', 'xmlns:x="')
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    for p in (path, prefixed):
        report = validate_files([p], default_model())[0]
        assert sorted((f.fields["cell"], f.code) for f in report.findings) == [
            ("B2", "formula-cell"), ("C3", "not-a-number")], p


@pytest.mark.parametrize("rows", [[HEADERS], [HEADERS, [None] * 5, [None] * 5]])
def test_a_header_without_rows_is_an_empty_table(tmp_path, rows):
    table = read_table(openpyxl_sheet(tmp_path / "u.xlsx", rows))
    assert len(table.frame) == 0 and "customer_code" in table.frame.columns


def test_error_cells_arrive_as_excel_shows_them(tmp_path):
    """A cached #DIV/0! or #N/A (t="e") is reported as the error it is, in a text, number or date column alike."""
    path = openpyxl_sheet(tmp_path / "u.xlsx", [HEADERS, ["C1", "#DIV/0!", "#N/A", 10, "#REF!"]])
    table = read_table(path)
    assert table.frame.iloc[0].tolist() == ["C1", "#DIV/0!", "#N/A", 10.0, "#REF!"]
    names = list(table.frame.columns)
    assert table.error_cells() == [(0, names[1]), (0, names[2]), (0, names[4])]
    report = validate_files([path], default_model())[0]
    assert {(f.fields["cell"], f.code, f.fields["value"]) for f in report.findings} == {
        ("B2", "error-value", "#DIV/0!"), ("C2", "error-value", "#N/A"), ("E2", "error-value", "#REF!")}


def test_a_damaged_sheet_is_a_finding_not_a_crash(tmp_path):
    path = openpyxl_sheet(tmp_path / "u.xlsx", [HEADERS, ["C1", "가게", 7, 10, None]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"</c>", b"</x>", 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = validate_files([path], default_model())[0]
    assert [f.code for f in report.findings] == ["file-unreadable"]


@pytest.mark.parametrize("typed", ["NaN", " nan ", "+NaN", "-nan", "NAN"])
def test_nan_typed_as_inline_text_is_reported_not_blank(tmp_path, typed):
    """Constant-memory writers (xlsxwriter, ours) write inline strings; the typed read gives an
    empty number for `NaN` text, so the scan must find each spelling, and not flag `nan` in words."""
    path = tmp_path / "inline.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADERS[:4])
    ws.write_row(1, 0, ["C1", "Nanjing Financial", 7, 10])
    ws.write_row(2, 0, ["C2", "nan shop", 7, typed])
    wb.close()
    report = validate_files([path], default_model())[0]
    assert [(f.fields["cell"], f.code) for f in report.findings] == [("D3", "not-a-number")]
