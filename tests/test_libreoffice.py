"""LibreOffice as an independent spreadsheet application: reopen, recalculate and render what we write."""
import math

import openpyxl
import pandas as pd
import pytest

from crm_xl.batch import score_file
from crm_xl.demo import make_demo, write_demo
from crm_xl.fields import canonical
from crm_xl.model import default_model
from crm_xl.model.export import export_model
from crm_xl.office import convert, render_png

ERROR_TEXTS = ("#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


@pytest.fixture(scope="module")
def scored(tmp_path_factory, libreoffice):
    """A scored demo workbook and LibreOffice's recalculated copy of it."""
    folder = tmp_path_factory.mktemp("lo")
    data = make_demo(60, seed=3)
    customers, transactions = write_demo(data, folder)
    out = folder / "scored.xlsx"
    result = score_file(customers, out, default_model(), transactions=transactions, as_of=data.as_of)
    model_file = export_model(default_model(), folder / "model.xlsx")
    recalculated = convert([out, model_file], "xlsx", folder / "lo")
    return out, recalculated[0], recalculated[1], result


def error_cells(path):
    wb = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value) for ws in wb for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith(ERROR_TEXTS)]


def test_no_cell_shows_an_error_after_recalculation(scored):
    _, recalculated, model_copy, _ = scored
    assert error_cells(recalculated) == []
    assert error_cells(model_copy) == []


def test_values_survive_the_round_trip(scored):
    ours, theirs, _, _ = scored
    a = pd.read_excel(ours, sheet_name="Customers", engine="calamine")
    b = pd.read_excel(theirs, sheet_name="Customers", engine="calamine")
    assert list(a.columns) == list(b.columns) and len(a) == len(b) == 60
    for col in a.columns:
        for x, y in zip(a[col], b[col]):
            if isinstance(x, float) and isinstance(y, float):
                assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y), col
            else:
                assert (pd.isna(x) and pd.isna(y)) or str(x) == str(y), (col, x, y)


def test_summary_counts_recomputed_by_libreoffice_match_ours(scored):
    _, theirs, _, result = scored
    ws = openpyxl.load_workbook(theirs, data_only=True)["Summary"]
    section, seen = None, {}
    for label, count, _share in ws.iter_rows(min_row=1, max_col=3, values_only=True):
        if count == "customers":
            section = label
        elif section and label is not None and isinstance(count, (int, float)):
            seen.setdefault(section, {})[label] = int(count)
    for column, counts in result.counts.items():
        assert {k: v for k, v in seen[column].items() if v} == counts, column


def test_model_sheet_survives_libreoffice(scored, tmp_path):
    from crm_xl.model import load_model

    _, _, model_copy, _ = scored
    assert load_model(model_copy).raw == default_model().raw


def test_scored_workbook_renders(scored, tmp_path):
    ours, _, _, _ = scored
    pages = render_png(ours, tmp_path / "png")
    assert len(pages) == 4  # Customers, Summary, Issues, Model: one page each
    assert all(p.stat().st_size > 5_000 for p in pages)


def test_a_regraded_sheet_opens_without_error_cells(tmp_path, libreoffice):
    from crm_xl.batch import sheet_job

    data = make_demo(40, seed=5)
    customers, _ = write_demo(data, tmp_path)
    result = sheet_job(customers, tmp_path / "regraded.xlsx", default_model())
    assert result.customers == 40
    copy = convert([tmp_path / "regraded.xlsx"], "xlsx", tmp_path / "lo")[0]
    assert error_cells(copy) == []
    ws = openpyxl.load_workbook(copy, data_only=True).active
    header = [canonical(c.value) for c in ws[1]]  # headed in the sheet's language (신용등급)
    grades = [r[header.index("credit_grade")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sum(g is not None for g in grades) == sum(result.counts.values())
