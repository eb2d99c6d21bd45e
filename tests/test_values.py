"""One value contract: what a typed cell means, the same in validate, merge, score and export.

Each case was reproduced on main before the fix: a value that validates is stored as the value it
means, comes back out of the master data as that value, and an untouched re-upload changes nothing.
"""
import datetime as dt
import re
import zipfile

import openpyxl
import numpy as np
import pandas as pd
import pytest

from crm_xl import values
from crm_xl.fields import canonical, header_lookup, normalise_header
from crm_xl.model import default_model
from crm_xl.sheets.validation import validate_file
from crm_xl.store import db
from crm_xl.store.export import master_frame
from tests.test_cli import run
from tests.test_store import BASE, master, merge, upload


@pytest.fixture
def engine(tmp_path):
    return db.connect(f"sqlite:///{tmp_path / 'master.db'}")


def from_store_again(engine, tmp_path, capsys, name="again.xlsx"):
    """What a user does next month: download the template from the master data and upload it untouched."""
    url = engine.url.render_as_string(hide_password=False)
    code, _, err = run(["template", "--from-store", "--db", url, "--lang", "en", "-o", tmp_path / name], capsys)
    assert code == 0, err
    return tmp_path / name


def assert_second_merge_changes_nothing(engine, tmp_path, capsys):
    again = merge(engine, [from_store_again(engine, tmp_path, capsys)], role="back_office")
    assert (again.inserted, again.updated_fields, again.queued_reviews, again.rows_out) == (0, 0, 0, 0), \
        [f.message for f in again.held_back + again.rejected + again.conflicts]
    assert again.unchanged_rows == len(BASE)


def test_numbers_and_dates_typed_as_text_are_stored_as_the_values_they_mean(engine, tmp_path, capsys):
    path = upload(tmp_path, "a.xlsx", BASE, C001__net_worth="1,234,000원", C002__net_worth="¥5,000",
                  C003__net_worth="４５０，０００", C001__issue_date="2026/10/05", C002__issue_date="2026년 10월 5일",
                  C003__issue_date="2026年10月5日", C001__score_capacity="７")
    report, _ = validate_file(path, default_model())
    assert [f.message for f in report.findings if f.severity == "error"] == []
    merge(engine, [path], role="back_office")
    rows = master(engine)
    assert [rows[c]["net_worth"] for c in ("C001", "C002", "C003")] == ["1234000", "5000", "450000"]
    assert {rows[c]["issue_date"] for c in ("C001", "C002", "C003")} == {"2026-10-05"}
    assert rows["C001"]["score_capacity"] == "7"
    frame = master_frame(engine).set_index("customer_code")
    assert frame.loc["C001", "net_worth"] == 1_234_000 and frame.loc["C003", "net_worth"] == 450_000
    assert frame.loc["C002", "issue_date"] == dt.date(2026, 10, 5)
    assert_second_merge_changes_nothing(engine, tmp_path, capsys)


def test_a_never_expiring_licence_keeps_its_date(engine, tmp_path, capsys):
    path = upload(tmp_path, "a.xlsx", BASE, C001__expiry_date=dt.datetime(9999, 12, 31),
                  C002__expiry_date="9999-12-31", C003__expiry_date=dt.datetime(1900, 1, 1))
    report, _ = validate_file(path, default_model())
    assert [f.message for f in report.findings if f.severity == "error"] == []
    merge(engine, [path], role="back_office")
    rows = master(engine)
    assert [rows[c]["expiry_date"] for c in ("C001", "C002", "C003")] == ["9999-12-31", "9999-12-31", "1900-01-01"]
    code, _, err = run(["export", "-o", tmp_path / "m.xlsx", "--db", engine.url.render_as_string()], capsys)
    assert code == 0, err
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx")["Customers"]
    column = [c.value for c in ws[1]].index("expiry_date") + 1
    assert ws.cell(2, column).value == dt.datetime(9999, 12, 31)
    assert_second_merge_changes_nothing(engine, tmp_path, capsys)


@pytest.mark.parametrize("typed, code", [
    ("NaN", "not-a-number"), ("nan", "not-a-number"), ("Infinity", "not-a-number"), ("-inf", "not-a-number"),
    ("1e308", "out-of-range"), (1e308, "out-of-range"), ("9" * 20, "out-of-range"), ("1.5.5", "not-a-number"),
])
def test_numbers_no_one_means_are_findings_not_blanks_or_money(tmp_path, typed, code):
    path = upload(tmp_path, "a.xlsx", BASE, C002__net_worth=typed)
    report, _ = validate_file(path, default_model())
    found = [(f.code, f.column, f.row) for f in report.findings if f.severity == "error"]
    assert found == [(code, "net_worth", 3)]


