"""A legacy file's headers onto our fields: exact aliases first, then fuzzy, each with a confidence.

Fuzzy matching compares the folded header with every alias in crm_xl/fields.toml: letters
(Hangul split into jamo, so one wrong jamo costs little), words in any order, and abbreviations
(`cust. code` for customer code, `tel` for telephone). A header whose best field is below the
`ask_below` confidence, or that two fields claim almost equally, or whose field another column
took with more confidence, is not mapped: the plan asks, through a mapping file a person edits.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz

from crm_xl.fields import canonical, columns
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.store.db import TRANSACTION_FIELDS
from crm_xl.xlsx.refs import letter

ASK = "?"
AMBIGUOUS_GAP = 0.04  # two fields scoring this close: the header is ambiguous


@dataclass
class ColumnMatch:
    header: str  # as the file spells it
    column: str  # spreadsheet letter
    field: str | None  # the field it maps to; None: left out, or undecided when `ask`
    confidence: float  # 1.0 for an exact alias or a person's choice
    how: str  # exact alias, fuzzy, mapping file, left out, unsure
    suggestion: str | None = None  # best guess when unsure

    @property
    def ask(self) -> bool:
        return self.how == "unsure"


@dataclass
class MappingPlan:
    file: Path
    sheet: str
    header_row: int  # 1-based
    matches: list[ColumnMatch]

    @property
    def unsure(self) -> list[ColumnMatch]:
        return [m for m in self.matches if m.ask]

    def renames(self) -> dict[str, str | None]:
        return {m.header: m.field for m in self.matches}


_SEPARATORS = re.compile(r"[\s_\-./()（）:：·#]+")


def _words(text: str) -> str:
    """Width and case folded, words separated by one space (punctuation is a separator)."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(w for w in _SEPARATORS.split(folded) if w)


@cache
def _targets() -> list[tuple[str, str, str]]:
    """(alias words, the same split into jamo, field) for every name a customer field is known by."""
    out = []
    for name, col in columns().items():
        if name in TRANSACTION_FIELDS:
            continue  # order lines are never imported as customer fields
        for alias in (name, *col.aliases):
            words = _words(alias)
            out.append((words, unicodedata.normalize("NFD", words), name))
    return out


def _abbreviation(header: str, alias: str) -> float:
    """0.9 when every word of the header starts the alias word at its place (`cust code`, `tel`)."""
    h, a = header.split(), alias.split()
    if not h or len(h) != len(a) or header == alias:
        return 0.0
    ok = all(w == x or (len(w) >= 3 and x.startswith(w)) for w, x in zip(h, a))
    return 0.9 if ok else 0.0


def score_header(header: str) -> list[tuple[float, str]]:
    """(confidence, field) for every field, best first: the best alias of each field counts."""
    exact = canonical(header)
    if exact in columns() and exact not in TRANSACTION_FIELDS:
        return [(1.0, exact)]
    words = _words(header)
    jamo = unicodedata.normalize("NFD", words)
    solid = jamo.replace(" ", "")
    best: dict[str, float] = {}
    for alias, alias_jamo, name in _targets():
        score = max(fuzz.ratio(jamo, alias_jamo), fuzz.token_sort_ratio(jamo, alias_jamo),
                    fuzz.ratio(solid, alias_jamo.replace(" ", ""))) / 100.0
        score = max(score, _abbreviation(words, alias))
        if score > best.get(name, 0.0):
            best[name] = score
    return sorted(((s, n) for n, s in best.items()), reverse=True)


