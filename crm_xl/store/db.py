"""The master customer data: a real database (SQLite file by default, any SQLAlchemy URL).

Every field is stored as the canonical text of its value (crm_xl.values.stored_texts), so a value compares
the same in SQLite and PostgreSQL and an unchanged upload changes nothing. Every change is
logged; changes to sensitive fields wait in the review queue.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from crm_xl.fields import columns
from crm_xl.findings import CrmError, InputError, finding

DEFAULT_URL = "sqlite:///crm_xl.db"
TRANSACTION_FIELDS = {"date", "quantity", "amount"}
RECEIVABLE_FIELDS = {"outstanding", "overdue_days"}  # collection data has its own table (receivables)
meta = MetaData()


def customer_fields() -> list[str]:
    return [name for name in columns() if name not in TRANSACTION_FIELDS | RECEIVABLE_FIELDS]


customers = Table("customers", meta, Column("customer_code", String(64), primary_key=True),
                  *[Column(name, Text) for name in customer_fields() if name != "customer_code"],
                  Column("updated_at", DateTime(timezone=True)), Column("updated_by", String(128)))

changes = Table("changes", meta, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("changed_at", DateTime(timezone=True), nullable=False),
                Column("changed_by", String(128), nullable=False), Column("role", String(32), nullable=False),
                Column("source_sha256", String(64)), Column("customer_code", String(64), nullable=False, index=True),
                Column("field", String(64), nullable=False), Column("old_value", Text), Column("new_value", Text))

reviews = Table("reviews", meta, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("requested_at", DateTime(timezone=True), nullable=False),
                Column("requested_by", String(128), nullable=False), Column("source_sha256", String(64)),
                Column("customer_code", String(64), nullable=False, index=True),
                Column("field", String(64), nullable=False), Column("old_value", Text), Column("new_value", Text),
                Column("status", String(16), nullable=False, default="pending"),
                Column("decided_by", String(128)), Column("decided_at", DateTime(timezone=True)))


settings = Table("settings", meta, Column("name", String(64), primary_key=True), Column("value", Text, nullable=False))

templates = Table("templates", meta, Column("template_id", String(64), primary_key=True),
                  Column("issued_at", DateTime(timezone=True), nullable=False), Column("manager", String(128)),
                  Column("schema_version", String(16)), Column("model", String(128)))

# Codes absorbed when duplicate customers were merged: an upload that still uses one lands on the survivor.
aliases = Table("aliases", meta, Column("alias_code", String(64), primary_key=True),
                Column("customer_code", String(64), nullable=False, index=True),
                Column("created_at", DateTime(timezone=True), nullable=False),
                Column("created_by", String(128), nullable=False), Column("source_sha256", String(64)))
# Credit history (crm_xl.store.credit): collection data, monthly snapshots, limits in force, reviews.
receivables = Table("receivables", meta, Column("as_of", String(10), primary_key=True),
                    Column("customer_code", String(64), primary_key=True), Column("outstanding", Float),
                    Column("overdue_days", Float), Column("loaded_at", DateTime(timezone=True)),
                    Column("loaded_by", String(128)))

snapshots = Table("snapshots", meta, Column("month", String(7), primary_key=True),
                  Column("customer_code", String(64), primary_key=True),
                  Column("credit_level", Float), Column("credit_grade", String(16)), Column("credit_limit", Float),
                  Column("customer_tier", String(16)), Column("class_code", String(8)),
                  Column("value_segment", String(32)), Column("rfm_r", Integer), Column("rfm_f", Integer),
                  Column("rfm_m", Integer), Column("rfm_segment", String(32)), Column("credit_reasons", Text),
                  Column("taken_at", DateTime(timezone=True)))

credit_limits = Table("credit_limits", meta, Column("customer_code", String(64), primary_key=True),
                      Column("credit_grade", String(16)), Column("credit_limit", Float), Column("month", String(7)),
                      Column("since", DateTime(timezone=True)), Column("set_by", String(128)))

credit_reviews = Table("credit_reviews", meta, Column("id", Integer, primary_key=True, autoincrement=True),
                       Column("month", String(7), nullable=False),
                       Column("customer_code", String(64), nullable=False, index=True),
                       Column("old_grade", String(16)), Column("new_grade", String(16)),
                       Column("old_limit", Float), Column("new_limit", Float), Column("why", Text),
                       Column("credit_reasons", Text), Column("status", String(16), nullable=False),
                       Column("requested_at", DateTime(timezone=True), nullable=False),
                       Column("decided_by", String(128)), Column("decided_role", String(32)),
                       Column("decided_at", DateTime(timezone=True)))

credit_holds = Table("credit_holds", meta, Column("id", Integer, primary_key=True, autoincrement=True),
                     Column("checked_at", DateTime(timezone=True), nullable=False),
                     Column("checked_by", String(128)), Column("source_sha256", String(64), index=True),
                     Column("order_ref", String(128)), Column("customer_code", String(64), index=True),
                     Column("amount", Float), Column("reason", Text),
                     Column("status", String(16), nullable=False),  # held, released
                     Column("decided_by", String(128)), Column("decided_role", String(32)),
                     Column("decided_at", DateTime(timezone=True)))


def insert_many(conn, table, keys: tuple, rows: list[dict]) -> None:
    """One executemany, the statement compiled once: SQLAlchemy's per-row parameter handling cost
    2/3 of a 100,000-customer merge. Values still go through each column type's bind processor."""
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(keys))
    dialect = conn.dialect
    processors = {k: p for k in keys
                  if (p := table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) is not None}
    if processors:  # each distinct value processed once (a batch's timestamps are all the same instant)
        processors = {k: _memo(p) for k, p in processors.items()}
        rows = [{**row, **{k: p(row[k]) for k, p in processors.items()}} for row in rows]
    if compiled.positional:
        order = compiled.positiontup
        conn.exec_driver_sql(str(compiled), [tuple(row[k] for k in order) for row in rows])
    else:
        conn.exec_driver_sql(str(compiled), rows)


