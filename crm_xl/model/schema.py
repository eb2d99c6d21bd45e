"""The scoring model's structure, and the checks that turn a raw dict into it.

Over 300 lines on purpose: one dataclass and one parsing function per model section (credit,
tiers, classes, value, RFM, tags), each next to the checks of its own entries, so a section's
shape and its rules are read and changed in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from crm_xl.fields import known_columns
from crm_xl.findings import InputError, ModelError, finding
from crm_xl.model.checker import Checker, join

RFM_SCORES = range(1, 6)


@dataclass(frozen=True)
class Bands:
    """Ordered lower edges (each included in its band) and what each band stands for."""

    edges: np.ndarray
    labels: tuple

    def index(self, values: np.ndarray) -> np.ndarray:
        """Band position of every value; -1 below the first edge or for NaN."""
        values = np.asarray(values, float)
        idx = self.edges.searchsorted(values, side="right") - 1  # the method: np.searchsorted's wrapper costs more
        idx[np.isnan(values)] = -1
        return idx


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    column: str
    bands: Bands | None  # raw figure -> 1..10; None for indicators typed as 1..10
    labels: dict[str, str] = field(default_factory=dict)  # language -> label, for reason texts

    def label_in(self, language: str) -> str:
        return self.labels.get(language, self.label)


@dataclass(frozen=True)
class Grade:
    label: str
    lower: float
    limit_factor: float
    policy: str
    colour: str
    tolerance: float = 0.0  # share an order may take the balance over the limit


# Placeholders each credit text may use, by key: a text naming anything else is a model error.
CREDIT_TEXT_FIELDS = {
    "within_limit": set(), "within_tolerance": {"over", "grade", "tolerance"}, "over_limit": {"over"},
    "overdue": {"days"}, "cash_only": {"grade"}, "no_limit": set(), "release": {"roles"},
    "reason": {"indicator", "score", "points"},
}


@dataclass(frozen=True)
class CreditCheckRules:
    money_decimals: int
    hold_overdue_days: float
    reject_overdue_days: float
    release_roles: tuple[str, ...]


@dataclass(frozen=True)
class CreditReviewRules:
    limit_rise_share: float
    grade_steps: int
    approver_roles: tuple[str, ...]


@dataclass(frozen=True)
class CreditMonitoring:
    psi_bins: np.ndarray  # lower edges of the credit-level bins
    psi_bands: Bands  # PSI value -> reading (stable, watch, act)
    backtest_overdue_days: float
    backtest_months: int


@dataclass(frozen=True)
class CreditModel:
    indicators: dict[str, Indicator]
    sets: dict[str, dict[str, float]]
    default_set: str
    grades: tuple[Grade, ...]
    level_decimals: int
    default_terms_days: float
    net_worth_cap: float
    limit_round_to: float
    scorecard: dict[str, float]
    check: CreditCheckRules | None = None
    review: CreditReviewRules | None = None
    monitoring: CreditMonitoring | None = None
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> key -> template
    default_language: str = "en"

    def text(self, key: str, language: str | None = None) -> str:
        return self.texts_in(language)[key]

    def texts_in(self, language: str | None) -> dict[str, str]:
        """The credit texts of a language (default the model's); an unknown language is bad input."""
        language = language or self.default_language
        if language not in self.texts:
            raise InputError([finding("model-unknown-reference", entry="language", value=language,
                                      where="credit.texts", choices=", ".join(self.texts))])
        return self.texts[language]

    @cached_property  # depends on the model only: worked out once per model
    def set_weights(self) -> dict[str, tuple[list[Indicator], np.ndarray, float]]:
        """Per indicator set: its indicators, their weights as an array, and the weights' sum."""
        out = {}
        for name, weights in self.sets.items():
            w = np.fromiter(weights.values(), float, len(weights))
            out[name] = ([self.indicators[k] for k in weights], w, float(w.sum()))
        return out

    @cached_property
    def grade_lookup(self) -> dict[str, int]:
        """Position of each grade by its label, case-folded (how people type grades)."""
        return {g.label.casefold(): i for i, g in enumerate(self.grades)}

    @cached_property
    def limit_factors(self) -> np.ndarray:
        """k(grade) of each grade, by position, then NaN (position -1: no grade)."""
        return np.array([g.limit_factor for g in self.grades] + [np.nan], float)

    @cached_property  # depends on the model only: worked out once per model
    def grade_bands(self) -> Bands:
        """Grade bands over the credit level, edges at the levels' rounding: computed levels are rounded
        (crm_xl.scoring.credit.levels), so a level that should be exactly 0.70 meets an edge of exactly 0.70."""
        edges = np.round(np.array([g.lower for g in self.grades], float), self.level_decimals)
        return Bands(edges, tuple(g.label for g in self.grades))


@dataclass(frozen=True)
class TierPreset:
    name: str
    description: str
    measure: str | None = None  # banded measure ...
    bands: Bands | None = None
    levels: int | None = None  # ... or equal-frequency levels over a composite of ranks
    label_prefix: str = "L"
    composite: dict[str, float] = field(default_factory=dict)

    @cached_property  # depends on the model only: worked out once per model
    def labels(self) -> tuple[str, ...]:
        if self.bands is not None:
            return self.bands.labels
        return tuple(f"{self.label_prefix}{n}" for n in range(1, self.levels + 1))

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.measure,) if self.measure else tuple(self.composite)


