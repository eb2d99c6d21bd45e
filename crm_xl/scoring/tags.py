"""Portrait tags: short labels from the model's rules, joined per customer."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crm_xl.model.schema import TagRule
from crm_xl.scoring.inputs import numbers
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.categories import categorical

SEPARATOR = ", "


def rule_mask(frame: pd.DataFrame, rule: TagRule) -> np.ndarray:
    if rule.column not in frame.columns:
        return np.zeros(len(frame), bool)
    if rule.values is not None:
        s = frame[rule.column]
        if isinstance(s, np.ndarray) and len(s) <= 64:  # a few cells: a set beats a Series' set-up
            wanted = set(rule.values)
            return np.array([v in wanted for v in s.tolist()], dtype=bool)
        return pd.Series(s).isin(rule.values).to_numpy(dtype=bool)
    values = numbers(frame, rule.column, Problems(len(frame)))  # input problems are reported elsewhere
    mask = ~np.isnan(values)
    if rule.low is not None:
        mask &= values >= rule.low
    if rule.high is not None:
        mask &= values < rule.high
    return mask


def tags(frame: pd.DataFrame, rules: tuple[TagRule, ...]) -> pd.Categorical:
    """Each row's matching tag labels, in rule order; computed once per distinct combination."""
    bits = np.zeros(len(frame), np.int64)
    for i, rule in enumerate(rules):
        bits |= rule_mask(frame, rule).astype(np.int64) << i
    combos = np.flatnonzero(np.bincount(bits)) if len(rules) <= 20 else np.unique(bits)
    texts = [SEPARATOR.join(r.label for i, r in enumerate(rules) if combo >> i & 1) for combo in combos]
    kept = [(combo, text) for combo, text in zip(combos, texts) if text]
    code_of = np.full(int(combos.max(initial=0)) + 1, -1, dtype=np.int64)
    for position, (combo, _) in enumerate(kept):
        code_of[combo] = position
    return categorical(code_of[bits], [text for _, text in kept])
