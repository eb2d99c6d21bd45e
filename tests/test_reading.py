"""Reading xlsx uploads: every cell arrives, in its column's type or as its own text, at its own cell."""
import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
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


KOREAN_CSV = "고객코드,상호,주소,대표자\nC1,행복마트,서울시 강남구 테헤란로 12,김민준\nC2,(주)한국상사,부산광역시 해운대구 센텀로 5,이서연\n"
CHINESE_CSV = "客户编码,名称,地址,法人代表\nC1,幸福超市,北京市朝阳区建国路88号,王伟\nC2,幸福便利店,地址,张三\n"  # GBK bytes that CP949 decodes


@pytest.mark.parametrize("text, encoding", [(KOREAN_CSV, "cp949"), (CHINESE_CSV, "gbk"), (CHINESE_CSV, "gb18030"),
                                            (KOREAN_CSV, "utf-8"), (CHINESE_CSV, "utf-8-sig")])
def test_a_csv_reads_as_typed_whatever_code_page_excel_saved_it_in(tmp_path, text, encoding):
    """GBK bytes decode as CP949 without an error (and Korean as GB18030): the text must come back as
    typed, not as Hangul-Hanja nonsense that no check would notice."""
    path = tmp_path / "customers.csv"
    path.write_bytes(text.encode(encoding))
    frame = read_table(path).frame
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert frame.iloc[:, :4].astype(object).values.tolist() == rows


@pytest.mark.parametrize("title, expected", [("Cu[s]t/o:m*e?rs\\", "Cu_s_t_o_m_e_rs_"), ("'고객 'list' & <x>'", "고객 'list' & <x>"),
                                             ("History", "History_"), ("''", "Sheet1"), ("x" * 40, "x" * 31)])
