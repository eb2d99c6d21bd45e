"""`crm-xl report --engine dask`: the monthly report from partitioned customers and orders.

Only aggregates leave the workers: each partition is reduced to the parts of crm_xl.reports.parts
(counts, sums, at most a list's length of rows), and the parts are added up here, so the figures
are the pandas path's figures, computed by the same functions. Two passes over the partitions:
1. orders per customer code (parts.orders_per_code, added up by code): the month's order figures,
   the 12-month trend, the top customers, and each code's totals as of the month's end and start;
   with them, the populations the scoring ranks and averages, as of both dates (scoring.population);
2. each customer partition scored as of both dates with those populations and reduced to its parts.
With --previous, last month is scored from that table, and its labels reach this month's rows by
customer code (the first row of a code, as the pandas path takes it).
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from crm_xl.engines.orders import CheckedOrders, checked_orders
from crm_xl.engines.partitions import (
    _JOIN,
    KEY,
    TOTALS,
    _filled,
    check_columns,
    dask_client,
    partition_files,
    read_partitions,
)
from crm_xl.findings import InputError, finding
from crm_xl.model.schema import ScoringModel
from crm_xl.reports import parts
from crm_xl.reports.figures import MonthParts, ReportFigures, figures_from_parts, month_bounds, with_history_and_notes
from crm_xl.reports.monthly import ReportResult, check_request, write_outputs
from crm_xl.reports.parts import PAIRED, POS
from crm_xl.scoring import rfm
from crm_xl.scoring.customers import score_customers
from crm_xl.scoring.population import Population, population_part
from crm_xl.scoring.problems import Problems

END, START = "end", "start"  # the month is scored as of its end, last month as of its start
DATED = {f"{c}@{when}": how for when in (END, START) for c, how in rfm.TOTALS_COMBINE.items()}
BEFORE = {c: f"{c}@previous" for c in PAIRED}  # last month's labels joined by code (--previous)
_PREVIOUS_KEY = "__previous_code"


def report_partitions(month: str, customers: str | Path, transactions: str | Path | None, output: Path,
                      model: ScoringModel, *, previous: str | Path | None = None, template: Path | None = None,
                      html: bool = True, pdf: bool = False, progress: Callable[[str], None] = lambda stage: None,
                      client=None, scheduler: str | None = None, workers: int = 2,
                      memory_limit: str = "2GB") -> ReportResult:
    """The report workbook (and HTML, PDF) of `month` from customer and order partitions on a Dask cluster."""
    output = Path(output)
    check_request(month, output)
    check_tier_preset(model)  # the report's tiers are the model's default preset
    sources = {"--customers": customers, "--transactions": transactions, "--previous": previous}
    files = {option: partition_files(source, option) for option, source in sources.items() if source}
    for option, names in files.items():
        check_columns(names, option)
    seconds: dict[str, float] = {}
    with nullcontext(client) if client is not None else dask_client(scheduler, workers, memory_limit):
        progress(f"scoring the customer partitions for {month} and the month before")
        issues: list = []
        figures = partitioned_figures(month, files, model, seconds=seconds, issues=issues)
    result = write_outputs(figures, output, seconds, template=template, html=html, pdf=pdf, progress=progress)
    result.issues = issues
    return result


def partitioned_figures(month: str, files: dict[str, list[str]], model: ScoringModel, stale_months: int = 6,
                        seconds: dict[str, float] | None = None, issues: list | None = None) -> ReportFigures:
    """The report's figures from the partitions (option -> files), on the current Dask client;
    each pass's seconds into `seconds`, the first bad cells of each order partition into `issues`."""
    seconds = {} if seconds is None else seconds
    start, end = month_bounds(month)
    frames = _Frames.read(files, start, end, model)
    clock = time.perf_counter()
    populations, orders, checked = _populations_and_orders(frames, model, start, end)
    seconds["orders_and_population"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    top = parts.top_codes(orders) if orders else []
    shared = _to_every_worker(populations)
    sides = _customer_parts(frames, (model, shared, model.rfm.window_months, end, stale_months, top))
    seconds["customer_parts"] = round(time.perf_counter() - clock, 3)
    figures = figures_from_parts(month, model, sides, orders, stale_months, snapshot=frames.previous_given)
    # snapshots and reviews are the store's (--db): noted as missing, as for `crm-xl report --customers`
    figures = with_history_and_notes(figures, model, None, None, None, snapshot_missing=not frames.previous_given)
    line = checked.summary("figures", "crm-xl report without --engine dask")
    if line:  # listed cell by cell on one machine; counted here (there may be millions)
        figures.notes.append(line)
    if issues is not None:
        issues.extend(checked.examples)
    return figures


@dataclass
class _Frames:
    """The partitions as Dask frames, customers with their code's order totals beside them."""

    customers: object  # as read, each row numbered (POS)
    now: object  # this month's customers with their totals as of both dates
    before: object  # last month's customers (--previous, or this month's) with their totals
    per_code: object | None  # orders per customer code (parts.orders_per_code added up), None without orders
    checked: list  # each order partition's CheckedOrders, delayed
    previous_given: bool
    ranked: tuple  # (now, before) with only the columns the populations are made of

    @classmethod
    def read(cls, files: dict[str, list[str]], start: pd.Timestamp, end: pd.Timestamp, model: ScoringModel) -> _Frames:
        customers = _with_positions(read_partitions(files["--customers"]))
        previous = _with_positions(read_partitions(files["--previous"])) if "--previous" in files else None
        tx = read_partitions(files["--transactions"]) if "--transactions" in files else None
        per_code = (_orders_per_code(tx, end, start, model.rfm.window_months, customers.npartitions)
                    if tx is not None else None)
        checked = checked_orders(tx, files["--transactions"]) if tx is not None else []
        now = _joined(customers, per_code)
        ranked = tuple(_joined(_ranked_columns(read_partitions(files[option]), model), per_code)
                       for option in ("--customers", "--previous" if previous is not None else "--customers"))
        return cls(customers, now, _joined(previous, per_code) if previous is not None else now, per_code,
                   checked, previous is not None, ranked)


def _ranked_columns(frame, model: ScoringModel):
    """Only what the population ranks and averages: the other columns are then not read (Parquet)."""
    wanted = {KEY, *rfm.SYSTEM_COLUMNS, *model.value.current, *model.value.potential}
    return frame[[c for c in frame.columns if c in wanted]]


def _populations_and_orders(frames: _Frames, model: ScoringModel, start: pd.Timestamp,
                            end: pd.Timestamp) -> tuple[dict[str, Population], dict | None, CheckedOrders]:
    """Pass 1: the populations ranked and averaged as of both dates, the order figures added up, and
    the orders' problems counted (the same read of the orders)."""
    import dask

    window = model.rfm.window_months
    now, before = frames.ranked
    ends = [dask.delayed(_population)(p, END, model, end, window) for p in now.to_delayed()]
    starts = [dask.delayed(_population)(p, START, model, start, window) for p in before.to_delayed()]
    mine = _report_customers(frames.per_code, frames.customers) if frames.per_code is not None else None
    orders = [dask.delayed(parts.orders_part)(p) for p in mine.to_delayed()] if mine is not None else []
    ends, starts, orders, checked = dask.compute(ends, starts, orders, frames.checked)
    populations = {END: Population.of(list(ends), end), START: Population.of(list(starts), start)}
    return populations, (parts.add_up(list(orders)) if orders else None), CheckedOrders.add_up(list(checked))


def _customer_parts(frames: _Frames, context: tuple) -> MonthParts:
    """Pass 2: every customer scored as of both dates and reduced to its parts, added up."""
    import dask

    model, populations, window = context[:3]
    if not frames.previous_given:
        month_parts = dask.compute([dask.delayed(_month_part)(p, *context) for p in frames.now.to_delayed()])[0]
        before_sides = [m["before"] for m in month_parts]
    else:
        args = (model, populations, window)
        meta = _previous_labels(frames.before._meta, model, {START: Population.of([], context[3])}, window)
        labels = frames.before.map_partitions(_previous_labels, *args, meta=meta)
        month_parts, before_sides = dask.compute(
            [dask.delayed(_month_part)(p, *context) for p in _with_previous_labels(frames.now, labels).to_delayed()],
            [dask.delayed(parts.side_part)(p, model) for p in labels.to_delayed()])
    added = parts.add_up([{k: v for k, v in m.items() if k != "before"} for m in month_parts])
    return MonthParts(**added, before=parts.add_up(list(before_sides)),
                      has_updated="updated_at" in frames.customers.columns)


def _to_every_worker(populations: dict):
    """The populations as one future held by every worker: their sorted arrays (millions of values)
    then travel once per worker, not inside every task of the graph."""
    from distributed import default_client

    return default_client().scatter([populations], broadcast=True)[0]


def _with_positions(frame):
    """Each row's position in the whole table: the partition's number, then the row in it."""
    def numbered(part: pd.DataFrame, partition_info=None) -> pd.DataFrame:
        number = partition_info["number"] if partition_info else 0
        return part.assign(**{POS: (number << 32) + np.arange(len(part), dtype=np.int64)})
    return frame.map_partitions(numbered, meta=numbered(frame._meta))


def _code_totals(part: pd.DataFrame, end: pd.Timestamp, start: pd.Timestamp, window: int,
                 partition_info=None) -> pd.DataFrame:
    """One partition of the orders per code: the report's monthly figures and the totals as of both dates."""
    t = rfm.prepare_transactions(part, Problems(len(part)))
    first_row = (partition_info["number"] if partition_info else 0) << 32
    frames = [parts.orders_per_code(t, end, first_row)]
    frames += [rfm.transaction_totals(t, as_of, window).add_suffix(f"@{when}")
               for when, as_of in ((END, end), (START, start))]
    return pd.concat(frames, axis=1).rename_axis(_JOIN).reset_index().astype({_JOIN: str})  # as the customers' key


def _orders_per_code(tx, end: pd.Timestamp, start: pd.Timestamp, window: int, npartitions: int):
    meta = _code_totals(tx._meta, end, start, window)
    totals = tx.map_partitions(_code_totals, end, start, window, meta=meta)
    return totals.groupby(_JOIN).agg({**parts.COMBINE_ORDERS, **DATED}, split_out=npartitions).reset_index()


def _report_customers(per_code, customers):
    """The orders per code of the report's customers only (orders of others do not count)."""
    codes = customers[[KEY]].map_partitions(_codes, meta=_codes(customers[[KEY]]._meta))
    mine = per_code.merge(codes.drop_duplicates(split_out=per_code.npartitions), on=_JOIN, how="inner")
    return mine.map_partitions(_keyed, meta=_keyed(per_code._meta))


def _keyed(part: pd.DataFrame) -> pd.DataFrame:
    return part.set_index(_JOIN)


def _codes(part: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({_JOIN: part[KEY].astype(str).str.strip()})


def _joined(customers, per_code):
    """Customers with their code's totals as of both dates beside them (none without orders)."""
    if per_code is None:
        return customers
    keyed = customers.assign(**{_JOIN: customers[KEY].astype(str).str.strip()})
    return keyed.merge(per_code[[_JOIN, *DATED]], on=_JOIN, how="left")


def _at(part: pd.DataFrame, when: str, window: int) -> pd.DataFrame:
    """The customers as scored as of one date: system columns from that date's totals, if joined."""
    part = part.drop(columns=[POS, *BEFORE.values()], errors="ignore")
    if _JOIN not in part.columns:
        return part
    mine = {f"{c}@{when}": c for c in TOTALS}
    return _filled(part.drop(columns=[c for c in DATED if c not in mine]).rename(columns=mine), window)


def _raw(part: pd.DataFrame) -> pd.DataFrame:
    """The customer table as read (what its completeness is measured on)."""
    return part.drop(columns=[POS, _JOIN, *DATED, *BEFORE.values()], errors="ignore")


def _population(part: pd.DataFrame, when: str, model: ScoringModel, as_of: pd.Timestamp, window: int) -> dict:
    return population_part(_at(part, when, window), model, as_of)


def _scored(part: pd.DataFrame, when: str, model: ScoringModel, population: Population, window: int) -> pd.DataFrame:
    return score_customers(_at(part, when, window), model, population=population, issue_texts=False).table()


def _month_part(part: pd.DataFrame, model: ScoringModel, populations: dict, window: int, end: pd.Timestamp,
                stale_months: int, top: list[str]) -> dict:
    """One partition's parts of the figures: this month's customers, and last month's beside them."""
    positions = part[POS].to_numpy()
    cur = _scored(part, END, model, populations[END], window)
    if BEFORE["credit_grade"] in part.columns:  # last month from its own table, joined by code
        before, side = part[list(BEFORE.values())].set_axis(list(PAIRED), axis=1).reset_index(drop=True), None
    else:
        prev = _scored(part, START, model, populations[START], window)
        before, side = parts.aligned_before(cur, prev, by_code=False), parts.side_part(prev, model)
    return {"now": parts.side_part(cur, model), "before": side,
            "moves": parts.moves_part(cur, before, model, positions),
            "current": parts.current_part(cur, _raw(part), end, stale_months, top, positions)}


def _previous_labels(part: pd.DataFrame, model: ScoringModel, populations: dict, window: int) -> pd.DataFrame:
    """Last month's table scored: what its side of the figures and the movements need, per row."""
    table = _scored(part, START, model, populations[START], window)
    labels = pd.DataFrame({c: table[c].astype(object).to_numpy() for c in parts.LABELLED})
    return labels.assign(credit_limit=table["credit_limit"].to_numpy(float),
                         credit_level=table["credit_level"].to_numpy(float),
                         **{_PREVIOUS_KEY: table[KEY].astype(str).to_numpy(), POS: part[POS].to_numpy()}
                         ).astype({_PREVIOUS_KEY: str})  # as this month's key


def _first_per_code(part: pd.DataFrame) -> pd.DataFrame:
    return part.sort_values(POS, kind="stable").drop_duplicates(_PREVIOUS_KEY).drop(columns=[POS])


def _with_previous_labels(now, labels):
    """This month's rows with last month's labels of the same customer code (its first row there)."""
    wanted = labels[[_PREVIOUS_KEY, *PAIRED, POS]].shuffle(on=_PREVIOUS_KEY)
    first = wanted.map_partitions(_first_per_code, meta=_first_per_code(wanted._meta)).rename(columns=BEFORE)
    keyed = now.assign(**{_PREVIOUS_KEY: now[KEY].astype(str)})
    return keyed.merge(first, on=_PREVIOUS_KEY, how="left").drop(columns=[_PREVIOUS_KEY])


def check_tier_preset(model: ScoringModel, tier_preset: str | None = None) -> None:
    """The report's dask passes rank banded tiers only (score --engine dask ranks composites too):
    a composite preset would be ranked per partition there, so it is refused."""
    preset = model.tiers.get(tier_preset or model.default_tier_preset)
    if preset is not None and preset.bands is None:
        raise InputError([finding("bad-option", option="--tier-preset", value=tier_preset or model.default_tier_preset,
                                  problem="ranks a composite of ranks, which report --engine dask does not do yet",
                                  hint="Use a model whose default tier preset is banded (e.g. 8-tier), or the "
                                       "pandas report (crm-xl report without --engine dask).")])
