"""The credit check of each order: approve, hold or reject, with the reason, by the model's rules.

An order is approved when the customer's balance after it (outstanding + the order) is at most
the credit limit, or above it by no more than the grade's tolerance; held when it goes further
over or when a payment is overdue more than `hold_overdue_days`; rejected when overdue more than
`reject_overdue_days` or when the grade is cash only. Money is compared in whole cents (integers),
so an order exactly at the limit is approved however the amounts were summed.

`decide` checks rows that each carry their own outstanding balance (what a formula sees);
`accumulate` works out, for a day's orders, the balance each order sees: the opening balance plus
the customer's earlier approved orders (a held or rejected order does not use the limit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_xl.model.schema import CreditModel

APPROVE, HOLD, REJECT = "approve", "hold", "reject"
DECISIONS = (APPROVE, HOLD, REJECT)  # codes 0, 1, 2: the worse decision has the higher code
SEPARATOR = "; "


@dataclass
class Decisions:
    code: np.ndarray  # 0 approve, 1 hold, 2 reject
    over: np.ndarray  # amount of the balance above the limit (0 when within), in money
    reason: np.ndarray  # text, in the chosen language

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(DECISIONS, dtype=object)[self.code]


def cents(values: np.ndarray, decimals: int) -> np.ndarray:
    """Money as whole units of 10**-decimals (int64); NaN becomes 0 (callers mask it first)."""
    values = np.asarray(values, float)
    scaled = np.round(np.where(np.isnan(values), 0.0, values) * 10**decimals)  # nan_to_num costs 30 µs a call
    return scaled.astype(np.int64)


def allowed_cents(limit: np.ndarray, tolerance: np.ndarray, decimals: int) -> np.ndarray:
    """The most the balance may reach: the limit plus the grade's tolerance, in cents."""
    return cents(np.asarray(limit, float) * (1 + np.asarray(tolerance, float)), decimals)


def decide(amount: np.ndarray, outstanding: np.ndarray, limit: np.ndarray, tolerance: np.ndarray,
           cash_only: np.ndarray, grade: np.ndarray, overdue_days: np.ndarray, credit: CreditModel,
           language: str | None = None) -> Decisions:
    """Decision and reason of each order. NaN limit: no limit in force (held); NaN outstanding or
    overdue days count as 0; `grade` is the grade label (or None) used in the texts."""
    rules, d = credit.check, credit.check.money_decimals
    n = len(amount)
    no_limit = np.isnan(np.asarray(limit, float)) & ~cash_only
    balance = cents(amount, d) + cents(outstanding, d)
    limit_c = cents(limit, d)
    allowed = allowed_cents(limit, tolerance, d)
    over_c = np.where(no_limit | cash_only, 0, np.maximum(balance - limit_c, 0))
    days = np.asarray(overdue_days, float)
    days = np.where(np.isnan(days), 0.0, days)

    code = np.zeros(n, np.int8)
    code[(balance > allowed) & ~no_limit] = 1
    code[no_limit] = 1
    code[days > rules.hold_overdue_days] = 1
    code[(days > rules.reject_overdue_days) | cash_only] = 2

    text = credit.texts_in(language)
    over = over_c / 10**d
    tolerance = np.asarray(tolerance, float)
    reason = np.empty(n, dtype=object)
    reason.fill(text["within_limit"])  # one text shared: np.full makes a copy per row (50 ms a million)
    tolerated = np.flatnonzero((over_c > 0) & (balance <= allowed) & ~cash_only & ~no_limit)
    amounts = money_texts(over_c[tolerated], d)
    for g, t in _pairs(grade[tolerated], tolerance[tolerated]):  # a few grades: each template split once
        rows = (grade[tolerated] == g) & (tolerance[tolerated] == t)
        reason[tolerated[rows]] = _fill(text["within_tolerance"], "over", amounts[rows], grade=g, tolerance=f"{t:.0%}")
    beyond = np.flatnonzero((balance > allowed) & ~cash_only & ~no_limit)
    reason[beyond] = _fill(text["over_limit"], "over", money_texts(over_c[beyond], d))
    reason[no_limit] = text["no_limit"]
    cash = np.flatnonzero(cash_only)
    reason[cash] = _per_distinct(grade[cash], lambda g: text["cash_only"].format(grade=g))

    late = np.flatnonzero(days > rules.hold_overdue_days)
    if len(late):
        overdue = _per_distinct(days[late], lambda v: text["overdue"].format(days=_whole(v)))
        within = (balance[late] <= allowed[late]) & ~no_limit[late] & ~cash_only[late]
        # an order within its limit is held for the overdue payment alone: say only that
        reason[late[within]] = overdue[within]
        also = late[~within]  # texts joined only where needed: each join of an object array costs
        reason[also] = reason[also] + SEPARATOR + overdue[~within]
    return Decisions(code, over, reason)