def test_an_annotated_copy_names_its_sheet_as_excel_allows_and_links_to_it(tmp_path, title, expected):
    """Other programs write sheet names Excel refuses; the annotated copy must still be written, and
    its Errors sheet's links must point at the sheet (apostrophes doubled)."""
    path = tmp_path / "u.xlsx"
    openpyxl_sheet(path, [HEADERS[:4], ["C1", "가게", 70, 10]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    parts["xl/workbook.xml"] = re.sub(rb'<sheet name="[^"]*"', b'<sheet name="' + escaped.encode() + b'"',
                                      parts["xl/workbook.xml"], count=1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    report = validate_files([path], default_model())[0]
    from crm_xl.sheets.annotate import write_annotated

    out = write_annotated(report, tmp_path / "u.checked.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == expected
    link = next(c.hyperlink.location for row in wb.worksheets[1].iter_rows() for c in row if c.hyperlink)
    assert link == "'" + expected.replace("'", "''") + "'!C2"


def test_a_csv_wider_than_any_sheet_is_refused_at_once(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("customer_code," + ",".join(f"c{i}" for i in range(16_384)) + "\nC1" + "," * 16_384 + "\n")
    from crm_xl.findings import InputError

    with pytest.raises(InputError) as err:
        read_table(path)
    assert "16,385 columns" in err.value.findings[0].message


@pytest.mark.parametrize("separator, encoding", [(";", "utf-8"), ("\t", "utf-16"), ("\t", "utf-8-sig"), (",", "utf-16")])
def test_a_csv_with_another_separator_or_excels_unicode_text_reads(tmp_path, separator, encoding):
    """Excel writes ; where the comma is the decimal mark, and "Unicode text" as UTF-16 with tabs."""
    path = tmp_path / "customers.csv"
    rows = [["고객코드", "상호", "주소"], ["C1", "행복마트", "서울시 강남구, 테헤란로 12"]]
    text = "\n".join(separator.join(f'"{v}"' if separator in v or "," in v else v for v in row) for row in rows)
    path.write_bytes(text.encode(encoding))
    frame = read_table(path).frame
    assert frame.iloc[0, :3].tolist() == rows[1]


@pytest.mark.parametrize("name, encoding", [
    ("enc_cp949.csv", "cp949"), ("enc_cp949_enghdr_hanja.csv", "cp949"), ("enc_cp949_hanja.csv", "cp949"),
    ("enc_gb18030.csv", "gb18030"), ("enc_gb18030_4b.csv", "gb18030"), ("enc_gbk.csv", "gb18030"),
    ("enc_gbk_enghdr.csv", "gb18030"), ("enc_gbk_enghdr_short.csv", None), ("enc_gbk_short.csv", None)])
def test_korean_and_chinese_code_pages_told_apart_or_refused(name, encoding):
    """Files a tester wrote (Hanja names in CP949, a few GBK names that read as pure Hangul): each is
    read in its own code page, or refused as unclear; never stored as the other language's nonsense."""
    from crm_xl.findings import InputError
    from crm_xl.sheets.reading import csv_encoding

    path = Path(__file__).parent / "data" / "encodings" / name
    data = path.read_bytes()
    if encoding is None:
        with pytest.raises(InputError) as err:
            read_table(path)
        assert "too little of it to tell" in err.value.findings[0].message
        return
    assert csv_encoding(data) == encoding
    text = data.decode(encoding)
    frame = read_table(path).frame
    assert all(v in text for v in frame.astype(object).stack().tolist() if isinstance(v, str))


def test_a_number_cell_holding_nan_is_reported_not_blank(tmp_path, either_reader):
    """A hand-made number cell `<v>nan</v>` (no writer makes one) reads as NaN: reported, not taken as
    empty (openpyxl, under the plain reader, refuses the file)."""
    path = tmp_path / "v-nan.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADERS[:4])
    ws.write_row(1, 0, ["C1", "shop", 7, 10])
    ws.write_row(2, 0, ["C2", "shop", 7, 123456])
    wb.close()
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<v>123456</v>", b"<v>nan</v>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    report = validate_files([path], default_model())[0]
    if either_reader == "openpyxl":
        assert [f.code for f in report.findings] == ["file-unreadable"]
    else:
        assert [(f.fields["cell"], f.code) for f in report.findings] == [("D3", "not-a-number")]


@pytest.mark.parametrize("cells", [["1", "2.5", "-3", "+4", ".5", "1e5", "00123", None, "", np.nan],
                                   ["1", " 2", None], ["1,000", "5"], ["nan", "1"], ["inf"], ["1e309"], ["0x10"],
                                   ["١٢٣"], ["12345678901234567890"], ["0.1000000000000000055511151231257827"]])
def test_csv_numbers_parsed_fast_are_the_numbers_to_numeric_gives(cells):
    """A number column of a CSV is parsed by Arrow when every cell is a plain number it reads; what it
    reads must be what pandas' to_numeric (the path for everything else) reads."""
    from crm_xl.sheets.reading import _clean, _plain_numbers

    values = np.array(cells, dtype=object)
    fast = _plain_numbers(values)
    slow = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    if fast is not None:
        np.testing.assert_array_equal(fast[0], slow)
        assert fast[1].tolist() == [not (c is None or c == "" or c is np.nan) for c in cells]
    cleaned = _clean(pd.Series(cells, dtype=object), "number")
    if cleaned.dtype == float:  # all plain and finite: the numbers
        np.testing.assert_array_equal(cleaned.to_numpy(), slow)
    else:  # anything else stays as typed, for the checks to name
        assert cleaned.tolist() == [None if c is None or c == "" or c is np.nan else c for c in cells]


def test_a_table_comes_back_from_its_reading_child_exactly():
    """Tables are pickled from the reading child with their text columns as Arrow: every value, type,
    dtype and the index (rows offset by blank rows) come back as they were."""
    import pickle

    from crm_xl.sheets.reading import Table

    frame = pd.DataFrame({
        "text": ["a", None, "한글 中文", "", "\x1f"],
        "mixed": ["x", 1.5, None, np.nan, pd.Timestamp("2026-01-01")],
        "nan_text": ["a", np.nan, "b", "c", "d"],
        "number": [1.0, np.nan, 3.0, np.inf, -0.0],
        "date": pd.array(["2026-01-02", None, "2026-03-04", None, "1900-03-01"], dtype="datetime64[ms]"),
        "string_dtype": pd.array(["a", None, "b", "c", "d"], dtype="str"),
        "empty": pd.Series([None] * 5, dtype=object),
    }, index=[0, 2, 3, 7, 8])
    for rows in (frame, frame.iloc[:0], frame[[]]):
        table = Table(rows, Path("x.xlsx"), "S", 1, {"text": "A"})
        back = pickle.loads(pickle.dumps(table, protocol=5))
        assert back.frame.index.equals(rows.index) and list(back.frame.columns) == list(rows.columns)
        assert list(back.frame.dtypes) == list(rows.dtypes)
        for name in rows.columns:
            got, want = back.frame[name].tolist(), rows[name].tolist()
            assert [type(v) for v in got] == [type(v) for v in want], name
            assert [v for v in got if v == v] == [v for v in want if v == v], name
        assert (back.file, back.sheet, back.letters) == (table.file, table.sheet, table.letters)


@pytest.mark.parametrize("first_column", [0, 1, 3])
def test_a_bad_cell_after_a_blank_column_is_read_at_its_own_cell(tmp_path, first_column):
    """A column without a header (left out of the read) and a table that does not start at column A:
    the fast reader counts a bad cell's column from the start of the used range, not from column A and
    not among the columns read. Each cell's value must land in its own column."""
    path = tmp_path / "gaps.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "고객"
    at = lambda j: first_column + j + 1  # noqa: E731 - 1-based column of the table's j-th column
    for j, header in enumerate(["고객코드", "상호", None, "품성", "월평균금액", "발급일"]):
        if header:
            ws.cell(1, at(j), header)
    for r, row in enumerate([["C1", "가게", "stray", 12, "1,000원", "2026-01-02"],
                             ["C2", "상점", None, "abc", 5000, "not a date"]], start=2):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(r, at(j), value)
    wb.save(path)
    frame = read_table(path).frame
    assert frame["score_character"].tolist() == [12, "abc"]
    assert frame["avg_monthly_amount"].tolist() == ["1,000원", 5000]
    assert [str(v)[:10] for v in frame["registered_date" if "registered_date" in frame else frame.columns[-1]]] == \
        ["2026-01-02", "not a date"]
    report = validate_files([path], default_model())[0]
    letter = lambda j: openpyxl.utils.get_column_letter(at(j))  # noqa: E731
    cells = {(f.fields.get("cell"), f.code) for f in report.findings}
    assert (f"{letter(3)}3", "not-a-number") in cells and (f"{letter(4)}2", "not-a-number") not in cells


@pytest.mark.parametrize("typed", ["1e-400", "-1e-400", "2.4703282292062327e-324", "0.1e-330"])
def test_a_csv_number_too_small_for_a_float_is_refused_not_stored_as_0(tmp_path, typed):
    """A CSV's number column is parsed as a whole; a value that underflows to 0 must not pass as 0."""
    path = tmp_path / "c.csv"
    path.write_text(f"customer_code,net_worth\nC1,12\nC2,{typed}\nC3,0\nC4,0.000e5\n", encoding="utf-8")
    assert read_table(path).frame["net_worth"].tolist() == ["12", typed, "0", "0.000e5"]  # as typed, to be checked
    report = validate_files([path], default_model())[0]
    assert [(f.fields["cell"], f.code) for f in report.findings if f.fields.get("column") == "net_worth"] == \
        [("B3", "not-a-number")]


@pytest.mark.parametrize("typed", ["\x85nel", "nel\x85", "\x1c\x1d x", "\x0bvt", "ff\x0c"])
def test_xlsx_and_csv_trim_a_text_alike(tmp_path, typed, either_reader):
    """Only spaces (values.SPACES) are trimmed, from an xlsx as from a CSV: a control character at
    either end stays, to be reported as bad-characters, not cut away unseen."""
    xlsx, csv = tmp_path / "t.xlsx", tmp_path / "t.csv"
    wb = xlsxwriter.Workbook(str(xlsx))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["customer_code", "store_name"])
    ws.write_row(1, 0, ["C1", typed])
    wb.close()
    csv.write_text(f'customer_code,store_name\nC1,"{typed}"\n', encoding="utf-8")
    escaped = either_reader == "openpyxl" and any(c < " " for c in typed)  # openpyxl leaves xlsxwriter's _x000B_
    for path in (csv,) if escaped else (xlsx, csv):
        assert read_table(path).frame["store_name"].tolist() == [typed.strip(" ")], path.suffix
        report = validate_files([path], default_model())[0]
        assert [(f.fields.get("cell"), f.code) for f in report.findings] == [("B2", "bad-characters")], path.suffix


@pytest.mark.parametrize("typed", ["Infinity", "-inf", "+infinity", "INF", "1e309", "-1e309", "+NaN", "-nan"])
def test_text_reading_as_no_number_a_cell_holds_is_kept_as_typed(tmp_path, typed, either_reader):
    """The fast reader reads the texts `inf`, `1e309` or `-nan` in a number column as floats no cell can
    hold; the cell must keep its text (reported, and written back as typed), not become empty."""
    path = tmp_path / "inf.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["customer_code", "net_worth"])
    ws.write_row(1, 0, ["C1", 12])
    ws.write_row(2, 0, ["C2", typed])
    wb.close()
    assert read_table(path).frame["net_worth"].tolist() == [12, typed]
    report = validate_files([path], default_model())[0]
    assert [(f.fields["cell"], f.code, f.fields.get("value")) for f in report.findings] == [("B3", "not-a-number", typed)]


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman", "latin-1"])
@pytest.mark.parametrize("names", [["Müller Laden", "Señora Peña", "Straße 5"], ["Hélène", "Thérèse", "Éric"],
                                   ["Noël"], ["Raphaël", "Loïc", "Ève"]])
def test_a_csv_in_a_western_code_page_is_refused_not_read_as_nonsense(tmp_path, encoding, names):
    """Not UTF-8, and both Asian code pages decode it: Müller would be stored as M黮ler with no finding."""
    path = tmp_path / "w.csv"
    text = "customer_code,store_name\n" + "".join(f"C{i},{n}\n" for i, n in enumerate(names))
    path.write_bytes(text.encode(encoding))
    late = tmp_path / "late.csv"  # the first accented letter past the first megabyte
    late.write_bytes((text.split("\n", 1)[0] + "\n" + "".join(f"S{i},Store {i}\n" for i in range(60_000))
                      + text.split("\n", 1)[1]).encode(encoding))
    assert [f.code for f in validate_files([late], default_model())[0].findings] == ["file-unreadable"]
    report = validate_files([path], default_model())[0]
    assert [f.code for f in report.findings] == ["file-unreadable"] and "UTF-8" in report.findings[0].message


@pytest.mark.parametrize("text, encoding", [
    ("고객코드,상호\nC1,CU편의점\nC2,GS25 역삼점\nC3,LG전자 대리점\nC4,e편한세상 마트\nC5,행복마트\nC6,우리슈퍼마켓\n", "cp949"),
    ("고객코드,상호\nC1,SK와KT대리점\nC2,A동B호상가\nC3,행복마트\nC4,우리편의점\nC5,동네슈퍼마켓\nC6,세븐일레븐\n", "cp949"),
    ("客户编码,名称\nC1,T恤店\nC2,3号楼B座商店\nC3,幸福超市\nC4,KTV娱乐城\n", "gbk"),
    ("客户编码,名称\nC1,幸福超市A栋B座店\nC2,OPPO和vivo专卖店\nC3,红星烟酒商店\nC4,华联超市\nC5,苏宁易购\n", "gbk"),
    ("客户编码,名称\nC1,鴻運茶餐廳\nC2,興隆雜貨舖\nC3,萬福酒樓\nC4,華聯超級市場\n", "gbk")])
def test_korean_and_chinese_names_beside_latin_letters_still_read(tmp_path, text, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode(encoding))
    assert read_table(path).frame.iloc[:, 1].tolist() == [line.split(",")[1] for line in text.splitlines()[1:]]


@pytest.mark.parametrize("shared", [True, False])
def test_escape_like_texts_read_as_typed_by_either_reader(tmp_path, shared, either_reader):
    """Texts that look like Excel's _xHHHH_ escapes (written escaped, as Excel does), surrogate halves
    among them, read back as typed: never decoded twice, never a crash on a lone surrogate."""
    typed = ["_x0041_", "Shop_xD83D__xDE00_", "_x005F_x0041_", "_X0041_", "_x004G_", "a_x0031__x0032_"]
    path = tmp_path / "e.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not shared})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["customer_code", "store_name"])
    for r, text in enumerate(typed, start=1):
        ws.write_row(r, 0, [f"C{r}", text])
    wb.close()
    report = validate_files([path], default_model())[0]
    assert "internal" not in " ".join(f.message for f in report.findings)
    if either_reader == "fastexcel":  # openpyxl leaves inline escapes raw and strips x005F_ from shared strings
        assert read_table(path).frame["store_name"].tolist() == typed
