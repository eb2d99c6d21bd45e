"""The customer fields: canonical names, header aliases (ko/zh/en), value types, owners (roles)
and sensitivity, from fields.toml. The base layer: imports nothing else of crm_xl."""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Written by scoring, in this order, after the input columns.
COMPUTED_COLUMNS = (
    "credit_level", "credit_grade", "credit_limit", "credit_policy", "credit_reasons", "customer_tier", "class_code",
    "value_segment", "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "tags", "scoring_issues",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, number or date
    group: str
    kind: str  # static, dynamic, system
    aliases: tuple[str, ...]
    required: bool = False
    pattern: str | None = None
    pattern_hint: str = ""
    sensitive: bool = False  # changes need a reviewer's approval before they reach the master data
    percent_points: bool = False  # measured in percent points (95 for 95%), not as a fraction (0.95)


@cache
def columns() -> dict[str, Column]:
    raw = tomllib.loads(resources.files("crm_xl").joinpath("fields.toml").read_text("utf-8"))
    return {name: Column(name, c["type"], c["group"], c["kind"], tuple(c["aliases"]), c.get("required", False),
                         c.get("pattern"), c.get("pattern_hint", ""), c.get("sensitive", False),
                         c.get("percent_points", False))
            for name, c in raw["columns"].items()}


def in_percent_points(name: str) -> bool:
    """Whether `95%` typed in this field means 95 (its unit is the percent point) rather than 0.95."""
    field = columns().get(name)
    return field is not None and field.percent_points


@cache
def roles() -> dict[str, frozenset[str]]:
    """Role -> the kinds of field (static, dynamic) it may change through an upload."""
    raw = tomllib.loads(resources.files("crm_xl").joinpath("fields.toml").read_text("utf-8"))
    return {name: frozenset(r["kinds"]) for name, r in raw.get("roles", {}).items()}


@cache
def computed_aliases() -> dict[str, tuple[str, ...]]:
    """The headers of the columns scoring writes, en / ko / zh."""
    raw = tomllib.loads(resources.files("crm_xl").joinpath("fields.toml").read_text("utf-8"))
    return {name: tuple(aliases) for name, aliases in raw.get("computed", {}).items()}


SCRIPTS = {"ko": r"[가-힣]", "zh": r"[\u4e00-\u9fff]"}


def in_language(aliases: tuple[str, ...], lang: str) -> str | None:
    """The first alias written in the language's script (Chinese: CJK without Hangul); English: the first."""
    if lang == "en":
        return aliases[0] if aliases else None
    for alias in aliases:
        if re.search(SCRIPTS[lang], alias) and not (lang == "zh" and re.search(SCRIPTS["ko"], alias)):
            return alias
    return None


def label(name: str, lang: str) -> str:
    """A column's header in a language (ko, zh, en); the canonical name when it has none."""
    spec = columns().get(name)
    aliases = spec.aliases if spec is not None else computed_aliases().get(name, ())
    return in_language(aliases, lang) or name


def known_columns() -> set[str]:
    return set(columns()) | set(COMPUTED_COLUMNS)


def normalise_header(text: object) -> str:
    """Case, width, spacing and punctuation folded away, so `CustomerCode`, `Customer_Code `,
    `customer code` and `Ｃｕｓｔｏｍｅｒ　Ｃｏｄｅ` are one header, and `시장 유형` is `시장유형`."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s_\-./()（）:：·]+", "", folded)


@cache
def header_lookup() -> dict[str, str]:
    """Every accepted header (canonical name or alias), normalised, to its canonical column."""
    lookup: dict[str, str] = {}
    for name in [*columns(), *COMPUTED_COLUMNS]:
        lookup[normalise_header(name)] = name
    for col in columns().values():
        for alias in col.aliases:
            lookup.setdefault(normalise_header(alias), col.name)
    for name, aliases in computed_aliases().items():
        for alias in aliases:
            lookup.setdefault(normalise_header(alias), name)
    return lookup


def canonical(header: object) -> str | None:
    return header_lookup().get(normalise_header(header)) if header is not None else None
