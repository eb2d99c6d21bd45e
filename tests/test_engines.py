"""The dask engine scores partitions exactly as the pandas path scores the whole table."""
import pandas as pd
import pytest

from crm_xl.demo import make_demo
from crm_xl.fields import COMPUTED_COLUMNS
from crm_xl.findings import InputError
from crm_xl.model import default_model
from crm_xl.scoring.customers import score_customers

distributed = pytest.importorskip("distributed")
from crm_xl.engines.partitions import score_partitions


@pytest.fixture(scope="module")
def client():
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as c:
        yield c


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (CSV partitions are read as text, as the pandas path is fed here)."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))


def write_parts(frame: pd.DataFrame, folder, cuts, suffix=".csv"):
    folder.mkdir()
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        part = frame.iloc[a:b]
        path = folder / f"part-{i:03d}{suffix}"
        part.to_csv(path, index=False) if suffix == ".csv" else part.to_parquet(path, index=False)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("customer_code", "last_order_date", "orders_12m", "amount_12m", "avg_monthly_qty",
                        "avg_monthly_amount", *COMPUTED_COLUMNS) if c in table.columns]
    out = table[cols].astype(object).where(table[cols].notna(), None)
    return out.sort_values("customer_code", kind="stable").reset_index(drop=True)


def test_partitions_score_as_the_whole_table_with_transactions(tmp_path, client):
    data = make_demo(400, seed=3)
    customers = as_text(data.customers.drop(columns=[c for c in data.customers.columns
                                                     if c in ("last_order_date", "orders_12m", "amount_12m")]))
    tx = as_text(data.transactions)
    # partition boundaries that cut through one customer's orders, and one empty customer partition
    write_parts(customers, tmp_path / "c", [0, 150, 150, 260, 400])
    write_parts(tx.sample(frac=1, random_state=1), tmp_path / "t", [0, 1000, len(tx)])
    scored = score_customers(customers, default_model(), transactions=tx)
    whole = scored.table()
    problems = scored.problems.frame()
    result = score_partitions(tmp_path / "c", tmp_path / "out", default_model(), transactions=tmp_path / "t",
                              client=client)
    got = pd.read_parquet(tmp_path / "out")
    assert len(list((tmp_path / "out").glob("*.parquet"))) == result.partitions
    pd.testing.assert_frame_equal(comparable(got), comparable(whole), check_dtype=False)
    assert result.rows == 400 and sum(result.counts["credit_grade"].values()) == (whole.credit_grade.notna()).sum()
    assert result.rows_with_issues == problems.loc[problems.severity != "info", "row"].nunique() > 0
    assert result.as_of == (pd.to_datetime(data.transactions.date).max() + pd.Timedelta(days=1)).date().isoformat()


def test_orders_the_pandas_path_leaves_out_set_no_as_of_on_dask_either(tmp_path, client):
    """An order a year and more ahead (a typo'd year), one with a negative amount and one without a
    customer code are left out by the pandas path: they must not set the as_of date on dask either."""
    data = make_demo(200, seed=4)
    customers = as_text(data.customers)
    tx = as_text(data.transactions)
    latest = pd.to_datetime(data.transactions.date).max()
    bad = pd.DataFrame({"customer_code": [tx.customer_code[0], tx.customer_code[1], None],
                        "date": ["2099-03-01", str((latest + pd.Timedelta(days=20)).date()),
                                 str((latest + pd.Timedelta(days=30)).date())],
                        "quantity": ["1", "1", "1"], "amount": ["1000", "-5", "1000"]})
    tx = pd.concat([tx, bad], ignore_index=True)
    write_parts(customers, tmp_path / "c", [0, 100, 200])
    write_parts(tx, tmp_path / "t", [0, 500, len(tx)])
    scored = score_customers(customers, default_model(), transactions=tx)
    result = score_partitions(tmp_path / "c", tmp_path / "out", default_model(), transactions=tmp_path / "t",
                              client=client)
    assert result.as_of == scored.as_of.date().isoformat() == (latest + pd.Timedelta(days=1)).date().isoformat()
    tx_problems = scored.transaction_problems.frame()
    assert result.orders.problems == tx_problems.code.value_counts(sort=False).to_dict()
    assert result.orders.problems == {"order-in-future": 1, "out-of-range": 1, "required-missing": 1}
    assert result.orders.left_out == 3
    shown = {(f.code, f.fields["file"].rsplit("/", 1)[-1], f.row, f.cell) for f in result.orders.examples}
    first = len(tx) - 3 - 500 + 2  # the three bad orders close the second file, below its header
    assert shown == {("order-in-future", "part-001.csv", first, f"B{first}"),
                     ("out-of-range", "part-001.csv", first + 1, f"D{first + 1}"),
                     ("required-missing", "part-001.csv", first + 2, f"A{first + 2}")}
    pd.testing.assert_frame_equal(comparable(pd.read_parquet(tmp_path / "out")), comparable(scored.table()),
                                  check_dtype=False)


