"""Custom functions for Excel (category CRM): one cell or whole columns, one vectorised call.

Each function reads Excel's argument shapes (udfs.cells), calls the column API of the scoring
engine (crm_xl.scoring.columns) and returns results in the input's shape. A bad row shows an
Excel-style error text for that row only; empty rows give empty results. An optional `model`
argument takes a Key | Value range (a copy of the sheet `crm-xl model export` writes), so a
workbook can carry its own model.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, Callable

import numpy as np
from xlwings import arg, func

from crm_xl.findings import CrmError
from crm_xl.model import ScoringModel, default_model
from crm_xl.model.overrides import model_from_rows, with_grade_bands, with_weights
from crm_xl.scoring import columns
from udfs import cells

CATEGORY = "CRM"
MODEL_DOC = "Optional: a Key | Value range holding a scoring model (as exported by crm-xl model export)."



@dataclass(frozen=True)
class Spec:
    """What Excel's function wizard shows for one function, and what the generated wrappers use."""
    description: str
    docs: dict[str, str]  # argument name -> help text, in signature order
    matrix: tuple[str, ...]  # arguments read as 2-D ranges (ndim=2); the others as one value


CATALOGUE: dict[str, Spec] = {}


def crm_function(description: str, matrix: tuple[str, ...] = (), **arg_docs: str) -> Callable:
    """Register `f` as an Excel function of category CRM, documented for the function wizard.

    Range arguments are asked for as 2-D lists (`ndim=2`) so rows and columns keep their shape;
    `err_to_str` hands an input cell's Excel error over as its text (`#DIV/0!`), not as an empty
    cell, so it is reported as the error it is. Any CrmError (a bad model range, an unknown preset) becomes one error text, never a crash.
    """
    def decorate(f: Callable) -> Callable:
        @wraps(f)
        def safe(*args):
            try:
                return f(*args)
            except CrmError as exc:
                return cells.CellError("#VALUE!", exc.findings[0].message)
            except ValueError as exc:  # shape problems
                return cells.CellError("#VALUE!", str(exc))
            except Exception as exc:  # a bug of ours: one error cell saying so, not a traceback in the sheet
                return cells.CellError("#VALUE!", f"crm_xl could not compute this ({type(exc).__name__}: {exc}); "
                                                  "please report it with the cells given")

        safe.__doc__ = description
        wrapped = safe
        for name, doc in reversed(list(arg_docs.items())):
            options = {"ndim": 2} if name in matrix else {}
            wrapped = arg(name, doc=doc, err_to_str=True, **options)(wrapped)
        wrapped = func(category=CATEGORY)(wrapped)
        CATALOGUE[f.__name__.upper()] = Spec(description, dict(arg_docs), tuple(matrix))
        return wrapped
    return decorate


@lru_cache(maxsize=32)
def _model_of(rows: tuple) -> ScoringModel:
    return model_from_rows(rows, "model range")


def resolve_model(model: Any) -> ScoringModel:
    """The default model, or the model held in a Key | Value range."""
    if model is None or model == "":
        return default_model()
    c = cells.read(model)
    rows = np.array(cells.plain(c.values), dtype=object).reshape(c.rows, c.cols).tolist()
    return _model_of(tuple(tuple(row[:2]) for row in rows if any(v is not None for v in row[:2])))


def _records(scores: Any, width: int) -> tuple[np.ndarray, bool]:
    """Rows of indicator scores, and whether it was one customer's (returned as one value).

    One cell, a 1-D list, one row, or a single column exactly `width` cells tall is one customer.
    """
    c = cells.read(scores)
    if c.scalar or c.flat or (c.cols == 1 and c.rows == width):
        return c.values.reshape(1, -1), True
    return c.grid(), c.rows == 1


@crm_function(
    "Credit level (0.1-1) by the feature-analysis method: sum(weight x score) / sum(weight x 10).",
    matrix=("scores", "weights", "model"),
    scores="Indicator scores 1-10 (character, capacity, capital, collateral, conditions): one row per customer.",
    weights="Optional: weights in the same order, overriding the model's.",
    model=MODEL_DOC)
def credit_score(scores, weights=None, model=None):
    m = resolve_model(model)
    if weights is not None and weights != "":
        m = with_weights(m, cells.read(weights).present())
    records, single = _records(scores, len(m.credit.sets[m.credit.default_set]))
    return cells.as_column(cells.with_errors(columns.credit_levels(records, m)), single)


@crm_function(
    "Credit grade (AAA ... C) from a credit level, or from a row of indicator scores.",
    matrix=("level_or_scores", "bands", "model"),
    level_or_scores="Credit levels (one column), or indicator scores (one row of 5 per customer).",
    bands="Optional: grade bands as rows of (lowest level, grade), lowest first.",
    model=MODEL_DOC)