@dataclass(frozen=True)
class Coded:
    code: str
    label: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    markets: tuple[Coded, ...]
    formats: tuple[Coded, ...]
    scales: tuple[Coded, ...]
    scale_bands: Bands  # labels are scale codes
    scale_measure: str

    @cached_property  # depends on the model only: worked out once per model
    def class_codes(self) -> tuple[str, ...]:
        """All market x format x scale codes, in the order the scoring indexes them."""
        return tuple(m.code + f.code + s.code
                     for m in self.markets for f in self.formats for s in self.scales)

    @cached_property  # depends on the model only: worked out once per model
    def class_of_positions(self) -> np.ndarray:
        """Position in class_codes by [market, format, scale] positions; -1 where any is -1 (none)."""
        n_m, n_f, n_s = len(self.markets), len(self.formats), len(self.scales)
        out = np.full((n_m + 1, n_f + 1, n_s + 1), -1, dtype=np.int64)
        out[:n_m, :n_f, :n_s] = np.arange(n_m * n_f * n_s).reshape(n_m, n_f, n_s)
        return out


@dataclass(frozen=True)
class ValueModel:
    split: float | str  # a fixed threshold, or "mean"
    current: dict[str, float]
    potential: dict[str, float]
    segments: dict[tuple[str, str], str]  # (current high/low, potential high/low) -> label

    @cached_property  # depends on the model only: worked out once per model
    def labels(self) -> tuple[str, ...]:
        return tuple(self.segments[k] for k in (("high", "high"), ("high", "low"), ("low", "high"), ("low", "low")))

    @cached_property  # depends on the model only: worked out once per model
    def indices(self) -> tuple[str, ...]:
        """Every index the current and potential values read, each once, in model order."""
        return tuple(dict.fromkeys([*self.current, *self.potential]))

    @cached_property
    def averages(self) -> tuple[tuple[np.ndarray, np.ndarray, float], ...]:
        """(positions in `indices` (a slice where they follow each other), weights, their sum) of the
        current and of the potential value."""
        out = []
        for weights in (self.current, self.potential):
            at = [self.indices.index(n) for n in weights]
            contiguous = at == list(range(at[0], at[0] + len(at))) if at else False
            positions = slice(at[0], at[0] + len(at)) if contiguous else np.array(at, dtype=np.int64)  # a view when it can
            w = np.fromiter(weights.values(), float)
            out.append((positions, w, float(w.sum())))
        return tuple(out)