def test_rfm_quintiles_are_the_populations_not_each_partitions(tmp_path, client):
    """Sorted by amount, each partition alone would give its own 1-5 spread; the population's is different."""
    demo = make_demo(300, seed=5)
    filled = score_customers(demo.customers, default_model(), transactions=demo.transactions).inputs
    data = filled.sort_values("amount_12m", kind="stable").reset_index(drop=True)
    write_parts(data, tmp_path / "c", [0, 100, 200, 300])
    data = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
                      for f in sorted((tmp_path / "c").iterdir())], ignore_index=True)
    whole = score_customers(data, default_model()).table()
    score_partitions(tmp_path / "c", tmp_path / "out", default_model(), client=client)
    got = comparable(pd.read_parquet(tmp_path / "out"))
    assert got.rfm_m.tolist() == comparable(whole).rfm_m.tolist()
    alone = score_customers(data.iloc[:100], default_model()).computed.rfm_m
    assert alone.max() == 5 and whole.rfm_m.iloc[:100].max() < 5  # would fail if ranked per partition


def test_no_partitions_is_a_finding(tmp_path, client):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as err:
        score_partitions(tmp_path / "empty", tmp_path / "out", default_model(), client=client)
    assert err.value.findings[0].code == "bad-option" and not (tmp_path / "out").exists()


def test_command_without_partitions_exits_2_naming_the_option(tmp_path, capsys):
    from tests.test_cli import run

    (tmp_path / "none").mkdir()
    code, _, err = run(["score", str(tmp_path / "none"), "--engine", "dask", "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "bad-option" in err and "names no Parquet or CSV files" in err
    assert not (tmp_path / "out").exists()


def test_composite_tier_levels_are_the_populations_not_each_partitions(tmp_path, client):
    """The 30-level preset ranks each measure in the whole population, then cuts the composite into
    equal-frequency levels over the whole population: partitions sorted by amount must not each
    get their own spread of levels."""
    demo = make_demo(600, seed=8)
    filled = score_customers(demo.customers, default_model(), transactions=demo.transactions).inputs
    data = filled.sort_values("amount_12m", kind="stable").reset_index(drop=True)
    write_parts(data, tmp_path / "c", [0, 200, 200, 450, 600])
    data = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
                      for f in sorted((tmp_path / "c").iterdir()) if f.stat().st_size], ignore_index=True)
    whole = score_customers(data, default_model(), tier_preset="30-level").table()
    result = score_partitions(tmp_path / "c", tmp_path / "out", default_model(), tier_preset="30-level", client=client)
    got = comparable(pd.read_parquet(tmp_path / "out"))
    pd.testing.assert_frame_equal(got, comparable(whole), check_dtype=False)
    assert result.counts["customer_tier"] == {k: int(v) for k, v in whole.customer_tier.value_counts().items() if v}
    alone = score_customers(data.iloc[:200], default_model(), tier_preset="30-level").computed.customer_tier
    assert alone.astype(str).eq("L30").any() and not whole.customer_tier.iloc[:200].astype(str).eq("L30").any()


def test_partition_missing_a_column_is_a_finding_before_any_work(tmp_path, client):
    customers = as_text(make_demo(30, seed=1).customers)
    write_parts(customers, tmp_path / "c", [0, 10, 30])
    lacking = tmp_path / "c" / "part-000.csv"
    pd.read_csv(lacking, dtype=str).drop(columns=["score_capital"]).to_csv(lacking, index=False)
    with pytest.raises(InputError) as err:
        score_partitions(tmp_path / "c", tmp_path / "out", default_model(), client=client)
    message = err.value.findings[0].message
    assert "part-000.csv" in message and "lacks score_capital, which part-001.csv has" in message
    assert not (tmp_path / "out").exists()
