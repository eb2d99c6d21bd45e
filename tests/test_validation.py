"""crm-xl validate: every mistake a person makes is reported at its cell, and nothing else is."""
import json

import openpyxl
import pytest

from crm_xl.model import default_model
from crm_xl.sheets.validation import validate_files
from tests.test_cli import run

HEADERS = ["고객코드", "상호", "업태", "시장유형", "전화번호", "발급일", "품성", "상환능력", "자본", "담보", "여건", "월평균금액"]
GOOD = ["00123", "행복마트", "식료품점", "도시", "010-1234-5678", "2024-03-01", 8, 8, 8, 8, 8, "1,234,000원"]


def workbook(path, rows, sheet="고객"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def mistakes(path):
    rows = [list(GOOD) for _ in range(8)]
    for i, row in enumerate(rows):
        row[0] = f"C{i:03d}"
    rows[0][0] = "00123"  # leading zeros, typed as text: fine
    rows[1][4] = "call me"  # phone: bad pattern -> E3
    rows[2][1] = None  # store name missing -> B4
    rows[3][6] = 12  # score outside 1-10 -> G5
    rows[4][5] = "2024-13-45"  # not a date -> F6
    rows[5][0] = "C004"  # same customer as row 5 -> A7 duplicate of A6
    rows[6][1] = "=1+1"  # formula cell -> B8
    rows[7][1] = "@evil"  # text that runs as a formula -> B9 (stored as text)
    path = workbook(path, rows)
    wb = openpyxl.load_workbook(path)
    wb.active["B9"].data_type = "s"
    wb.save(path)
    return path


def test_every_injected_mistake_is_found_at_its_cell_and_nothing_else(tmp_path):
    report = validate_files([mistakes(tmp_path / "upload.xlsx")], default_model())[0]
    found = sorted((f.fields["cell"], f.code) for f in report.findings)
    assert found == sorted([("E3", "bad-pattern"), ("B4", "required-missing"), ("G5", "out-of-range"),
                            ("F6", "not-a-date"), ("A7", "duplicate-key"), ("B8", "formula-cell"),
                            ("B9", "formula-text")])
    dup = next(f for f in report.findings if f.code == "duplicate-key")
    assert dup.message == "customer_code: 'C004' appears again (first at A6)"


def test_duplicates_across_the_files_of_a_batch(tmp_path):
    a = workbook(tmp_path / "a.xlsx", [list(GOOD)])
    b = workbook(tmp_path / "b.xlsx", [list(GOOD)])
    reports = validate_files([a, b], default_model())
    assert reports[0].findings == []
    assert [(f.code, f.severity, f.fields["cell"], f.fields["first"]) for f in reports[1].findings] == [
        ("duplicate-across-files", "warning", "A2", "a.xlsx [고객] A2")]


def test_file_level_problems_are_findings(tmp_path):
    macro = tmp_path / "upload.xlsm"
    macro.write_bytes(b"PK")
    reports = validate_files([macro, tmp_path / "missing.xlsx"], default_model())
    assert [f.code for r in reports for f in r.findings] == ["macro-enabled", "file-not-found"]


def test_validate_command_json_and_exit_codes(tmp_path, capsys):
    clean = workbook(tmp_path / "clean.xlsx", [list(GOOD)])
    code, out, _ = run(["validate", clean], capsys)
    assert code == 0 and "0 errors, 0 warnings" in out
    code, out, _ = run(["validate", mistakes(tmp_path / "bad.xlsx"), "--json"], capsys)
    assert code == 1
    result = json.loads(out)[0]
    assert result["errors"] == 6 and result["warnings"] == 1
    first = result["findings"][0]
    assert {"code", "severity", "message", "fix", "file", "sheet", "cell", "column"} <= set(first)


@pytest.mark.parametrize("text, runs", [("=SUM(A1)", True), ("@cmd", True), ("+82 10 1234 5678", False),
                                        ("-5", False), ("-cmd", True), ("\tx", True), ("plain", False)])
def test_what_runs_as_a_formula(text, runs):
    from crm_xl.values import runs_as_formula

    assert runs_as_formula(text) is runs


def test_annotated_copy_marks_cells_and_can_be_uploaded_again(tmp_path):
    from crm_xl.sheets.annotate import write_annotated

    report = validate_files([mistakes(tmp_path / "upload.xlsx")], default_model())[0]
    out = write_annotated(report, tmp_path / "upload.checked.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["고객"]
    assert [c.value for c in ws[1]][:3] == ["고객코드", "상호", "업태"]  # the user's own headers
    assert ws["G5"].value == 12 and ws["G5"].fill.fgColor.rgb.endswith("FFC7CE")
    # a Korean sheet gets its notes and Errors sheet in Korean, the column named by its own header
    assert ws["G5"].comment.text.startswith("품성: 12은(는) 1–10 밖입니다") and "고치는 방법:" in ws["G5"].comment.text
    assert ws["B9"].value == "@evil" and ws["B9"].data_type == "s"  # stays text
    errors = wb["오류"]
    assert [c.value for c in errors[1]] == ["셀", "심각도", "코드", "열", "값", "내용", "고치는 방법"]
    assert errors["A2"].hyperlink.location == "'고객'!E3"
    english = openpyxl.load_workbook(write_annotated(report, tmp_path / "en.checked.xlsx", lang="en"))
    assert "score_character: 12 is outside 1–10" not in english["고객"]["G5"].comment.text  # the sheet's header...
    assert english["고객"]["G5"].comment.text.startswith("품성: 12 is outside 1–10")  # ...in an English sentence
    assert "Fix: " in english["고객"]["G5"].comment.text and english["Errors"]["F1"].value == "message"
    again = validate_files([out], default_model())[0]
    # the formula cell was written as its (empty) value: now it is a missing required value
    expected = {(f.fields["cell"], f.code) for f in report.findings} - {("B8", "formula-cell")} | {("B8", "required-missing")}
    assert {(f.fields["cell"], f.code) for f in again.findings} == expected


def test_annotated_copy_opens_in_libreoffice(tmp_path, libreoffice):
    from crm_xl.office import convert
    from crm_xl.sheets.annotate import write_annotated
    from tests.test_libreoffice import error_cells

    report = validate_files([mistakes(tmp_path / "upload.xlsx")], default_model())[0]
    copy = convert([write_annotated(report, tmp_path / "checked.xlsx")], "xlsx", tmp_path / "lo")[0]
    assert error_cells(copy) == []


def test_annotated_copy_keeps_cells_where_they_were_and_an_unknown_header_its_text(tmp_path):
    """A title above the header, blank rows, a column without a header and one the model does not
    know: every value is at the cell it had, the unknown header keeps its text (coloured, with its note)."""
    from crm_xl.sheets.annotate import write_annotated

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "고객"
    for row in (["Customer list 2026"], [], ["고객코드", "상호", "아무거나", None, "품성", "월평균금액"],
                ["C1", "가게", "x", None, 12, "1,000원"], [], [], ["C2", "=1+1", None, "stray", "abc", 5000],
                ["C3", "  spaced  ", "y", None, 7, None]):
        ws.append(row)
    wb.save(tmp_path / "gaps.xlsx")
    report = validate_files([tmp_path / "gaps.xlsx"], default_model())[0]
    copy = openpyxl.load_workbook(write_annotated(report, tmp_path / "gaps.checked.xlsx"))["고객"]
    values = {c.coordinate: c.value for row in copy.iter_rows() for c in row if c.value is not None}
    assert values == {"A3": "고객코드", "B3": "상호", "C3": "아무거나", "E3": "품성", "F3": "월평균금액",
                      "A4": "C1", "B4": "가게", "C4": "x", "E4": 12, "F4": "1,000원",
                      "A7": "C2", "E7": "abc", "F7": 5000, "A8": "C3", "B8": "spaced", "C8": "y", "E8": 7}
    assert copy["C3"].fill.fgColor.rgb.endswith("FFEB9C") and "아무거나" in copy["C3"].comment.text
    assert [copy[c].fill.fgColor.rgb[-6:] for c in ("E4", "B7", "E7")] == ["FFC7CE"] * 3  # the formula cell too
    assert copy["B7"].comment is not None and copy["A4"].fill.fill_type is None and copy.max_row == 8


def test_annotated_copy_has_each_row_once_in_order(tmp_path):
    """A note on a cell made xlsxwriter write an empty <row> for its row, beside the spliced table's own
    row of the same number: Excel repairs (or refuses) a sheet with a row twice or out of order."""
    import re
    import zipfile

    from crm_xl.sheets.annotate import write_annotated

    report = validate_files([mistakes(tmp_path / "upload.xlsx")], default_model())[0]
    out = write_annotated(report, tmp_path / "upload.checked.xlsx")
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', sheet)]
    assert rows == sorted(set(rows)) and len(rows) > 3
