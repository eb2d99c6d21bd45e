"""Merge validated uploads into the master customer data, in one transaction.

Only rows without error findings merge. New customers are inserted; changed fields are updated
and logged (who, when, source file hash, field, old, new). System-generated fields are never
taken from an upload; a field the uploader's role does not own is rejected; a change to a
sensitive field goes to the review queue. Two uploads of one batch that change the same field
differently are a conflict and neither applies. Merging the same file twice changes nothing.
With `all_or_nothing`, one bad row stops the whole batch; either way the result counts exactly
what went in and what did not.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine

from crm_xl.archive import sha256_of
from crm_xl.fields import columns, in_percent_points, roles
from crm_xl.findings import Finding, InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring.classes import canonical_codes, coded_fields
from crm_xl.sheets.validation import KEY, FileReport, validate_files
from crm_xl.store.aliases import resolve as resolve_aliases
from crm_xl.store.db import changes, customer_fields, customers, database_errors, insert_many, reviews
from crm_xl.values import stored_texts


@dataclass
class MergeResult:
    files: int = 0
    rows_in: int = 0  # rows that merged (inserted, updated or already up to date)
    rows_out: int = 0  # rows held back: their file or row has error findings, or all-or-nothing stopped it
    inserted: int = 0
    updated_fields: int = 0
    unchanged_rows: int = 0
    queued_reviews: int = 0
    rejected: list[Finding] = field(default_factory=list)  # field-not-owned: fields the role may not change
    conflicts: list[Finding] = field(default_factory=list)  # merge-conflict
    held_back: list[Finding] = field(default_factory=list)  # file-, row- or batch-held-back, with the cause
    queued: list[Finding] = field(default_factory=list)  # review-queued
    dry_run: bool = False
    reports: list[FileReport] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {k: [f.as_dict() for f in v] if k in FINDING_LISTS else v
                for k, v in self.__dict__.items() if k != "reports"}


FINDING_LISTS = ("rejected", "conflicts", "held_back", "queued")


def merge_files(paths: list[Path], engine: Engine, model: ScoringModel, role: str, user: str, *,
                dry_run: bool = False, all_or_nothing: bool = False,
                now: dt.datetime | None = None) -> MergeResult:
    if role not in roles():
        raise InputError([finding("bad-option", option="--as", value=role, problem="is not a role",
                                  hint=f"Use one of: {', '.join(roles())}.")])
    missing = [finding("file-not-found", file=p) for p in paths if not Path(p).is_file()]
    if missing:  # a mistyped name: the batch is not what was meant, so none of it goes in
        raise InputError(missing)
    now = now or dt.datetime.now(dt.timezone.utc)
    from crm_xl.store.export import known

    reports = validate_files(paths, model, isolate=True, known=known(engine))
    result = MergeResult(files=len(paths), dry_run=dry_run, reports=reports)
    uploads = _rows(reports, result, model)
    if all_or_nothing and result.held_back:
        result.rows_out += sum(len(rows) for _, rows in uploads)
        result.held_back.append(finding("batch-held-back", count=len(result.held_back)))
        return result
    with database_errors(engine.url), engine.connect() as conn:  # e.g. another merge adding the same customers
        tx = conn.begin()
        try:
            before = len(result.held_back)
            uploads = resolve_aliases(conn, uploads, result.held_back)  # old codes of merged duplicates
            result.rows_out += len(result.held_back) - before
            current = _current(conn, uploads)
            conflicted = _conflicts(uploads, current, result)
            batch = _Batch()
            for digest, rows in uploads:
                for code, values in rows:
                    _merge_row(conn, batch, current.get(code), code, values, digest, role, user, now,
                               conflicted, result)
                    result.rows_in += 1
            batch.flush(conn)
            if dry_run:
                tx.rollback()
            else:
                tx.commit()
        except BaseException:
            tx.rollback()  # a failure anywhere leaves the store as it was
            raise
    return result


def _rows(reports: list[FileReport], result: MergeResult,
          model: ScoringModel) -> list[tuple[str, list[tuple[str, dict]]]]:
    """Per file: its hash and the rows without errors, as {field: cell text} of the fields it has;
    coded fields as the model's code, whatever language the cell names it in."""
    coded = coded_fields(model.classification)
    fields = [f for f in customer_fields() if columns()[f].kind != "system"]
    uploads = []
    for report in reports:
        table = report.table
        file_errors = [f for f in report.findings if f.severity == "error" and f.row is None]
        if table is None or file_errors:  # e.g. a template this master data did not issue: nothing goes in
            cause = (file_errors or report.findings)[0]
            result.rows_out += 0 if table is None else len(table.frame)
            result.held_back.append(finding("file-held-back", file=report.file, reason=cause.message,
                                            reason_fix=cause.fix, cause=cause.code))
            continue
        first_error: dict[int, Finding] = {}
        for f in report.findings:
            if f.severity == "error" and f.row is not None:
                first_error.setdefault(f.row, f)
        present = [f for f in fields if f in table.frame.columns and f != KEY]
        # stored as the canonical text of the value each cell means (crm_xl.values), a column at a time
        texts = [stored_texts(table.frame[f], columns()[f].type, percent_points=in_percent_points(f)) for f in present]
        texts = [canonical_codes(t, coded[f]) if f in coded else t for f, t in zip(present, texts)]  # 편의점 -> B
        codes = stored_texts(table.frame[KEY], "text") if KEY in table.frame.columns else [None] * len(table.frame)
        rows = []
        for position, (code, *values) in enumerate(zip(codes, *texts)):
            cause = first_error.get(table.sheet_row(position))
            if cause is None and code is None:
                cause = table.finding("required-missing", position, KEY)
            if cause is not None:
                result.rows_out += 1
                result.held_back.append(finding("row-held-back", row=cause.row, file=report.file, sheet=table.sheet,
                                                cell=cause.cell, column=cause.column, reason=cause.message,
                                                reason_fix=cause.fix, cause=cause.code))
                continue
            rows.append((code, dict(zip(present, values))))
        uploads.append((sha256_of(report.file), rows))
    return uploads


