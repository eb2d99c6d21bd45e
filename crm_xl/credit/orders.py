"""`crm-xl credit check`: a day's orders checked against the limits in force, one after another.

Orders are taken in date order (file order within a day, or the file's order when there is no
date). Each sees its customer's opening balance (the latest collection data) plus the customer's
earlier approved orders of the batch; a held or rejected order does not use the limit. The
decision and reason of every row are those `=CREDIT_CHECK` gives for the row's own amount,
balance before it, limit, grade and days overdue: the checked file shows all of them.

Every cell is checked before any order is decided and before anything is written: a row with an
error (a bad or empty amount or date, no customer code, a repeated order number) is not checked
(no decision, no hold, no limit used) and says why; the checked workbook appears only once the
holds are kept in the store.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_xl import values
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.scoring import credit_check
from crm_xl.scoring.credit import positions_of_grades
from crm_xl.scoring.inputs import money
from crm_xl.scoring.problems import Problems
from crm_xl.values import stored_texts
from crm_xl.xlsx.writing import new_workbook, write_csv_to, write_table

NOT_CHECKED = "not checked"  # a row with an error finding: no decision, no hold, it uses no limit
FAR_FUTURE_DAYS = 366  # an order dated more than a year ahead is most likely a typo (a warning)
CHECK_COLUMNS = ("credit_grade", "credit_limit", "outstanding_before", "overdue_days", "balance_after",
                 "decision", "reason", "release_by")


@dataclass
class OrdersChecked:
    table: pd.DataFrame  # the orders, in file order, with CHECK_COLUMNS
    problems: Problems  # bad cells and unknown customers, by order row
    seconds: dict = field(default_factory=dict)
    issues: pd.DataFrame | None = None  # the problems by cell, as the Issues sheet lists them
    amounts: np.ndarray | None = None  # each order's amount by the value contract; NaN where not checked

    def counts(self) -> dict[str, dict]:
        """Orders and amount per decision, and the orders not checked (a cell with an error)."""
        amount = (np.nan_to_num(self.amounts, nan=0.0, posinf=0.0, neginf=0.0) if self.amounts is not None
                  else pd.to_numeric(self.table["amount"], errors="coerce").fillna(0).to_numpy(float))
        decision = self.table["decision"]
        out = {}
        for name in (*credit_check.DECISIONS, NOT_CHECKED):
            chosen = (decision.isna() if name == NOT_CHECKED else decision == name).to_numpy(dtype=bool)
            out[name] = {"orders": int(chosen.sum()), "amount": float(amount[chosen].sum())}
        return out


def check_orders(orders: pd.DataFrame, accounts: pd.DataFrame, model: ScoringModel,
                 language: str | None = None, cells=None, today: dt.date | None = None) -> OrdersChecked:
    """Check every order. `accounts`: customer_code, credit_grade, credit_limit (in force) and,
    from the collection data, outstanding and overdue_days (empty: 0).

    Every cell is checked first. A row with an error (an amount that is empty, not a number, a
    percentage or negative; a date that is empty or no date; no customer code; an order number
    seen before) is not decided: its decision is empty, its reason says `not checked:` and why,
    and it uses no limit. An order for a customer the master data lacks is held (a decision).
    `cells(position, column)` names a cell in messages (default: the row's position)."""
    credit = model.credit
    texts = credit.texts_in(language)
    n = len(orders)
    cells = cells or (lambda position, column: f"order {position + 1}")
    problems = Problems(n)
    amount, shown_amount = _amounts(orders, problems)
    problems.add("out-of-range", "amount", amount < 0, amount, low=0, high="∞")
    # codes repeat (a million orders, a hundred thousand customers): clean and look up each once
    which, distinct = pd.factorize(orders["customer_code"] if "customer_code" in orders else pd.Series([None] * n))
    distinct_texts = np.array(stored_texts(pd.Series(distinct, dtype=object), "text") + [None], dtype=object)
    codes = distinct_texts[which]
    no_code = np.array([t is None for t in distinct_texts])[which]

    accounts = accounts.drop_duplicates("customer_code", keep="last").reset_index(drop=True)
    k = len(accounts)
    customer = np.r_[pd.Index(accounts["customer_code"].astype(str)).get_indexer(distinct_texts[:-1]), -1][which]
    unknown = customer < 0
    problems.add("credit-unknown-customer", "customer_code", unknown & ~no_code, codes)
    problems.add("required-missing", "customer_code", no_code)
    when = _dates(orders, problems, today or dt.date.today())
    _repeated_order_numbers(orders, problems, cells)
    customer = np.where(unknown, k, customer)  # one extra customer without a limit stands for the unknown

    account_problems = Problems(k)  # the store's own values were checked when they went in
    position = np.r_[positions_of_grades(accounts["credit_grade"].tolist(), credit, account_problems, optional=True), -1]
    limit = np.r_[pd.to_numeric(accounts["credit_limit"], errors="coerce").to_numpy(float), np.nan]
    opening = np.r_[pd.to_numeric(accounts.get("outstanding"), errors="coerce").to_numpy(float)
                    if "outstanding" in accounts else np.zeros(k), 0.0]
    overdue = np.r_[pd.to_numeric(accounts.get("overdue_days"), errors="coerce").to_numpy(float)
                    if "overdue_days" in accounts else np.zeros(k), 0.0]
    opening, overdue = np.nan_to_num(opening), np.nan_to_num(overdue)
    tolerance = np.array([g.tolerance for g in credit.grades] + [0.0])[position]
    cash_only = np.array([g.limit_factor == 0 for g in credit.grades] + [False])[position] & (position >= 0)
    label = np.array([g.label for g in credit.grades] + [None], dtype=object)[position]

    found = problems.frame()
    unchecked = np.zeros(n, bool)
    unchecked[found.row[(found.severity == "error") & (found.code != "credit-unknown-customer")].to_numpy(int)] = True
    amount = np.where(unchecked, np.nan, amount)
    bad = unchecked | unknown
    d = credit.check.money_decimals
    eligible = ~bad & ~np.isnan(limit[customer]) & ~cash_only[customer] & (overdue[customer] <= credit.check.hold_overdue_days)
    sequence = _processing_order(when, n)
    before_c = np.empty(n, np.int64)
    before_c[sequence] = credit_check.accumulate(
        customer[sequence], credit_check.cents(amount, d)[sequence], credit_check.cents(opening, d),
        credit_check.allowed_cents(limit, tolerance, d), eligible[sequence])
    before = before_c / 10**d

    decided = credit_check.decide(amount, before, limit[customer], tolerance[customer], cash_only[customer],
                                  label[customer], overdue[customer], credit, language)
    code, reason = decided.code, decided.reason
    first_problem = _first_messages(found, n)
    code[bad], reason[bad] = credit_check.DECISIONS.index(credit_check.HOLD), first_problem[bad]
    code[unchecked] = -1  # no decision
    reason[unchecked] = [f"{NOT_CHECKED}: {m}" for m in first_problem[unchecked].tolist()]
    approved = code == credit_check.DECISIONS.index(credit_check.APPROVE)
    release = texts["release"].format(roles=", ".join(credit.check.release_roles))
    release_by = np.full(n, None, dtype=object)
    release_by[code == credit_check.DECISIONS.index(credit_check.HOLD)] = release
    grades = [g.label for g in credit.grades]
    added = pd.DataFrame({  # texts stay object columns: converting a million strings to Arrow costs a second
        "credit_grade": pd.Categorical.from_codes(np.where(position[customer] < 0, -1, position[customer]), grades),
        "credit_limit": limit[customer],
        "outstanding_before": np.where(unknown | unchecked, np.nan, before),
        "overdue_days": np.where(unknown, np.nan, overdue[customer]),
        "balance_after": np.where(unknown | unchecked, np.nan, before + np.where(approved, np.nan_to_num(amount), 0)),
        "decision": pd.Categorical.from_codes(code, categories=list(credit_check.DECISIONS)),
        "reason": pd.Series(reason, dtype=object),
        "release_by": pd.Series(release_by, dtype=object),
    }, index=orders.index)
    kept = orders.drop(columns=[c for c in CHECK_COLUMNS if c in orders.columns])
    if "amount" in kept.columns:  # the amount as the contract reads it (1,000원 is 1000), a bad one as typed
        kept = kept.assign(amount=shown_amount)
    table = pd.concat([kept, added], axis=1)
    return OrdersChecked(table, problems, amounts=amount)


def _amounts(orders: pd.DataFrame, problems: Problems) -> tuple[np.ndarray, pd.Series]:
    """Each order's amount of money by the value contract (NaN where unusable, every bad cell a
    problem: empty, not a number, a percentage, beyond ±10^15); and the column to write: the
    numbers, with what was typed kept as text where it is no usable number."""
    raw = orders["amount"] if "amount" in orders.columns else pd.Series([None] * len(orders), dtype=object)
    amount = money(orders, "amount", problems, required=True)
    unusable = np.isnan(amount)
    if not unusable.any():
        return amount, pd.Series(amount, index=orders.index, dtype=float)
    typed = raw.to_numpy(dtype=object)
    shown = amount.astype(object)
    shown[unusable] = [v if isinstance(v, (int, float)) and np.isfinite(v) else values.text_of(v)
                       for v in typed[unusable].tolist()]  # a number out of range stays a number
    return amount, pd.Series(shown, index=orders.index, dtype=object)


def _dates(orders: pd.DataFrame, problems: Problems, today: dt.date) -> np.ndarray | None:
    """Order dates (None when the file has no date column): a bad or empty one is an error (the
    order could not be placed among the others), one more than a year ahead a warning."""
    if "date" not in orders.columns:
        return None
    parsed = values.dates(orders["date"])
    typed = orders["date"].to_numpy(dtype=object)
    for rejected in parsed.rejected:
        problems.add(rejected.code, "date", rejected.mask, typed if rejected.show_value else None, **rejected.fields)
    problems.add("required-missing", "date", parsed.empty)
    ahead = ~np.isnat(parsed.values) & (parsed.values > np.datetime64(today + dt.timedelta(days=FAR_FUTURE_DAYS)))
    problems.add("date-far-future", "date", ahead, parsed.values, days=FAR_FUTURE_DAYS)
    return parsed.values


def _repeated_order_numbers(orders: pd.DataFrame, problems: Problems, cells) -> None:
    """An order number seen earlier in the file: an error at the repeat, naming the first."""
    if "order_no" not in orders.columns:
        return
    numbers_ = pd.Series(stored_texts(orders["order_no"], "text"), dtype=object)
    present = numbers_.notna().to_numpy(bool)
    problems.add("missing-value", "order_no", ~present)  # decided all the same, but it cannot be traced
    repeat = numbers_.duplicated(keep="first").to_numpy(bool) & present
    if not repeat.any():
        return
    first_at = np.full(len(numbers_), -1)
    first_at[present] = pd.Series(np.flatnonzero(present)).groupby(numbers_[present].to_numpy()).transform("min")
    first = np.full(len(numbers_), None, dtype=object)
    first[repeat] = [cells(int(p), "order_no") for p in first_at[repeat].tolist()]
    problems.add("duplicate-order", "order_no", repeat, numbers_.to_numpy(object), first=first)


def _processing_order(when: np.ndarray | None, n: int) -> np.ndarray:
    """Row positions in the order they are checked: by date (undated rows last), then file order."""
    rows = np.arange(n)
    if when is None:
        return rows
    key = when.astype("datetime64[s]").astype(np.int64)
    key = np.where(np.isnat(when), np.iinfo(np.int64).max, key)  # NaT sorts last
    return np.lexsort((rows, key))


def _first_messages(found: pd.DataFrame, n: int) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    if len(found):
        first = found[found.severity == "error"].drop_duplicates("row")
        out[first.row.to_numpy(int)] = first.message.to_numpy(object)
    return out


def accounts_from_store(engine, on: str | None = None) -> pd.DataFrame:
    """Limits in force with each customer's latest collection data (as of `on`, YYYY-MM-DD)."""
    from crm_xl.store.credit import latest_receivables, limits_in_force

    limits = limits_in_force(engine)[["customer_code", "credit_grade", "credit_limit"]]
    balances = latest_receivables(engine, on)[["customer_code", "outstanding", "overdue_days"]]
    return limits.merge(balances, on="customer_code", how="outer")


def check_cells_with_codes(engine, amounts: list, outstanding: list, targets: list, grades: list, overdue: list,
                          model: ScoringModel, language: str | None = None):
    """CREDIT_CHECK where some limit cells hold customer codes: each code is replaced by the
    customer's limit and grade in force and, unless given, the latest days overdue; an order for a
    code the master data does not have is held, as `crm-xl credit check` holds it."""
    from crm_xl.findings import CATALOGUE
    from crm_xl.scoring.columns import EXCEL_ERRORS, credit_checks

    accounts = accounts_from_store(engine).drop_duplicates("customer_code").set_index("customer_code")
    limits, grades, overdue = list(targets), list(grades), list(overdue)
    unknown = {}
    for i, value in enumerate(targets):
        code = value.strip() if isinstance(value, str) else None
        if code is None or code in EXCEL_ERRORS:  # a number, or an error reported as itself
            continue
        if code not in accounts.index:
            unknown[i] = CATALOGUE["credit-unknown-customer"].message(column="customer_code", value=code)
            limits[i] = None
            continue
        row = accounts.loc[code]
        limits[i] = None if pd.isna(row.credit_limit) else float(row.credit_limit)
        if pd.isna(grades[i]):  # an empty cell: None, or NaN from a numeric column of cells
            grades[i] = None if pd.isna(row.credit_grade) else row.credit_grade
        if pd.isna(overdue[i]) and not pd.isna(row.overdue_days):
            overdue[i] = float(row.overdue_days)
    checked = credit_checks(amounts, outstanding, limits, grades, overdue, model, language)
    for i, message in unknown.items():
        if checked.values[i] is not None:
            checked.values[i] = [credit_check.HOLD, message]
    return checked


def check_orders_file(source: Path, output: Path, engine, model: ScoringModel, *, language: str | None = None,
                      sheet: str | None = None, on: str | None = None, user: str = "") -> OrdersChecked:
    """Read a day's orders (xlsx or csv), check them against the store, write the checked orders
    and keep the held ones in the store until a role the model allows releases them."""
    from crm_xl.sheets.reading import read_untrusted_table

    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx or .csv")])
    model.credit.texts_in(language)
    clock = time.perf_counter()
    table = read_untrusted_table(source, sheet)
    missing = [c for c in ("amount",) if c not in table.frame.columns]
    if missing:
        raise InputError([finding("column-missing", file=source, sheet=table.sheet, affects="the credit check",
                                  column=c, aliases="amount / 금액 / 주문금액 / 金额 / 订货金额") for c in missing])
    accounts = accounts_from_store(engine, on)
    if not accounts["credit_limit"].notna().any():
        raise InputError([finding("no-limits-in-force", file=source)])
    read_s = time.perf_counter() - clock
    clock = time.perf_counter()
    result = check_orders(table.frame.reset_index(drop=True), accounts, model, language, cells=table.cell)
    result.seconds = {"read": round(read_s, 3), "check": round(time.perf_counter() - clock, 3)}
    issues = _issues(result.problems, table)
    # every value is checked by now; the checked file appears only once the holds are kept
    with atomic_path(output) as tmp:
        if output.suffix.lower() == ".csv":
            write_csv_to(tmp, result.table)  # formula-like text quoted, as every CSV we write
        else:
            wb = new_workbook(tmp)
            ws = write_table(wb, "Orders", result.table)
            _colour_decisions(wb, ws, result.table)
            _summary(wb, result, model)
            if len(issues):
                write_table(wb, "Issues", issues)
            wb.close()
        _record_holds(engine, source, table, result.table, user)
    result.issues = issues
    return result


def _record_holds(engine, source: Path, table, checked: pd.DataFrame, user: str) -> None:
    from crm_xl.archive import sha256_of
    from crm_xl.store.credit import record_holds

    held = checked[(checked["decision"] == credit_check.HOLD).to_numpy()]
    rows = table.header_row + 1 + table.frame.index.to_numpy()[np.flatnonzero(checked["decision"] == credit_check.HOLD)]
    refs = stored_texts(held["order_no"], "text") if "order_no" in held else None  # trimmed, as compared
    order_ref = [r if r is not None else f"{source.name} row {n}"
                 for r, n in zip(refs if refs is not None else [None] * len(held), rows)]
    record_holds(engine, sha256_of(source), held.assign(order_ref=order_ref), user)


def _issues(problems: Problems, table) -> pd.DataFrame:
    found = problems.frame()
    if not len(found):
        return pd.DataFrame(columns=["cell", "code", "severity", "message", "fix"])
    cells = [table.cell(int(r), c) if c in table.letters else f"row {table.header_row + 1 + int(r)}"
             for r, c in zip(found.row, found.column)]
    return pd.DataFrame({"cell": cells, "code": found.code, "severity": found.severity, "message": found.message,
                         "fix": found.fix})


DECISION_COLOURS = {"approve": "#C6EFCE", "hold": "#FFEB9C", "reject": "#FFC7CE"}


def _colour_decisions(wb, ws, table: pd.DataFrame) -> None:
    """Decision cells coloured by what they say (a conditional format: one rule per decision)."""
    col = list(table.columns).index("decision")
    for decision, colour in DECISION_COLOURS.items():
        ws.conditional_format(1, col, max(len(table), 1), col, {
            "type": "cell", "criteria": "==", "value": f'"{decision}"', "format": wb.add_format({"bg_color": colour})})


def _summary(wb, result: OrdersChecked, model: ScoringModel) -> None:
    ws = wb.add_worksheet("Summary")
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0"})
    ws.write_string(0, 0, f"Credit check with {model.title}", wb.add_format({"bold": True, "font_size": 14}))
    for j, head in enumerate(["Decision", "Orders", "Amount"]):
        ws.write_string(2, j, head, bold)
    for i, (decision, c) in enumerate(result.counts().items(), start=3):
        ws.write_string(i, 0, decision)
        ws.write_number(i, 1, c["orders"])
        ws.write_number(i, 2, c["amount"], money)
    rules = model.credit.check
    ws.write_string(7, 0, "Rules (from the model)", bold)
    facts = [("Held when overdue more than", f"{rules.hold_overdue_days:g} days"),
             ("Rejected when overdue more than", f"{rules.reject_overdue_days:g} days"),
             ("Cash-only grades (rejected)", ", ".join(g.label for g in model.credit.grades if g.limit_factor == 0)),
             *[(f"Tolerance above the limit, {g.label}", f"{g.tolerance:.0%}") for g in reversed(model.credit.grades)],
             ("Who may release a hold", ", ".join(rules.release_roles))]
    for i, (label, value) in enumerate(facts, start=8):
        ws.write_string(i, 0, label)
        ws.write_string(i, 1, value)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 2, 16)

