"""Apply a reviewed duplicates workbook to the master data, in one transaction.

For each cluster marked merge: the survivor's fields take the chosen values, the other included
records are removed, their codes become aliases of the survivor (aliases that pointed at them
follow), and every change goes into the change log with the workbook's hash. A cluster is not
applied when its records changed in the master data since the review was written, when a record
is gone, or when the workbook holds a choice that is not one of the cluster's values.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from crm_xl.archive import sha256_of
from crm_xl.findings import Finding, finding
from crm_xl.quality.review import MERGE, Decision, read_review
from crm_xl.store.db import aliases, changes, customers, reviews

ROLE = "steward"


@dataclass
class ApplyResult:
    merged_clusters: int = 0
    absorbed: int = 0  # customers merged into a survivor
    updated_fields: int = 0
    kept_apart: int = 0
    undecided: int = 0
    dry_run: bool = False
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "findings"}
        out["findings"] = [f.as_dict() for f in self.findings]
        return out


def apply_review(path: Path, engine: Engine, user: str, *, dry_run: bool = False,
                 now: dt.datetime | None = None) -> ApplyResult:
    now = now or dt.datetime.now(dt.UTC)
    decisions = read_review(path)
    digest = sha256_of(path)
    result = ApplyResult(dry_run=dry_run)
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            for d in decisions:
                _apply_one(conn, d, path, digest, user, now, result)
            if dry_run:
                tx.rollback()
            else:
                tx.commit()
        except BaseException:
            tx.rollback()  # a failure anywhere leaves the store as it was
            raise
    return result


def _apply_one(conn, d: Decision, path, digest, user, now, result: ApplyResult) -> None:
    if d.decision != MERGE:
        if d.decision == "keep apart":
            result.kept_apart += 1
        else:
            result.undecided += 1
            if not d.problems:
                result.findings.append(finding("review-undecided", file=path, cluster=d.cluster, cell=d.cells["decision"]))
        result.findings += d.problems
        return
    if d.problems:
        result.findings += d.problems
        return
    codes = [r["customer_code"] for r in d.records]
    current = {row["customer_code"]: dict(row) for row in
               conn.execute(select(customers).where(customers.c.customer_code.in_(codes))).mappings()}
    gone = [c for c in codes if c not in current]
    if gone:
        result.findings.append(finding("review-stale", file=path, cluster=d.cluster, cell=d.cells["decision"],
                                       detail=f"{', '.join(gone)} not in the master data"))
        return
    for record in d.records:
        stored = current[record["customer_code"]]
        moved = [f for f, v in record.items() if f in stored and stored[f] != v]
        if moved:
            result.findings.append(finding("review-stale", file=path, cluster=d.cluster, cell=d.cells["decision"],
                                           detail=f"{record['customer_code']} {', '.join(moved)} changed since the review"))
            return
    survivor = d.survivor
    wanted = {f: v for f, v in d.values.items() if current[survivor].get(f) != v}
    if wanted:
        conn.execute(update(customers).where(customers.c.customer_code == survivor)
                     .values(updated_at=now, updated_by=user, **wanted))
    log = [_log(now, user, digest, survivor, f, current[survivor].get(f), v) for f, v in wanted.items()]
    absorbed = [c for c in codes if c != survivor]
    for code in absorbed:
        conn.execute(delete(customers).where(customers.c.customer_code == code))
        conn.execute(update(aliases).where(aliases.c.customer_code == code).values(customer_code=survivor))
        # a change of the absorbed customer still waiting for a reviewer now concerns the survivor
        conn.execute(update(reviews).where(reviews.c.customer_code == code, reviews.c.status == "pending")
                     .values(customer_code=survivor))
        conn.execute(delete(aliases).where(aliases.c.alias_code == code))  # a code reused since an older merge
        conn.execute(insert(aliases).values(alias_code=code, customer_code=survivor, created_at=now,
                                            created_by=user, source_sha256=digest))
        log.append(_log(now, user, digest, code, "customer_code", code, survivor))  # merged into the survivor
    if log:
        conn.execute(insert(changes), log)
    result.merged_clusters += 1
    result.absorbed += len(absorbed)
    result.updated_fields += len(wanted)


def _log(now, user, digest, code, name, old, new) -> dict:
    return {"changed_at": now, "changed_by": user, "role": ROLE, "source_sha256": digest, "customer_code": code,
            "field": name, "old_value": old, "new_value": new}
