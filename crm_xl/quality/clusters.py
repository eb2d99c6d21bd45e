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
    for _ in range(500):
        labels = components(n, i[keep], j[keep])
        size = np.bincount(labels)
        big = keep & (size[labels[i]] > max_size)  # links inside an oversized component
        if not big.any():
            return labels
        idx = np.flatnonzero(big)
        comp = labels[i[idx]]
        order = np.lexsort((score[idx], comp))
        idx, comp = idx[order], comp[order]
        starts = np.r_[0, np.flatnonzero(np.diff(comp)) + 1]
        counts = np.diff(np.r_[starts, len(idx)])
        rank = np.arange(len(idx)) - np.repeat(starts, counts)
        weakest = score[idx] <= np.repeat(score[idx[starts]], counts)  # the weakest link(s) of each
        # A component far over the cap loses its weakest quarter at once, so big chains end quickly.
        far = np.repeat(size[comp[starts]] > 4 * max_size, counts) & (rank < np.repeat(counts // 4, counts))
        keep[idx[weakest | far]] = False
    return components(n, i[keep], j[keep])
