"""What a spreadsheet runs as a formula when it opens a typed text (CSV has no cell types)."""
from __future__ import annotations

import re

FORMULA_START = ("=", "@")  # always a formula in a spreadsheet
SIGN_START = ("+", "-")  # a formula unless it reads as a number (+82 10 … is a phone number)
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 ,.\-]*")  # -500, -1,234.5, +82 10-1234-5678: data


def runs_as_formula(text: str) -> bool:
    """Whether a typed text would run as a formula when a spreadsheet opens it (=…, @…, a leading tab or
    line break, +/- not followed by a number)."""
    if text.startswith(FORMULA_START) or text.startswith(("\t", "\r", "\n")):
        return True
    if text.startswith(SIGN_START):
        return not _SIGNED_NUMBER.fullmatch(text)
    return False