@dataclass(frozen=True)
class RfmDimension:
    method: str  # "quintile" or "bands"
    bands: Bands | None

    @cached_property  # depends on the model only: worked out once per model
    def band_scores(self) -> np.ndarray:
        """The score of each band by position, then 0 (position -1: below the bands or empty)."""
        return np.array([*self.bands.labels, 0], np.int64)


@dataclass(frozen=True)
class RfmModel:
    window_months: int
    money_decimals: int
    recency: RfmDimension
    frequency: RfmDimension
    monetary: RfmDimension
    grid: np.ndarray  # 5x5 of segment positions, [r-1, f-1]
    segment_labels: tuple[str, ...]

    @cached_property  # depends on the model only: worked out once per model
    def segment_of_scores(self) -> np.ndarray:
        """Segment position by [r, f] scores 0-5: the grid, with -1 where either is 0 (unscored)."""
        out = np.full((self.grid.shape[0] + 1, self.grid.shape[1] + 1), -1, dtype=np.int64)
        out[1:, 1:] = self.grid
        return out


@dataclass(frozen=True)
class TagRule:
    label: str
    column: str
    values: tuple[str, ...] | None
    low: float | None
    high: float | None

    @cached_property  # depends on the model only: worked out once per model
    def wanted(self) -> frozenset:
        """The values the rule matches, as a set."""
        return frozenset(self.values or ())


@dataclass(frozen=True)
class ScoringModel:
    name: str
    version: str
    description: str
    credit: CreditModel
    tiers: dict[str, TierPreset]
    default_tier_preset: str
    classification: Classification
    value: ValueModel
    rfm: RfmModel
    tags: tuple[TagRule, ...]
    raw: dict  # the checked source, for export and display
    source: str

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}"

    def labels_of(self, column: str) -> tuple[str, ...] | None:
        """The labels a computed column can take (used by tag rules and checks)."""
        return {
            "credit_grade": tuple(g.label for g in self.credit.grades),
            "customer_tier": tuple(dict.fromkeys(l for p in self.tiers.values() for l in p.labels)),
            "value_segment": self.value.labels,
            "rfm_segment": self.rfm.segment_labels,
            "class_code": self.classification.class_codes,
        }.get(column)


def parse_model(raw: dict, source: str) -> ScoringModel:
    """Check every entry of a raw model; raise ModelError listing all problems at once."""
    c = Checker()
    head = c.get(raw, "model", "", "table") or {}
    credit = _credit(c, c.get(raw, "credit", "", "table") or {})
    tiers, default_tier = _tiers(c, c.get(raw, "tiers", "", "table") or {})
    classification = _classification(c, c.get(raw, "classification", "", "table") or {})
    value = _value(c, c.get(raw, "value", "", "table") or {})
    rfm = _rfm(c, c.get(raw, "rfm", "", "table") or {})
    partial = dict(credit=credit, tiers=tiers, classification=classification, value=value, rfm=rfm)
    name = c.get(head, "name", "model", "text")
    version = c.get(head, "version", "model", "text")
    if c.problems:
        raise ModelError(c.problems)
    tags = _tags(c, c.get(raw, "tags", "", "list", []), partial)
    if c.problems:
        raise ModelError(c.problems)
    return ScoringModel(name=name, version=version, description=head.get("description", ""),
                        tags=tags, default_tier_preset=default_tier, raw=raw, source=source,
                        **partial)


def _bands(c: Checker, items: Any, path: str, payload: str, kind: str) -> Bands | None:
    """A list of {from, <payload>} tables, strictly ascending, payloads checked by kind."""
    if not isinstance(items, list) or not items:
        c.report("model-wrong-type", entry=path, value=items, expected="a non-empty list of bands")
        return None
    edges, labels = [], []
    for i, item in enumerate(items):
        p = f"{path}[{i}]"
        edges.append(c.get(item, "from", p, "number"))
        if kind == "score":
            labels.append(c.in_range(item, payload, p, 1, 10))
        else:
            labels.append(c.get(item, payload, p, "text"))
    c.ascending(edges, path)
    if kind != "score":
        c.unique(labels, path, payload)
    if None in edges or None in labels:
        return None
    return Bands(np.array(edges, float), tuple(labels))