def decide_row(amount: float, outstanding: float, limit: float, tolerance: float, cash_only: bool, grade: str,
               overdue_days: float, credit: CreditModel, language: str | None = None) -> tuple[int, str]:
    """`decide` of one order given as floats (NaN: empty), rule for rule: a formula checks one order
    per call, and the ~50 array operations of `decide` cost ten times its rules (parity is tested)."""
    rules, d = credit.check, credit.check.money_decimals
    no_limit = limit != limit and not cash_only
    balance = _cents(amount, d) + _cents(outstanding, d)
    allowed = _cents(limit * (1 + tolerance), d)
    over_c = 0 if no_limit or cash_only else max(balance - _cents(limit, d), 0)
    days = 0.0 if overdue_days != overdue_days else overdue_days
    beyond = balance > allowed and not no_limit
    code = 2 if days > rules.reject_overdue_days or cash_only else int(beyond or no_limit or days > rules.hold_overdue_days)
    text = credit.texts_in(language)
    reason = text["within_limit"]
    if cash_only:
        reason = text["cash_only"].format(grade=grade)
    elif no_limit:
        reason = text["no_limit"]
    elif beyond:
        reason = _fill(text["over_limit"], "over", _money_text_of_cents(over_c, d))
    elif over_c > 0:
        reason = _fill(text["within_tolerance"], "over", _money_text_of_cents(over_c, d), grade=grade,
                       tolerance=f"{tolerance:.0%}")
    if days > rules.hold_overdue_days:
        overdue = text["overdue"].format(days=_whole(days))
        reason = overdue if balance <= allowed and not no_limit and not cash_only else reason + SEPARATOR + overdue
    return code, reason


def _cents(value: float, decimals: int) -> int:
    """`cents` of one value."""
    return 0 if value != value else int(round(value * 10**decimals))


