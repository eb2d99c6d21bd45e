"""`crm-xl snapshot`: score the master data as of a month's end and keep it in the store."""
from __future__ import annotations

import re

import pandas as pd
from sqlalchemy.engine import Engine

from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.store.credit import SnapshotResult, write_snapshot
from crm_xl.store.export import master_frame

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_end(month: str) -> pd.Timestamp:
    """The first day after the month: what the month is scored as of."""
    if not MONTH.match(month or ""):
        raise InputError([finding("file-unreadable", file="--month", detail=f"{month!r} is not a month; use YYYY-MM")])
    return pd.Timestamp(f"{month}-01") + pd.DateOffset(months=1)


def take_snapshot(engine: Engine, month: str, model: ScoringModel, user: str,
                  transactions: pd.DataFrame | None = None, language: str | None = None) -> SnapshotResult:
    """Score every customer of the master data as of the month's end (with the transactions, when
    given, for the system-generated columns) and replace the month's snapshot with the result."""
    as_of = month_end(month)
    frame = master_frame(engine)
    scored = score_customers(frame, model, transactions=transactions, as_of=as_of, issue_texts=False,
                             language=language)
    table = pd.concat([frame[["customer_code"]], scored.computed], axis=1)
    table["credit_grade"] = table["credit_grade"].astype(object)
    return write_snapshot(engine, month, table, model, user)
