"""Order partitions typed as on one machine (rfm.prepare_transactions): the latest order that counts,
how many were left out, and why, cell by cell for the first few of each partition (a file of
millions of orders is counted, not listed)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl.findings import Finding, finding
from crm_xl.scoring import rfm
from crm_xl.scoring.problems import Problems, display_value
from crm_xl.xlsx.refs import letter

EXAMPLES = 20  # bad cells named per partition


@dataclass
class CheckedOrders:
    latest: np.datetime64 = np.datetime64("NaT", "s")  # the latest order that counts (NaT: none)
    left_out: int = 0  # orders with a bad cell, no customer or a date over a year ahead
    problems: dict[str, int] = field(default_factory=dict)  # problem code -> cells
    examples: list[Finding] = field(default_factory=list)  # the first bad cells, at their file and row

    @classmethod
    def add_up(cls, parts: list[CheckedOrders]) -> CheckedOrders:
        latest = [p.latest for p in parts if not np.isnat(p.latest)]
        problems: Counter = Counter()
        for p in parts:
            problems.update(p.problems)
        return cls(max(latest) if latest else np.datetime64("NaT", "s"), sum(p.left_out for p in parts),
                   dict(problems), [f for p in parts for f in p.examples])

    def summary(self, left_out_of: str, one_file_command: str) -> str | None:
        """One line counting what was left out, by problem; None when nothing was."""
        if not self.problems:
            return None
        found = " · ".join(f"{code} {n:,}" for code, n in self.problems.items())
        return (f"{self.left_out:,} orders left out of the {left_out_of}; cells with problems: {found} "
                f"(the first of each partition are listed; {one_file_command}, given one transactions file, "
                "names each cell)")


def checked_orders(tx, files: list[str]) -> list:
    """A delayed CheckedOrders of each partition of the order frame `tx`, read from `files`."""
    import dask

    one_file_each = tx.npartitions == len(files)  # CSV: always (blocksize=None); Parquet: usually
    return [dask.delayed(check_partition)(part, files[i] if one_file_each else f"{files[0]} … (partition {i + 1})",
                                          files[0].lower().endswith(".csv"))
            for i, part in enumerate(tx.to_delayed())]


def check_partition(part: pd.DataFrame, source: str, header_row: bool) -> CheckedOrders:
    problems = Problems(len(part))
    days = rfm.prepare_transactions(part, problems).date
    latest = days.max() if len(days) else np.datetime64("NaT", "s")
    counts = {b.code: len(b.rows) for b in problems.batches}
    return CheckedOrders(latest, len(part) - len(days), counts, _examples(part, problems, source, header_row))


def _examples(part: pd.DataFrame, problems: Problems, source: str, header_row: bool) -> list[Finding]:
    out: list[Finding] = []
    first = 2 if header_row else 1  # the row a spreadsheet shows the partition's first order on
    columns = list(part.columns)
    for b in problems.batches:
        for i, position in enumerate(b.rows[:EXAMPLES - len(out)].tolist()):
            row = first + position
            value = None if b.values is None else display_value(b.values[i])
            fields = b.fields_at(i) if b.per_row() else b.fields
            cell = f"{letter(columns.index(b.column))}{row}" if header_row and b.column in columns else None
            out.append(finding(b.code, row=row, file=source, sheet=Path(source).stem, cell=cell, column=b.column,
                               value=value, **fields))
        if len(out) >= EXAMPLES:
            break
    return out