@pytest.mark.parametrize("typed", ["2026-13-45", "05/10/2026", "tomorrow", "10000-01-01", "1899-12-31", 3_000_000])
def test_dates_no_one_means_are_findings(tmp_path, typed):
    path = upload(tmp_path, "a.xlsx", BASE, C002__issue_date=typed)
    report, _ = validate_file(path, default_model())
    assert [(f.code, f.column) for f in report.findings if f.severity == "error"] == [("not-a-date", "issue_date")]


def test_text_a_workbook_cannot_hold_is_a_finding_not_cut_short(tmp_path):
    long_name = "가" * 40_000
    csv = tmp_path / "up.csv"
    csv.write_text(f"customer_code,store_name,address\nC001,{long_name},서울\nC002,ok\x07shop,부산\n", "utf-8")
    report, _ = validate_file(csv, default_model())
    assert [(f.code, f.cell) for f in report.findings if f.severity == "error"] == [
        ("text-too-long", "B2"), ("bad-characters", "B3")]


@pytest.mark.parametrize("header, field", [
    ("시장 유형", "market_type"), ("客户 编码", "customer_code"), ("CustomerCode", "customer_code"),
    ("고객코드", "customer_code"), ("Ｃｕｓｔｏｍｅｒ　Ｃｏｄｅ", "customer_code"), ("net-worth", "net_worth"),
    ("STORE_NAME", "store_name"), ("경영 환경", "score_conditions"),
])
def test_headers_match_whatever_the_spacing_width_or_case(header, field):
    assert canonical(header) == field


def test_no_two_fields_share_a_header_once_normalised():
    from crm_xl.fields import columns

    seen: dict[str, str] = {}
    for spec in columns().values():
        for text in (spec.name, *spec.aliases):
            key = normalise_header(text)
            assert seen.setdefault(key, spec.name) == spec.name, f"{text!r} means {seen[key]} and {spec.name}"
    assert len(header_lookup()) >= len(seen)


def test_an_unknown_header_is_a_warning_naming_it(tmp_path):
    csv = tmp_path / "up.csv"
    csv.write_text("customer_code,store_name,Favourite colour\nC001,행복마트,blue\n", "utf-8")
    report, _ = validate_file(csv, default_model())
    assert [(f.code, f.severity, f.cell, f.fields["header"]) for f in report.findings] == [
        ("unknown-column", "warning", "C1", "Favourite colour")]


def test_full_width_digits_are_numbers_in_scores_too(tmp_path, capsys):
    csv = tmp_path / "up.csv"
    csv.write_text("고객코드,상호,품성,상환능력,자본,담보,여건\nC001,행복마트,８,７,６,５,９\n", "utf-8")
    code, out, err = run(["score", csv, "-o", tmp_path / "s.csv", "--json"], capsys)
    assert code == 0, err
    scored = pd.read_csv(tmp_path / "s.csv", dtype=str)
    assert scored.credit_level[0] == "0.705"  # 8·.25 + 7·.25 + 6·.2 + 5·.15 + 9·.15 = 7.05 of 10


