"""Per-row problems found while scoring: collected as arrays, rendered only where they occur."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_xl.findings import CATALOGUE

PROBLEM_COLUMNS = ["row", "column", "code", "severity", "value", "message", "fix"]


@dataclass
class RowProblems:
    """One check's failures: a catalogue code, the input column, the failing rows and values."""

    code: str
    column: str
    rows: np.ndarray
    values: np.ndarray | None  # None: the same message for every row
    fields: dict = field(default_factory=dict)

    def messages(self) -> list[str]:
        entry = CATALOGUE[self.code]
        if self.per_row():
            return [entry.message(column=self.column, **self.fields_at(i)) for i in range(len(self.rows))]
        if self.values is None:
            return [entry.message(column=self.column, **self.fields)] * len(self.rows)
        return [entry.message(column=self.column, value=display_value(v), **self.fields) for v in self.values]

    def per_row(self) -> bool:
        """Whether a field differs from row to row (an array of one value per failing row)."""
        return any(isinstance(v, np.ndarray) for v in self.fields.values())

    def fields_at(self, i: int) -> dict:
        """The fields of the i-th failing row, its value included."""
        out = {k: display_value(v[i]) if isinstance(v, np.ndarray) else v for k, v in self.fields.items()}
        if self.values is not None:
            out["value"] = display_value(self.values[i])
        return out

    def fixes(self) -> list[str] | str:
        entry = CATALOGUE[self.code]
        if self.per_row():
            return [entry.fix(column=self.column, **self.fields_at(i)) for i in range(len(self.rows))]
        return entry.fix(column=self.column, **self.fields)


class Problems:
    """All per-row problems of one scoring run over `n` rows."""

    def __init__(self, n: int):
        self.n = n
        self.batches: list[RowProblems] = []

    def add(self, code: str, column: str, mask: np.ndarray, values=None, **fields) -> None:
        """Rows of `mask` fail check `code`; `values` (one per row, or None) and `fields` fill its
        message. A field given as an array of one value per row differs from row to row."""
        mask = np.asarray(mask)
        if not np.count_nonzero(mask):  # the usual case: nothing to report, nothing made (any() costs 5x more)
            return
        rows = np.flatnonzero(mask)
        picked = None if values is None else np.asarray(values, dtype=object)[rows]
        fields = {k: np.asarray(v, dtype=object)[rows] if isinstance(v, np.ndarray) else v for k, v in fields.items()}
        self.batches.append(RowProblems(code, column, rows, picked, fields))

    def add_block(self, columns: list[str], checks: list[tuple]) -> None:
        """The problems of several columns checked as one block (rows x columns).

        `checks` are (code, mask, values, fields) with a 2-D mask and values (or None), and fields
        one dict for every column or a list of one dict per column. Listed column by column, each
        column's codes in the order given: the same problems, in the same order, as checking each
        column on its own. Nothing is made when no mask holds a failing cell.
        """
        found = [check for check in checks if np.count_nonzero(check[1])]
        for j, column in enumerate(columns):
            for code, mask, values, fields in found:
                self.add(code, column, mask[:, j], None if values is None else values[:, j],
                         **(fields[j] if isinstance(fields, list) else fields))

    def extend(self, other: "Problems") -> None:
        self.batches.extend(other.batches)

    def __len__(self) -> int:
        return sum(len(b.rows) for b in self.batches)

    def frame(self) -> pd.DataFrame:
        """One line per problem, ordered by row."""
        if not self.batches:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        parts = [pd.DataFrame({
            "row": b.rows, "column": b.column, "code": b.code,
            "severity": CATALOGUE[b.code].severity,
            "value": b.values if b.values is not None else None,
            "message": b.messages(),
            "fix": b.fixes(),
        }) for b in self.batches]
        merged = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
        # A cell read by two scores (an amount used by limit and scale) is reported once.
        return merged.drop_duplicates(["row", "column", "code"], ignore_index=True)

    def per_row(self) -> np.ndarray:
        """The `scoring_issues` text of every row: its messages joined by "; ", None where clean.

        Messages in the order the checks ran; a cell read by two scores is reported once (as in
        `frame`). A plain loop: rows with problems are few, and grouping in pandas costs more.
        """
        out: list[str | None] = [None] * self.n
        seen: dict[tuple[str, str], set[int]] = {}
        for batch in self.batches:
            done = seen.setdefault((batch.column, batch.code), set())
            for row, message in zip(batch.rows.tolist(), batch.messages()):
                if row in done:
                    continue
                done.add(row)
                out[row] = message if out[row] is None else f"{out[row]}; {message}"
        return np.array(out, dtype=object)

    def first(self) -> str | None:
        """The first message of row 0 (for the single-value forms)."""
        row0 = [m for b in self.batches for r, m in zip(b.rows, b.messages()) if r == 0]
        return row0[0] if row0 else None


def display_value(value):
    """A value as it should read in a message: 12 rather than 12.0; 1e+308, not its 309 digits."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value) if abs(value) < 1e16 else float(value)  # repr writes 1e+16 from there on
    if isinstance(value, (dt.date, pd.Timestamp, np.datetime64)):  # any year, no nanosecond range limit
        return str(np.datetime64(value, "m")).replace("T", " ").removesuffix(" 00:00")
    if isinstance(value, np.generic):
        return value.item()
    return value
