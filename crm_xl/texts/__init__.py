"""Every text a user reads, in Korean, Chinese and English: one catalogue, a TOML per language.

`findings.<code>` gives a finding's title, message and fix in a language (English comes from
crm_xl/findings.py, so a new code is readable at once; a test asks for its ko and zh entries);
`text.<key>` gives the other texts: template hints and instructions, sheet and column labels
of the annotated copy. Placeholders are the English ones ({column}, {value!r}, ...).
"""
from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Iterable

from crm_xl.fields import columns, label
from crm_xl.findings import CATALOGUE, Finding

LANGUAGES = ("ko", "zh", "en")
DEFAULT = "en"


class _Lenient(dict):
    def __missing__(self, key: str) -> str:  # a message must never crash on a missing field
        return "?"


@cache
def catalogue(lang: str) -> dict:
    if lang not in LANGUAGES:
        raise KeyError(f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    return tomllib.loads(resources.files("crm_xl.texts").joinpath(f"{lang}.toml").read_text("utf-8"))


def text(key: str, lang: str = DEFAULT, **fields) -> str:
    """The text `key` in `lang` (English when the language lacks it), its {fields} filled in."""
    template = catalogue(lang).get("text", {}).get(key) or catalogue(DEFAULT)["text"][key]
    return template.format_map(_Lenient(fields)) if fields else template


def pattern_hint(column: str, lang: str = DEFAULT) -> str:
    """How a patterned field (code, licence, phone) is written, or "" for a free-form field."""
    return catalogue(lang).get("text", {}).get(f"pattern.{column}") \
        or catalogue(DEFAULT)["text"].get(f"pattern.{column}", "")


def page_footer(lang: str = DEFAULT) -> str:
    """The printed footer in a language, with Excel's codes for file, sheet, page and pages."""
    return text("page.footer", lang, file="&F", sheet="&A", page="&P", pages="&N")


def lines(key: str, lang: str = DEFAULT) -> list[str]:
    """A list of texts (e.g. the template's instructions)."""
    return list(catalogue(lang).get("lines", {}).get(key) or catalogue(DEFAULT)["lines"][key])


def _finding_text(f: Finding, part: str, lang: str, headers: dict | None) -> str:
    entry = catalogue(lang).get("findings", {}).get(f.code, {})
    english = CATALOGUE[f.code]
    template = entry.get(part) or (english.template if part == "message" else english.hint)
    fields = dict(f.fields)
    pattern = catalogue(lang).get("text", {}).get(f"pattern.{fields.get('column')}")
    if f.code == "bad-pattern" and pattern:
        fields["hint"] = pattern
    if fields.get("column") in columns() or fields.get("column") in (headers or {}):
        fields["column"] = (headers or {}).get(fields["column"]) or label(fields["column"], lang)
    return template.format_map(_Lenient(row=f.row, **fields))


def message(f: Finding, lang: str = DEFAULT, headers: dict | None = None) -> str:
    """The finding's message in `lang`; its column named as the sheet's header (`headers`) or the
    language's label, so a Korean sheet reads 상환능력, not score_capacity."""
    return f.message if lang == DEFAULT and not headers else _finding_text(f, "message", lang, headers)


def fix(f: Finding, lang: str = DEFAULT, headers: dict | None = None) -> str:
    return f.fix if lang == DEFAULT and not headers else _finding_text(f, "fix", lang, headers)


def title(code: str, lang: str = DEFAULT) -> str:
    return catalogue(lang).get("findings", {}).get(code, {}).get("title") or CATALOGUE[code].title


def language_of(headers: Iterable[object]) -> str:
    """The language a sheet is written in, from its headers: Hangul is Korean, other CJK Chinese."""
    joined = " ".join(str(h) for h in headers if h is not None)
    if re.search(r"[가-힣]", joined):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", joined):
        return "zh"
    return "en"