def accumulate(customer: np.ndarray, amount_c: np.ndarray, opening_c: np.ndarray, allowed_c: np.ndarray,
               eligible: np.ndarray) -> np.ndarray:
    """Balance each order sees (cents): opening + the customer's earlier approved orders.

    Rows are in processing order; `customer` indexes `opening_c` and `allowed_c`; only `eligible`
    rows (not already held or rejected for another reason) can use the limit. Same result as
    checking one order after another, worked out a whole batch at a time: an order that does not
    fit even on the balance approved so far can never fit later (balances only grow), so it is
    held at once; the rest approve up to their customer's first order that does not fit, and the
    loop goes on from there (a few rounds, however many orders there are).
    """
    order = np.argsort(customer, kind="stable")  # by customer, keeping processing order
    cust, amt = customer[order], amount_c[order]
    approved = np.zeros(len(order), bool)
    base = opening_c.astype(np.int64).copy()
    active = np.flatnonzero(eligible[order])
    while active.size:
        c = cust[active]
        fits_alone = base[c] + amt[active] <= allowed_c[c]
        active = active[fits_alone]
        if not active.size:
            break
        c = cust[active]
        running = _group_cumsum(amt[active], c) + base[c]
        fails = running > allowed_c[c]
        # each customer's rows before its first failing row are approved
        failed_before = _group_cumsum(fails.astype(np.int64), c) - fails > 0
        take = ~fails & ~failed_before
        approved[active[take]] = True
        np.add.at(base, c[take], amt[active[take]])
        active = active[fails | failed_before]
    used = np.where(approved, amt, 0)
    before_sorted = opening_c[cust] + _group_cumsum(used, cust) - used
    before = np.empty_like(before_sorted)
    before[order] = before_sorted
    return before


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running sum within runs of equal `groups` (rows sorted by group)."""
    total = np.cumsum(values)
    if not len(values):
        return total
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    offsets = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, len(values)]))
    return total - offsets


def _fill(template: str, name: str, values: np.ndarray | str, **fixed) -> np.ndarray | str:
    """`template` with its field `name` filled from each value (the other fields fixed): split once,
    joined per row in C."""
    mark = "\x00"
    parts = template.format(**fixed, **{name: mark}).split(mark)
    if isinstance(values, str):  # one row's value
        return parts[0] + values + parts[1] if len(parts) == 2 else template.format(**fixed, **{name: values})
    if len(parts) != 2:  # the field twice (or not at all): format row by row
        return np.array([template.format(**fixed, **{name: v}) for v in values] + [""], dtype=object)[:-1]
    return parts[0] + values + parts[1]


def _per_distinct(values: np.ndarray, render) -> np.ndarray:
    """render(value) for each row, computed once per distinct value (grades, days overdue)."""
    if len(values) <= 64:  # a few rows (a formula's one order): a dict beats factorize's set-up
        rendered: dict = {}
        return np.array([rendered[v] if v in rendered else rendered.setdefault(v, render(v))
                         for v in values.tolist()] + [""], dtype=object)[:-1]
    codes, uniques = pd.factorize(values)  # numbers hashed as numbers (as objects: ten times slower)
    return np.array([render(u) for u in uniques.tolist()] + [""], dtype=object)[codes]


def _pairs(grades: np.ndarray, tolerances: np.ndarray) -> list[tuple]:
    return list(dict.fromkeys(zip(grades.tolist(), tolerances.tolist())))


def money_texts(amount_c: np.ndarray, decimals: int) -> np.ndarray:
    """money_text of many amounts given in cents, as an object array (hundreds of thousands at once)."""
    unit = 10**decimals
    whole, part = np.divmod(np.asarray(amount_c, np.int64), unit)
    out = np.array([f"{w:,}" for w in whole.tolist()] + [""], dtype=object)[:-1]
    fraction = np.flatnonzero(part)
    if len(fraction):
        out[fraction] = out[fraction] + np.array([f".{p:0{decimals}d}" for p in part[fraction].tolist()] + [""],
                                                 dtype=object)[:-1]
    return out


def _money_text_of_cents(amount_c: int, decimals: int) -> str:
    """`money_texts` of one amount."""
    whole, part = divmod(amount_c, 10**decimals)
    return f"{whole:,}" + (f".{part:0{decimals}d}" if part else "")


def money_text(value: float) -> str:
    """12,300 for whole amounts, 12,300.50 otherwise."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _whole(value: float):
    return int(value) if float(value).is_integer() else value


def decide_with_grades(amount: np.ndarray, outstanding: np.ndarray, limit: np.ndarray, position: np.ndarray,
                       overdue_days: np.ndarray, credit: CreditModel, language: str | None = None) -> Decisions:
    """`decide` with each row's grade given as its position in credit.grades (-1: no grade, no tolerance)."""
    known = position >= 0
    tolerance = np.array([g.tolerance for g in credit.grades] + [0.0])[position]
    cash_only = np.array([g.limit_factor == 0 for g in credit.grades] + [False])[position] & known
    label = np.array([g.label for g in credit.grades] + [""], dtype=object)[position]
    return decide(amount, outstanding, limit, tolerance, cash_only, label, overdue_days, credit, language)


def decide_row_with_grade(amount: float, outstanding: float, limit: float, position: int, overdue_days: float,
                          credit: CreditModel, language: str | None = None) -> tuple[int, str]:
    """`decide_with_grades` of one order (`decide_row`)."""
    grade = credit.grades[position] if position >= 0 else None
    if grade is None:
        return decide_row(amount, outstanding, limit, 0.0, False, "", overdue_days, credit, language)
    return decide_row(amount, outstanding, limit, grade.tolerance, grade.limit_factor == 0, grade.label,
                      overdue_days, credit, language)
