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
