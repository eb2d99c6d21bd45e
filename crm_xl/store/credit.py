"""Credit history in the master data: collection data, monthly snapshots, limits in force, reviews.

- `receivables`: each customer's outstanding balance and days overdue as of a date (the
  collection data the order check starts from and the back-test reads).
- `snapshots`: each customer's grade, limit, tier, class, segment and RFM cell per month;
  taking a month again replaces it (idempotent).
- `credit_limits`: the grade and limit in force, the ones orders are checked against. A snapshot
  puts a new limit in force at once unless it rises by more than the model's share or the
  grade moves by its number of steps: then it waits in `credit_reviews` for a role that may
  approve credit, and the lower of the old and new limit stays in force meanwhile.
Every change of a limit in force is written to the change log (`changes`), as field changes are.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine

from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.store.db import (
    changes,
    credit_holds,
    credit_limits,
    credit_reviews,
    insert_many,
    receivables,
    snapshots,
)

SNAPSHOT_COLUMNS = ("credit_level", "credit_grade", "credit_limit", "customer_tier", "class_code", "value_segment",
                    "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "credit_reasons")
SNAPSHOT_ROLE = "snapshot"  # who the change log names when a snapshot puts a limit in force

def load_receivables(engine: Engine, frame: pd.DataFrame, as_of: str, user: str,
                     now: dt.datetime | None = None) -> int:
    """Store a receivables table (customer_code, outstanding, overdue_days) as of a day; loading
    the same day again replaces it. One transaction."""
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = [{"as_of": as_of, "customer_code": code, "outstanding": _plain(o), "overdue_days": _plain(d),
             "loaded_at": now, "loaded_by": user}
            for code, o, d in zip(frame["customer_code"], frame["outstanding"], frame["overdue_days"])]
    with engine.begin() as conn:
        conn.execute(delete(receivables).where(receivables.c.as_of == as_of))
        if rows:
            conn.execute(insert(receivables), rows)
    return len(rows)


def latest_receivables(engine: Engine, on: str | None = None) -> pd.DataFrame:
    """Each customer's latest outstanding and overdue days as of `on` (YYYY-MM-DD; default: any date)."""
    latest = select(receivables.c.customer_code, func.max(receivables.c.as_of).label("as_of"))
    if on is not None:
        latest = latest.where(receivables.c.as_of <= on)
    latest = latest.group_by(receivables.c.customer_code).subquery()
    query = select(receivables.c.customer_code, receivables.c.outstanding, receivables.c.overdue_days,
                   receivables.c.as_of).join(latest, and_(receivables.c.customer_code == latest.c.customer_code,
                                                          receivables.c.as_of == latest.c.as_of))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=["customer_code", "outstanding", "overdue_days", "as_of"])


def receivables_history(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(receivables.c.as_of, receivables.c.customer_code,
                                                receivables.c.overdue_days)).mappings().all(),
                            columns=["as_of", "customer_code", "overdue_days"])


def limits_in_force(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(credit_limits)).mappings().all(),
                            columns=[c.name for c in credit_limits.columns])


@dataclass
class SnapshotResult:
    month: str
    customers: int = 0
    replaced: int = 0  # rows of an earlier snapshot of the same month
    first_limits: int = 0  # customers whose first limit went in force
    changed_limits: int = 0  # limits in force changed without review
    queued: int = 0  # changes now waiting for review
    unscored: int = 0  # customers without a grade or a limit: the limit in force stays as it was
    reviews: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def write_snapshot(engine: Engine, month: str, scored: pd.DataFrame, model: ScoringModel, user: str,
                   now: dt.datetime | None = None) -> SnapshotResult:
    """Replace the month's snapshot with `scored` (customer_code + SNAPSHOT_COLUMNS) and bring the
    limits in force up to date, queueing the changes that need review. One transaction."""
    now = now or dt.datetime.now(dt.timezone.utc)
    result = SnapshotResult(month, customers=len(scored))
    values = {c: _plain_column(scored[c]) for c in ("customer_code", *SNAPSHOT_COLUMNS)}
    rows = [{"month": month, "taken_at": now, **dict(zip(values, cells))} for cells in zip(*values.values())]
    with engine.begin() as conn:
        result.replaced = conn.execute(delete(snapshots).where(snapshots.c.month == month)).rowcount or 0
        if rows:
            insert_many(conn, snapshots, tuple(rows[0]), rows)
        _update_limits(conn, month, rows, model, user, now, result)
    return result


