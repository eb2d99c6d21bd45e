"""The scoring model: shipped defaults, checks with one message per problem, workbook round trip."""
from pathlib import Path

import pytest

from crm_xl.findings import ModelError
from crm_xl.model import load_model, parse_model
from crm_xl.model.export import describe, export_model


def problems_of(raw) -> list[str]:
    with pytest.raises(ModelError) as err:
        parse_model(raw, "test")
    return [f.message for f in err.value.findings]


def test_default_model_has_the_reference_defaults(model):
    c = model.credit
    assert c.sets["5c"] == {"character": 0.25, "capacity": 0.25, "capital": 0.20, "collateral": 0.15, "conditions": 0.15}
    assert [(g.label, g.lower, g.limit_factor) for g in c.grades] == [
        ("C", 0.0, 0.0), ("B", 0.6, 0.5), ("A", 0.7, 1.0), ("AA", 0.8, 1.2), ("AAA", 0.9, 1.5)]
    assert set(model.tiers) == {"8-tier", "30-level"}
    assert len(model.tiers["8-tier"].labels) == 8
    assert model.tiers["30-level"].labels[-1] == "L30"
    assert model.tiers["30-level"].composite == {"avg_monthly_qty": 35, "avg_monthly_amount": 55,
                                                 "brand_count": 5, "high_price_share": 5}
    assert len(model.classification.class_codes) == 42
    assert model.value.labels == ("core", "secondary", "potential", "low-value")


def test_band_order_message_names_the_entry(raw_model):
    bands = raw_model["tiers"]["presets"]["8-tier"]["bands"]
    bands[3]["from"] = 2  # below bands[2] (3)
    assert problems_of(raw_model) == ["tiers.presets.8-tier.bands[3]: lower edge 2 is not above 3"]


def test_every_problem_is_reported_at_once(raw_model):
    raw_model["credit"]["indicator_sets"]["5c"]["capital"] = 0
    raw_model["credit"]["indicator_sets"]["5c"]["liquidity"] = 0.1
    raw_model["credit"]["grades"][1]["label"] = "C"
    raw_model["credit"]["grades"][3]["from"] = 0.7
    raw_model["value"]["segments"][0]["label"] = "secondary"
    msgs = problems_of(raw_model)
    assert "credit.indicator_sets.5c.capital: 0 is not above 0" in msgs
    assert any(m.startswith("credit.indicator_sets.5c.liquidity: 'liquidity' is not defined in credit.indicators")
               for m in msgs)
    assert "credit.grades[1].label: 'C' is already used by credit.grades[0]" in msgs
    assert "credit.grades[3]: lower edge 0.7 is not above 0.7" in msgs
    assert "value.segments[1].label: 'secondary' is already used by value.segments[0]" in msgs
    assert len(msgs) == 5


def test_missing_and_mistyped_entries(raw_model):
    del raw_model["credit"]["grades"][2]["policy"]
    raw_model["credit"]["grades"][0]["from"] = "zero"
    raw_model["model"]["name"] = ""
    msgs = problems_of(raw_model)
    assert "credit.grades[2].policy: required entry is missing" in msgs
    assert "credit.grades[0].from: 'zero' is not a number" in msgs
    assert "model.name: '' is not text" in msgs


def test_rfm_grid_must_be_covered_exactly_once(raw_model):
    champions = raw_model["rfm"]["segments"][0]
    champions["f"] = [3, 5]  # overlaps Potential Loyalist at R5 F3
    raw_model["rfm"]["segments"].pop()  # Hibernating: leaves R1-2 x F1-2 uncovered
    msgs = problems_of(raw_model)
    assert "rfm.segments: cell R5 F3 is covered 2 times" in msgs
    assert "rfm.segments: cell R1 F1 is covered 0 times" in msgs
    assert len(msgs) == 5


def test_tag_rules_must_name_real_labels(raw_model):
    raw_model["tags"][0]["in"] = ["kore"]
    raw_model["tags"][1]["column"] = "no_such_column"
    msgs = problems_of(raw_model)
    assert msgs[0].startswith("tags[0].in[0]: 'kore' is not defined in value_segment")
    assert msgs[1].startswith("tags[1].column: 'no_such_column' is not defined in the customer columns")


def test_behaviour_bands_must_score_1_to_10(raw_model):
    raw_model["credit"]["indicators"][5]["bands"][0]["score"] = 11
    assert problems_of(raw_model) == ["credit.indicators[5].bands[0].score: 11 is outside 1–10"]


def test_default_tier_preset_must_exist(raw_model):
    raw_model["tiers"]["default_preset"] = "9-tier"
    assert problems_of(raw_model) == [
        "tiers.default_preset: '9-tier' is not defined in tiers.presets"]


def test_toml_syntax_error_is_a_finding(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nname = 1", "utf-8")
    with pytest.raises(ModelError) as err:
        load_model(bad)
    assert err.value.findings[0].code == "model-unreadable"
    assert str(bad) in err.value.findings[0].message


def test_workbook_round_trip_keeps_the_model(model, tmp_path):
    path = export_model(model, tmp_path / "model.xlsx")
    again = load_model(path)
    assert again.raw == model.raw
    assert again.credit.sets == model.credit.sets and again.credit.grades == model.credit.grades
    assert again.classification.class_codes == model.classification.class_codes


def test_a_weight_edited_in_excel_takes_effect(model, tmp_path):
    import openpyxl

    path = export_model(model, tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Model"]
    for row in ws.iter_rows(min_row=5):
        if row[0].value == "credit.indicator_sets.5c.character":
            row[1].value = 0.5
        if row[0].value == "credit.grades[2].from":
            row[1].value = 0.75
    wb.save(path)
    edited = load_model(path)
    assert edited.credit.sets["5c"]["character"] == 0.5
    assert edited.credit.grades[2].lower == 0.75


def test_a_bad_key_in_the_sheet_names_its_cell(model, tmp_path):
    import openpyxl

    path = export_model(model, tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Model"]
    ws["A6"] = "credit..weights[x]"
    wb.save(path)
    with pytest.raises(ModelError) as err:
        load_model(path)
    f = err.value.findings[0]
    assert f.code == "model-bad-key" and "A6" in f.message and "credit..weights[x]" in f.message


def test_workbook_without_model_sheet(tmp_path):
    import openpyxl

    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(path)
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert err.value.findings[0].code == "model-sheet-missing"
    assert "Data" in err.value.findings[0].message


def test_describe_lists_grades_and_presets(model):
    text = describe(model)
    assert "AAA  ≥ 0.90" in text and "8-tier (default)" in text and "42 classes" in text


def test_export_refuses_other_suffixes(model, tmp_path):
    from crm_xl.findings import InputError

    with pytest.raises(InputError):
        export_model(model, tmp_path / "model.ods")
    assert not list(Path(tmp_path).iterdir())
