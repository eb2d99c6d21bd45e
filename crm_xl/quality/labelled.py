"""A labelled duplicate set: demo customers with the noise real customer files have.

Originals are the demo customers (crm_xl.demo) given the identity fields matching needs (varied
Korean, Chinese and Latin store names, a legal representative, phone, licence number, address);
some get one to three copies made the way another department would have typed them: typos,
spacing, company-form words, phone formats, full-width digits, swapped name order, missing
fields. Shops that share a name in one district (franchises) are there too, and are not
duplicates. `truth` gives each record the id of the customer it really is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.demo import make_demo

KO_SYLLABLES = list("행복한빛우리새봄푸른동네세종다온미소해오름별청솔가람나래도담라온마루보람아름")
ZH_CHARS = list("金福老王红星万家好运平安兴隆鑫百姓佳华联顺发宏盛泰丰源利达永昌祥瑞天和")
KO_FORMS = ["마트", "슈퍼", "편의점", "식품", "상회", "유통", "상사"]
ZH_FORMS = ["超市", "便利店", "商店", "食杂店", "烟酒行", "商行"]
EN_WORDS = ["Sunny", "Green", "Golden", "Lucky", "Happy", "Star", "River", "Maple", "Ocean", "Royal",
            "Silver", "Fresh", "Corner", "Village", "Harbor", "Hill"]
EN_FORMS = ["Mart", "Store", "Grocery", "Market", "Shop", "Foods"]
KO_SURNAMES = list("김이박최정강조윤장임한오서신권황안송류홍")
ZH_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林")
EN_GIVEN = ["Minjun", "Seoyeon", "Jihoon", "Wei", "Na", "Lei", "Alex", "Grace", "Daniel", "Sora"]
EN_SURNAMES = ["Kim", "Lee", "Park", "Wang", "Chen", "Smith", "Brown", "Choi", "Zhang", "Jones"]
KO_DISTRICTS = ["강남구", "서초구", "마포구", "종로구", "중구", "송파구", "관악구", "노원구", "은평구", "강서구"]
ZH_DISTRICTS = ["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "浦东新区", "黄浦区", "徐汇区", "天河区", "越秀区"]
KO_ROADS = ["테헤란로", "세종대로", "올림픽로", "도산대로", "마포대로", "강남대로", "한강대로", "양재대로"]
ZH_ROADS = ["建国路", "中山路", "人民路", "解放路", "长安街", "南京路", "淮海路", "环市路"]
KO_COMPANY = ["(주)", "주식회사 ", "㈜"]
ZH_COMPANY = ["有限公司", "商贸有限公司"]
EN_COMPANY = [" Co., Ltd.", " Inc.", " Ltd"]


@dataclass
class Labelled:
    customers: pd.DataFrame  # canonical columns; customer_code unique per record
    truth: np.ndarray  # per record, the id of the real customer


def labelled_customers(n_originals: int = 5000, duplicate_share: float = 0.25, seed: int = 11) -> Labelled:
    rng = np.random.default_rng(seed)
    base = make_demo(n_originals, seed=seed).customers
    lang = rng.choice(3, n_originals, p=[0.5, 0.4, 0.1])
    base = base.assign(**_identities(lang, rng))
    dup_of = rng.choice(n_originals, int(n_originals * duplicate_share), replace=False)
    copies = rng.choice([1, 2, 3], len(dup_of), p=[0.7, 0.2, 0.1])
    source = np.repeat(dup_of, copies)
    dups = base.iloc[source].reset_index(drop=True)
    dups = _noisy(dups, lang[source], rng)
    dups["customer_code"] = [f"L{k:07d}" for k in range(1, len(dups) + 1)]  # another department's codes
    customers = pd.concat([base, dups], ignore_index=True)
    truth = np.concatenate([np.arange(n_originals), source])
    order = rng.permutation(len(customers))
    return Labelled(customers.iloc[order].reset_index(drop=True), truth[order])


def _pick(rng, pool, n):
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]


def _identities(lang: np.ndarray, rng: np.random.Generator) -> dict:
    n = len(lang)
    ko, zh = lang == 0, lang == 1
    ko_name = _pick(rng, KO_SYLLABLES, n) + _pick(rng, KO_SYLLABLES, n) + _pick(rng, KO_FORMS, n)
    zh_name = _pick(rng, ZH_CHARS, n) + _pick(rng, ZH_CHARS, n) + _pick(rng, ZH_FORMS, n)
    en_name = _pick(rng, EN_WORDS, n) + " " + _pick(rng, EN_WORDS, n) + " " + _pick(rng, EN_FORMS, n)
    names = np.where(ko, ko_name, np.where(zh, zh_name, en_name))
    ko_person = _pick(rng, KO_SURNAMES, n) + _pick(rng, KO_SYLLABLES, n) + _pick(rng, KO_SYLLABLES, n)
    zh_person = _pick(rng, ZH_SURNAMES, n) + _pick(rng, ZH_CHARS, n) + np.where(rng.random(n) < 0.5, _pick(rng, ZH_CHARS, n), "")
    en_person = _pick(rng, EN_GIVEN, n) + " " + _pick(rng, EN_SURNAMES, n)
    person = np.where(ko, ko_person, np.where(zh, zh_person, en_person))
    number = rng.integers(1, 400, n).astype(str)
    ko_addr = "서울시 " + _pick(rng, KO_DISTRICTS, n) + " " + _pick(rng, KO_ROADS, n) + " " + number
    zh_addr = "北京市" + _pick(rng, ZH_DISTRICTS, n) + _pick(rng, ZH_ROADS, n) + number + "号"
    en_addr = number + " " + _pick(rng, EN_WORDS, n) + " Street, " + _pick(rng, KO_DISTRICTS, n)
    phone_ko = [f"010-{a:04d}-{b:04d}" for a, b in rng.integers(0, 10_000, (n, 2))]
    phone_zh = [f"13{c}-{a:04d}-{b:04d}" for c, a, b in zip(rng.integers(0, 10, n), *rng.integers(0, 10_000, (2, n)))]
    return {
        "store_name": names,
        "legal_rep": person,
        "contact_person": np.where(rng.random(n) < 0.6, person, ko_person),
        "phone": np.where(zh, phone_zh, phone_ko),
        "licence_no": [f"{a:03d}-{b:02d}-{c:05d}" for a, b, c in zip(*[rng.integers(0, m, n) for m in (1000, 100, 100_000)])],
        "address": np.where(ko, ko_addr, np.where(zh, zh_addr, en_addr)),
    }


def _noisy(dups: pd.DataFrame, lang: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Another department's copy of each record: every kind of noise with its own chance."""
    n = len(dups)
    out = dups.copy()
    names = out["store_name"].to_numpy(dtype=object).copy()
    for k in range(n):
        name = names[k]
        if rng.random() < 0.35:
            name = _typo(name, lang[k], rng)
        if rng.random() < 0.3:  # spacing: a space inserted or all spaces removed
            name = name.replace(" ", "") if " " in name and rng.random() < 0.5 else _insert_space(name, rng)
        if rng.random() < 0.3:
            forms = KO_COMPANY if lang[k] == 0 else ZH_COMPANY if lang[k] == 1 else EN_COMPANY
            form = forms[rng.integers(len(forms))]
            name = form + name if form in ("(주)", "주식회사 ", "㈜") else name + form
        if lang[k] == 2 and rng.random() < 0.2:
            words = name.split(" ")
            name = " ".join(words[1:] + words[:1])  # words in another order
        if rng.random() < 0.1:
            name = name.upper() if lang[k] == 2 else _full_width(name)
        names[k] = name
    out["store_name"] = names
    phones = out["phone"].to_numpy(dtype=object).copy()
    style = rng.integers(0, 6, n)
    for k in range(n):
        digits = phones[k].replace("-", "")
        phones[k] = [phones[k], digits, f"+82 {digits[1:3]} {digits[3:7]} {digits[7:]}" if lang[k] != 1 else f"+86 {digits}",
                     f"{digits[:3]}.{digits[3:7]}.{digits[7:]}", _full_width(phones[k]), f"({digits[:3]}) {digits[3:]}"][style[k]]
    out["phone"] = phones
    persons = out["legal_rep"].to_numpy(dtype=object).copy()
    for k in range(n):
        if rng.random() < 0.15:
            persons[k] = _typo(persons[k], lang[k], rng)
        if lang[k] == 2 and rng.random() < 0.3:
            persons[k] = " ".join(reversed(persons[k].split(" ")))  # surname first
    out["legal_rep"] = persons
    address = out["address"].to_numpy(dtype=object).copy()
    for k in range(n):
        if rng.random() < 0.2:
            address[k] = address[k].replace("서울시 ", "서울특별시 ").replace("北京市", "北京")
        if rng.random() < 0.15:
            address[k] = _typo(address[k], lang[k], rng)
    out["address"] = address
    licence = out["licence_no"].to_numpy(dtype=object).copy()
    for k in range(n):
        if rng.random() < 0.3:
            licence[k] = licence[k].replace("-", "")
        if rng.random() < 0.05:
            licence[k] = _typo(licence[k], 3, rng)
    out["licence_no"] = licence
    for column, share in (("phone", 0.2), ("licence_no", 0.35), ("address", 0.2), ("legal_rep", 0.3), ("contact_person", 0.5)):
        out.loc[rng.random(n) < share, column] = None  # this department never recorded it
    return out


def _typo(text: str, lang: int, rng: np.random.Generator) -> str:
    if len(text) < 3:
        return text
    pool = KO_SYLLABLES if lang == 0 else ZH_CHARS if lang == 1 else list("abcdefghijklmnopqrstuvwxyz") if lang == 2 else list("0123456789")
    k = int(rng.integers(0, len(text)))
    kind = rng.integers(0, 3)
    if kind == 0:
        return text[:k] + pool[rng.integers(len(pool))] + text[k + 1:]
    if kind == 1:
        return text[:k] + text[k + 1:]
    return text[:k] + text[k + 1:k + 2] + text[k:k + 1] + text[k + 2:]  # two letters swapped


def _insert_space(text: str, rng: np.random.Generator) -> str:
    k = int(rng.integers(1, len(text)))
    return text[:k] + " " + text[k:]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
