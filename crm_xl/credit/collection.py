"""Collection data (receivables) into the store: each customer's outstanding balance and days overdue."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.findings import InputError, finding
from crm_xl.scoring.inputs import money, numbers
from crm_xl.scoring.problems import Problems
from crm_xl.store.credit import load_receivables
from crm_xl.values import stored_texts

BALANCE_COLUMNS = ("outstanding", "overdue_days")


def load_balances_file(path: Path, engine, as_of: str, user: str, sheet: str | None = None) -> int:
    """Read a receivables table and store it as of `as_of`; any bad cell stops the load (nothing written)."""
    from crm_xl.sheets.reading import read_untrusted_table

    table = read_untrusted_table(path, sheet)
    frame = table.frame.reset_index(drop=True)
    missing = [c for c in BALANCE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError([finding("column-missing", file=path, sheet=table.sheet, affects="the balances",
                                  column=c, aliases="outstanding / 미수금 / 应收余额, overdue_days / 연체일수 / 逾期天数")
                          for c in missing])
    problems = Problems(len(frame))
    values = {"outstanding": money(frame, "outstanding", problems), "overdue_days": numbers(frame, "overdue_days", problems)}
    problems.add("out-of-range", "overdue_days", values["overdue_days"] < 0, values["overdue_days"], low=0, high="∞")
    codes = np.array(stored_texts(frame["customer_code"], "text"), dtype=object)
    problems.add("required-missing", "customer_code", pd.isnull(codes))
    seen = pd.Series(codes).duplicated(keep="first").to_numpy() & ~pd.isnull(codes)
    problems.add("duplicate-key", "customer_code", seen, codes, first="an earlier row")
    found = problems.frame()
    errors = found[found.severity == "error"]
    if len(errors):
        raise InputError([finding("file-unreadable", file=path,
                                  detail=f"[{table.sheet}] {table.cell(int(r), c)}: {m} (fix: {fx}); nothing was loaded")
                          for r, c, m, fx in zip(errors.row, errors.column, errors.message, errors.fix)][:20])
    clean = pd.DataFrame({"customer_code": codes, **values})
    return load_receivables(engine, clean, as_of, user)
