"""Candidate pairs: only records that share a key are compared, never all n² pairs.

Keys: licence number, phone, each name word with the district or postcode, the first letters of
the name with the district, and address word pairs (street name and number). A key held by more
than `max_block` records is too common to tell anything and makes no pairs.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd


def blocking_keys(forms: pd.DataFrame) -> dict[str, pd.Series]:
    """Per rule, a Series of keys indexed by record position (a record may have several keys)."""
    position = np.arange(len(forms))

    def keyed(values) -> pd.Series:
        # object, not pandas' string dtype (pandas 3 infers it): adding keys skips blanks instead of failing
        return pd.Series(np.asarray(values, dtype=object), index=position, dtype=object)

    district = np.asarray(forms["district"], dtype=object)
    keys: dict[str, pd.Series] = {}
    keys["licence"] = keyed(forms["licence_no"])
    keys["phone"] = keyed(forms["phone"]).str[-8:]
    keys["name"] = keyed(forms["name"])
    words = keyed(forms["name_tokens"]).explode().astype(object)
    words = words[words.str.len() >= 2]
    keys["name word + district"] = words + "|" + district[words.index.to_numpy()]
    keys["name start + district"] = keyed(forms["name"]).str[:4] + "|" + district
    tokens = keyed(forms["address"]).str.split(" ")
    tokens = tokens[tokens.str.len() >= 2]
    pairs = tokens.map(lambda t: [f"{a} {b}" for a, b in pairwise(t)]).explode()
    keys["address words"] = pairs
    return {rule: k.dropna() for rule, k in keys.items()}


def candidate_pairs(forms: pd.DataFrame, max_block: int) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Unique pairs (i < j) of record positions that share a key; pairs per rule, for the report."""
    n = len(forms)
    found, counts = [], {}
    for rule, keys in blocking_keys(forms).items():
        i, j = _pairs_sharing(keys, max_block)
        counts[rule] = len(i)
        found.append(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64), counts
    codes = np.unique(np.concatenate(found))
    return codes // n, codes % n, counts


def _pairs_sharing(keys: pd.Series, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of records with one key, by comparing each sorted row with the next d rows."""
    if keys.empty:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    codes, _ = pd.factorize(keys.to_numpy())
    records = keys.index.to_numpy(dtype=np.int64)
    size = np.bincount(codes)
    keep = (size[codes] >= 2) & (size[codes] <= max_block)
    codes, records = codes[keep], records[keep]
    order = np.argsort(codes, kind="stable")
    codes, records = codes[order], records[order]
    left, right = [], []
    for d in range(1, min(max_block, len(codes))):
        same = codes[d:] == codes[:-d]
        if not same.any():
            break
        left.append(records[:-d][same])
        right.append(records[d:][same])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = np.concatenate(left), np.concatenate(right)
    differ = i != j  # one record may hold a key twice (two words alike)
    return i[differ], j[differ]
