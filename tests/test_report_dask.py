"""`report --engine dask` gives the pandas report's figures and workbook, from partitions."""
import math

import openpyxl
import pandas as pd
import pytest

from crm_xl.demo import make_demo
from crm_xl.findings import InputError
from crm_xl.model import default_model
from crm_xl.reports.figures import build_figures
from crm_xl.reports.monthly import report_context, write_report

distributed = pytest.importorskip("distributed")
from crm_xl.engines.partitions import score_partitions  # noqa: E402
from crm_xl.engines.report import partitioned_figures, report_partitions  # noqa: E402
from tests.test_cli import run  # noqa: E402
from tests.test_engines import as_text, client, write_parts  # noqa: E402, F401 - the engine tests' cluster

MONTH = "2026-10"


def read_back(folder) -> pd.DataFrame:
    """The partitions as one table, read as the engine reads them (CSV cells as text)."""
    files = sorted(folder.iterdir())
    if files[0].suffix == ".parquet":
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""]) for f in files],
                     ignore_index=True)


def files(tmp_path, **folders) -> dict[str, list[str]]:
    return {f"--{option}": sorted(str(f) for f in (tmp_path / name).iterdir()) for option, name in folders.items()}


def same(a, b, where="") -> None:
    """Equal, floats to the last few bits (a sum of partial sums is added in another order)."""
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-9), where
    else:
        assert (a, type(a)) == (b, type(b)), where


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """400 customers over partitions (one empty), orders shuffled so a customer's orders span partitions."""
    folder = tmp_path_factory.mktemp("report_dask")
    data = make_demo(400, seed=3)
    tx = as_text(data.transactions)
    write_parts(as_text(data.customers), folder / "c", [0, 150, 150, 260, 400])
    write_parts(tx.sample(frac=1, random_state=1), folder / "t", [0, 1000, 2500, len(tx)])
    return folder


def test_figures_across_partitions_are_the_whole_tables(demo, client):
    # silent for 2 months: more customers than the list shows, so the capped list is the same one
    whole = build_figures(read_back(demo / "c"), read_back(demo / "t"), MONTH, default_model(), stale_months=2)
    got = partitioned_figures(MONTH, files(demo, customers="c", transactions="t"), default_model(), stale_months=2)
    same(report_context(whole), report_context(got))
    assert got.kpi["active"]["value"] > 0 and len(got.tables["top_customers"]) == 20  # figures worth comparing
    assert got.kpi["stale"]["value"] > len(got.tables["stale_customers"]) == 100
    assert got.tables["trend"][-1]["month"] == MONTH


def test_previous_table_is_matched_by_customer_code(demo, tmp_path, client):
    """Last month's table in another order, split otherwise, with a code twice (its first row counts)."""
    previous = read_back(demo / "c")
    previous.loc[:39, [c for c in previous.columns if c.startswith("score_")]] = "10"  # all AAA last month
    previous = pd.concat([previous, previous.iloc[[5, 7]].assign(score_character="1")])
    write_parts(previous.sample(frac=1, random_state=2), tmp_path / "p", [0, 100, 300, len(previous)])
    whole = build_figures(read_back(demo / "c"), read_back(demo / "t"), MONTH, default_model(),
                          read_back(tmp_path / "p"))
    got = partitioned_figures(MONTH, files(demo, customers="c", transactions="t") | files(tmp_path, previous="p"),
                              default_model())
    same(report_context(whole), report_context(got))
    assert len(got.tables["worse_grades"]) > 20 and got.kpi["psi"]["value"] is not None
    assert got.snapshot and not any("crm-xl snapshot --month" in n for n in got.notes)  # last month was given


def test_scored_parquet_of_score_engine_dask_reports_as_the_pandas_path(demo, tmp_path, client):
    score_partitions(demo / "c", tmp_path / "scored", default_model(), transactions=demo / "t", client=client)
    whole = build_figures(read_back(tmp_path / "scored"), read_back(demo / "t"), MONTH, default_model())
    got = partitioned_figures(MONTH, files(demo, transactions="t") | files(tmp_path, customers="scored"),
                              default_model())
    same(report_context(whole), report_context(got))


def test_without_orders_the_customer_figures_still_add_up(demo, client):
    whole = build_figures(read_back(demo / "c"), None, MONTH, default_model())
    got = partitioned_figures(MONTH, files(demo, customers="c"), default_model())
    same(report_context(whole), report_context(got))
    assert got.tables["trend"] == [] and got.kpi["active"]["value"] == 0


