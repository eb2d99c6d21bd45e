"""The monthly report: figures against an independent computation, the template, charts, LibreOffice."""
import zipfile

import openpyxl
import pandas as pd
import pytest

from crm_xl.demo import make_demo, write_demo
from crm_xl.model import default_model
from crm_xl.office import convert, render_png
from crm_xl.reports.figures import build_figures, movement
from crm_xl.reports.monthly import run_report
from crm_xl.reports.template import build_template
from crm_xl.scoring.customers import score_customers
from tests.test_libreoffice import error_cells

MONTH = "2026-10"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    data = make_demo(400, seed=9)
    customers, transactions = write_demo(data, folder)
    return data, customers, transactions, folder


@pytest.fixture(scope="module")
def report(demo):
    data, customers, transactions, folder = demo
    return run_report(MONTH, customers, transactions, folder / "report.xlsx", default_model())


def test_kpis_match_an_independent_computation(demo, report):
    data, *_ = demo
    tx = data.transactions
    month = tx[(tx.date >= "2026-10-01") & (tx.date < "2026-11-01")]
    before = tx[(tx.date >= "2026-09-01") & (tx.date < "2026-10-01")]
    kpi = report.figures.kpi
    assert kpi["active"]["value"] == month.customer_code.nunique()
    assert kpi["active"]["previous"] == before.customer_code.nunique()
    assert kpi["orders"]["value"] == len(month) and kpi["orders"]["change"] == len(month) - len(before)
    assert kpi["sales"]["value"] == pytest.approx(month.amount.sum())
    assert kpi["customers"]["value"] == 400


def test_distributions_and_movements_match_the_scoring(demo, report):
    data, *_ = demo
    now = score_customers(data.customers, default_model(), transactions=data.transactions,
                          as_of=pd.Timestamp("2026-11-01")).computed
    then = score_customers(data.customers, default_model(), transactions=data.transactions,
                           as_of=pd.Timestamp("2026-10-01")).computed
    tiers = {r["label"]: (r["count"], r["previous"]) for r in report.figures.tables["tiers"]}
    for label in tiers:
        assert tiers[label] == ((now.customer_tier == label).sum(), (then.customer_tier == label).sum())
    moves = report.figures.matrices["tier_moves"]
    i, j = moves["rows"].index("T5"), moves["columns"].index("T4")
    assert moves["cells"][i][j] == ((then.customer_tier == "T5") & (now.customer_tier == "T4")).sum()
    classes = report.figures.matrices["classes"]
    assert sum(map(sum, classes["cells"])) == now.class_code.notna().sum()
    top = report.figures.tables["top_customers"]
    assert [t["amount"] for t in top] == sorted((t["amount"] for t in top), reverse=True)


def test_movement_counts_every_pair():
    m = movement(pd.Series(["a", "a", "b", None]), pd.Series(["a", "b", "b", "a"]), ["a", "b"])
    assert m["cells"] == [[1, 1], [0, 1]]


def test_worse_grades_need_a_previous_snapshot(demo, tmp_path):
    data, *_ = demo
    previous = data.customers.copy()
    previous.loc[:9, [c for c in previous.columns if c.startswith("score_")]] = 10  # all were AAA last month
    figures = build_figures(data.customers, data.transactions, MONTH, default_model(), previous)
    worse = figures.tables["worse_grades"]
    expected = score_customers(data.customers.head(10), default_model()).computed.credit_grade
    got_worse = (expected.notna() & expected.ne("AAA")).to_numpy()  # an unscorable row has no grade to compare
    assert {w["code"] for w in worse} == set(data.customers.customer_code[:10][got_worse])
    assert all(w["previous"] == "AAA" for w in worse)


def test_every_placeholder_is_filled_and_tables_expand(report):
    wb = openpyxl.load_workbook(report.workbook)
    leftovers = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and ("{{" in c.value or "{%" in c.value)]
    assert leftovers == []
    tiers = wb["Tiers"]
    labels = [tiers.cell(r, 1).value for r in range(5, 13)]
    assert labels == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]
    assert isinstance(tiers["B5"].value, int) and tiers["C5"].number_format == "0.0%"  # numbers stay numbers
    assert wb["Summary"]["B5"].value == 400


def test_charts_reference_the_expanded_tables(report):
    with zipfile.ZipFile(report.workbook) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 7
    tier_chart = next(c for c in charts if "Customers per tier" in c)
    assert "'Tiers'!$A$5:$A$12" in tier_chart and "'Tiers'!$B$5:$B$12" in tier_chart
    assert "'Tiers'!$D$5:$D$12" in tier_chart  # last month's series
    trend = next(c for c in charts if "Sales per month" in c)
    assert "'Trend'!$D$5:$D$16" in trend


def test_empty_and_first_months(demo, tmp_path):
    data, customers, transactions, _ = demo
    first = run_report("2025-11", customers, transactions, tmp_path / "first.xlsx", default_model())
    assert first.figures.kpi["active"]["previous"] is None  # nothing before the first month: no +0 posing as news
    empty = run_report("2027-03", customers, transactions, tmp_path / "empty.xlsx", default_model())
    assert empty.figures.kpi["orders"]["value"] == 0 and empty.figures.tables["top_customers"] == []
    ws = openpyxl.load_workbook(tmp_path / "empty.xlsx")["Top customers"]
    assert ws["A5"].value == "(none this month)"


def test_a_user_template_with_a_bad_placeholder_names_the_cell(demo, tmp_path):
    _, customers, transactions, _ = demo
    wb = build_template()
    wb["Summary"]["A20"] = "{{ kpi.profit.value }}"
    path = tmp_path / "mine.xlsx"
    wb.save(path)
    from crm_xl.findings import InputError

    with pytest.raises(InputError, match=r"\[Summary\] A20: .*profit"):
        run_report(MONTH, customers, transactions, tmp_path / "r.xlsx", default_model(), template=path)
    assert not (tmp_path / "r.xlsx").exists()


def test_the_shipped_template_file_is_the_built_one():
    from pathlib import Path

    shipped = openpyxl.load_workbook(Path(__file__).parent.parent / "templates" / "monthly_report.xlsx")
    built = build_template()
    assert shipped.sheetnames == built.sheetnames
    for name in built.sheetnames:
        cells = lambda ws: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}  # noqa: E731
        assert cells(shipped[name]) == cells(built[name]), name


def test_html_summary(report):
    html = report.html.read_text("utf-8")
    assert f"Customer report {MONTH}" in html and "Top customers" in html and "{{" not in html


def test_libreoffice_recalculates_and_renders_the_report(report, tmp_path, libreoffice):
    copy = convert([report.workbook], "xlsx", tmp_path)[0]
    assert error_cells(copy) == []
    with zipfile.ZipFile(copy) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 7
    pages = render_png(report.workbook, tmp_path / "png")
    assert len(pages) == len(openpyxl.load_workbook(report.workbook).sheetnames)
