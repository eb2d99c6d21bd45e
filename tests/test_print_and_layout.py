"""Workbooks that print and a report people look at (issue 15): a print setup on every sheet we
write, charts never over a filled cell, the Data quality list, the HTML summary's colours and charts."""
import re
import zipfile
from pathlib import PurePosixPath
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest

from crm_xl.batch import score_file
from crm_xl.demo import make_demo, write_demo
from crm_xl.model import default_model
from crm_xl.model.export import export_model
from crm_xl.reports.monthly import _kpi_text, run_report
from crm_xl.sheets.annotate import write_annotated
from crm_xl.sheets.template import write_template
from crm_xl.sheets.validation import validate_files
from crm_xl.store import db
from crm_xl.store.export import export_master
from tests.test_store import BASE, upload
from tests.test_validation import mistakes

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"}
MONTH = "2026-10"


def sheet_parts(path) -> dict[str, str]:
    """Sheet name -> its part in the zip, from the workbook's relationships."""
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    out = {}
    for s in book.find("m:sheets", NS):
        target = targets[s.get(f"{{{NS['r']}}}id")].lstrip("/")
        out[s.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def page_setups(path) -> dict[str, dict]:
    """Per visible sheet: orientation, fit to width/height, footer text and its print titles."""
    out = {}
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        hidden = {s.get("name") for s in book.find("m:sheets", NS) if s.get("state") in ("hidden", "veryHidden")}
        titles = {d.get("localSheetId"): d.text for d in book.iter(f"{{{NS['m']}}}definedName")
                  if d.get("name") == "_xlnm.Print_Titles"}
        for i, (name, part) in enumerate(sheet_parts(path).items()):
            if name in hidden:
                continue
            sheet = ElementTree.fromstring(z.read(part))
            setup = sheet.find("m:pageSetup", NS)
            fit = sheet.find("m:sheetPr/m:pageSetUpPr", NS)
            footer = sheet.find("m:headerFooter/m:oddFooter", NS)
            out[name] = {"orientation": setup.get("orientation") if setup is not None else None,
                         "fit_width": setup.get("fitToWidth", "1") if setup is not None else None,
                         "fit_to_page": fit is not None and fit.get("fitToPage") in ("1", "true"),
                         "footer": footer.text if footer is not None else "", "titles": titles.get(str(i))}
    return out


def assert_prints(path, wide_sheets=(), title_sheets=()):
    setups = page_setups(path)
    assert setups, path
    for name, s in setups.items():
        assert s["fit_to_page"] and int(s["fit_width"]) >= 1, (path.name, name, s)
        if int(s["fit_width"]) > 1:  # a wide table runs over pages readable, its code column on each
            assert s["titles"] and "$A:$A" in s["titles"], (path.name, name, s)
        assert all(code in s["footer"] for code in ("&F", "&A", "&P")), (path.name, name, s["footer"])
    for name in wide_sheets:
        assert setups[name]["orientation"] == "landscape", (path.name, name)
    for name in title_sheets:
        assert setups[name]["titles"], (path.name, name)  # header rows repeat on every page


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("printing")
    data = make_demo(300, seed=4)
    customers, transactions = write_demo(data, folder)
    return data, customers, transactions, folder


@pytest.fixture(scope="module")
def report(demo):
    data, customers, transactions, folder = demo
    return run_report(MONTH, customers, transactions, folder / "report.xlsx", default_model())


def test_every_workbook_we_write_has_a_print_setup(demo, report, tmp_path):
    data, customers, transactions, _ = demo
    scored = tmp_path / "scored.xlsx"
    score_file(customers, scored, default_model(), transactions=transactions)
    assert_prints(scored, wide_sheets=["Customers", "Issues"], title_sheets=["Customers", "Issues", "Model"])
    assert_prints(report.workbook, wide_sheets=["Summary", "Tiers", "Top customers"],
                  title_sheets=["Data quality", "Top customers"])
    template = write_template(tmp_path / "t.xlsx", default_model(), lang="ko")
    assert_prints(template, wide_sheets=["Customers"], title_sheets=["Customers"])
    assert "쪽" in page_setups(template)["Customers"]["footer"]  # the footer in the template's language
    report_ = validate_files([mistakes(tmp_path / "upload.xlsx")], default_model())[0]
    assert_prints(write_annotated(report_, tmp_path / "checked.xlsx"), wide_sheets=["고객"], title_sheets=["고객"])
    assert_prints(export_model(default_model(), tmp_path / "model.xlsx"), title_sheets=["Model"])
    engine = db.connect(f"sqlite:///{tmp_path / 'm.db'}")
    from crm_xl.store.merge import merge_files

    merge_files([upload(tmp_path, "a.xlsx", BASE)], engine, default_model(), "back_office", "kim")
    assert_prints(export_master(engine, tmp_path / "master.xlsx"), wide_sheets=["Customers"],
                  title_sheets=["Customers"])


def test_long_text_wraps(demo, tmp_path):
    _, customers, transactions, _ = demo
    scored = score_file(customers, tmp_path / "s.xlsx", default_model(), transactions=transactions).output
    ws = openpyxl.load_workbook(scored)["Customers"]
    header = {c.value: c.column_letter for c in ws[1]}
    for name in ("credit_policy", "tags", "scoring_issues"):
        assert ws.column_dimensions[header[name]].alignment.wrap_text, name  # the column's own format
        cell = next(c for c in ws[header[name]][1:] if c.value)
        assert cell.alignment.wrap_text, name


def chart_ranges(path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Sheet name -> the cell ranges (first row, first col, last row, last col; 1-based) its
    drawings are anchored over, read from the xlsx's drawing parts."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name, part in sheet_parts(path).items():
            rels_name = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
            if rels_name not in z.namelist():
                continue
            rels = ElementTree.fromstring(z.read(rels_name))
            for r in rels.findall("rel:Relationship", NS):
                if not r.get("Type").endswith("/drawing"):
                    continue
                drawing = str(PurePosixPath("xl/drawings") / PurePosixPath(r.get("Target")).name)
                tree = ElementTree.fromstring(z.read(drawing))
                assert tree.findall("xdr:oneCellAnchor", NS) == [] and tree.findall("xdr:absoluteAnchor", NS) == []
                for anchor in tree.findall("xdr:twoCellAnchor", NS):
                    start, end = anchor.find("xdr:from", NS), anchor.find("xdr:to", NS)
                    cell = lambda m, tag: int(m.find(f"xdr:{tag}", NS).text) + 1  # noqa: E731
                    out.setdefault(name, []).append((cell(start, "row"), cell(start, "col"),
                                                     cell(end, "row"), cell(end, "col")))
    return out


def test_charts_never_cover_a_filled_cell(report):
    ranges = chart_ranges(report.workbook)
    assert sum(len(v) for v in ranges.values()) == 7
    wb = openpyxl.load_workbook(report.workbook)
    for name, found in ranges.items():
        ws = wb[name]
        for top, left, bottom, right in found:
            covered = [c.coordinate for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
                       for c in row if c.value not in (None, "")]
            assert covered == [], (name, covered)
    summary = wb["Summary"]
    notes = [c.row for c in summary["A"] if isinstance(c.value, str) and c.value.startswith(("No previous", "Pending"))]
    assert notes and all(row < ranges["Summary"][0][0] for row in notes)  # the notes are not under the chart


def test_a_chart_the_template_puts_over_a_table_moves_beside_it(demo, tmp_path):
    from crm_xl.reports.template import build_template

    _, customers, transactions, _ = demo
    wb = build_template()
    wb["Tiers"]["G6"] = '{%chart bar tiers count "Over the matrix" %}'  # its size runs over the movement matrix
    wb["Tiers"]["H4"] = None
    path = tmp_path / "mine.xlsx"
    wb.save(path)
    out = run_report(MONTH, customers, transactions, tmp_path / "r.xlsx", default_model(), template=path)
    (top, left, bottom, right), = chart_ranges(out.workbook)["Tiers"]
    ws = openpyxl.load_workbook(out.workbook)["Tiers"]
    assert left > max(c.column for row in ws.iter_rows() for c in row if c.value not in (None, ""))


def test_data_quality_lists_the_customers_with_no_order_for_six_months(demo, report):
    data, *_ = demo
    tx = data.transactions
    last = pd.to_datetime(tx.groupby("customer_code").date.max())
    silent = set(data.customers.customer_code) - set(last[last >= pd.Timestamp("2026-05-01")].index)
    assert silent, "the demo has silent customers"
    ws = openpyxl.load_workbook(report.workbook)["Data quality"]
    start = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("Customers with no order"))
    listed = {c.value for c in ws["A"][start + 1:] if c.value}
    assert listed == silent and report.figures.kpi["stale"]["value"] == len(silent)


def test_a_change_is_coloured_by_whether_up_is_good_for_that_figure():
    at_risk = _kpi_text({"label": "Customers at risk (RFM)", "value": 718, "previous": 690, "change": 28, "good": "down"})
    sales = _kpi_text({"label": "Sales amount", "value": 10.0, "previous": 12.0, "change": -2.0, "good": "up"})
    orders = _kpi_text({"label": "Orders", "value": 5, "previous": 3, "change": 2, "good": "up"})
    first = _kpi_text({"label": "Customers", "value": 3000, "previous": None, "change": None, "good": "up"})
    assert (at_risk["change_text"], at_risk["direction"]) == ("+28", "bad")
    assert (sales["direction"], orders["direction"]) == ("bad", "good")
    assert (first["change_text"], first["direction"]) == ("no previous month", "")


def test_html_summary_colours_says_no_previous_month_and_carries_its_charts(report):
    html = report.html.read_text("utf-8")
    risk = re.search(r"Customers at risk \(RFM\).*?<td class=\"n ([a-z ]*)\">([^<]*)</td>", html, re.S)
    change = report.figures.kpi["at_risk"]["change"]
    assert risk.group(1).strip() == ("bad" if change > 0 else "good" if change < 0 else "")
    assert "+0" not in html and "no previous month" in html  # no snapshot of last month's customers given
    assert html.count("<svg") == 3 and "Sales per month" in html and "Customers per tier" in html
    assert not re.search(r"<(script|img|link)\b", html) and "http://www.w3.org/2000/svg" in html  # self-contained
    assert ".bad" in html and "#b3261e" in html  # bad news in red
