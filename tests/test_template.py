"""Download - fill - upload: the template, filled the way a person would, then validated."""
import openpyxl
import pandas as pd

from crm_xl.demo import make_demo
from crm_xl.fields import canonical
from crm_xl.model import default_model
from crm_xl.sheets.template import DATA_SHEET, META_SHEET, write_template
from crm_xl.sheets.validation import validate_files
from tests.test_cli import run


def customers() -> pd.DataFrame:
    """12 demo customers without the demo's deliberate mistakes, with a pre-filled system figure."""
    from crm_xl.scoring.customers import score_customers

    frame = make_demo(60, seed=2).customers
    frame["avg_monthly_qty"] = 5.0  # a system figure, as the store would pre-fill it
    clean = score_customers(frame, default_model()).computed.scoring_issues.isna().to_numpy()
    return frame[clean].head(12).reset_index(drop=True)


def columns_of(ws) -> dict[str, int]:
    return {canonical(c.value): c.column for c in ws[1]}


def test_template_is_protected_localised_and_carries_metadata(tmp_path):
    path = write_template(tmp_path / "t.xlsx", default_model(), customers(), lang="ko")
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    cols = columns_of(ws)
    assert ws.cell(1, cols["customer_code"]).value == "고객코드" and ws.protection.sheet
    assert ws.cell(2, cols["customer_code"]).protection.locked  # key of a pre-filled row
    assert ws.cell(2, cols["avg_monthly_qty"]).protection.locked  # system-generated
    assert not ws.cell(2, cols["phone"]).protection.locked  # people keep this up to date
    assert not ws.cell(20, cols["customer_code"]).protection.locked  # a new customer needs a code
    for row in (2, 13, 14, 213):  # first and last pre-filled rows, first and last empty rows
        key, figure, phone, date = (ws.cell(row, cols[c]) for c in ("customer_code", "avg_monthly_qty", "phone",
                                                                      "issue_date"))
        assert key.protection.locked == (row <= 13) and key.number_format == "@"
        assert figure.protection.locked and figure.fill.fgColor.rgb.endswith("EDEDED")
        assert figure.number_format == "#,##0.##" and date.number_format == "yyyy-mm-dd"
        assert not phone.protection.locked and not date.protection.locked and phone.number_format == "@"
    assert ws.freeze_panes == "B2"
    formats = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list"
                   and get_col(dv) == cols["business_format"])
    assert "식료품점" in formats.formula1 and "편의점" in formats.formula1
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb[META_SHEET]["A2"].value == "schema_version"


def get_col(dv):
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(str(dv.sqref).split(":")[0].rstrip("0123456789"))


def test_a_filled_template_reports_every_mistake_at_its_cell(tmp_path):
    path = write_template(tmp_path / "t.xlsx", default_model(), customers(), lang="en")
    assert validate_files([path], default_model())[0].findings == []  # as downloaded: clean
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    cols = columns_of(ws)
    letter = {name: openpyxl.utils.get_column_letter(c) for name, c in cols.items()}
    ws[f"{letter['phone']}3"] = "010-9999-0000"  # an ordinary update: fine
    ws[f"{letter['avg_monthly_qty']}4"] = 99  # a locked system figure changed (sheet unprotected)
    ws[f"{letter['score_capacity']}5"] = 11  # out of range
    new = 14  # first empty row after 12 customers
    ws[f"{letter['customer_code']}{new}"] = "C999001"
    ws[f"{letter['store_name']}{new}"] = "새가게"
    ws[f"{letter['business_format']}{new}"] = "편의점"
    ws[f"{letter['market_type']}{new}"] = "도시"
    for name in cols:
        if name and name.startswith("score_"):
            ws[f"{letter[name]}{new}"] = 7
        elif name and name.startswith("value_"):
            ws[f"{letter[name]}{new}"] = 50
    wb.save(path)
    report = validate_files([path], default_model())[0]
    found = sorted((f.fields["cell"], f.code) for f in report.findings)
    assert found == sorted([(f"{letter['customer_code']}4", "locked-field-changed"),
                            (f"{letter['score_capacity']}5", "out-of-range")])


def test_template_command(tmp_path, capsys):
    src = tmp_path / "c.csv"
    customers().to_csv(src, index=False)
    manager = customers().account_manager.iloc[0]
    code, out, err = run(["template", "-o", tmp_path / "mine.xlsx", "--from", src, "--manager", manager,
                          "--lang", "zh"], capsys)
    assert code == 0, err
    ws = openpyxl.load_workbook(tmp_path / "mine.xlsx")[DATA_SHEET]
    assert ws["A1"].value == "客户编码"
    managers = {ws.cell(r, columns_of(ws)["account_manager"]).value for r in range(2, 40)} - {None}
    assert managers == {manager}


def test_a_damaged_metadata_sheet_is_a_finding_not_a_crash(tmp_path):
    import re
    import zipfile

    path = write_template(tmp_path / "t.xlsx", default_model(), customers(), lang="en")
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    meta = next(n for n in parts if n.startswith("xl/worksheets/sheet") and b"template_id" in parts[n])
    parts[meta] = re.sub(rb"<sheetData>.*", b"<sheetData><row r=", parts[meta], flags=re.S)  # cut off mid-tag
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = validate_files([path], default_model())[0]
    assert [(f.code, "template metadata" in f.message) for f in report.findings if "cell" not in f.fields] == [
        ("file-unreadable", True)]