FORMULAS = ['=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "+1+cmd|' /C calc'!A0", "-2+3"]


def sheet_formulas(path) -> list[str]:
    """The text of every <f> element in every sheet of an xlsx."""
    found = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                found += re.findall(r"<(?:\w+:)?f(?:\s[^>]*)?>(.*?)</(?:\w+:)?f>", z.read(name).decode("utf-8"), re.S)
    return found


def test_no_command_writes_stored_text_back_as_a_live_formula(engine, tmp_path, capsys):
    """Text that looks like a formula is stored by design (with a warning); every writer keeps it text."""
    frame = BASE.assign(store_name=FORMULAS[:3], address=FORMULAS[3:] + ["서울"])
    merge(engine, [upload(tmp_path, "evil.xlsx", frame)], role="back_office")
    assert master(engine)["C001"]["store_name"] == FORMULAS[0]
    url = engine.url.render_as_string()
    source = tmp_path / "customers.xlsx"
    outputs = {
        "template --from-store": ["template", "--from-store", "--db", url, "-o", tmp_path / "t1.xlsx"],
        "export": ["export", "--db", url, "-o", source],
        "template --from": ["template", "--from", source, "-o", tmp_path / "t2.xlsx"],
        "score": ["score", source, "-o", tmp_path / "scored.xlsx", "-q"],
        "regrade": ["regrade", source, "-o", tmp_path / "regraded.xlsx"],
        "check-sheet": ["check-sheet", source, "-o", tmp_path / "checked.xlsx"],
        "report": ["report", "--month", "2026-10", "--customers", source, "-o", tmp_path / "report.xlsx", "--no-html"],
    }
    for name, args in outputs.items():
        code, _, err = run(args, capsys)
        assert code in (0, 1), f"{name}: {err}"
    code, _, err = run(["validate", tmp_path / "t1.xlsx", "--annotate", tmp_path / "annotated"], capsys)
    written = [a[a.index("-o") + 1] for a in outputs.values()] + list((tmp_path / "annotated").glob("*.xlsx"))
    assert len(written) == len(outputs) + 1
    for path in written:
        live = [f for f in sheet_formulas(path) if any(t.lstrip("=@+-")[:12] in f for t in FORMULAS)]
        assert live == [], f"{path.name}: {live}"


@pytest.mark.parametrize("typed, meant", [("50%", 0.5), ("5 %", 0.05), ("１２％", 0.12), ("120%", 1.2),
                                          ("%5", None), ("1e-400", None), ("0.000", 0.0)])
def test_a_percentage_means_what_excel_reads_and_a_lost_number_is_refused(typed, meant):
    """`50%` in a ratio field is 0.5 (Excel's reading), not 50, which would band the customer as
    six times over; a number too small for a float must not quietly become 0."""
    parsed = values.numbers(pd.Series([typed], dtype=object))
    if meant is None:
        assert np.isnan(parsed.values[0]) and parsed.rejected[0].code == "not-a-number"
    else:
        assert parsed.values[0] == pytest.approx(meant) and not parsed.rejected


def test_a_huge_number_reads_short_in_a_message():
    from crm_xl.scoring.problems import display_value

    assert str(display_value(1e308)) == "1e+308" and display_value(12.0) == 12 and display_value(1e15) == 10**15


def test_a_field_measured_in_percent_points_keeps_95_percent_as_95():
    """collection_rate's bands are 70/80/90/95/99: 95% there is 95; in a ratio field 50% is 0.5.
    Scoring, the master data and the scored workbook read it the same way."""
    from crm_xl.scoring.inputs import numbers
    from crm_xl.scoring.problems import Problems

    frame = pd.DataFrame({"collection_rate": ["95%", "80"], "debt_due_90d_ratio": ["50%", "0.5"]}, dtype=object)
    assert numbers(frame, "collection_rate", Problems(2)).tolist() == [95.0, 80.0]
    assert numbers(frame, "debt_due_90d_ratio", Problems(2)).tolist() == [0.5, 0.5]
    assert values.stored_texts(frame["collection_rate"], "number", percent_points=True) == ["95", "80"]
    assert values.stored_texts(frame["debt_due_90d_ratio"], "number") == ["0.5", "0.5"]


def test_a_control_character_at_either_end_is_a_finding_not_trimmed_away():
    """str.strip() counts \x1c-\x1f, \x0b and \x0c as space: trimming must not take them off unseen (QA)."""
    parsed = values.texts(pd.Series(["가게\x1f", "\x0bshop", "가게\x85", "가\x7f게", "a\x9fb", " shop\u3000", "ok"],
                                    dtype=object))
    assert [r.code for r in parsed.rejected] == ["bad-characters"]
    assert parsed.rejected[0].mask.tolist() == [True] * 5 + [False, False]
    assert parsed.values.tolist()[-2:] == ["shop", "ok"]


@pytest.mark.parametrize("typed", ["1 2", "3 0", "10²", "①", "2 50"])
def test_digits_no_one_reads_as_one_number_are_not_a_number(typed):
    """Spaces only separate groups of three (1 234 000); superscripts and circled digits are no digits (QA)."""
    parsed = values.numbers(pd.Series([typed], dtype=object))
    assert [r.code for r in parsed.rejected] == ["not-a-number"]


@pytest.mark.parametrize("typed, number", [("1 234 000", 1234000), ("5 000 원", 5000), ("₩ 1,000", 1000),
                                           ("1\u202f234\u202f567", 1234567), ("４５０，０００", 450000)])
def test_grouped_and_marked_amounts_still_read(typed, number):
    assert values.numbers(pd.Series([typed], dtype=object)).values.tolist() == [number]


def test_a_date_with_a_time_that_is_no_time_of_day_is_not_a_date():
    parsed = values.dates(pd.Series(["2026-10-05 25:99", "2026-10-05 23:59", "2026-10-05T10:00:00"], dtype=object))
    assert parsed.rejected[0].mask.tolist() == [True, False, False]
    assert str(parsed.values[2])[:10] == "2026-10-05"