def _current(conn, uploads) -> dict[str, dict]:
    """The master rows of every customer in the batch."""
    codes = sorted({code for _, rows in uploads for code, _ in rows})
    current = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for row in conn.execute(select(customers).where(customers.c.customer_code.in_(chunk))).mappings():
            current[row["customer_code"]] = dict(row)
    return current


def _conflicts(uploads, current: dict[str, dict], result: MergeResult) -> set[tuple[str, str]]:
    """Fields that two uploads change (from the master value) to different values."""
    if len(uploads) < 2:  # one file cannot disagree with itself (a customer twice in it is an error)
        return set()
    proposed: dict[tuple[str, str], set] = {}
    for _, rows in uploads:
        for code, values in rows:
            base = current.get(code, {})
            for name, value in values.items():
                if base.get(name) != value:
                    proposed.setdefault((code, name), set()).add(value)
    conflicted = {key for key, values in proposed.items() if len(values) > 1}
    result.conflicts = [finding("merge-conflict", value=c, column=f) for c, f in sorted(conflicted)]
    return conflicted


class _Batch:
    """New customers and change-log lines, written with one executemany each at the end."""

    def __init__(self):
        self.new: dict[str, dict] = {}  # customer_code -> the row to insert
        self.log: list[dict] = []

    def flush(self, conn) -> None:
        by_columns: dict[tuple, list[dict]] = {}  # executemany needs the same keys in every row
        for row in self.new.values():
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for keys, rows in by_columns.items():
            insert_many(conn, customers, keys, rows)
        if self.log:
            insert_many(conn, changes, tuple(self.log[0]), self.log)


