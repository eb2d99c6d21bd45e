"""The steward's review workbook: one block per duplicate cluster, decided in Excel, read back for apply.

Each block has a row per record (the cells that differ within the cluster highlighted, an
`include` dropdown to leave a record out) and a `result` row: `decision` (merge / keep apart /
review), the surviving customer code and, per field, the winning value — each a dropdown of what
the records above hold. Clusters whose weakest link scores at or above the auto-merge threshold
come pre-set to merge; the others say review and are not applied until a person decides.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crm_xl.fields import columns, in_percent_points
from crm_xl.files import atomic_path
from crm_xl.findings import InputError, finding
from crm_xl.quality.duplicates import KEY, SOURCE, DuplicateResult
from crm_xl.values import stored_texts
from crm_xl.xlsx.refs import letter

SHEET = "Review"
LEAD = ["cluster", "line", "decision", "score", "reasons"]  # columns before the customer fields
MERGE, APART, REVIEW = "merge", "keep apart", "review"
DECISIONS = [MERGE, APART, REVIEW]
RECORD, RESULT = "record", "result"


def review_fields(frame: pd.DataFrame) -> list[str]:
    """The customer fields the records have, in schema order (system-generated ones are not merged)."""
    return [KEY] + [n for n, c in columns().items()
                    if n != KEY and c.kind != "system" and n in frame.columns and frame[n].notna().any()]


def _texts(values: pd.Series, name: str) -> list:
    """Cells as the master data stores them (crm_xl.values), so a review compares with the store."""
    return stored_texts(values, columns()[name].type if name in columns() else "text",
                        percent_points=in_percent_points(name))


def default_survivor(block: list[list]) -> int:
    """The record with the most filled-in fields (ties: the first), as its position in `block`."""
    filled = [sum(v is not None for v in record) for record in block]
    return filled.index(max(filled))


def write_review(result: DuplicateResult, path: Path) -> Path:
    import xlsxwriter

    fields = review_fields(result.records)
    # rows of cell texts as plain lists: a cluster's block is a few rows, pandas per block costs more than it saves
    texts = list(zip(*[_texts(result.records[f], f) for f in fields]))
    sources = result.records[SOURCE].tolist() if SOURCE in result.records.columns else [""] * len(texts)
    headers = LEAD + fields + ["include", SOURCE]
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        fmt = {
            "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "cell": wb.add_format({"border": 1, "border_color": "#BFBFBF"}),
            "differ": wb.add_format({"border": 1, "border_color": "#BFBFBF", "bg_color": "#FFEB9C"}),
            "result": wb.add_format({"border": 1, "bold": True, "bg_color": "#E2EFDA", "locked": False}),
            "auto": wb.add_format({"border": 1, "bold": True, "bg_color": "#C6EFCE", "font_color": "#006100", "locked": False}),
            "review": wb.add_format({"border": 1, "bold": True, "bg_color": "#FFC7CE", "font_color": "#9C0006", "locked": False}),
            "pick": wb.add_format({"border": 1, "locked": False}),
            "score": wb.add_format({"border": 1, "border_color": "#BFBFBF", "num_format": "0.000"}),
            "score_result": wb.add_format({"border": 1, "bold": True, "bg_color": "#E2EFDA", "num_format": "0.000"}),
        }
        ws = wb.add_worksheet(SHEET)
        ws.write_row(0, 0, headers, fmt["head"])
        ws.freeze_panes(1, len(LEAD) + 1)
        widths = {"cluster": 8, "line": 8, "decision": 12, "score": 7, "reasons": 40, SOURCE: 30, "include": 8}
        for j, h in enumerate(headers):
            ws.set_column(j, j, widths.get(h, 22 if h in ("store_name", "address") else 14))
        row = 1
        result_rows: dict[int, list[int]] = {}  # records in the block -> its result rows
        for c in result.clusters:
            block = [texts[p] for p in c.positions]
            first = row
            differ = [len({r[j] for r in block} - {None}) > 1 for j in range(len(fields))]
            for k, position in enumerate(c.positions):
                ws.write_number(row, 0, c.cluster, fmt["cell"])
                ws.write_string(row, 1, RECORD, fmt["cell"])
                ws.write_blank(row, 2, None, fmt["cell"])
                ws.write_number(row, 3, round(c.score, 3), fmt["score"])
                ws.write_string(row, 4, "; ".join(c.reasons) if k == 0 else "", fmt["cell"])
                for j, f in enumerate(fields, start=len(LEAD)):
                    value = block[k][j - len(LEAD)]
                    style = fmt["differ"] if differ[j - len(LEAD)] else fmt["cell"]
                    ws.write_string(row, j, value, style) if value is not None else ws.write_blank(row, j, None, style)
                ws.write_string(row, len(LEAD) + len(fields), "yes", fmt["pick"])
                ws.write_string(row, len(LEAD) + len(fields) + 1, str(sources[position]), fmt["cell"])
                row += 1
            result_rows.setdefault(row - first, []).append(row)
            survivor = default_survivor(block)
            ws.write_number(row, 0, c.cluster, fmt["result"])
            ws.write_string(row, 1, RESULT, fmt["result"])
            decision = MERGE if c.band == "auto-merge" else REVIEW
            ws.write_string(row, 2, decision, fmt["auto" if decision == MERGE else "review"])
            ws.write_number(row, 3, round(c.score, 3), fmt["score_result"])
            ws.write_string(row, 4, f"{c.band}: choose the survivor (customer_code) and each field's value", fmt["result"])
            for j, f in enumerate(fields, start=len(LEAD)):
                values = [r[j - len(LEAD)] for r in block]
                value = values[survivor] if values[survivor] is not None else next(
                    (v for v in values if v is not None), None)  # the survivor's value; else fill the gap
                ws.write_string(row, j, value, fmt["result"]) if value is not None else ws.write_blank(row, j, None, fmt["result"])
            row += 2  # a blank row between clusters
        ws.autofilter(0, 0, max(row - 1, 1), len(headers) - 1)
        _dropdowns(ws, result_rows, len(fields), max(row - 1, 1))
        _instructions(wb, result)
        wb.close()
    return path


def _dropdowns(ws, result_rows: dict[int, list[int]], field_count: int, last_row: int) -> None:
    """The dropdowns: decision and include down their columns; each result cell a list of the cells
    above it in its block. One validation per block size and column, its range relative to the
    cell (one per cell took xlsxwriter a millisecond each: 50 s for 18,000 clusters)."""
    include = len(LEAD) + field_count
    ws.data_validation(1, 2, last_row, 2, {"validate": "list", "source": DECISIONS, "input_title": "Decision",
                                          "input_message": "merge, keep apart, or review (not applied yet)"})
    ws.data_validation(1, include, last_row, include, {"validate": "list", "source": ["yes", "no"]})
    for size, rows in result_rows.items():
        for j in range(len(LEAD), include):
            col = letter(j)
            cells = " ".join(f"{col}{r + 1}" for r in rows)
            ws.data_validation(rows[0], j, rows[0], j, {
                "validate": "list", "ignore_blank": True, "multi_range": cells,
                "source": f"={col}{rows[0] + 1 - size}:{col}{rows[0]}"})  # relative: the block above each cell


def _instructions(wb, result: DuplicateResult) -> None:
    ws = wb.add_worksheet("How to")
    ws.set_column(0, 0, 110)
    lines = [
        "Duplicate customers to review",
        (f"{len(result.clusters)} clusters from {len(result.records):,} records; pairs at or above "
         f"{result.threshold:.2f} are listed, clusters at or above {result.auto_merge:.2f} come set to merge."),
        "Yellow cells differ between the records of a cluster.",
        "On each green or red result row: set decision to merge, keep apart or review (review is not applied).",
        "customer_code on the result row is the surviving customer; the other included records are merged into it",
        "and their codes kept as aliases, so later uploads with an old code update the survivor.",
        "Each field of the result row is the value the survivor keeps (a dropdown of the values above).",
        "Set include to no on a record row to leave that record out of the merge.",
        "Then: crm-xl duplicates apply REVIEW.xlsx --db URL --dry-run, and without --dry-run to apply.",
    ]
    bold = wb.add_format({"bold": True, "font_size": 13})
    for k, line in enumerate(lines):
        ws.write_string(k, 0, line, bold if k == 0 else None)


@dataclass
class Decision:
    cluster: int
    decision: str
    survivor: str
    values: dict[str, str | None]  # field -> the winning value (cell text)
    records: list[dict]  # each included record's cell texts, as the review saw them
    cells: dict[str, str]  # field -> cell reference of the result row, for findings
    problems: list


def read_review(path: Path) -> list[Decision]:
    """Every cluster block of a review workbook (through the guarded reader), checked for sense."""
    from crm_xl.sheets.reading import read_untrusted_table

    table = read_untrusted_table(path, sheet=SHEET)
    frame = table.frame
    missing = [c for c in ("cluster", "line", "decision", "include") if c not in frame.columns]
    if missing:
        raise InputError([finding("review-bad-layout", file=path, columns=", ".join(missing))])
    fields = [f for f in frame.columns if f in columns()]
    names = [*fields, "cluster", "line", "decision", "include"]
    rows = list(zip(*[_texts(frame[f], f) for f in names]))  # plain lists: thousands of small blocks
    at = {name: k for k, name in enumerate(names)}
    blocks: dict[str, list[int]] = {}
    for position, r in enumerate(rows):
        if r[at["cluster"]] is not None:
            blocks.setdefault(r[at["cluster"]], []).append(position)
    out = []
    for cluster, positions in blocks.items():
        records = [p for p in positions if rows[p][at["line"]] == RECORD]
        results = [p for p in positions if rows[p][at["line"]] == RESULT]
        number = int(float(cluster))
        if len(results) != 1:
            raise InputError([finding("review-bad-layout", file=path, columns=f"cluster {number}: one result row")])
        res = dict(zip(names, rows[results[0]]))
        cells = {f: f"[{SHEET}] {table.cell(results[0], f)}" for f in [*fields, "decision"]}
        included = [dict(zip(fields, rows[p])) for p in records
                    if (rows[p][at["include"]] or "yes").strip().casefold() != "no"]
        decision = (res["decision"] or REVIEW).strip().casefold()
        problems = []
        if decision not in DECISIONS:
            problems.append(finding("review-bad-choice", file=path, cell=cells["decision"], column="decision",
                                    value=res["decision"], choices=", ".join(DECISIONS)))
        codes = sorted({r[KEY] for r in included} - {None})
        if decision == MERGE and res[KEY] not in codes:  # the survivor must be one of the records kept in
            problems.append(finding("review-bad-choice", file=path, cell=cells[KEY], column=KEY, value=res[KEY],
                                    choices=", ".join(codes) or "(no record included)"))
        for f in fields:
            if f == KEY:
                continue
            allowed = {r[f] for r in included} - {None}
            if res[f] is not None and res[f] not in allowed and decision == MERGE:
                problems.append(finding("review-bad-choice", file=path, cell=cells[f], column=f, value=res[f],
                                        choices=", ".join(sorted(allowed)) or "(empty)"))
        out.append(Decision(number, decision, res[KEY], {f: res[f] for f in fields if f != KEY}, included,
                            cells, problems))
    return out
