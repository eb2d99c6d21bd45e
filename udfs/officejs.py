"""The custom functions as Office.js runtimes (xlwings Server, xlwings Lite) should return them.

Same functions as udfs.functions, but a row's error comes back as the bare error (`#VALUE!`,
`#N/A`, `#DIV/0!`), which xlwings turns into a real Excel error value in that cell, so
`ISERROR()` and `IFERROR()` work. Office.js has no place for the reason beside an error value in
a spilled result; the Validate sheet button notes the reason at each input cell. Desktop Excel
cannot return an error inside a spilled array through xlwings, so udfs.functions returns the
error text there (`#VALUE! score_capacity: 12 is outside 1–10`), reason included.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from udfs import functions
from udfs.cells import CellError


def excel_errors(result: Any) -> Any:
    """Every CellError in a result (one value or rows of values) as its bare Excel error."""
    if isinstance(result, CellError):
        return result.kind
    if isinstance(result, list):
        return [[c.kind if isinstance(c, CellError) else c for c in row] if isinstance(row, list) else row
                for row in result]
    return result


def _with_error_values(f: Callable) -> Callable:
    @wraps(f)
    def call(*args):
        return excel_errors(f(*args))
    return call


__all__ = [name.lower() for name in functions.CATALOGUE]
for _name in __all__:
    globals()[_name] = _with_error_values(getattr(functions, _name))