def _merge_row(conn, batch, current, code, values, digest, role, user, now, conflicted, result) -> None:
    wanted = {k: v for k, v in values.items() if (code, k) not in conflicted}
    if current is None:
        direct = {k: v for k, v in wanted.items() if not columns()[k].sensitive}
        row = batch.new.get(code)
        if row is None:
            batch.new[code] = row = {"customer_code": code, "updated_at": now, "updated_by": user}
            result.inserted += 1
        added = {k: v for k, v in direct.items() if v is not None and row.get(k) is None}  # a 2nd upload adds, never overwrites
        row.update(added)
        batch.log += [_log_row(now, user, role, digest, code, name, None, value) for name, value in added.items()]
        for name, value in wanted.items():
            if columns()[name].sensitive and value is not None:
                _queue(conn, result, now, user, digest, code, name, None, value)
        return
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    allowed = roles()[role]
    direct, queued, rejected = {}, result.queued_reviews, len(result.rejected)
    for name, value in changed.items():
        spec = columns()[name]
        if spec.kind not in allowed:
            owners = ", ".join(r for r, kinds in roles().items() if spec.kind in kinds) or "none"
            result.rejected.append(finding("field-not-owned", value=code, column=name, kind=spec.kind, role=role,
                                           owners=owners))
        elif spec.sensitive:
            _queue(conn, result, now, user, digest, code, name, current[name], value)
        else:
            direct[name] = value
    if not direct and result.queued_reviews == queued and len(result.rejected) == rejected:
        result.unchanged_rows += 1  # nothing new: equal values, or a change already waiting for review
    if direct:
        conn.execute(update(customers).where(customers.c.customer_code == code)
                     .values(updated_at=now, updated_by=user, **direct))
        batch.log += [_log_row(now, user, role, digest, code, name, current[name], value)
                      for name, value in direct.items()]
        result.updated_fields += len(direct)


def _log_row(now, user, role, digest, code, name, old, new) -> dict:
    return dict(changed_at=now, changed_by=user, role=role, source_sha256=digest, customer_code=code,
                field=name, old_value=old, new_value=new)


def _log(conn, now, user, role, digest, code, name, old, new) -> None:
    conn.execute(insert(changes).values(**_log_row(now, user, role, digest, code, name, old, new)))


def _queue(conn, result: MergeResult, now, user, digest, code, name, old, new) -> None:
    """Queue a sensitive change once: the same pending change is not queued again."""
    same = conn.execute(select(reviews.c.id).where(and_(
        reviews.c.customer_code == code, reviews.c.field == name, reviews.c.new_value == new,
        reviews.c.status == "pending"))).first()
    if same:
        return
    conn.execute(insert(reviews).values(requested_at=now, requested_by=user, source_sha256=digest,
                                        customer_code=code, field=name, old_value=old, new_value=new,
                                        status="pending"))
    result.queued_reviews += 1
    result.queued.append(finding("review-queued", value=code, column=name))


def decide(engine: Engine, ids: list[int], approve: bool, user: str, now: dt.datetime | None = None) -> int:
    """Approve (apply and log) or reject pending reviews; returns how many were decided."""
    now = now or dt.datetime.now(dt.timezone.utc)
    decided = 0
    with database_errors(engine.url), engine.begin() as conn:
        pending = {r[0] for r in conn.execute(select(reviews.c.id).where(reviews.c.id.in_(ids),
                                                                          reviews.c.status == "pending"))}
        unknown = [i for i in dict.fromkeys(ids) if i not in pending]
        if unknown:  # a typo in one id decides nothing: the reviewer meant the list as given
            raise InputError([finding("unknown-review", value=i) for i in unknown])
        for review in conn.execute(select(reviews).where(reviews.c.id.in_(ids), reviews.c.status == "pending")).mappings():
            if approve:
                conn.execute(update(customers).where(customers.c.customer_code == review["customer_code"])
                             .values(updated_at=now, updated_by=user, **{review["field"]: review["new_value"]}))
                _log(conn, now, user, "reviewer", review["source_sha256"], review["customer_code"], review["field"],
                     review["old_value"], review["new_value"])
            conn.execute(update(reviews).where(reviews.c.id == review["id"]).values(
                status="approved" if approve else "rejected", decided_by=user, decided_at=now))
            decided += 1
    return decided
