"""The catalogue of texts: every finding code and every text key in Korean and Chinese, placeholders kept."""
import re
import string

import pytest

from crm_xl import texts
from crm_xl.findings import CATALOGUE, finding

FIELD = re.compile(r"\{(\w+)")


def names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_every_finding_code_and_text_key_has_a_translation(lang):
    found = texts.catalogue(lang)
    missing = [code for code in CATALOGUE if not {"title", "message", "fix"} <= set(found["findings"].get(code, {}))]
    assert missing == [], f"add these codes to crm_xl/texts/{lang}.toml: {missing}"
    english = texts.catalogue("en")
    assert set(english["text"]) - set(found["text"]) == set(), f"text keys missing in {lang}.toml"
    assert set(english["lines"]) - set(found["lines"]) == set()
    unknown = set(found["findings"]) - set(CATALOGUE)
    assert unknown == set(), f"{lang}.toml translates codes that do not exist: {unknown}"


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_translations_use_only_the_english_placeholders(lang):
    for code, entry in texts.catalogue(lang)["findings"].items():
        english = CATALOGUE[code]
        assert names(entry["message"]) <= names(english.template) | {"row"}, code
        assert names(entry["fix"]) <= names(english.hint) | {"row"}, code
    for key, value in texts.catalogue(lang)["text"].items():
        assert names(value) <= names(texts.catalogue("en")["text"][key]), key


def test_a_finding_reads_in_the_users_language_with_the_sheets_own_header():
    f = finding("out-of-range", row=5, column="score_capacity", value=11, low=1, high=10, cell="F5")
    assert texts.message(f, "ko") == "상환능력: 11은(는) 1–10 밖입니다"
    assert texts.message(f, "zh") == "能力：11 超出 1–10"
    assert texts.message(f) == f.message == "score_capacity: 11 is outside 1–10"
    assert texts.message(f, "ko", headers={"score_capacity": "상환 능력"}).startswith("상환 능력: ")
    assert texts.fix(f, "ko") == "1부터 10까지의 값을 쓰세요."


def test_language_of_a_sheet_from_its_headers():
    assert texts.language_of(["고객코드", "상호", None]) == "ko"
    assert texts.language_of(["客户编码", "店铺名称"]) == "zh"
    assert texts.language_of(["customer_code", "store name", 3]) == "en"


def test_validate_prints_findings_in_the_language_asked_for(tmp_path, capsys):
    from tests.test_cli import run
    from tests.test_validation import mistakes

    path = mistakes(tmp_path / "upload.xlsx")
    code, out, _ = run(["validate", str(path), "--lang", "zh"], capsys)
    assert code == 1 and "品质：12 超出 1–10 (fix: 使用 1 到 10 之间的值。)" in out
    code, out, _ = run(["validate", str(path)], capsys)  # the terminal's default: English
    assert "score_character: 12 is outside 1–10" in out
    code, out, _ = run(["validate", str(path), "--lang", "ko", "--json"], capsys)
    import json

    found = {f["cell"]: f for f in json.loads(out)[0]["findings"]}
    assert found["G5"]["message"] == "품성: 12은(는) 1–10 밖입니다" and found["G5"]["code"] == "out-of-range"
