"""Matching forms of customer values: what two spellings of one shop have in common.

These forms are for comparing only; the stored values keep what people typed (a company form
word such as 주식회사 stays in the store name, it just does not count when matching).
Everything works on whole columns, each distinct value computed once.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

# Company-form words in Korean, Chinese and English: kept in the data, ignored for matching.
COMPANY_FORMS = re.compile(
    r"주식회사|유한책임회사|유한회사|합자회사|합명회사|\(주\)|\(유\)|㈜|"
    r"股份有限公司|有限责任公司|有限公司|股份公司|集团公司|"
    r"\b(?:co|ltd|inc|corp|corporation|llc|limited|company|gmbh|plc)\b\.?")
_NOT_WORD = re.compile(r"[\W_]+")
_DISTRICT = re.compile(r"^(?:\d{4,6}|\S+(?:구|군|区|县|旗))$")
_CITY = re.compile(r"^\S+(?:시|市|镇|읍|면)$")
_ZH_DISTRICT = re.compile(r"[\u4e00-\u9fff]{2}[区县旗]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _per_distinct(values: pd.Series, fn) -> np.ndarray:
    """`fn` applied once per distinct value (names and addresses repeat), None for empty cells."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([fn(str(u)) for u in uniques] + [None], dtype=object)
    return mapped[np.where(codes < 0, len(uniques), codes)]


def fold(text: str) -> str:
    """Width, case and spacing folded: `ＡＢＣ　마트` and `abc 마트` are the same text."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def name_tokens(text: str) -> list[str]:
    """Words of a name with company forms and punctuation removed."""
    stripped = COMPANY_FORMS.sub(" ", fold(text))
    return [t for t in _NOT_WORD.split(stripped) if t]


def name_key(text: str) -> str | None:
    """A name for comparing: company forms, spaces and punctuation gone, Hangul split into jamo
    (NFD), so one wrong jamo in 행복마트 costs one letter, not a whole syllable."""
    key = "".join(name_tokens(text))
    return unicodedata.normalize("NFD", key) or None


def name_sorted_key(text: str) -> str | None:
    """The name's words in sorted order: `Kim Minjun` and `Minjun Kim` give the same key."""
    key = " ".join(sorted(name_tokens(text)))
    return unicodedata.normalize("NFD", key) or None


def name_pinyin(text: str) -> str | None:
    """Pinyin of a Chinese name (tones dropped): a wrong character typed by sound (鑫 for 欣) still
    matches. None for names without Chinese characters."""
    key = "".join(name_tokens(text))
    if not _CJK.search(key):
        return None
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(key))


def phone_key(text: str) -> str | None:
    """Digits of a phone number in one national form: +82 10-1234-5678, 010 1234 5678 and
    ０１０１２３４５６７８ are all 01012345678; +86 and 0086 prefixes are dropped."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text))
    for prefix, national in (("0082", "0"), ("82", "0"), ("0086", ""), ("86", "")):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 9:
            digits = national + digits[len(prefix):].lstrip("0") if national else digits[len(prefix):]
            break
    return digits if len(digits) >= 7 else None


def id_key(text: str) -> str | None:
    """Licence and id numbers: letters and digits only, upper case."""
    key = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).upper()
    return key or None


def address_tokens(text: str) -> list[str]:
    return [t for t in _NOT_WORD.split(fold(text)) if t]


def district(text: str) -> str | None:
    """The district (구/군/区/县) or postcode of an address, else its city; None if neither is there.
    Chinese addresses run without spaces: their district is the two characters before 区/县/旗
    (朝阳区 in both 北京市朝阳区… and 北京朝阳区…)."""
    tokens = address_tokens(text)
    found = next((t for t in tokens if _DISTRICT.match(t)), None)
    if found is None and (zh := _ZH_DISTRICT.search(fold(text))):
        found = zh.group(0)
    return found or next((t for t in tokens if _CITY.match(t)), None)


def person_key(text: str) -> str | None:
    return name_sorted_key(text)


def matching_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The matching forms of a customer table: one column per form, None where the value is empty."""
    def col(name: str) -> pd.Series:
        if name not in frame.columns:
            return pd.Series([None] * len(frame), index=frame.index, dtype=object)
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            return values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)
        return values.astype(object).where(values.notna() & (values.astype(str).str.strip() != ""), None)

    names, address = col("store_name"), col("address")
    out = pd.DataFrame(index=frame.index)
    out["name"] = _per_distinct(names, name_key)
    out["name_sorted"] = _per_distinct(names, name_sorted_key)
    out["name_pinyin"] = _per_distinct(names, name_pinyin)
    out["name_tokens"] = _per_distinct(names, lambda t: tuple(name_tokens(t)))
    out["phone"] = _per_distinct(col("phone"), phone_key)
    out["licence_no"] = _per_distinct(col("licence_no"), id_key)
    out["address"] = _per_distinct(address, lambda t: " ".join(address_tokens(t)) or None)
    out["district"] = _per_distinct(address, district)
    out["address_numbers"] = _per_distinct(address, lambda t: frozenset(re.findall(r"\d+", fold(t))) or None)
    out["legal_rep"] = _per_distinct(col("legal_rep"), person_key)
    out["contact_person"] = _per_distinct(col("contact_person"), person_key)
    out["issue_date"] = _per_distinct(col("issue_date"), lambda t: t[:10])
    return out
