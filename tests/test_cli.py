"""`crm-xl` end to end: score files with aliased headers, errors as findings, model commands, demo."""
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from crm_xl.cli import main

KO_HEADERS = {"customer_code": "고객코드", "store_name": "상호", "business_format": "업태", "market_type": "시장유형",
              "score_character": "품성", "score_capacity": "상환능력", "score_capital": "자본",
              "score_collateral": "담보", "score_conditions": "여건", "avg_monthly_qty": "월평균수량",
              "avg_monthly_amount": "월평균금액"}
ZH_HEADERS = {"customer_code": "客户编码", "store_name": "店铺名称", "business_format": "经营业态",
              "market_type": "市场类型", "score_character": "品质", "score_capacity": "能力", "score_capital": "资本",
              "score_collateral": "抵押", "score_conditions": "条件", "avg_monthly_qty": "月均销量",
              "avg_monthly_amount": "月均金额"}


def customers(n=6) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_code": [f"00{i}" for i in range(1, n + 1)],
        "store_name": ["행복마트", "金福超市", "=HYPERLINK(\"http://x\",\"y\")", "+cmd", "동네편의점", "老王食杂店"][:n],
        "business_format": ["식료품점", "超市", "grocery", "B", "편의점", "食杂店"][:n],
        "market_type": ["도시", "城镇", "rural", "X", "농촌", "乡村"][:n],
        "score_character": [9, 7, 12, 5, 8, 3][:n], "score_capacity": [9, 7, 7, 5, 8, 3][:n],
        "score_capital": [9, 7, 7, 5, 8, 3][:n], "score_collateral": [9, 7, 7, 5, 8, 3][:n],
        "score_conditions": [9, 7, 7, 5, 8, 3][:n],
        "avg_monthly_qty": [45, 12, 3, 0.5, 8, 1][:n],
        "avg_monthly_amount": [12_000_000, 900_000, 150_000, 30_000, 400_000, 60_000][:n],
    })