def _update_limits(conn, month, rows, model, user, now, result: SnapshotResult) -> None:
    """Compare each customer's new grade and limit with the one in force; write every outcome
    with one statement per kind (a hundred thousand customers in seconds, not row by row)."""
    rules = model.credit.review
    rank = {g.label: i for i, g in enumerate(model.credit.grades)}
    current = {r["customer_code"]: dict(r) for r in conn.execute(select(credit_limits)).mappings()}
    pending = {r["customer_code"]: r for r in conn.execute(
        select(credit_reviews).where(credit_reviews.c.status == "pending")).mappings()}
    first, changed, log, queue, superseded = [], [], [], [], []
    for row in rows:
        code, grade, limit = row["customer_code"], row["credit_grade"], row["credit_limit"]
        if grade is None or limit is None:
            result.unscored += 1
            continue
        was = current.get(code)
        in_force = {"customer_code": code, "credit_grade": grade, "credit_limit": limit, "month": month,
                    "since": now, "set_by": user}
        if was is None:
            first.append(in_force)
            log += _log_rows(now, user, SNAPSHOT_ROLE, code, {}, in_force)
            continue
        if was["credit_grade"] == grade and was["credit_limit"] == limit:
            continue
        why = _review_reasons(was["credit_grade"], grade, was["credit_limit"], limit, rank, rules)
        if not why:
            changed.append(in_force)
            log += _log_rows(now, user, SNAPSHOT_ROLE, code, was, in_force)
            continue
        waiting = pending.get(code)
        if waiting and waiting["new_grade"] == grade and waiting["new_limit"] == limit:
            continue  # the same change already waits (a snapshot taken again)
        if waiting:
            superseded.append(waiting["id"])
        queue.append({"month": month, "customer_code": code, "old_grade": was["credit_grade"], "new_grade": grade,
                      "old_limit": was["credit_limit"], "new_limit": limit, "why": "; ".join(why),
                      "credit_reasons": row.get("credit_reasons"), "status": "pending", "requested_at": now})
        if limit < was["credit_limit"]:  # a fall applies at once: never more credit than the score supports
            changed.append(in_force)
            log += _log_rows(now, user, SNAPSHOT_ROLE, code, was, in_force)
    if first:
        insert_many(conn, credit_limits, tuple(first[0]), first)
    if changed:
        conn.execute(update(credit_limits).where(credit_limits.c.customer_code == bindparam("code")).values(
            credit_grade=bindparam("grade"), credit_limit=bindparam("limit"), month=bindparam("month_"),
            since=bindparam("since_"), set_by=bindparam("by")),
            [{"code": c["customer_code"], "grade": c["credit_grade"], "limit": c["credit_limit"],
              "month_": c["month"], "since_": c["since"], "by": c["set_by"]} for c in changed])
    for start in range(0, len(superseded), 500):
        conn.execute(update(credit_reviews).where(credit_reviews.c.id.in_(superseded[start:start + 500]))
                     .values(status="superseded", decided_at=now, decided_by=user))
    if queue:
        insert_many(conn, credit_reviews, tuple(queue[0]), queue)
        queued = conn.execute(select(credit_reviews).where(credit_reviews.c.month == month,
                                                           credit_reviews.c.status == "pending",
                                                           credit_reviews.c.requested_at == now)
                              .order_by(credit_reviews.c.id)).mappings()
        result.reviews = [{k: v for k, v in r.items() if k not in ("requested_at", "decided_by", "decided_role",
                                                                    "decided_at")} for r in queued]
    if log:
        insert_many(conn, changes, tuple(log[0]), log)
    result.first_limits, result.changed_limits = len(first), len(changed) - sum(
        1 for q in queue if q["new_limit"] < q["old_limit"])
    result.queued = len(queue)


def _log_rows(now, user, role, code, was: dict, new: dict) -> list[dict]:
    return [dict(changed_at=now, changed_by=user, role=role, source_sha256=None, customer_code=code, field=name,
                 old_value=_text(was.get(name)), new_value=_text(new[name]))
            for name in ("credit_grade", "credit_limit") if was.get(name) != new[name]]


def _review_reasons(old_grade, new_grade, old_limit, new_limit, rank, rules) -> list[str]:
    why = []
    if new_limit > old_limit * (1 + rules.limit_rise_share):
        rise = "from 0" if old_limit == 0 else f"+{new_limit / old_limit - 1:.0%}"
        why.append(f"limit {old_limit:,.0f} -> {new_limit:,.0f} ({rise}, review above +{rules.limit_rise_share:.0%})")
    steps = rank.get(new_grade, 0) - rank.get(old_grade, 0)
    if abs(steps) >= rules.grade_steps:
        why.append(f"grade {old_grade} -> {new_grade} ({'up' if steps > 0 else 'down'} {abs(steps)} steps)")
    return why


def _set_limit(conn, code, grade, limit, month, user, role, now, was) -> None:
    """One customer's limit in force (a review decided), logged."""
    values = {"credit_grade": grade, "credit_limit": limit, "month": month, "since": now, "set_by": user}
    if was is None:
        conn.execute(insert(credit_limits).values(customer_code=code, **values))
    else:
        conn.execute(update(credit_limits).where(credit_limits.c.customer_code == code).values(**values))
    log = _log_rows(now, user, role, code, was or {}, values)
    if log:
        conn.execute(insert(changes), log)


def pending_credit_reviews(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(credit_reviews).where(credit_reviews.c.status == "pending")
                            .order_by(credit_reviews.c.id))
        return [dict(r) for r in rows.mappings()]