def _credit(c: Checker, t: dict) -> CreditModel | None:
    indicators: dict[str, Indicator] = {}
    items = c.get(t, "indicators", "credit", "list") or []
    for i, item in enumerate(items):
        p = f"credit.indicators[{i}]"
        key, column = c.get(item, "key", p, "text"), c.get(item, "column", p, "text")
        bands = _bands(c, item["bands"], f"{p}.bands", "score", "score") if "bands" in item else None
        labels = c.get(item, "labels", p, "table", {}) or {}
        for lang, text in labels.items():
            c.get(labels, lang, f"{p}.labels", "text")
        if key is not None and column is not None:
            indicators[key] = Indicator(key, item.get("label", key), column, bands,
                                        {k: v for k, v in labels.items() if isinstance(v, str)})
    c.unique([it.get("key") if isinstance(it, dict) else None for it in items], "credit.indicators", "key")

    sets: dict[str, dict[str, float]] = {}
    for name, weights in (c.get(t, "indicator_sets", "credit", "table") or {}).items():
        p = f"credit.indicator_sets.{name}"
        if not isinstance(weights, dict) or not weights:
            c.report("model-wrong-type", entry=p, value=weights, expected="a table of indicator = weight")
            continue
        usable = {}
        for key in weights:
            c.defined(key, join(p, key), list(indicators), "credit.indicators")
            weight = c.positive(weights, key, p)  # '0,25', '25%', blank or text: reported, not converted
            if weight is not None:
                usable[key] = float(weight)
        sets[name] = usable
    default_set = c.get(t, "default_indicator_set", "credit", "text")
    if default_set is not None:
        c.defined(default_set, "credit.default_indicator_set", list(sets), "credit.indicator_sets")

    grades = []
    items = c.get(t, "grades", "credit", "list") or []
    for i, item in enumerate(items):
        p = f"credit.grades[{i}]"
        grades.append(Grade(c.get(item, "label", p, "text"), c.in_range(item, "from", p, 0, 1),
                            c.get(item, "limit_factor", p, "number"), c.get(item, "policy", p, "text"),
                            str(item.get("colour", "FFFFFF")) if isinstance(item, dict) else "FFFFFF",
                            c.in_range(item, "tolerance", p, 0, 1, 0.0) or 0.0))
        if grades[-1].limit_factor is not None and grades[-1].limit_factor < 0:
            c.report("model-out-of-range", entry=f"{p}.limit_factor", value=grades[-1].limit_factor,
                     low=0, high="∞")
    c.ascending([g.lower for g in grades], "credit.grades")
    c.unique([g.label for g in grades], "credit.grades")
    if not grades:
        c.report("model-wrong-type", entry="credit.grades", value=[], expected="a non-empty list of grades")
    scorecard = c.get(t, "scorecard", "credit", "table", {})
    texts, language = _credit_texts(c, c.get(t, "texts", "credit", "table") or {})
    return CreditModel(
        check=_credit_check(c, c.get(t, "check", "credit", "table") or {}),
        review=_credit_review(c, c.get(t, "review", "credit", "table") or {}),
        monitoring=_credit_monitoring(c, c.get(t, "monitoring", "credit", "table") or {}),
        texts=texts, default_language=language,
        indicators=indicators, sets=sets, default_set=default_set, grades=tuple(grades),
        level_decimals=int(c.in_range(t, "level_decimals", "credit", 0, 15, 9) or 9),
        default_terms_days=c.positive(t, "default_terms_days", "credit", 30),
        net_worth_cap=c.positive(t, "net_worth_cap", "credit", 0.2),
        limit_round_to=c.positive(t, "limit_round_to", "credit", 1),
        scorecard={k: c.positive(scorecard, k, "credit.scorecard", d)
                   for k, d in (("base_points", 600), ("base_odds", 50), ("pdo", 20))},
    )