def propose(headers: list[tuple[int, str]], config: dict, saved: dict[str, str] | None = None) -> list[ColumnMatch]:
    """A match for every (column index, header text); decisions of a saved mapping come first."""
    ask_below = float(config["mapping"]["ask_below"])
    suggest_above = float(config["mapping"]["suggest_above"])
    saved = saved or {}
    matches = []
    for j, header in headers:
        if header in saved and saved[header] != ASK:
            field = saved[header] or None
            matches.append(ColumnMatch(header, letter(j), field, 1.0, "mapping file" if field else "left out"))
            continue
        ranked = score_header(header)
        top, field = ranked[0] if ranked else (0.0, None)
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if top >= 1.0:
            matches.append(ColumnMatch(header, letter(j), field, 1.0, "exact alias"))
        elif top >= ask_below and top - runner_up > AMBIGUOUS_GAP:
            matches.append(ColumnMatch(header, letter(j), field, round(top, 2), "fuzzy"))
        else:
            matches.append(ColumnMatch(header, letter(j), None, round(top, 2), "unsure",
                                       field if top >= suggest_above else None))
    _one_column_per_field(matches)
    return matches


def _one_column_per_field(matches: list[ColumnMatch]) -> None:
    """Two columns mapped to one field: the less confident one is asked about, not dropped."""
    taken: dict[str, ColumnMatch] = {}
    for m in sorted((m for m in matches if m.field), key=lambda m: -m.confidence):
        if m.field in taken and m.how in ("fuzzy", "exact alias"):
            m.suggestion, m.field, m.how = m.field, None, "unsure"
        else:
            taken.setdefault(m.field, m)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def find_header_row(top: list[list], config: dict) -> int:
    """The row (0-based) of the first rows with the most confidently mapped headers."""
    ask_below = float(config["mapping"]["ask_below"])
    best, at = -1, 0
    for i, row in enumerate(top):
        texts = [str(v).strip() for v in row if not _blank(v)]
        if len(texts) < 2:
            continue
        sure = sum(1 for t in texts if (s := score_header(t)) and s[0][0] >= ask_below)
        if sure > best:
            best, at = sure, i
    return at


def plan_mapping(path: Path, top: list[list], sheet: str, config: dict, saved: dict | None = None) -> MappingPlan:
    at = find_header_row(top, config)
    headers = [(j, str(v).strip()) for j, v in enumerate(top[at] if top else []) if not _blank(v)]
    plan = MappingPlan(path, sheet, at + 1, propose(headers, config, saved))
    return plan


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: `[columns]` header = "field" ("" leaves it out, "?" still undecided)."""
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise InputError([finding("file-not-found", file=path)]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([finding("file-unreadable", file=path, detail=f"is not a mapping TOML file ({exc})")]) from None
    mapping = raw.get("columns", {})
    bad = [finding("mapping-bad-field", mapping=path, header=h, field=f) for h, f in mapping.items()
           if not isinstance(f, str) or (f not in ("", ASK) and f not in columns())]
    if bad:
        raise InputError(bad)
    return mapping


def write_mapping(plan: MappingPlan, path: Path) -> Path:
    """The plan as a mapping file a person can edit: one line per column, why it maps as it does."""
    lines = [f"# crm-xl import mapping for files like {plan.file.name} (sheet {plan.sheet}, headers in row {plan.header_row}).",
             "# Each header of the file = the field it holds; \"\" leaves the column out; \"?\" is undecided.",
             "# Pass this file back with --mapping; it is reused for every file from the same source.",
             "", "[columns]"]
    where: dict[str, list[str]] = {}  # a header written twice in the file is one key (TOML allows no repeat)
    first = {}
    for m in plan.matches:
        where.setdefault(m.header, []).append(m.column)
        first.setdefault(m.header, m)
    for m in first.values():
        value = ASK if m.ask else (m.field or "")
        if m.ask:
            why = f"unsure ({m.confidence:.2f}): best guess {m.suggestion}" if m.suggestion else "unsure: no field looks like it"
        else:
            why = m.how if m.how != "fuzzy" else f"fuzzy, confidence {m.confidence:.2f}"
        place = f"columns {', '.join(where[m.header])}" if len(where[m.header]) > 1 else f"column {m.column}"
        lines.append(f"{json.dumps(m.header, ensure_ascii=False)} = {json.dumps(value)}  # {place}: {why}")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", "utf-8")
    return path