def cell_values(path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_command_writes_the_pandas_workbook_on_a_scheduler(demo, tmp_path, client, capsys):
    out = tmp_path / "report.xlsx"
    code, stdout, err = run(["report", "--month", MONTH, "--engine", "dask", "--scheduler", client.scheduler.address,
                             "--customers", demo / "c", "--transactions", str(demo / "t" / "*.csv"),
                             "-o", out, "-q"], capsys)
    assert code == 0, err
    assert "400 customers" in stdout and out.with_suffix(".html").exists()
    expected = write_report(build_figures(read_back(demo / "c"), read_back(demo / "t"), MONTH, default_model()),
                            tmp_path / "pandas.xlsx")
    want, got = cell_values(expected), cell_values(out)
    assert list(got) == list(want) and len(want) > 5
    for sheet in want:
        same(want[sheet], got[sheet], sheet)


def test_empty_directory_is_a_finding(tmp_path, client):
    (tmp_path / "none").mkdir()
    with pytest.raises(InputError) as err:
        report_partitions(MONTH, tmp_path / "none", None, tmp_path / "r.xlsx", default_model(), client=client)
    assert err.value.findings[0].code == "bad-option" and "--customers" in err.value.findings[0].message
    assert not (tmp_path / "r.xlsx").exists()


def test_partition_missing_a_column_is_a_finding_naming_it(demo, tmp_path, capsys):
    parts = tmp_path / "t"
    parts.mkdir()
    for f in sorted((demo / "t").iterdir()):
        (parts / f.name).write_bytes(f.read_bytes())
    last = sorted(parts.iterdir())[-1]
    pd.read_csv(last, dtype=str).drop(columns=["amount"]).to_csv(last, index=False)
    code, _, err = run(["report", "--month", MONTH, "--engine", "dask", "--customers", demo / "c",
                        "--transactions", parts, "-o", tmp_path / "r.xlsx"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "bad-option" in err and last.name in err and "lacks amount" in err
    assert not (tmp_path / "r.xlsx").exists()


def test_dask_engine_does_not_read_the_master_data(tmp_path, capsys):
    code, _, err = run(["report", "--month", MONTH, "--engine", "dask", "--db", f"sqlite:///{tmp_path}/m.db",
                        "-o", tmp_path / "r.xlsx"], capsys)
    assert code == 2 and "reads partitions, not the master data" in err


def test_parquet_partition_missing_the_customer_code_is_a_finding(tmp_path, client):
    customers = as_text(make_demo(30, seed=1).customers)
    write_parts(customers, tmp_path / "c", [0, 10, 30], suffix=".parquet")
    lacking = tmp_path / "c" / "part-001.parquet"
    pd.read_parquet(lacking).drop(columns=["customer_code"]).to_parquet(lacking)  # written with pandas' index
    with pytest.raises(InputError) as err:
        report_partitions(MONTH, tmp_path / "c", None, tmp_path / "r.xlsx", default_model(), client=client)
    assert err.value.findings[0].code == "bad-option"
    assert "part-001.parquet" in err.value.findings[0].message and "lacks customer_code" in err.value.findings[0].message


def test_partition_that_is_not_parquet_is_a_finding(demo, tmp_path, client):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "part-000.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError) as err:
        report_partitions(MONTH, tmp_path / "c", demo / "t", tmp_path / "r.xlsx", default_model(), client=client)
    assert err.value.findings[0].code == "file-unreadable" and "part-000.parquet" in err.value.findings[0].message


def test_model_ranking_tiers_over_the_population_is_refused(demo, tmp_path):
    """Ranked per partition, the 30-level tiers would be wrong without saying so."""
    import dataclasses

    ranked = dataclasses.replace(default_model(), default_tier_preset="30-level")
    with pytest.raises(InputError) as err:
        report_partitions(MONTH, demo / "c", demo / "t", tmp_path / "r.xlsx", ranked)
    assert err.value.findings[0].code == "bad-option" and "30-level" in err.value.findings[0].message


def test_orders_left_out_are_counted_in_a_note(tmp_path, client):
    """The bad orders the pandas path lists cell by cell are left out here too, and counted (QA)."""
    (tmp_path / "c").mkdir()
    (tmp_path / "t").mkdir()
    (tmp_path / "c" / "p0.csv").write_text("customer_code,store_name\nC000001,a\nC000002,b\n", encoding="utf-8")
    (tmp_path / "t" / "t0.csv").write_text("customer_code,date,quantity,amount\nC000001,2026-10-03,1,1000\n"
                                           "C000002,tomorrow,1,1000\nC000001,2026-10-04,1,abc\n", encoding="utf-8")
    issues = []
    got = partitioned_figures(MONTH, files(tmp_path, customers="c", transactions="t"), default_model(),
                              issues=issues)
    assert got.kpi["sales"]["value"] == 1000
    assert [n for n in got.notes if "left out" in n] == [
        "2 orders left out of the figures; cells with problems: not-a-date 1 · not-a-number 1 (the first of each "
        "partition are listed; crm-xl report without --engine dask, given one transactions file, names each cell)"]
    assert [(f.code, f.cell, f.fields["value"]) for f in issues] == [("not-a-date", "B3", "tomorrow"),
                                                                     ("not-a-number", "D4", "abc")]
