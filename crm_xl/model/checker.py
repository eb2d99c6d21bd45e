"""Reads typed entries out of the raw model, collecting one finding per problem."""
from __future__ import annotations

import math
from typing import Any

from crm_xl.findings import Finding, finding

_MISSING = object()


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Checker:
    def __init__(self) -> None:
        self.problems: list[Finding] = []

    def report(self, code: str, **fields: Any) -> None:
        self.problems.append(finding(code, **fields))

    def get(self, table: Any, key: str, path: str, expected: str, default: Any = _MISSING) -> Any:
        """table[key] if it is of the expected kind; reports and returns None otherwise."""
        entry = join(path, key)
        value = table.get(key, _MISSING) if isinstance(table, dict) else _MISSING
        if value is _MISSING:
            if default is not _MISSING:
                return default
            self.report("model-missing-entry", entry=entry)
            return None
        if not _is_kind(value, expected):
            self.report("model-wrong-type", entry=entry, value=value, expected=_KIND_NAMES[expected])
            return None
        return value

    def positive(self, table: dict, key: str, path: str, default: Any = _MISSING) -> float | None:
        value = self.get(table, key, path, "number", default)
        if value is not None and value <= 0:
            self.report("model-not-positive", entry=join(path, key), value=value)
            return None
        return value

    def in_range(self, table: dict, key: str, path: str, low: float, high: float,
                 default: Any = _MISSING) -> float | None:
        value = self.get(table, key, path, "number", default)
        if value is not None and not low <= value <= high:
            self.report("model-out-of-range", entry=join(path, key), value=value, low=low, high=high)
            return None
        return value

    def ascending(self, edges: list[float | None], path: str, key: str = "from") -> None:
        """Each lower edge strictly above the one before (None entries were already reported)."""
        previous = None
        for i, edge in enumerate(edges):
            if edge is None:
                continue
            if previous is not None and not edge > previous:
                self.report("model-band-order", entry=f"{path}[{i}]", value=edge, previous=previous)
            previous = edge

    def unique(self, values: list[Any], path: str, what: str = "label") -> None:
        seen: dict[Any, int] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            key = value.casefold() if isinstance(value, str) else value
            if key in seen:
                self.report("model-duplicate", entry=f"{path}[{i}].{what}", value=value,
                            other=f"{path}[{seen[key]}]")
            else:
                seen[key] = i

    def defined(self, value: Any, entry: str, choices: list[str], where: str) -> bool:
        if value in choices:
            return True
        self.report("model-unknown-reference", entry=entry, value=value, where=where,
                    choices=", ".join(map(str, choices)) or "(none)")
        return False


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_KIND_NAMES = {"number": "a number", "text": "text", "table": "a table of entries",
               "list": "a list", "integer": "a whole number"}


def _is_kind(value: Any, expected: str) -> bool:
    if expected == "number":
        return is_number(value)
    if expected == "integer":
        return is_number(value) and float(value).is_integer()
    if expected == "text":
        return isinstance(value, str) and value.strip() != ""
    if expected == "table":
        return isinstance(value, dict)
    if expected == "list":
        return isinstance(value, list)
    raise ValueError(expected)
