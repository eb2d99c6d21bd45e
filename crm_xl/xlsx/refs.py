"""Spreadsheet cell references: column letters and 0-based indices."""
from __future__ import annotations


def letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_position(ref: str) -> tuple[int, int]:
    """0-based (row, column) of a reference like E8."""
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]) - 1, column_index(letters)


_NOT_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_name(text: str, taken: tuple[str, ...] = ()) -> str:
    """A name Excel accepts for a sheet called `text` elsewhere (an upload may come from a program
    that allows any): no []:*?/\\, no apostrophe at either end, 1-31 characters, not History
    (Excel keeps it), none of `taken` (compared as Excel does, ignoring case)."""
    name = str(text).translate(_NOT_IN_SHEET_NAMES).strip("'")[:31].strip("'") or "Sheet1"
    if name.casefold() == "history":
        name = f"{name}_"
    base, n = name, 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    return name


def sheet_ref(sheet: str, cell: str) -> str:
    """'Sheet name'!A1, apostrophes in the name doubled, as a formula or link needs it."""
    return "'" + sheet.replace("'", "''") + "'!" + cell
