"""How likely two customer records are one customer: Fellegi-Sunter match weights, as splink computes them.

Each comparison (name, phone, licence, address, district, people, issue date) puts a pair on a
level (exact, close, ... different) by a rapidfuzz similarity. A level's weight is log2(m/u):
m, how often true duplicates land there, comes from quality.toml; u, how often unrelated
customers land there by chance, is measured on random pairs of the data being checked, so a
name every third shop has (`행복마트`) counts for little and a rare one for a lot. The prior (how
many pairs are duplicates at all) is estimated from the data by expectation maximisation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

MISSING = -1


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[str, ...]
    at: tuple[float, ...]  # lowest similarity of each level, in order
    m: tuple[float, ...]
    u: tuple[float, ...]  # chance agreement assumed before the data is measured


def comparisons(config: dict) -> list[Comparison]:
    out = []
    for name, spec in config["compare"].items():
        out.append(Comparison(name, tuple(spec["levels"]), tuple(float(a) for a in spec["at"]),
                              tuple(float(m) for m in spec["m"]), tuple(float(u) for u in spec["u"])))
    return out


def _none(values: np.ndarray) -> np.ndarray:
    """Empty entries of a matching-form column: None, or NaN (pandas 3 keeps a string column's
    blanks as NaN; compared as text they made every blank cell count as a difference)."""
    return pd.isna(values)


def _ratio(forms: pd.DataFrame, column: str, i: np.ndarray, j: np.ndarray, scorer=fuzz.ratio) -> np.ndarray:
    """Similarity 0-1 of `column` between records i and j; NaN where either is empty."""
    values = forms[column].to_numpy(dtype=object)
    a, b = values[i], values[j]
    missing = _none(a) | _none(b)
    sim = np.full(len(i), np.nan)
    keep = ~missing
    if keep.any():
        sim[keep] = process.cpdist(a[keep].tolist(), b[keep].tolist(), scorer=scorer, workers=-1) / 100.0
    return sim


def _equal(forms: pd.DataFrame, column: str, i: np.ndarray, j: np.ndarray, tail: int | None = None) -> np.ndarray:
    values = forms[column].to_numpy(dtype=object)
    a, b = values[i], values[j]
    missing = _none(a) | _none(b)
    if tail:
        a = pd.Series(a).str[-tail:].to_numpy(dtype=object)
        b = pd.Series(b).str[-tail:].to_numpy(dtype=object)
    return np.where(missing, np.nan, (a == b).astype(float))


def similarities(forms: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
    """Per comparison, the similarity of every pair (NaN: a side is empty, no evidence)."""
    name = np.fmax(_ratio(forms, "name", i, j), _ratio(forms, "name_sorted", i, j))
    pinyin = _equal(forms, "name_pinyin", i, j) if "name_pinyin" in forms else np.full(len(i), np.nan)
    name = np.where((pinyin == 1) & (name < 0.95), 0.95, name)  # a character typed by sound: close, not exact
    person = np.full(len(i), np.nan)  # legal representative or contact person, whichever way round
    for a in ("legal_rep", "contact_person"):
        for b in ("legal_rep", "contact_person"):
            person = np.fmax(person, _cross(forms[[a, b]].to_numpy(dtype=object), i, j))
    return {
        "store_name": name,
        "phone": _equal(forms, "phone", i, j, tail=8),
        "licence_no": _ratio(forms, "licence_no", i, j),
        "address": _address(forms, i, j),
        "district": _equal(forms, "district", i, j),
        "person": person,
        "issue_date": _equal(forms, "issue_date", i, j),
    }


def _address(forms: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Address words in any order; but two different building numbers on one street are two places,
    however alike the rest reads, so such a pair counts as different."""
    sim = _ratio(forms, "address", i, j, scorer=fuzz.token_set_ratio)
    numbers = forms["address_numbers"].to_numpy(dtype=object)
    a, b = numbers[i], numbers[j]
    both = ~(_none(a) | _none(b))
    clash = np.zeros(len(i), dtype=bool)
    clash[both] = [not (x & y) for x, y in zip(a[both].tolist(), b[both].tolist())]
    return np.where(clash, np.fmin(sim, 0.5), sim)