def run(args, capsys) -> tuple[int, str, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ko_csv(tmp_path) -> Path:
    path = tmp_path / "고객.csv"
    customers().rename(columns=KO_HEADERS).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_score_csv_with_korean_headers(ko_csv, tmp_path, capsys):
    out = tmp_path / "scored.xlsx"
    code, stdout, err = run(["score", ko_csv, "-o", out, "-q"], capsys)
    assert code == 0, err
    assert "Scored 6 customers with crm_xl default 1.0.0" in stdout
    assert "score_character: 12 is outside 1–10" in stdout
    frame = pd.read_excel(out, sheet_name="Customers", engine="calamine", dtype={"customer_code": str})
    assert frame.customer_code.tolist() == ["001", "002", "003", "004", "005", "006"]  # leading zeros kept
    assert frame.credit_grade.tolist()[:2] == ["AAA", "A"] and pd.isna(frame.credit_grade[2])
    assert frame.class_code.tolist() == ["CZL", "CSS", "XZS", "XBS", "XBS", "XZS"]
    assert frame.customer_tier.tolist() == ["T1", "T3", "T6", "T8", "T4", "T7"]
    assert frame.credit_limit.tolist()[:2] == [18_000_000, 900_000]  # x1.5 and x1.0; no net worth, no cap
    assert frame.scoring_issues[2] == "score_character: 12 is outside 1–10"
    wb = openpyxl.load_workbook(out)
    assert set(wb.sheetnames) == {"Customers", "Summary", "Issues", "Model"}
    ws = wb["Customers"]
    assert ws["B4"].value.startswith("=HYPERLINK") and ws["B4"].data_type == "s"  # user text stays text
    assert ws["B5"].value == "+cmd" and ws["B5"].data_type == "s"
    assert wb["Issues"]["A2"].hyperlink.location == "'Customers'!E4"


def test_score_xlsx_with_chinese_headers_under_a_title_row(tmp_path, capsys):
    src = tmp_path / "客户.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户表"
    ws["A1"] = "2026年11月 客户信息"
    frame = customers().rename(columns=ZH_HEADERS)
    ws.append([])
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    wb.save(src)
    out = tmp_path / "scored.xlsx"
    code, stdout, err = run(["score", src, "-o", out, "--json"], capsys)
    assert code == 0, err
    result = json.loads(stdout)
    assert result["rows"] == 6 and result["counts"]["credit_grade"]["AAA"] == 1
    issue = next(i for i in result["issues"] if i["code"] == "out-of-range")
    # one row numbering everywhere: the row the sheet shows (E6 is row 6)
    assert issue == {"file": str(src), "sheet": "客户表", "cell": "E6", "row": 6, "column": "score_character",
                     "code": "out-of-range", "severity": "error", "value": 12, "low": 1, "high": 10, "message":
                     "score_character: 12 is outside 1–10", "fix": "Use a value from 1 to 10."}
    assert {n["affects"]: n["column"] for n in result["notices"]} == {
        "value_segment": "value_contribution, value_support, value_credit, value_growth, value_influence",
        "rfm_segment": "last_order_date, orders_12m, amount_12m"}


def test_strict_exits_1_on_error_issues(ko_csv, tmp_path, capsys):
    code, _, _ = run(["score", ko_csv, "-o", tmp_path / "s.xlsx", "--strict", "-q"], capsys)
    assert code == 1


def test_csv_output_keeps_formula_text_inert(ko_csv, tmp_path, capsys):
    out = tmp_path / "scored.csv"
    code, _, err = run(["score", ko_csv, "-o", out, "-q"], capsys)
    assert code == 0, err
    frame = pd.read_csv(out, dtype=str)
    assert frame.store_name[2].startswith("'=HYPERLINK") and frame.store_name[3] == "'+cmd"


@pytest.mark.parametrize("setup, code_name", [
    (lambda d: d / "missing.xlsx", "file-not-found"),
    (lambda d: _write(d / "notes.xlsx", b"just text"), "file-unreadable"),
    (lambda d: _write(d / "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), "file-unreadable"),
    (lambda d: _dimension_bomb(d / "bomb.xlsx"), "file-unreadable"),
    (lambda d: _entity_laughs(d / "laughs.xlsx"), "file-unreadable"),
    (lambda d: _csv(d / "nokey.csv", "name,score\nA,1\n"), "no-header"),
    (lambda d: _csv(d / "dup.csv", "customer_code,고객코드\nA,B\n"), "duplicate-column"),
    (lambda d: _csv(d / "data.ods", "x"), "file-unreadable"),
])
def test_bad_input_files_give_a_finding_and_exit_2(tmp_path, capsys, setup, code_name):
    src = setup(tmp_path)
    code, out, err = run(["score", src, "-o", tmp_path / "out.xlsx"], capsys)
    assert code == 2
    assert f"error [{code_name}]" in err and "fix:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.xlsx").exists()


def test_unknown_output_type_and_preset_are_findings(ko_csv, tmp_path, capsys):
    code, _, err = run(["score", ko_csv, "-o", tmp_path / "out.ods"], capsys)
    assert code == 2 and "error [unsupported-output]" in err
    code, _, err = run(["score", ko_csv, "-o", tmp_path / "o.xlsx", "--tier-preset", "9-tier"], capsys)
    assert code == 2 and "[bad-option] --tier-preset: '9-tier' is not a tier preset" in err and "8-tier, 30-level" in err
    code, _, err = run(["report", "--month", "2026/10", "--customers", ko_csv, "-o", tmp_path / "r.xlsx"], capsys)
    assert code == 2 and "[bad-option] --month: '2026/10' is not a month" in err


def test_a_failed_write_leaves_the_previous_output_untouched(ko_csv, tmp_path, capsys, monkeypatch):
    out = tmp_path / "scored.xlsx"
    out.write_bytes(b"previous result")
    import crm_xl.sheets.scored_workbook as sw

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(sw, "_issues", broken)
    code, _, err = run(["score", ko_csv, "-o", out], capsys)
    assert code == 3 and "internal error: OSError: disk full" in err
    assert out.read_bytes() == b"previous result"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_transactions_fill_system_columns_and_rfm(ko_csv, tmp_path, capsys):
    tx = tmp_path / "tx.csv"
    rows = [("001", f"2026-{m:02d}-10", 10, 500_000) for m in range(1, 11)] + [("002", "2026-02-01", 5, 100_000)]
    rows += [(f"00{i}", "2026-09-01", 1, 10_000 * i) for i in (3, 4, 5)]
    pd.DataFrame(rows, columns=["customer_code", "date", "quantity", "amount"]).to_csv(tx, index=False)
    out = tmp_path / "s.xlsx"
    code, _, err = run(["score", ko_csv, "-o", out, "--transactions", tx, "--as-of", "2026-11-01", "-q"], capsys)
    assert code == 0, err
    frame = pd.read_excel(out, sheet_name="Customers", engine="calamine", dtype={"customer_code": str}).set_index("customer_code")
    assert frame.loc["001", "orders_12m"] == 10 and frame.loc["001", "amount_12m"] == 5_000_000
    assert frame.loc["001", "avg_monthly_qty"] == pytest.approx(100 / 12)
    assert frame.loc["001", "rfm_r"] == 5 and pd.isna(frame.loc["006", "rfm_segment"])
    assert frame.loc["006", "scoring_issues"].endswith("no orders in the last 12 months, so there is no RFM score")


def test_model_commands(tmp_path, capsys):
    code, out, _ = run(["model", "show"], capsys)
    assert code == 0 and "AAA  ≥ 0.90" in out
    code, out, _ = run(["model", "show", "--json"], capsys)
    assert json.loads(out)["credit"]["indicator_sets"]["5c"]["character"] == 0.25
    xlsx = tmp_path / "model.xlsx"
    assert run(["model", "export", xlsx], capsys)[0] == 0
    code, out, _ = run(["model", "check", xlsx], capsys)
    assert code == 0 and "is valid" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(__file__).parent.parent.joinpath("crm_xl/model/default.toml").read_text("utf-8")
                   .replace('{ from = 10, label = "T3" }', '{ from = 4, label = "T3" }'), "utf-8")
    code, _, err = run(["model", "check", bad], capsys)
    assert code == 2
    assert "tiers.presets.8-tier.bands[5]: lower edge 4 is not above 8" in err


def test_score_with_an_edited_model_sheet(ko_csv, tmp_path, capsys):
    xlsx = tmp_path / "model.xlsx"
    run(["model", "export", xlsx], capsys)
    wb = openpyxl.load_workbook(xlsx)
    for row in wb["Model"].iter_rows(min_row=5):
        if row[0].value == "credit.grades[4].from":  # AAA from 0.95 instead of 0.90
            row[1].value = 0.95
    wb.save(xlsx)
    out = tmp_path / "s.xlsx"
    code, _, err = run(["score", ko_csv, "-o", out, "--model", xlsx, "-q"], capsys)
    assert code == 0, err
    assert pd.read_excel(out, sheet_name="Customers", engine="calamine").credit_grade[0] == "AA"  # level 0.9


def test_demo_runs_everything(tmp_path, capsys):
    code, out, err = run(["demo", "--dir", tmp_path, "--customers", "300", "-q"], capsys)
    assert code == 0, err
    for name in ("customers.xlsx", "transactions.csv", "scored.xlsx", "model.xlsx"):
        assert (tmp_path / name).is_file()
    assert "Scored 300 customers" in out
    frame = pd.read_excel(tmp_path / "scored.xlsx", sheet_name="Customers", engine="calamine")
    assert frame.credit_grade.notna().mean() > 0.9 and frame.rfm_segment.notna().mean() > 0.9
    assert frame.scoring_issues.notna().any()  # the demo carries a few typical mistakes


def test_console_script_is_installed(tmp_path):
    run_ = subprocess.run([Path(sys.executable).parent / "crm-xl", "--version"], capture_output=True, text=True)
    assert run_.returncode == 0 and "crm-xl" in run_.stdout


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _dimension_bomb(path: Path) -> Path:
    """A tiny xlsx with cells at A1 and XFD1048576: the Rust readers allocate the whole grid and abort."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = "customer_code"
    wb.active["XFD1048576"] = 1
    wb.save(path)
    return path


def _entity_laughs(path: Path) -> Path:
    """Shared strings declaring nested XML entities ("billion laughs"): refused before any parser."""
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write_row(0, 0, ["customer_code", "store_name"])
    wb.close()
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    laughs = b'<!DOCTYPE sst [<!ENTITY a "haha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(b"?>", b"?>" + laughs, 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return path


def test_far_cells_are_caught_without_a_declared_dimension(tmp_path):
    from crm_xl.findings import InputError
    from crm_xl.xlsx.safety import check_xlsx

    path = _dimension_bomb(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*" ?/>', b"", parts[sheet])
    assert b"<dimension" not in parts[sheet]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with pytest.raises(InputError, match="spans 1,048,576 rows x 16,384 columns"):
        check_xlsx(path)


def test_rescoring_a_scored_workbook_gives_the_same_scores(ko_csv, tmp_path, capsys):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    assert run(["score", ko_csv, "-o", first, "-q"], capsys)[0] == 0
    assert run(["score", first, "-o", second, "-q"], capsys)[0] == 0
    a = pd.read_excel(first, sheet_name="Customers", engine="calamine")
    b = pd.read_excel(second, sheet_name="Customers", engine="calamine")
    pd.testing.assert_frame_equal(a, b)


def test_bad_transaction_cells_are_reported_at_their_cells(ko_csv, tmp_path, capsys):
    tx = tmp_path / "거래.csv"
    tx.write_text("고객코드,일자,수량,금액\n001,2026-10-01,3,30000\n001,2026-13-45,2,20000\n002,2026-09-01,많이,100\n",
                  "utf-8")
    code, out, err = run(["score", ko_csv, "-o", tmp_path / "s.xlsx", "--transactions", tx, "--json"], capsys)
    assert code == 0, err
    issues = [i for i in json.loads(out)["issues"] if i["file"] == str(tx)]
    assert [(i["cell"], i["code"]) for i in issues] == [("B3", "not-a-date"), ("C4", "not-a-number")]


def test_a_command_whose_extra_is_not_installed_says_which_to_install(capsys, monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def without_rapidfuzz(name, *args, **kwargs):
        if name.split(".")[0] == "rapidfuzz":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    import sys
    for module in [m for m in sys.modules if m.startswith("crm_xl.quality")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", without_rapidfuzz)
    csv = tmp_path / "c.csv"
    csv.write_text("customer_code,store_name\nC1,a\n", "utf-8")
    code, _, err = run(["duplicates", csv], capsys)
    assert code == 2 and "[missing-extra]" in err and "pip install 'crm-xl[quality]'" in err


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, capsys):
    source = tmp_path / "customers.csv"
    customers().to_csv(source, index=False)
    before = source.read_bytes()
    book = tmp_path / "customers.xlsx"
    customers().to_excel(book, index=False)
    for args in (["score", source, "-o", source], ["template", "--from", source, "-o", source],
                 ["report", "--month", "2026-10", "--customers", book, "-o", book]):
        kept = Path(args[-1]).read_bytes()
        code, _, err = run(args, capsys)
        assert code == 2 and "is also an input of this command" in err, (args, err)
        assert Path(args[-1]).read_bytes() == kept
    assert source.read_bytes() == before


def test_export_reads_an_existing_master_data_into_an_xlsx_only(tmp_path, capsys):
    typo = tmp_path / "typo.db"
    code, _, err = run(["export", "--db", f"sqlite:///{typo}", "-o", tmp_path / "x.xlsx"], capsys)
    assert code == 2 and "does not exist" in err and not typo.exists() and not (tmp_path / "x.xlsx").exists()
    code, _, err = run(["export", "--db", f"sqlite:///{typo}", "-o", tmp_path / "x.csv"], capsys)
    assert code == 2 and ".xlsx" in err and not (tmp_path / "x.csv").exists()


def test_one_bad_cell_leaves_its_column_numbers_and_dates_in_the_scored_outputs(tmp_path, capsys):
    source = tmp_path / "one_bad.csv"
    source.write_text("customer_code,store_name,net_worth,issue_date,terms_days\n"
                      "A1,S,100000,2020-01-01,30\nA2,S,\"1,234,000원\",2021/01/05,45\nA3,S,abc,2021-13-01,60\n")
    run(["score", source, "-o", tmp_path / "s.xlsx"], capsys)
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["Customers"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["net_worth"] for r in rows] == [100000, 1234000, "abc"]  # the bad cell alone stays as typed
    assert [str(r["issue_date"])[:10] for r in rows] == ["2020-01-01", "2021-01-05", "2021-13-01"]
    assert not isinstance(rows[0]["issue_date"], str) and rows[2]["issue_date"] == "2021-13-01"
    run(["score", source, "-o", tmp_path / "s.csv"], capsys)
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("A1,S,100000,2020-01-01,30,")  # as typed: no 30.0


def test_no_command_writes_over_its_own_inputs_or_makes_a_master_data_from_a_typo(tmp_path, capsys):
    source = tmp_path / "customers.xlsx"
    customers().to_excel(source, index=False)
    model = tmp_path / "model.xlsx"
    run(["model", "export", model], capsys)
    kept = {p: p.read_bytes() for p in (source, model)}
    for args in (["regrade", source, "--model", model, "-o", model], ["check-sheet", source, "--model", model, "-o", model],
                 ["score", source, "--model", model, "-o", model], ["duplicates", source, "-o", source],
                 ["credit", "check", source, "--db", f"sqlite:///{tmp_path / 'x.db'}", "-o", source]):
        code, _, err = run(args, capsys)
        assert code == 2 and ("is also an input of this command" in err or "does not exist" in err), (args, err)
    assert all(p.read_bytes() == b for p, b in kept.items())
    typo = tmp_path / "typo.db"
    for args in (["credit", "holds", "list"], ["credit", "review", "list"], ["snapshot", "--month", "2026-10"]):
        code, _, err = run([*args, "--db", f"sqlite:///{typo}"], capsys)
        assert code == 2 and "does not exist" in err and not typo.exists(), (args, err)


def test_the_scored_csv_keeps_negative_and_grouped_numbers_numbers(tmp_path, capsys):
    """-500 and "1,000" are numbers in the scored CSV (our own output validates), and text that a
    spreadsheet would run stays quoted (QA)."""
    source = tmp_path / "in.csv"
    source.write_text('customer_code,store_name,net_worth\nK1,a,"1,000"\nK2,"-1+cmd|\' /C calc\'!A0",-500\n'
                      'K3,"+82 10-1234-5678",-1.5\n', encoding="utf-8")
    run(["score", source, "-o", tmp_path / "out.csv"], capsys)
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "'-500" not in text and "'-1.5" not in text and ",1000," in text
    assert "'-1+cmd" in text and "'+82" not in text  # a formula is quoted, a phone number is data
    code, _, _ = run(["validate", tmp_path / "out.csv"], capsys)
    assert code == 0


def test_what_a_spreadsheet_runs_as_a_formula():
    from crm_xl.xlsx.formulas import runs_as_formula

    assert [runs_as_formula(t) for t in ("-500", "-1,234.5", "+82 10-1234-5678", "12", "a-b")] == [False] * 5
    assert [runs_as_formula(t) for t in ("=1+1", "@SUM(A1)", "-1+cmd|' /C calc'!A0", "+A1", "\t=1", "-")] == [True] * 6