def _roles(c: Checker, t: dict, key: str, path: str) -> tuple[str, ...]:
    roles = c.get(t, key, path, "list") or []
    for i, role in enumerate(roles):
        if not (isinstance(role, str) and role.strip()):
            c.report("model-wrong-type", entry=f"{path}.{key}[{i}]", value=role, expected="a role name")
    if not roles:
        c.report("model-wrong-type", entry=f"{path}.{key}", value=roles, expected="a non-empty list of roles")
    return tuple(str(r).strip() for r in roles)


def _credit_check(c: Checker, t: dict) -> CreditCheckRules:
    p = "credit.check"
    hold = c.in_range(t, "hold_overdue_days", p, 0, 10000)
    reject = c.in_range(t, "reject_overdue_days", p, 0, 10000)
    if hold is not None and reject is not None and reject < hold:
        c.report("model-band-order", entry=f"{p}.reject_overdue_days", value=reject, previous=hold)
    return CreditCheckRules(int(c.in_range(t, "money_decimals", p, 0, 6, 2) or 0),
                            hold if hold is not None else 30, reject if reject is not None else 90,
                            _roles(c, t, "release_roles", p))


def _credit_review(c: Checker, t: dict) -> CreditReviewRules:
    p = "credit.review"
    return CreditReviewRules(c.positive(t, "limit_rise_share", p) or 0.5,
                             int(c.in_range(t, "grade_steps", p, 1, 20) or 2),
                             _roles(c, t, "approver_roles", p))


def _credit_monitoring(c: Checker, t: dict) -> CreditMonitoring:
    p = "credit.monitoring"
    bins = c.get(t, "psi_bins", p, "list") or []
    for i, edge in enumerate(bins):
        if not (isinstance(edge, (int, float)) and not isinstance(edge, bool) and 0 <= edge <= 1):
            c.report("model-out-of-range", entry=f"{p}.psi_bins[{i}]", value=edge, low=0, high=1)
    c.ascending(list(bins), f"{p}.psi_bins")
    if len(bins) < 2:
        c.report("model-wrong-type", entry=f"{p}.psi_bins", value=bins, expected="at least two lower edges")
    bands = _bands(c, t.get("psi_bands"), f"{p}.psi_bands", "label", "label")
    return CreditMonitoring(np.array([b for b in bins if isinstance(b, (int, float))], float),
                            bands or Bands(np.array([0.0]), ("",)),
                            c.positive(t, "backtest_overdue_days", p) or 90,
                            int(c.in_range(t, "backtest_months", p, 1, 60) or 12))


def _credit_texts(c: Checker, t: dict) -> tuple[dict[str, dict[str, str]], str]:
    """Every language has every text; a text names only the fields its key provides."""
    import string

    p = "credit.texts"
    language = c.get(t, "default_language", p, "text")
    texts: dict[str, dict[str, str]] = {}
    for lang, table in t.items():
        if lang == "default_language":
            continue
        if not isinstance(table, dict):
            c.report("model-wrong-type", entry=f"{p}.{lang}", value=table, expected="a table of texts")
            continue
        texts[lang] = {}
        for key, allowed in CREDIT_TEXT_FIELDS.items():
            text = c.get(table, key, f"{p}.{lang}", "text")
            if text is None:
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                c.report("model-wrong-type", entry=f"{p}.{lang}.{key}", value=text, expected=f"a text ({exc})")
                continue
            for name in sorted(names - allowed):
                c.defined(name, f"{p}.{lang}.{key}", sorted(allowed), "the fields of this text")
            texts[lang][key] = text
    if language is not None:
        c.defined(language, f"{p}.default_language", list(texts), p)
    return texts, language or "en"


