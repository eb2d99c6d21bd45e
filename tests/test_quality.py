"""Customer-data quality: legacy import with header mapping, fuzzy duplicates, the steward's review."""
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from crm_xl.cli import main
from crm_xl.findings import InputError
from crm_xl.model import default_model
from crm_xl.quality.apply import apply_review
from crm_xl.quality.clusters import clusters
from crm_xl.quality.config import load_config
from crm_xl.quality.duplicates import find_duplicates
from crm_xl.quality.labelled import labelled_customers
from crm_xl.quality.legacy import import_legacy, normalise_values, plan_import
from crm_xl.quality.mapping import load_mapping, score_header, write_mapping
from crm_xl.quality.normalise import name_key, phone_key
from crm_xl.quality.review import SHEET, read_review, write_review
from crm_xl.store import db
from crm_xl.store.merge import merge_files
from crm_xl.xlsx.writing import new_workbook, write_table
from tests.test_store import change_log, engine, master  # noqa: F401  (engine: SQLite and PostgreSQL)


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(map(str, args)))
        raise SystemExit(0)
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def write_xlsx(path, frame, sheet="Customers"):
    wb = new_workbook(path)
    write_table(wb, sheet, frame)
    wb.close()
    return path


# --- matching forms --------------------------------------------------------------------------

def test_company_forms_spacing_and_width_do_not_count_for_matching():
    assert name_key("(주)행복마트") == name_key("행복 마트") == name_key("주식회사 행복마트") == name_key("㈜행복마트")
    assert name_key("幸福超市有限公司") == name_key("幸福超市")
    assert name_key("Sunny Mart Co., Ltd.") == name_key("SUNNY MART")
    assert name_key("행복마트") != name_key("한빛마트")


def test_phone_formats_reduce_to_one_number():
    forms = ["010-1234-5678", "01012345678", "+82 10 1234 5678", "０１０-１２３４-５６７８", "(010) 1234-5678"]
    assert {phone_key(p) for p in forms} == {"01012345678"}
    assert phone_key("+86 138 1234 5678") == "13812345678"
    assert phone_key("12-34") is None


# --- header mapping --------------------------------------------------------------------------

def test_header_confidence_exact_fuzzy_and_unsure():
    assert score_header("고객코드")[0] == (1.0, "customer_code")
    conf, field = score_header("Cust. Code")[0]
    assert field == "customer_code" and 0.85 <= conf < 1.0
    conf, field = score_header("Store Nmae")[0]  # a typo
    assert field == "store_name" and 0.85 <= conf < 1.0
    assert score_header("비고")[0][0] < 0.85  # "remarks": nothing of ours


LEGACY = pd.DataFrame({
    "거래처 코드": ["C100", "C101", "C102"],
    "Store Nmae": ["(주)행복마트", "金福超市有限公司", "Ｓｕｎｎｙ　Mart"],
    "Tel": ["010 1111 2222", "+86 138 1234 5678", "０１０-３３３３-４４４４"],
    "주 소": ["서울시 강남구 테헤란로 1", "北京市朝阳区建国路 8号", "서울시 마포구 마포대로 3"],
    "비고": ["단골", "", "신규"],
})


def legacy_file(tmp_path, frame=LEGACY, name="legacy.xlsx"):
    return write_xlsx(tmp_path / name, frame, "고객목록")


