"""Fuzzy duplicate customers: blocking, scoring, clustering, as one call over a customer table."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.quality.blocking import candidate_pairs
from crm_xl.quality.clusters import clusters as cluster_labels
from crm_xl.quality.config import load_config
from crm_xl.quality.normalise import matching_frame
from crm_xl.quality.scoring import (
    comparisons,
    estimate_prior,
    learn_u,
    match_weights,
    probability,
    similarities,
)

KEY = "customer_code"
SOURCE = "source"  # where a record came from: file [sheet] row, or the store


@dataclass
class Cluster:
    cluster: int
    customers: list[str]
    positions: list[int]  # rows of the checked table
    score: float  # the weakest link holding the cluster together (match probability)
    band: str  # "auto-merge" or "review"
    reasons: list[str]

    def as_dict(self) -> dict:
        return {"cluster": self.cluster, "customers": self.customers, "score": round(self.score, 4),
                "band": self.band, "reasons": self.reasons}


@dataclass
class DuplicateResult:
    records: pd.DataFrame  # the table checked, one row per record
    clusters: list[Cluster]
    threshold: float
    auto_merge: float
    candidates: int  # pairs compared
    by_rule: dict[str, int] = field(default_factory=dict)
    prior: float = 0.0
    pairs: pd.DataFrame | None = None  # i, j, probability of pairs at or above the threshold

    def as_dict(self) -> dict:
        return {"records": len(self.records), "candidate_pairs": self.candidates, "threshold": self.threshold,
                "auto_merge": self.auto_merge, "clusters": [c.as_dict() for c in self.clusters]}


def find_duplicates(frame: pd.DataFrame, threshold: float | None = None, config: dict | None = None,
                    seed: int = 0) -> DuplicateResult:
    """Clusters of records in `frame` (canonical columns) that are likely one customer."""
    config = config or load_config()
    threshold = float(config["clusters"]["review"] if threshold is None else threshold)
    auto = float(config["clusters"]["auto_merge"])
    frame = frame.reset_index(drop=True)
    n = len(frame)
    forms = matching_frame(frame)
    comps = comparisons(config)
    i, j, by_rule = candidate_pairs(forms, int(config["blocking"]["max_block"]))
    if n < 2 or len(i) == 0:
        return DuplicateResult(frame, [], threshold, auto, len(i), by_rule)
    weights = learn_u(forms, config, comps, np.random.default_rng(seed))
    sims = similarities(forms, i, j)
    bits, lv = match_weights(sims, comps, weights)
    prior = estimate_prior(bits, n)
    prob = probability(bits, prior)
    hit = prob >= threshold
    i, j, prob, bits = i[hit], j[hit], prob[hit], bits[hit]
    lv = {k: v[hit] for k, v in lv.items()}
    sims = {k: v[hit] for k, v in sims.items()}
    labels = cluster_labels(n, i, j, prob, int(config["clusters"]["max_size"]))
    same = labels[i] == labels[j]  # links the size cap cut are not evidence for the cluster
    pairs = pd.DataFrame({"i": i[same], "j": j[same], "probability": prob[same]})
    codes = _labels(frame)
    found = _clusters(labels, pairs, codes, auto, {k: v[same] for k, v in lv.items()},
                      {k: v[same] for k, v in sims.items()}, comps)
    return DuplicateResult(frame, found, threshold, auto, len(hit), by_rule, prior, pairs)


def _labels(frame: pd.DataFrame) -> np.ndarray:
    """The customer code of each record, or where it is when it has none."""
    codes = frame[KEY].astype(object) if KEY in frame.columns else pd.Series([None] * len(frame), dtype=object)
    fallback = frame[SOURCE] if SOURCE in frame.columns else pd.Series([f"row {k + 1}" for k in range(len(frame))])
    return codes.where(codes.notna(), fallback).astype(str).to_numpy(dtype=object)


def _clusters(labels, pairs, codes, auto, lv, sims, comps) -> list[Cluster]:
    if pairs.empty:
        return []
    pairs = pairs.assign(label=labels[pairs["i"].to_numpy()], k=np.arange(len(pairs)))
    weakest = pairs.groupby("label")["probability"].min()
    strongest = pairs.loc[pairs.groupby("label")["probability"].idxmax()].set_index("label")
    best_k = strongest["k"].to_dict()
    inside = np.flatnonzero(np.isin(labels, weakest.index.to_numpy()))
    members: dict[int, list[int]] = {}
    for position, lab in zip(inside.tolist(), labels[inside].tolist()):
        members.setdefault(lab, []).append(position)
    pi, pj = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    low = weakest.to_dict()
    order = sorted(low, key=lambda lab: (-low[lab], codes[members[lab][0]]))
    out = []
    for number, lab in enumerate(order, start=1):
        k = int(best_k[lab])
        reasons = [f"{codes[pi[k]]} ~ {codes[pj[k]]}: "
                   + ", ".join(_describe(c, int(lv[c.name][k]), sims[c.name][k]) for c in comps if lv[c.name][k] >= 0)]
        positions = members[lab]
        score = float(low[lab])
        out.append(Cluster(number, [str(codes[p]) for p in positions], positions, score,
                           "auto-merge" if score >= auto else "review", reasons))
    return out


def _describe(comp, level: int, sim: float) -> str:
    name = comp.levels[level]
    if name in ("exact", "different") or np.isnan(sim):
        return f"{comp.name} {name}"
    return f"{comp.name} {name} ({sim:.2f})"


def read_customers(paths: list[Path]) -> pd.DataFrame:
    """Customer tables from upload files through the guarded reader, one frame, each row's source kept."""
    from crm_xl.sheets.reading import read_untrusted_table

    frames = []
    for path in paths:
        table = read_untrusted_table(path)  # pre-checked, parsed in a child with memory and time limits
        part = table.frame.copy()
        rows = table.header_row + 1 + part.index.to_numpy()
        part[SOURCE] = [f"{path.name} [{table.sheet}] row {r}" for r in rows]
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