def _tiers(c: Checker, t: dict) -> tuple[dict[str, TierPreset], str | None]:
    presets: dict[str, TierPreset] = {}
    for name, item in (c.get(t, "presets", "tiers", "table") or {}).items():
        p = f"tiers.presets.{name}"
        if not isinstance(item, dict):
            c.report("model-wrong-type", entry=p, value=item, expected="a table")
            continue
        description = item.get("description", name)
        if "bands" in item:
            presets[name] = TierPreset(name, description, measure=c.get(item, "measure", p, "text"),
                                       bands=_bands(c, item["bands"], f"{p}.bands", "label", "label"))
        elif "levels" in item:
            levels = c.in_range(item, "levels", p, 2, 1000)
            composite = c.get(item, "composite", p, "table") or {}
            for key in composite:
                c.positive(composite, key, f"{p}.composite")
            presets[name] = TierPreset(name, description, levels=int(levels or 2),
                                       label_prefix=str(item.get("label_prefix", "L")),
                                       composite={k: float(v) for k, v in composite.items()})
        else:
            c.report("model-missing-entry", entry=f"{p}.bands (or levels with composite)")
    default = c.get(t, "default_preset", "tiers", "text")
    if default is not None:
        c.defined(default, "tiers.default_preset", list(presets), "tiers.presets")
    return presets, default


def _coded(c: Checker, items: Any, path: str) -> tuple[Coded, ...]:
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        p = f"{path}[{i}]"
        code, label = c.get(item, "code", p, "text"), c.get(item, "label", p, "text")
        aliases = c.get(item, "aliases", p, "list", [])
        out.append(Coded(code, label, tuple(str(a) for a in aliases or ())))
    c.unique([o.code for o in out], path, "code")
    names = [[o.code, o.label, *o.aliases] for o in out]
    seen: dict[str, str] = {}
    for i, group in enumerate(names):
        for name in dict.fromkeys(n.casefold() for n in group if n):
            if name in seen:
                c.report("model-duplicate", entry=f"{path}[{i}].aliases", value=name, other=seen[name])
            seen[name] = f"{path}[{i}]"
    return tuple(out)


def _classification(c: Checker, t: dict) -> Classification:
    items = c.get(t, "scales", "classification", "list") or []
    scales = _coded(c, items, "classification.scales")
    edges = [c.get(item, "from", f"classification.scales[{i}]", "number") for i, item in enumerate(items)]
    c.ascending(edges, "classification.scales")
    return Classification(
        markets=_coded(c, c.get(t, "markets", "classification", "list"), "classification.markets"),
        formats=_coded(c, c.get(t, "formats", "classification", "list"), "classification.formats"),
        scales=scales,
        scale_bands=Bands(np.array([e if e is not None else np.nan for e in edges], float),
                          tuple(s.code for s in scales)),
        scale_measure=c.get(t, "scale_measure", "classification", "text"),
    )


def _value(c: Checker, t: dict) -> ValueModel:
    split = t.get("split", 50)
    if split != "mean" and c.in_range(t, "split", "value", 0, 100, 50) is None:
        split = None
    parts = {}
    for part in ("current", "potential"):
        weights = c.get(t, part, "value", "table") or {}
        for key in weights:
            c.positive(weights, key, f"value.{part}")
        parts[part] = {k: float(v) for k, v in weights.items() if isinstance(v, (int, float))}
    segments: dict[tuple[str, str], str] = {}
    for i, item in enumerate(c.get(t, "segments", "value", "list") or []):
        p = f"value.segments[{i}]"
        cur, pot = c.get(item, "current", p, "text"), c.get(item, "potential", p, "text")
        label = c.get(item, "label", p, "text")
        for key, v in (("current", cur), ("potential", pot)):
            if v is not None:
                c.defined(v, f"{p}.{key}", ["high", "low"], "high/low")
        segments[(cur, pot)] = label
    c.unique(list(segments.values()), "value.segments")
    for combo in (("high", "high"), ("high", "low"), ("low", "high"), ("low", "low")):
        if combo not in segments:
            c.report("model-missing-entry", entry=f"value.segments (current={combo[0]}, potential={combo[1]})")
    return ValueModel(split, parts["current"], parts["potential"], segments)


