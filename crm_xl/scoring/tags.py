"""Portrait tags: short labels from the model's rules, joined per customer."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from crm_xl.model.schema import TagRule
from crm_xl.scoring.inputs import Table, numbers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.categories import categorical

SEPARATOR = ", "


def rule_mask(frame: pd.DataFrame, rule: TagRule) -> np.ndarray:
    if rule.column not in frame.columns:
        return np.zeros(len(frame), bool)
    if rule.values is not None:
        s = frame[rule.column]
        if isinstance(s, np.ndarray) and len(s) <= 64:  # a few cells: a set beats a Series' set-up
            wanted = _wanted(rule.values)
            return np.array([v in wanted for v in s.tolist()], dtype=bool)
        if isinstance(frame, Table) and s.dtype == object:  # each distinct value looked up once
            codes, uniques = frame.factorized(rule.column)
            wanted = _wanted(rule.values)
            return np.array([u in wanted for u in uniques.tolist()] + [False], dtype=bool)[codes]
        return pd.Series(s).isin(rule.values).to_numpy(dtype=bool)
    values = numbers(frame, rule.column, Problems(len(frame)))  # input problems are reported elsewhere
    mask = ~np.isnan(values)
    if rule.low is not None:
        mask &= values >= rule.low
    if rule.high is not None:
        mask &= values < rule.high
    return mask


@lru_cache(maxsize=256)
def _wanted(values: tuple) -> frozenset:
    return frozenset(values)


def tags(frame: pd.DataFrame, rules: tuple[TagRule, ...]) -> pd.Categorical:
    """Each row's matching tag labels, in rule order; computed once per distinct combination."""
    if not rules:
        return categorical(np.full(len(frame), -1), [])
    matched = np.array([rule_mask(frame, rule) for rule in rules])  # rules x rows
    bits = (1 << np.arange(len(rules), dtype=np.int64)) @ matched  # each row's rules as the bits of one number
    combos = np.flatnonzero(np.bincount(bits)) if len(rules) <= 20 else np.unique(bits)
    texts = [_text(rules, combo) for combo in combos.tolist()]
    kept = [(combo, text) for combo, text in zip(combos.tolist(), texts) if text]
    code_of = np.full(int(combos.max(initial=0)) + 1, -1, dtype=np.int64)
    for position, (combo, _) in enumerate(kept):
        code_of[combo] = position
    return categorical(code_of[bits], [text for _, text in kept])


def _text(rules: tuple[TagRule, ...], combo: int) -> str:
    """The labels of the rules whose bits are set in `combo`, joined."""
    return SEPARATOR.join(r.label for i, r in enumerate(rules) if combo >> i & 1)