def decide_credit_reviews(engine: Engine, ids: list[int], approve: bool, user: str, role: str,
                          model: ScoringModel, now: dt.datetime | None = None) -> int:
    """Approve (the new grade and limit go in force) or reject (the old ones stay or come back)
    pending reviews, as a role the model allows; every change in force is logged. One transaction."""
    allowed = model.credit.review.approver_roles
    if role not in allowed:
        raise InputError([finding("credit-not-allowed", role=role, action="approve credit reviews",
                                  roles=", ".join(allowed), entry="credit.review.approver_roles")])
    now = now or dt.datetime.now(dt.timezone.utc)
    decided = 0
    with engine.begin() as conn:
        found = {r["id"]: r for r in conn.execute(select(credit_reviews).where(credit_reviews.c.id.in_(ids))).mappings()}
        unknown = [i for i in ids if i not in found or found[i]["status"] != "pending"]
        if unknown:
            raise InputError([finding("review-not-pending", what="review", id=i,
                                      status=found[i]["status"] if i in found else "unknown") for i in unknown])
        for review_id in ids:
            review = found[review_id]
            was = conn.execute(select(credit_limits).where(
                credit_limits.c.customer_code == review["customer_code"])).mappings().first()
            grade, limit = ((review["new_grade"], review["new_limit"]) if approve
                            else (review["old_grade"], review["old_limit"]))
            _set_limit(conn, review["customer_code"], grade, limit, review["month"], user, role, now,
                       dict(was) if was else None)
            conn.execute(update(credit_reviews).where(credit_reviews.c.id == review_id).values(
                status="approved" if approve else "rejected", decided_by=user, decided_role=role, decided_at=now))
            decided += 1
    return decided


def record_holds(engine: Engine, digest: str, held: pd.DataFrame, user: str, now: dt.datetime | None = None) -> int:
    """Keep a checked file's held orders (order_ref, customer_code, amount, reason) until someone
    releases them; checking the same file again replaces its holds not yet released (a released
    order stays released)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with engine.connect() as conn:
        released = {r[0] for r in conn.execute(select(credit_holds.c.order_ref).where(
            credit_holds.c.source_sha256 == digest, credit_holds.c.status == "released"))}
    held = held[~held["order_ref"].astype(str).isin(released).to_numpy()]
    rows = [{"checked_at": now, "checked_by": user, "source_sha256": digest, "order_ref": str(ref),
             "customer_code": code, "amount": _plain(amount), "reason": reason, "status": "held"}
            for ref, code, amount, reason in zip(held["order_ref"], held["customer_code"], held["amount"],
                                                  held["reason"])]
    with engine.begin() as conn:
        conn.execute(delete(credit_holds).where(credit_holds.c.source_sha256 == digest,
                                                credit_holds.c.status == "held"))
        if rows:
            conn.execute(insert(credit_holds), rows)
    return len(rows)


def held_orders(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(credit_holds).where(credit_holds.c.status == "held").order_by(credit_holds.c.id))
        return [dict(r) for r in rows.mappings()]


def release_holds(engine: Engine, ids: list[int], user: str, role: str, model: ScoringModel,
                  now: dt.datetime | None = None) -> int:
    """Release held orders, as a role the model allows (credit.check.release_roles); each release
    is written to the change log. One transaction: an unknown or already released id stops all."""
    allowed = model.credit.check.release_roles
    if role not in allowed:
        raise InputError([finding("credit-not-allowed", role=role, action="release held orders",
                                  roles=", ".join(allowed), entry="credit.check.release_roles")])
    now = now or dt.datetime.now(dt.timezone.utc)
    with engine.begin() as conn:
        found = {r["id"]: r for r in conn.execute(select(credit_holds).where(credit_holds.c.id.in_(ids))).mappings()}
        wrong = [i for i in ids if i not in found or found[i]["status"] != "held"]
        if wrong:
            raise InputError([finding("review-not-pending", what="held order", id=i,
                                      status=found[i]["status"] if i in found else "unknown") for i in wrong])
        for hold_id in ids:
            hold = found[hold_id]
            conn.execute(update(credit_holds).where(credit_holds.c.id == hold_id).values(
                status="released", decided_by=user, decided_role=role, decided_at=now))
            conn.execute(insert(changes).values(
                changed_at=now, changed_by=user, role=role, source_sha256=hold["source_sha256"],
                customer_code=hold["customer_code"], field="order_hold",
                old_value=f"{hold['order_ref']} held: {hold['reason']}", new_value=f"{hold['order_ref']} released"))
    return len(ids)


def snapshot_frame(engine: Engine, months: list[str] | None = None) -> pd.DataFrame:
    """Snapshots (of the given months, or all) as one table."""
    query = select(snapshots)
    if months is not None:
        query = query.where(snapshots.c.month.in_(months))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in snapshots.columns])


def _plain_column(column: pd.Series) -> list:
    """A column's values as database-ready Python values (NaN / NA / NaT as None), a column at a time."""
    values = column.to_numpy(dtype=object, na_value=None) if hasattr(column, "to_numpy") else list(column)
    out = pd.Series(values, dtype=object)
    return out.where(out.notna(), None).tolist()


def _plain(value):
    """A database-ready value: numpy scalars as Python ones, NaN / NA / NaT as NULL."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _text(value) -> str | None:
    """A value as the change log stores it (cell text): 12000.0 -> "12000"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