def _rfm(c: Checker, t: dict) -> RfmModel:
    dims = {}
    for name in ("recency", "frequency", "monetary"):
        d = c.get(t, name, "rfm", "table") or {}
        if "bands" in d:
            bands = _bands(c, d["bands"], f"rfm.{name}.bands", "score", "score")
            if bands is not None and not set(bands.labels) <= set(RFM_SCORES):
                c.report("model-out-of-range", entry=f"rfm.{name}.bands", value=list(bands.labels), low=1, high=5)
            dims[name] = RfmDimension("bands", bands)
        else:
            method = c.get(d, "method", f"rfm.{name}", "text")
            if method is not None:
                c.defined(method, f"rfm.{name}.method", ["quintile"], "rfm methods")
            dims[name] = RfmDimension("quintile", None)
    grid = np.zeros((5, 5), int)
    owner = np.full((5, 5), -1)
    labels = []
    for i, item in enumerate(c.get(t, "segments", "rfm", "list") or []):
        p = f"rfm.segments[{i}]"
        labels.append(c.get(item, "label", p, "text"))
        ranges = [c.get(item, k, p, "list") for k in ("r", "f")]
        for k, rg in zip("rf", ranges):
            if rg is not None and not (len(rg) == 2 and all(v in RFM_SCORES for v in rg) and rg[0] <= rg[1]):
                c.report("model-wrong-type", entry=f"{p}.{k}", value=rg, expected="[low, high] with 1 <= low <= high <= 5")
                ranges = None
                break
        if ranges and None not in ranges:
            (r0, r1), (f0, f1) = [[int(v) for v in rg] for rg in ranges]  # Excel cells hold 5.0
            grid[r0 - 1:r1, f0 - 1:f1] += 1
            owner[r0 - 1:r1, f0 - 1:f1] = i
    c.unique(labels, "rfm.segments")
    if not c.problems:
        for r, f in zip(*np.nonzero(grid != 1)):
            c.report("model-grid-coverage", r=r + 1, f=f + 1, count=int(grid[r, f]))
    return RfmModel(
        window_months=int(c.in_range(t, "window_months", "rfm", 1, 120, 12) or 12),
        money_decimals=int(c.in_range(t, "money_decimals", "rfm", 0, 6, 2) or 2),
        grid=owner, segment_labels=tuple(labels), **dims)


def _tags(c: Checker, items: list, parts: dict) -> tuple[TagRule, ...]:
    partial = ScoringModel("", "", "", parts["credit"], parts["tiers"], "", parts["classification"],
                           parts["value"], parts["rfm"], (), {}, "")
    rules = []
    for i, item in enumerate(items):
        p = f"tags[{i}]"
        label, column = c.get(item, "label", p, "text"), c.get(item, "column", p, "text")
        values = c.get(item, "in", p, "list", None)
        low, high = c.get(item, "min", p, "number", None), c.get(item, "max", p, "number", None)
        if values is None and low is None and high is None:
            c.report("model-missing-entry", entry=f"{p}.in (or min / max)")
        if column is not None:
            allowed = partial.labels_of(column)
            if allowed is not None and values is not None:
                for j, v in enumerate(values):
                    c.defined(v, f"{p}.in[{j}]", list(allowed), column)
            elif allowed is None:
                c.defined(column, f"{p}.column", sorted(known_columns()), "the customer columns")
        rules.append(TagRule(label, column, tuple(values) if values is not None else None, low, high))
    c.unique([r.label for r in rules], "tags")
    return tuple(rules)
