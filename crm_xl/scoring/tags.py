"""Portrait tags: short labels from the model's rules, joined per customer."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from crm_xl.model.schema import TagRule
from crm_xl.scoring.inputs import SMALL, Table, number_block
from crm_xl.scoring.categories import categorical

SEPARATOR = ", "


def rule_mask(frame: pd.DataFrame, rule: TagRule) -> np.ndarray:
    return np.asarray(_matches(frame, rule), dtype=bool)


def _matches(frame: pd.DataFrame, rule: TagRule) -> np.ndarray | list[bool]:
    """The rows that meet the rule: a list for a few cells of a value rule (no array to make), else a mask."""
    if rule.column not in frame.columns:
        return np.zeros(len(frame), bool)
    if rule.values is not None:
        s = frame[rule.column]
        if isinstance(s, np.ndarray) and len(s) <= SMALL:  # a few cells: a set beats a Series' set-up
            wanted = rule.wanted
            return [v in wanted for v in s.tolist()]
        if isinstance(frame, Table) and s.dtype == object:  # each distinct value looked up once
            codes, uniques = frame.factorized(rule.column)
            wanted = rule.wanted
            return np.array([u in wanted for u in uniques.tolist()] + [False], dtype=bool)[codes]
        return pd.Series(s).isin(rule.values).to_numpy(dtype=bool)
    values = number_block(frame, [rule.column])[0][:, 0]  # parsed, not reported: input problems are reported elsewhere
    if rule.low is None and rule.high is None:
        return ~np.isnan(values)
    mask = values >= rule.low if rule.low is not None else values < rule.high  # NaN (empty) compares False
    if rule.low is not None and rule.high is not None:
        mask &= values < rule.high
    return mask


def tags(frame: pd.DataFrame, rules: tuple[TagRule, ...]) -> pd.Categorical:
    """Each row's matching tag labels, in rule order; computed once per distinct combination."""
    if not rules:
        return categorical(np.full(len(frame), -1), [])
    bits, combos = _combinations([_matches(frame, rule) for rule in rules])
    texts = _texts(rules)
    kept = [combo for combo in combos if _text(rules, combo, texts)]
    if isinstance(bits, list):  # a few rows: a dict beats building a lookup array
        code = {combo: i for i, combo in enumerate(kept)}
        return categorical(np.array([code.get(b, -1) for b in bits], np.int64), [texts[combo] for combo in kept])
    code_of = np.full(max(combos, default=0) + 1, -1, dtype=np.int64)
    code_of[kept] = np.arange(len(kept))
    return categorical(code_of[bits], [texts[combo] for combo in kept])


def _combinations(masks: list[np.ndarray | list[bool]]) -> tuple[np.ndarray | list[int], list[int]]:
    """Each row's matching rules as the bits of one number, and the distinct numbers, ascending.
    A few rows are combined in plain Python (numpy's set-up costs more than the work)."""
    if len(masks[0]) <= SMALL:
        weights = [1 << i for i in range(len(masks))]
        rows = zip(*(m if isinstance(m, list) else m.tolist() for m in masks))
        bits = [sum(w for w, hit in zip(weights, row) if hit) for row in rows]
        return bits, sorted(set(bits))
    bits = _bit_values(len(masks)) @ np.array(masks)  # rules x rows in, one number per row out
    return bits, (np.flatnonzero(np.bincount(bits)) if len(masks) <= 20 else np.unique(bits)).tolist()


@lru_cache(maxsize=32)
def _bit_values(count: int) -> np.ndarray:
    return 1 << np.arange(count, dtype=np.int64)


_TEXTS: dict[int, tuple[tuple[TagRule, ...], dict[int, str]]] = {}


def _texts(rules: tuple[TagRule, ...]) -> dict[int, str]:
    """The joined labels of each combination of these rules met so far: depends on the model only.
    Keyed by the rule tuple's identity (hashing every rule would cost more than the join saves);
    the entry holds the tuple, so its id cannot be reused while cached."""
    hit = _TEXTS.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    if len(_TEXTS) > 64:
        _TEXTS.clear()
    _TEXTS[id(rules)] = (rules, {})
    return _TEXTS[id(rules)][1]


def _text(rules: tuple[TagRule, ...], combo: int, texts: dict[int, str]) -> str:
    """The labels of the rules whose bits are set in `combo`, joined (kept in `texts`)."""
    if combo not in texts:
        texts[combo] = SEPARATOR.join(r.label for i, r in enumerate(rules) if combo >> i & 1)
    return texts[combo]
