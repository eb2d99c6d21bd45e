"""Duplicate pairs into clusters: connected components, with a size cap.

A chain of likely pairs (A~B, B~C, ...) can join many customers through one weak link; a
component bigger than the cap loses its weakest links until every part fits.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Component label of every record (a record without pairs is alone)."""
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def clusters(n: int, i: np.ndarray, j: np.ndarray, score: np.ndarray, max_size: int) -> np.ndarray:
    """Labels per record such that no cluster has more than `max_size` records."""
    keep = np.ones(len(i), dtype=bool)
    for _ in range(64):
        labels = components(n, i[keep], j[keep])
        size = np.bincount(labels)
        big = size[labels[i]] > max_size  # pairs inside an oversized component
        big &= keep
        if not big.any():
            return labels
        # Cut the weakest quarter of the links in each oversized component (at least one).
        comp = labels[i[big]]
        idx = np.flatnonzero(big)
        order = np.lexsort((score[idx], comp))
        idx, comp = idx[order], comp[order]
        starts = np.r_[0, np.flatnonzero(np.diff(comp)) + 1]
        counts = np.diff(np.r_[starts, len(idx)])
        cut = np.maximum(1, counts // 4)
        rank = np.arange(len(idx)) - np.repeat(starts, counts)
        keep[idx[rank < np.repeat(cut, counts)]] = False
    return components(n, i[keep], j[keep])
