"""The master customer data: a real database (SQLite file by default, any SQLAlchemy URL).

Every field is stored as the canonical text of its value (crm_xl.values.stored_texts), so a value compares
the same in SQLite and PostgreSQL and an unchanged upload changes nothing. Every change is
logged; changes to sensitive fields wait in the review queue.
"""
from __future__ import annotations

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
)
from sqlalchemy.engine import Engine

from crm_xl.fields import columns

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


def connect(url: str | None = None) -> Engine:
    """An engine with the tables created; SQLite waits for a lock instead of failing at once."""
    url = url or DEFAULT_URL
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    meta.create_all(engine)
    return engine
