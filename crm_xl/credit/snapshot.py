"""`crm-xl snapshot`: score the master data as of a month's end and keep it in the store."""
from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from crm_xl import values
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.rfm import Transactions
from crm_xl.store.credit import SnapshotResult, write_snapshot
from crm_xl.store.export import master_frame

def month_end(month: str) -> pd.Timestamp:
    """The first day after the month: what the month is scored as of."""
    start = values.month_start(month)
    if start is None:
        raise InputError([finding("bad-option", option="--month", value=month, problem=values.MONTH_PROBLEM,
                                  hint=values.MONTH_HINT)])
    return start + pd.DateOffset(months=1)


def take_snapshot(engine: Engine, month: str, model: ScoringModel, user: str,
                  transactions: pd.DataFrame | Transactions | None = None,
                  language: str | None = None) -> SnapshotResult:
    """Score every customer of the master data as of the month's end (with the transactions, when
    given, for the system-generated columns) and replace the month's snapshot with the result."""
    as_of = month_end(month)
    frame = master_frame(engine)
    scored = score_customers(frame, model, transactions=transactions, as_of=as_of, issue_texts=False,
                             language=language)
    table = pd.concat([frame[["customer_code"]], scored.computed], axis=1)
    table["credit_grade"] = table["credit_grade"].astype(object)
    return write_snapshot(engine, month, table, model, user)