def _cross(values: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Similarity of column 0 of record i with column 1 of record j."""
    a, b = values[i, 0], values[j, 1]
    sim = np.full(len(i), np.nan)
    keep = ~(_none(a) | _none(b))
    if keep.any():
        sim[keep] = process.cpdist(a[keep].tolist(), b[keep].tolist(), scorer=fuzz.ratio, workers=-1) / 100.0
    return sim


def levels(comparison: Comparison, sim: np.ndarray) -> np.ndarray:
    """The level index of each similarity (MISSING where NaN)."""
    out = np.full(len(sim), MISSING, dtype=np.int8)
    present = ~np.isnan(sim)
    for k in range(len(comparison.at) - 1, -1, -1):  # from the lowest level up: the highest that fits wins
        out[present & (sim >= comparison.at[k])] = k
    return out


@dataclass
class Weights:
    """log2(m/u) per comparison and level, and the prior of a random pair being a duplicate."""

    table: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float = 0.0


def learn_u(forms: pd.DataFrame, config: dict, comps: list[Comparison], rng: np.random.Generator) -> Weights:
    """u of every level from random pairs of this data (how often strangers agree by chance)."""
    n = len(forms)
    sample = int(min(config["blocking"]["u_sample_pairs"], max(n * (n - 1) // 2, 1)))
    i = rng.integers(0, n, sample)
    j = rng.integers(0, n, sample)
    keep = i != j
    sims = similarities(forms, i[keep], j[keep])
    table, us = {}, {}
    for c in comps:
        lv = levels(c, sims[c.name])
        counts = np.bincount(lv[lv >= 0], minlength=len(c.levels)).astype(float)
        # The configured u counts as `u_prior_pairs` pairs already seen: a few dozen customers cannot
        # show that two shops rarely share a phone; never zero either way.
        prior = float(config["blocking"]["u_prior_pairs"]) * np.asarray(c.u)
        u = (counts + prior + 0.5) / (counts.sum() + prior.sum() + 0.5 * len(c.levels))
        us[c.name] = u
        table[c.name] = np.log2(np.asarray(c.m) / u)
    return Weights(table, us)


def match_weights(sims: dict[str, np.ndarray], comps: list[Comparison], weights: Weights) -> tuple[np.ndarray, dict]:
    """Sum of level weights per pair (bits of evidence) and the level of each comparison."""
    total = np.zeros(len(next(iter(sims.values()))) if sims else 0)
    lv_all = {}
    for c in comps:
        lv = levels(c, sims[c.name])
        w = np.append(weights.table[c.name], 0.0)  # MISSING (-1) indexes the appended 0: no evidence
        total += w[lv]
        lv_all[c.name] = lv
    return total, lv_all


def estimate_prior(bits: np.ndarray, n: int, rounds: int = 50) -> float:
    """The share of all record pairs that are duplicates, by EM over the candidate pairs (pairs not
    blocked together count as non-matches)."""
    pairs_total = max(n * (n - 1) / 2, 1.0)
    factor = np.exp2(np.clip(bits, -60, 60))
    lam = min(max(len(bits) / pairs_total * 0.1, 1e-12), 0.5)
    for _ in range(rounds):
        post = lam * factor / (lam * factor + (1 - lam))
        new = min(max(post.sum() / pairs_total, 1e-12), 0.5)
        if abs(new - lam) < lam * 1e-4:
            lam = new
            break
        lam = new
    return lam


def probability(bits: np.ndarray, prior: float) -> np.ndarray:
    odds = prior / (1 - prior) * np.exp2(np.clip(bits, -60, 60))
    return odds / (1 + odds)