def test_import_asks_when_unsure_then_uses_the_edited_mapping(tmp_path, capsys):
    legacy = legacy_file(tmp_path)
    out = tmp_path / "upload.xlsx"
    code, stdout, err = run(capsys, "import", legacy, "-o", out)
    assert code == 2 and not out.exists()  # never guesses: nothing written
    assert "mapping-unsure" in err and "'비고'" in err
    ask = tmp_path / "upload.mapping.toml"
    mapping = load_mapping(ask)
    assert mapping["비고"] == "?" and mapping["거래처 코드"] == "customer_code" and mapping["Tel"] == "phone"
    assert "fuzzy, confidence" in ask.read_text("utf-8")
    assert "'Store Nmae'" in stdout and "store_name" in stdout
    ask.write_text(ask.read_text("utf-8").replace('"비고" = "?"', '"비고" = ""'), "utf-8")
    saved = tmp_path / "marketing.mapping.toml"
    code, stdout, err = run(capsys, "import", legacy, "-o", out, "--mapping", ask, "--save-mapping", saved)
    assert code == 0, err
    frame = pd.read_excel(out, engine="calamine", dtype=str)
    assert list(frame.columns) == ["customer_code", "store_name", "phone", "address"]  # 비고 left out
    assert frame["store_name"].tolist() == ["(주)행복마트", "金福超市有限公司", "Sunny Mart"]  # company form kept
    assert frame["phone"].tolist() == ["010-1111-2222", "138-1234-5678", "010-3333-4444"]
    # the saved mapping serves the next file of that source without asking
    nxt = legacy_file(tmp_path, LEGACY.assign(**{"거래처 코드": ["C200", "C201", "C202"]}), "legacy2.xlsx")
    code, _, err = run(capsys, "import", nxt, "-o", tmp_path / "upload2.xlsx", "--mapping", saved)
    assert code == 0, err


def test_imported_upload_goes_through_validate_and_merge(tmp_path, capsys):
    legacy = legacy_file(tmp_path, LEGACY.drop(columns=["비고"]))
    out = tmp_path / "upload.xlsx"
    assert run(capsys, "import", legacy, "-o", out)[0] == 0
    code, stdout, _ = run(capsys, "validate", out)
    assert code == 0, stdout
    url = f"sqlite:///{tmp_path / 'm.db'}"
    code, stdout, _ = run(capsys, "merge", out, "--as", "back_office", "--db", url)
    assert code == 0 and "3 new customers" in stdout


def test_two_headers_for_one_field_ask_rather_than_drop(tmp_path):
    frame = pd.DataFrame({"고객코드": ["C1"], "전화번호": ["010-1111-2222"], "Telephone No": ["010-3333-4444"]})
    plan = plan_import(write_xlsx(tmp_path / "two.xlsx", frame), config=load_config())
    unsure = {m.header for m in plan.unsure}
    assert unsure == {"Telephone No"}
    with pytest.raises(InputError) as err:
        import_legacy(plan, tmp_path / "out.xlsx")
    assert err.value.findings[0].code == "mapping-unsure"