def _memo(processor):
    seen: dict = {}

    def process(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = out = processor(value)
            return out
        except TypeError:  # unhashable
            return processor(value)
    return process


class StoreError(CrmError):
    """The master data cannot be reached or written; nothing was changed."""


def connect(url: str | None = None, create: bool = True) -> Engine:
    """An engine with the tables created; SQLite waits for a lock instead of failing at once.

    Without `create` (a dry run) nothing is created: a database that does not exist yet, or has no
    tables, is stood in for by an empty one in memory, so the dry run shows what a first merge would do.
    """
    url = url or DEFAULT_URL
    with database_errors(url):
        parsed = make_url(url)
        if create or not _missing(parsed):
            engine = create_engine(url, connect_args={"timeout": 30} if parsed.get_backend_name() == "sqlite" else {})
            if create:
                meta.create_all(engine)
                return engine
            if inspect(engine).has_table("customers"):
                return engine
        engine = create_engine("sqlite://")  # a dry run against nothing yet: an empty stand-in in memory
        meta.create_all(engine)
        return engine


def existing(url: str | None = None) -> Engine:
    """`connect` for a command that reads the master data: a SQLite file that is not there is a
    finding (a typo in --db), not a new, empty master data that the command reports on."""
    with database_errors(url or DEFAULT_URL):
        parsed = make_url(url or DEFAULT_URL)
    if _missing(parsed):
        raise InputError([finding("bad-option", option="--db", value=url or DEFAULT_URL,
                                  problem="names a SQLite file that does not exist",
                                  hint="Check the path; the master data is created by the first crm-xl merge.")])
    return connect(url)


def _missing(url) -> bool:
    """A SQLite file that does not exist (connecting would create it)."""
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and \
        not Path(url.database).exists()


@contextmanager
def database_errors(url) -> Iterator[None]:
    """SQLAlchemy's errors as findings that say what happened and what to do."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "psycopg":  # an extra of ours: the CLI names the pip install
            raise
        raise store_error(exc, url) from None
    except (SQLAlchemyError, ImportError) as exc:
        raise store_error(exc, url) from None


def store_error(exc: Exception, url) -> StoreError:
    if isinstance(exc, ArgumentError):
        return StoreError([finding("bad-option", option="--db", value=str(url), problem="is not a database URL",
                                   hint=f"Write it as a URL, e.g. sqlite:///{url} or postgresql+psycopg://user@host/db "
                                        f"({str(exc).splitlines()[0]}).")])
    if isinstance(exc, IntegrityError):
        return StoreError([finding("database-conflict", url=_shown(url), detail=_first_line(exc))])
    if isinstance(exc, (ImportError, NoSuchModuleError)):  # a URL for a database whose driver is not installed
        return StoreError([finding("database-unavailable", url=_shown(url),
                                   detail=f"needs a driver that is not installed ({exc})")])
    detail = _first_line(exc)
    if "locked" in detail or "could not serialize" in detail or "deadlock" in detail:
        detail = f"is busy: another command is writing to it ({detail}); run the command again"
    else:
        detail = f"cannot be used ({detail})"
    return StoreError([finding("database-unavailable", url=_shown(url), detail=detail)])


def _shown(url) -> str:
    """The URL without its password."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url)


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def fingerprint_key(engine: Engine, create: bool = True) -> bytes | None:
    """The master data's secret for template row fingerprints (HMAC), made on first use; it never
    leaves the database, so an upload cannot carry prints forged for edited locked cells."""
    with database_errors(engine.url), engine.begin() as conn:
        row = conn.execute(select(settings.c.value).where(settings.c.name == "fingerprint_key")).first()
        if row is None and create:
            conn.execute(insert(settings).values(name="fingerprint_key", value=secrets.token_hex(32)))
            row = conn.execute(select(settings.c.value).where(settings.c.name == "fingerprint_key")).first()
    return bytes.fromhex(row[0]) if row else None