def credit_grade(level_or_scores, bands=None, model=None):
    m = resolve_model(model)
    if bands is not None and bands != "":
        b = cells.read(bands)
        m = with_grade_bands(m, np.array(cells.plain(b.values), dtype=object).reshape(b.rows, b.cols).tolist())
    width = len(m.credit.sets[m.credit.default_set])
    c = cells.read(level_or_scores)
    if c.cols == width and width > 1:  # rows of scores; a single column or 1-D list holds levels
        records, single = c.grid(), c.rows == 1
        levels = columns.credit_levels(records, m)
        grades = columns.credit_grades(levels.values, m)
        merged = [g if g is not None or lv is not None else None for g, lv in zip(grades.values, levels.values)]
        reasons = [r1 if lv is None else r2 for lv, r1, r2 in zip(levels.values, levels.reasons, grades.reasons)]
        return cells.as_column(cells.with_errors(columns.Column(merged, reasons)), single)
    return cells.shaped(cells.with_errors(columns.credit_grades(c.values, m)), c)


@crm_function(
    "Credit limit: min(monthly purchases x terms/30 x k(grade), cap x net worth), rounded down.",
    matrix=("grade", "monthly_purchases", "terms_days", "net_worth", "model"),
    grade="Credit grade (AAA ... C).",
    monthly_purchases="Average monthly purchase amount.",
    terms_days="Optional: payment terms in days (default from the model, 30).",
    net_worth="Optional: net worth; the limit is capped at a share of it.",
    model=MODEL_DOC)
def credit_limit(grade, monthly_purchases, terms_days=None, net_worth=None, model=None):
    m = resolve_model(model)
    (g, p, t, w), shape = cells.broadcast(grade, monthly_purchases, terms_days, net_worth)
    return cells.shaped(cells.with_errors(columns.credit_limits(g, p, t, w, m)), shape)


@crm_function(
    "Customer tier from average monthly sales through the model's tier bands (T1 = top).",
    matrix=("monthly_sales", "model"),
    monthly_sales="Average monthly sales quantity.",
    preset="Optional: tier preset name from the model (default 8-tier).",
    model=MODEL_DOC)
def customer_tier(monthly_sales, preset=None, model=None):
    m = resolve_model(model)
    if preset and preset not in m.tiers:
        return f"#VALUE! preset {preset!r} is not in the model (presets: {', '.join(m.tiers)})"
    c = cells.read(monthly_sales)
    return cells.shaped(cells.with_errors(columns.customer_tiers(c.values, m, preset or None)), c)


@crm_function(
    "42-class code: market + format + scale, e.g. CZL (urban grocery, large).",
    matrix=("business_format", "market_type", "scale", "model"),
    business_format="Business format: code (Z B S N Y F Q) or name in English, Korean or Chinese.",
    market_type="Market: C/X, urban/rural, 도시/농촌, 城镇/乡村.",
    scale="Scale (L/M/S, large, 대형, 大型 ...) or the average monthly purchase amount.",
    model=MODEL_DOC)
def customer_class(business_format, market_type, scale=None, model=None):
    m = resolve_model(model)
    (f, mk, s), shape = cells.broadcast(business_format, market_type, scale)
    return cells.shaped(cells.with_errors(columns.customer_classes(f, mk, s, m)), shape)


@crm_function(
    "Value segment (core, secondary, potential, low-value) from five 0-100 indices.",
    matrix=("contribution", "support", "credit", "growth", "influence", "model"),
    contribution="Contribution index 0-100.", support="Support index 0-100.", credit="Credit index 0-100.",
    growth="Growth index 0-100.", influence="Influence index 0-100.", model=MODEL_DOC)
def value_segment(contribution, support, credit, growth, influence, model=None):
    m = resolve_model(model)
    values, shape = cells.broadcast(contribution, support, credit, growth, influence)
    return cells.shaped(cells.with_errors(columns.value_segments(*values, m)), shape)


@crm_function(
    "RFM segment (Champions ... Hibernating); recency and monetary are ranked within the given rows (5 or more).",
    matrix=("recency_days", "frequency", "monetary", "model"),
    recency_days="Days since the last order, or the last order's date.", frequency="Orders in the window (12 months).",
    monetary="Amount in the window.", model=MODEL_DOC)
def rfm_segment(recency_days, frequency, monetary, model=None):
    m = resolve_model(model)
    (r, f, mo), shape = cells.broadcast(recency_days, frequency, monetary)
    column = columns.rfm_segments(r, f, mo, m)
    reasons = [x for x in column.reasons if x is not None]
    if reasons and all(x.code == "needs-population" for x in reasons):  # too few to rank: say so once
        return cells.CellError("#N/A", f"{reasons[0].message}: give whole columns, "
                                       "e.g. =RFM_SEGMENT(B2:B500, C2:C500, D2:D500)")
    return cells.shaped(cells.with_errors(column), shape)