def test_mapping_to_an_unknown_field_is_a_finding(tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Tel" = "telephone_number"\n', "utf-8")
    code, _, err = run(capsys, "import", legacy_file(tmp_path), "-o", tmp_path / "o.xlsx", "--mapping", mapping)
    assert code == 2 and "mapping-bad-field" in err and "telephone_number" in err and "Traceback" not in err


def test_a_legacy_file_without_a_code_column_says_so(tmp_path):
    plan = plan_import(legacy_file(tmp_path, LEGACY.drop(columns=["거래처 코드", "비고"])), config=load_config())
    with pytest.raises(InputError) as err:
        import_legacy(plan, tmp_path / "o.xlsx")
    assert err.value.findings[0].code == "mapping-no-key"


def test_values_normalised_on_the_way_in():
    frame = pd.DataFrame({"store_name": ["ＡＢＣ　　마트 ", None], "phone": ["+82 10-9999-0000", "not a phone"]},
                         dtype=object)
    out, changed = normalise_values(frame)
    assert out["store_name"].tolist()[0] == "ABC 마트"
    assert out["phone"].tolist() == ["010-9999-0000", "not a phone"]  # left for validate to flag
    assert changed == {"store_name": 1, "phone": 1}


# --- duplicates -----------------------------------------------------------------------------

SHOPS = pd.DataFrame({
    "customer_code": ["K1", "K2", "K3", "K4", "Z1", "Z2", "E1", "E2", "F1", "F2"],
    "store_name": ["(주)행복마트", "행복 마트", "한빛슈퍼", "한빛식품", "金福超市有限公司", "金福超市",
                   "Sunny Mart Co., Ltd.", "Mart Sunny", "세븐마트", "세븐마트"],
    "phone": ["010-1234-5678", "+82 10 1234 5678", "010-2222-3333", "010-4444-5555", "138-1234-5678",
              "13812345678", "010-7777-8888", "01077778888", "010-5555-1111", "010-6666-2222"],
    "address": ["서울시 강남구 테헤란로 12", "서울특별시 강남구 테헤란로 12", "서울시 마포구 마포대로 3",
                "서울시 종로구 세종대로 9", "北京市朝阳区建国路8号", "北京朝阳区建国路8号",
                "12 River Street, 강남구", "12 River St, 강남구", "서울시 송파구 올림픽로 5", "서울시 송파구 올림픽로 77"],
    "legal_rep": ["김민준", "김민준", "이서연", "박지훈", "王伟", "王伟", "Alex Kim", "Kim Alex", "최수진", "정하늘"],
})


def test_duplicates_across_scripts_and_not_franchises():
    result = find_duplicates(pd.concat([SHOPS] * 1, ignore_index=True))
    groups = sorted(sorted(c.customers) for c in result.clusters)
    assert groups == [["E1", "E2"], ["K1", "K2"], ["Z1", "Z2"]]  # F1/F2: one name, two shops
    assert all(c.reasons and "phone exact" in c.reasons[0] for c in result.clusters)


def test_json_output_has_the_issue_shape(tmp_path, capsys):
    path = write_xlsx(tmp_path / "shops.xlsx", SHOPS)
    code, stdout, _ = run(capsys, "duplicates", path, "--json")
    assert code == 1  # duplicates found
    data = json.loads(stdout)
    cluster = data["clusters"][0]
    assert set(cluster) >= {"cluster", "customers", "score", "reasons"}
    assert isinstance(cluster["customers"], list) and 0 <= cluster["score"] <= 1


def test_precision_and_recall_on_a_labelled_set():
    data = labelled_customers(800, seed=99)
    result = find_duplicates(data.customers)
    predicted = {tuple(sorted((a, b))) for c in result.clusters for a in c.positions for b in c.positions if a < b}
    truth = pd.Series(np.arange(len(data.truth))).groupby(data.truth).apply(list)
    true = {(a, b) for g in truth for a in g for b in g if a < b}
    tp = len(predicted & true)
    assert tp / len(predicted) >= 0.95 and tp / len(true) >= 0.90


def test_cluster_size_cap_cuts_the_weakest_links():
    n = 10  # a chain 0-1-2-...-9, the link 4-5 the weakest
    i, j = np.arange(n - 1), np.arange(1, n)
    score = np.full(n - 1, 0.99)
    score[4] = 0.81
    labels = clusters(n, i, j, score, max_size=5)
    assert np.bincount(labels).max() <= 5
    assert labels[0] == labels[4] and labels[5] == labels[9] and labels[4] != labels[5]


# --- review workbook and apply --------------------------------------------------------------

def seed_store(engine):  # noqa: F811
    with engine.begin() as conn:
        conn.execute(db.customers.insert(), [
            {k: (None if pd.isna(v) else str(v)) for k, v in row.items()} for row in SHOPS.to_dict("records")])


def review_for(engine, tmp_path):  # noqa: F811
    from crm_xl.store.export import master_frame

    result = find_duplicates(master_frame(engine))
    return write_review(result, tmp_path / "review.xlsx"), result


def edit(path, cluster, **cells):
    """Set cells of a cluster's result row (or `record_CODE_include`) as a steward would in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    head = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        if row[0].value != cluster:
            continue
        line = row[head["line"] - 1].value
        code = row[head["customer_code"] - 1].value
        for key, value in cells.items():
            if key.startswith("include_") and line == "record" and code == key[len("include_"):]:
                row[head["include"] - 1].value = value
            elif not key.startswith("include_") and line == "result":
                row[head[key] - 1].value = value
    wb.save(path)


def cluster_of(result, code):
    return next(c.cluster for c in result.clusters if code in c.customers)


def test_a_reviewed_cluster_is_applied_with_log_and_aliases(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    k = cluster_of(result, "K1")
    edit(path, k, decision="merge", customer_code="K2", address="서울시 강남구 테헤란로 12")
    e = cluster_of(result, "E1")
    edit(path, e, decision="keep apart")
    before = master(engine)
    applied = apply_review(path, engine, "steward-lee")
    after = master(engine)
    assert "K1" not in after and after["K2"]["address"] == "서울시 강남구 테헤란로 12"
    assert "E1" in after and "E2" in after  # kept apart
    assert applied.kept_apart == 1
    with engine.connect() as conn:
        aliases = dict(conn.execute(select(db.aliases.c.alias_code, db.aliases.c.customer_code)).all())
    assert aliases["K1"] == "K2"
    log = change_log(engine)
    assert ("K2", "address", before["K2"]["address"], "서울시 강남구 테헤란로 12") in log
    assert ("K1", "customer_code", "K1", "K2") in log


def test_dry_run_applies_nothing(engine, tmp_path, capsys):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    for c in result.clusters:
        edit(path, c.cluster, decision="merge")
    before = master(engine)
    applied = apply_review(path, engine, "steward-lee", dry_run=True)
    assert applied.merged_clusters == 3 and applied.absorbed == 3
    assert master(engine) == before and change_log(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(db.aliases)).first() is None


def test_an_old_code_in_a_later_upload_lands_on_the_survivor(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    edit(path, cluster_of(result, "K1"), decision="merge", customer_code="K2")
    apply_review(path, engine, "steward-lee")
    upload = write_xlsx(tmp_path / "later.xlsx", pd.DataFrame({
        "customer_code": ["K1"], "store_name": ["행복마트"], "phone": ["010-9999-0000"]}))
    merged = merge_files([upload], engine, default_model(), "account_manager", "kim")
    assert merged.inserted == 0 and merged.updated_fields == 1
    now = master(engine)
    assert "K1" not in now and now["K2"]["phone"] == "010-9999-0000"


def test_a_choice_that_is_not_offered_is_not_applied(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    k = cluster_of(result, "K1")
    edit(path, k, decision="merge", store_name="아무마트")  # typed over the dropdown
    before = master(engine)
    applied = apply_review(path, engine, "steward-lee")
    assert [f.code for f in applied.findings if f.code == "review-bad-choice"] == ["review-bad-choice"]
    assert before["K1"] == master(engine)["K1"]


def test_a_record_left_out_stays_and_stale_clusters_wait(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    edit(path, cluster_of(result, "K1"), decision="merge", customer_code="K2", include_K1="no")
    edit(path, cluster_of(result, "Z1"), decision="merge")
    with engine.begin() as conn:  # someone changes Z2 after the review was written
        conn.execute(db.customers.update().where(db.customers.c.customer_code == "Z2").values(phone="139-0000-0000"))
    applied = apply_review(path, engine, "steward-lee")
    now = master(engine)
    assert "K1" in now and "K2" in now  # only one record included: nothing to absorb
    assert "Z1" in now and "Z2" in now
    assert any(f.code == "review-stale" and "Z2" in f.message for f in applied.findings)


def test_review_workbook_round_trip_and_cli(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine_ = db.connect(url)
    seed_store(engine_)
    out = tmp_path / "r.xlsx"
    code, stdout, _ = run(capsys, "duplicates", "--db", url, "-o", out)
    assert code == 1 and "3 clusters" in stdout and out.exists()
    decisions = read_review(out)
    assert len(decisions) == 3 and all(d.survivor in [r["customer_code"] for r in d.records] for d in decisions)
    code, stdout, _ = run(capsys, "duplicates", "apply", out, "--db", url, "--dry-run")
    assert code == 0 and stdout.startswith("Would merge")
    assert set(master(engine_)) == set(SHOPS["customer_code"])


def test_not_a_review_workbook(tmp_path, capsys):
    path = write_xlsx(tmp_path / "x.xlsx", SHOPS, sheet=SHEET)
    db.connect(f"sqlite:///{tmp_path / 'm.db'}")  # a master data to apply to (a missing one is its own finding)
    code, _, err = run(capsys, "duplicates", "apply", path, "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert code == 2 and "review-bad-layout" in err


def test_write_mapping_round_trips(tmp_path):
    plan = plan_import(legacy_file(tmp_path), config=load_config())
    saved = load_mapping(write_mapping(plan, tmp_path / "m.toml"))
    assert saved["Tel"] == "phone" and saved["비고"] == "?"


def test_pending_reviews_of_an_absorbed_customer_follow_the_survivor(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    import datetime as dt

    with engine.begin() as conn:
        conn.execute(db.reviews.insert().values(requested_at=dt.datetime.now(dt.UTC), requested_by="kim",
                                                customer_code="K1", field="legal_rep", old_value="김민준",
                                                new_value="김민준2", status="pending"))
    path, result = review_for(engine, tmp_path)
    edit(path, cluster_of(result, "K1"), decision="merge", customer_code="K2")
    apply_review(path, engine, "steward-lee")
    with engine.connect() as conn:
        assert [r.customer_code for r in conn.execute(select(db.reviews))] == ["K2"]


def test_csv_legacy_in_a_korean_encoding_with_a_title_row(tmp_path, capsys):
    legacy = tmp_path / "licensing.csv"
    rows = ["허가 대장 2026,,,", "고객 코드,상호,전화번호,허가번호", "C300,행복 마트,010 1234 5678,123-45-67890",
            "C301,金福超市,+86 13812345678,987-65-43210"]
    legacy.write_bytes("\n".join(rows).encode("cp949", errors="strict") if False else "\n".join(rows).encode("gb18030"))
    out = tmp_path / "up.xlsx"
    code, stdout, err = run(capsys, "import", legacy, "-o", out)
    assert code == 0, err
    assert "headers in row 2" in stdout
    frame = pd.read_excel(out, engine="calamine", dtype=str)
    assert frame["customer_code"].tolist() == ["C300", "C301"]
    assert frame["phone"].tolist() == ["010-1234-5678", "138-1234-5678"]
    assert frame["licence_no"].tolist() == ["123-45-67890", "987-65-43210"]


def test_chinese_names_typed_by_sound_still_match():
    from crm_xl.quality.normalise import name_pinyin

    assert name_pinyin("鑫鑫超市") == name_pinyin("欣欣超市")
    shops = pd.DataFrame({"customer_code": ["A1", "A2", "B1"], "store_name": ["鑫鑫超市", "欣欣超市有限公司", "欣欣超市"],
                          "phone": ["138-0000-1111", "13800001111", "139-2222-3333"],
                          "address": ["北京市朝阳区建国路8号", "北京市朝阳区建国路8号", "上海市黄浦区南京路100号"]})
    result = find_duplicates(shops)
    assert [sorted(c.customers) for c in result.clusters] == [["A1", "A2"]]
    assert "store_name close (0.95)" in result.clusters[0].reasons[0]


def test_review_workbook_offers_the_blocks_values_as_dropdowns(tmp_path):
    frame = pd.concat([SHOPS, SHOPS.assign(customer_code=SHOPS["customer_code"] + "x").iloc[:2]], ignore_index=True)
    result = find_duplicates(frame)
    path = write_review(result, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)[SHEET]
    head = {c.value: c.column_letter for c in ws[1]}
    results = [r for r in range(2, ws.max_row + 1) if ws[f"B{r}"].value == "result"]
    assert len(results) == len(result.clusters) == 3
    rules = [(str(dv.sqref).split(), dv.formula1) for dv in ws.data_validations.dataValidation]
    for r in results:
        size = sum(1 for k in range(r - 1, 1, -1) if ws[f"B{k}"].value == "record" and ws[f"A{k}"].value == ws[f"A{r}"].value)
        cell = f"{head['customer_code']}{r}"
        formula = next(f for cells, f in rules if cell in cells)
        anchor = int(next(c for cells, f in rules if cell in cells for c in cells[:1])[1:])
        top, bottom = (int(x[1:]) for x in formula.split(":"))
        # relative to the rule's first cell: for this cell, the records right above it
        assert (top + r - anchor, bottom + r - anchor) == (r - size, r - 1)
        assert ws[f"C{r}"].value in ("merge", "review")
    assert any(f == '"merge,keep apart,review"' for _, f in rules)
    differing = ws[f"{head['store_name']}2"].fill.fgColor.rgb  # 행복마트 / (주)행복마트 differ: highlighted
    assert differing.endswith("FFEB9C")


def test_threshold_option_sets_the_lowest_score_reported(tmp_path, capsys):
    path = write_xlsx(tmp_path / "shops.xlsx", SHOPS)
    _, stdout, _ = run(capsys, "duplicates", path, "--json", "--threshold", "0.5")
    low = json.loads(stdout)
    assert low["threshold"] == 0.5 and all(c["score"] >= 0.5 for c in low["clusters"])
    _, stdout, _ = run(capsys, "duplicates", path, "--json", "--threshold", "0.999")
    high = json.loads(stdout)
    assert all(c["score"] >= 0.999 for c in high["clusters"]) and len(high["clusters"]) <= len(low["clusters"])
    code, stdout, err = run(capsys, "duplicates", path, "--threshold", "1.5")
    assert code == 2 and "1.5" in err  # out of range: a clear error, not a traceback


def test_a_blank_or_left_out_survivor_is_a_finding_not_a_crash(engine, tmp_path):  # noqa: F811
    seed_store(engine)
    path, result = review_for(engine, tmp_path)
    edit(path, cluster_of(result, "K1"), decision="merge", customer_code=None)
    edit(path, cluster_of(result, "Z1"), decision="merge", customer_code="Z1", include_Z1="no")
    before = master(engine)
    applied = apply_review(path, engine, "steward-lee")
    bad = [f for f in applied.findings if f.code == "review-bad-choice"]
    assert sum(f.column == "customer_code" for f in bad) == 2  # blank; and Z1, which is left out
    now = master(engine)
    assert {"K1", "K2", "Z1", "Z2"} <= set(now) and now["K1"] == before["K1"]


def test_values_normalised_in_a_string_dtype_column():
    # pandas 3 reads text as its own string dtype: normalising must not skip those columns
    frame = pd.DataFrame({"store_name": pd.array(["ＡＢＣ　　마트 ", None], dtype="string"),
                          "phone": pd.array(["+82 10-9999-0000", None], dtype="string")})
    out, changed = normalise_values(frame)
    assert out["store_name"].tolist()[0] == "ABC 마트"
    assert out["phone"].tolist()[0] == "010-9999-0000"
    assert changed == {"store_name": 1, "phone": 1}


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_duplicates_of_a_read_file_with_blank_cells(tmp_path, capsys, suffix):
    """Read from a file, text columns have pandas' string dtype (pandas 3) and blanks: the keys
    built from them must not fail (it crashed on the demo's own customer file)."""
    from crm_xl.demo import make_demo

    customers = make_demo(300, seed=4).customers
    customers.loc[::7, ["address", "phone"]] = None
    path = tmp_path / f"customers{suffix}"
    customers.to_csv(path, index=False) if suffix == ".csv" else write_xlsx(path, customers)
    code, stdout, stderr = run(capsys, "duplicates", path, "--json")
    assert code in (0, 1), stderr
    assert "clusters" in json.loads(stdout)


def test_a_header_written_twice_makes_a_mapping_file_that_reads_back(tmp_path):
    legacy = tmp_path / "legacy.csv"
    legacy.write_text("거래처 코드,Store Nmae,비고,비고\nL1,행복마트,x,y\n", encoding="utf-8")
    plan = plan_import(legacy)
    path = write_mapping(plan, tmp_path / "legacy.mapping.toml")
    text = path.read_text(encoding="utf-8")
    assert text.count('"비고" =') == 1 and "columns C, D" in text
    assert "비고" in load_mapping(path)


def test_a_blank_cell_is_no_evidence_either_way_in_a_read_file(tmp_path, capsys):
    """Read from disk (pandas 3: blanks as NaN in string columns), two shops with one name and no
    phone or address must not count as 'phone different, address different'."""
    path = tmp_path / "shops.csv"
    path.write_text("customer_code,store_name,phone,address\nN01,한빛상회,,\nN02,한빛 상회,,\n"
                    "N03,다른가게,010-1111-2222,서울시 마포구 1\n", encoding="utf-8")
    code, stdout, _ = run(capsys, "duplicates", path, "--json")
    clusters = json.loads(stdout)["clusters"]
    assert code == 1 and [sorted(c["customers"]) for c in clusters] == [["N01", "N02"]]
    assert not any("different" in r for r in clusters[0]["reasons"])