@crm_function(
    "Portrait tags (e.g. \"high value, top tier\") from the model's tag rules.",
    matrix=("credit_grade", "customer_tier", "value_segment", "rfm_segment", "collection_days", "model"),
    credit_grade="Credit grade.", customer_tier="Customer tier.", value_segment="Value segment.",
    rfm_segment="RFM segment.", collection_days="Optional: average collection days.", model=MODEL_DOC)
def customer_tags(credit_grade, customer_tier, value_segment, rfm_segment, collection_days=None, model=None):
    m = resolve_model(model)
    values, shape = cells.broadcast(credit_grade, customer_tier, value_segment, rfm_segment, collection_days)
    names = ("credit_grade", "customer_tier", "value_segment", "rfm_segment", "avg_collection_days")
    return cells.shaped(cells.with_errors(columns.customer_tags(dict(zip(names, values)), m)), shape)


@crm_function("Name and version of the scoring model in force.", matrix=("model",), model=MODEL_DOC)
def crm_model(model=None):
    return resolve_model(model).title


@crm_function(
    "Credit check of an order: approve / hold / reject and the reason (spills two cells: decision, reason).",
    matrix=("order_amount", "outstanding", "limit_or_customer", "overdue_days", "model"),
    order_amount="Order amount.",
    outstanding="Customer's outstanding balance before the order (empty: 0).",
    limit_or_customer="Credit limit; or two cells (limit, grade) so the grade's tolerance applies; "
                      "or a customer code, looked up in the master data (CRM_XL_DB).",
    overdue_days="Optional: days the customer's oldest unpaid invoice is overdue (a customer code "
                 "looks it up when empty).",
    model=MODEL_DOC,
    lang="Optional: language of the reason, ko, zh or en (default: the model's).")
def credit_check(order_amount, outstanding, limit_or_customer, overdue_days=None, model=None, lang=None):
    m = resolve_model(model)
    if _pairs(limit_or_customer):  # (limit, grade) per row, as a two-column range: each column read on its own,
        limits, grades = (cells.read([row[j] for row in limit_or_customer]) for j in (0, 1))  # limits as numbers
    else:
        target = cells.read(limit_or_customer)
        if target.cols == 2:
            grid = target.grid()
            limits, grades = (cells.Cells(grid[:, j], target.rows, 1, False, flat=True) for j in (0, 1))
        else:
            limits, grades = target, None
    (a, o, lim, g, d), _ = cells.broadcast(order_amount, outstanding, limits, grades, overdue_days)
    if lim.dtype == object and _holds_codes(lim):
        import os

        from crm_xl.credit.orders import check_cells_with_codes
        from crm_xl.store.db import connect

        checked = check_cells_with_codes(connect(os.environ.get("CRM_XL_DB")), a, o, lim, g, d, m, lang or None)
    else:
        checked = columns.credit_checks(a, o, lim, g, d, m, lang or None)
    if not any(checked.reasons) and None not in checked.values:  # the usual column: every order decided
        return checked.values  # [decision, reason] rows already
    return [[*v] if v is not None else [cells.error_text(r) if r else None, None]  # no order: an empty row
            for v, r in zip(checked.values, checked.reasons)]


def _pairs(arg) -> bool:
    """Whether an argument is rows of two cells each (a two-column range of more than one row)."""
    return type(arg) is list and len(arg) > 1 and set(map(type, arg)) == {list} and set(map(len, arg)) == {2}


def _holds_codes(limits: np.ndarray) -> bool:
    """Whether some limit cell holds a customer code: text other than an Excel error (which is
    reported as the error it is)."""
    values = limits.tolist()
    if not any(issubclass(k, str) for k in set(map(type, values))):  # numbers only: the usual column
        return False
    return bool({v for v in values if isinstance(v, str)} - columns.EXCEL_ERRORS)


@crm_function(
    "Why a customer has their grade: the indicators that cost the most points, weight x (10 - score) of the maximum.",
    matrix=("scores", "model"),
    scores="Indicator scores 1-10 (character, capacity, capital, collateral, conditions): one row per customer.",
    n="Optional: how many indicators to name (default 3).",
    model=MODEL_DOC,
    lang="Optional: language, ko, zh or en (default: the model's).")
def credit_reasons(scores, n=None, model=None, lang=None):
    m = resolve_model(model)
    records, single = _records(scores, len(m.credit.sets[m.credit.default_set]))
    count = 3 if n is None or n == "" else int(n)
    return cells.as_column(cells.with_errors(columns.credit_reasons(records, m, count, lang or None)), single)
