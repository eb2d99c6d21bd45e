"""`crm-xl report`: the monthly report workbook, an HTML summary for e-mail, and a PDF."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup
import openpyxl
import pandas as pd

from crm_xl import values
from crm_xl.files import atomic_path, refuse_overwriting
from crm_xl.findings import InputError, finding
from crm_xl.model import ScoringModel
from crm_xl.reports import svg
from crm_xl.reports.figures import CreditHistory, ReportFigures, build_figures
from crm_xl.reports.render import render_workbook
from crm_xl.reports.template import build_template
from crm_xl.scoring.problems import Problems
from crm_xl.scoring.rfm import Transactions, prepare_transactions
from crm_xl.sheets.reading import read_untrusted_with_orders
from crm_xl.store.db import existing
from crm_xl.store.export import master_frame, pending_reviews
from crm_xl.xlsx.safety import check_thoroughly
from crm_xl.texts import text

HTML_TEMPLATE = "monthly_summary.html.j2"
ONE_PAGE_ROWS = 60  # sheets up to this long print on one page; longer lists run on, one page wide
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"  # the project's templates/ (editable install)


@dataclass
class ReportResult:
    workbook: Path
    html: Path | None
    pdf: Path | None
    figures: ReportFigures
    seconds: dict
    issues: list = field(default_factory=list)  # bad cells of the input files (findings at their cells)


def report_context(figures: ReportFigures) -> dict:
    context = asdict(figures)
    context.update(context.pop("tables"))
    context.update(context.pop("matrices"))
    context["kpi_rows"] = [_kpi_text(k) for name, k in figures.kpi.items() if name not in ("stale", "backtest")]
    return context


def _kpi_text(k: dict) -> dict:
    def show(v):
        if v is None:
            return "–"
        if isinstance(v, float) and abs(v) < 1.5 and "share" in k["label"].lower():
            return f"{v:.1%}"
        if isinstance(v, float) and abs(v) <= 1 and "level" in k["label"].lower():
            return f"{v:.3f}"
        return f"{v:,.0f}"
    change = k["change"]
    if k["previous"] is None:
        change_text = text("report.no_previous") if k["value"] is not None else "–"
    else:
        change_text = ("+" if change and change > 0 else "") + show(change)
    return {"label": k["label"], "value_text": show(k["value"]), "previous_text": show(k["previous"]),
            "change_text": change_text, "direction": news(change, k.get("good"))}


def news(change, good: str | None) -> str:
    """"good" or "bad" news by whether the figure went the way that is good for it; "" for no change
    or a figure that is neither (the colour follows the meaning, not the sign)."""
    if not change or good is None:
        return ""
    return "good" if (change > 0) == (good == "up") else "bad"


def run_report(month: str, customers: Path | None, transactions: Path | None, output: Path, model: ScoringModel, *,
               previous: Path | None = None, template: Path | None = None, html: bool = True,
               pdf: bool = False, progress: Callable[[str], None] = lambda stage: None,
               db: str | None = None) -> ReportResult:
    """The report from a customer table, or from the master data (`db`, which also counts pending reviews)."""
    check_request(month, output)
    clock = time.perf_counter()
    refuse_overwriting(output, customers, transactions, previous)
    if (customers is None) == (db is None):
        raise InputError([finding("bad-option", option="--customers / --db", value=str(customers or db or ""),
                                  problem="names the customers twice or not at all",
                                  hint="Give the customers either as a file (--customers) or as the master data (--db).")])
    progress(f"reading {customers or 'the master data'}" + (f" and {transactions}" if transactions else ""))
    pending, history = None, None
    files = {name: path for name, path in (("customers", customers), ("previous", previous)) if path is not None}
    read, orders = read_untrusted_with_orders([(path, None, "customer_code") for path in files.values()], transactions)
    tables = dict(zip(files, read))
    if db is not None:
        from crm_xl.store.credit import pending_credit_reviews, receivables_history, snapshot_frame

        engine = existing(db)
        frame = master_frame(engine)
        pending = len(pending_reviews(engine)) + len(pending_credit_reviews(engine))
        history = CreditHistory(snapshot_frame(engine), receivables_history(engine))
    else:
        frame = tables["customers"].frame
    tx, issues = orders or (None, [])  # typed once, in its reading child: its bad cells are said at their cells
    before = tables["previous"].frame if previous else None
    read_s = time.perf_counter() - clock
    clock = time.perf_counter()
    progress(f"scoring {len(frame):,} customers for {month} and the month before")
    figures = build_figures(frame, tx, month, model, before, pending_reviews=pending, history=history)
    seconds = {"read": round(read_s, 3), "figures": round(time.perf_counter() - clock, 3)}
    result = write_outputs(figures, output, seconds, template=template, html=html, pdf=pdf, progress=progress)
    result.issues = issues
    return result


def check_request(month: str, output: Path) -> None:
    """A month as YYYY-MM and an .xlsx to write, before any work is done."""
    if values.month_start(month) is None:
        raise InputError([finding("bad-option", option="--month", value=month, problem=values.MONTH_PROBLEM,
                                  hint=values.MONTH_HINT)])
    if output.suffix.lower() != ".xlsx":
        raise InputError([finding("unsupported-output", file=output, suffix=output.suffix, allowed=".xlsx")])


def write_outputs(figures: ReportFigures, output: Path, seconds: dict, *, template: Path | None = None,
                  html: bool = True, pdf: bool = False,
                  progress: Callable[[str], None] = lambda stage: None) -> ReportResult:
    """The workbook, and the HTML summary and PDF when asked for, from the figures."""
    clock = time.perf_counter()
    progress(f"writing {output}")
    write_report(figures, output, template)
    html_path = _write_html(report_context(figures), output.with_suffix(".html")) if html else None
    if pdf:
        progress("rendering the PDF with LibreOffice")
    pdf_path = _write_pdf(output) if pdf else None
    return ReportResult(output, html_path, pdf_path, figures,
                        {**seconds, "write": round(time.perf_counter() - clock, 3)})


def write_report(figures: ReportFigures, output: Path, template: Path | None = None) -> Path:
    """Fill the template (the built-in one by default) with the figures and save it atomically."""
    wb = _load_template(template)
    render_workbook(wb, report_context(figures), str(template or "built-in template"))
    for ws in wb.worksheets:  # a sheet that fits on a page prints on one page, its chart whole
        bottom = max([ws.max_row, *(c.anchor.to.row + 1 for c in ws._charts if hasattr(c.anchor, "to"))])
        ws.page_setup.fitToHeight = 1 if bottom <= ONE_PAGE_ROWS else 0
    with atomic_path(output) as tmp:
        wb.save(tmp)
    return output


def _load_template(template: Path | None):
    if template is None:
        return build_template()
    if not template.is_file():
        raise InputError([finding("file-not-found", file=template)])
    check_thoroughly(template)  # loaded here (the workbook is filled in this process): every part checked first
    try:
        return openpyxl.load_workbook(template)
    except Exception as exc:  # a damaged template is the user's file, not a crash
        raise InputError([finding("file-unreadable", file=template, detail=f"is not a workbook ({exc})")]) from None


def _write_html(context: dict, path: Path) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    with atomic_path(path) as tmp:
        tmp.write_text(env.get_template(HTML_TEMPLATE).render(**context, charts=html_charts(context),
                                                              no_previous=text("report.no_previous")), "utf-8")
    return path


def html_charts(context: dict) -> list[Markup]:
    """The report's main charts as inline SVG (each escapes its own text)."""
    out = []
    if context.get("trend"):
        out.append(svg.line("Sales per month", [t["month"] for t in context["trend"]],
                            [t["amount"] for t in context["trend"]]))
    for name, title, compared in (("tiers", "Customers per tier", True),
                                  ("grades", "Customers per credit grade", context.get("snapshot", True))):
        rows = context.get(name) or []
        if rows:  # last month beside this month only where last month is known
            series = [("last month", [r["previous"] for r in rows])] if compared else []
            out.append(svg.columns(title + (": last month and this month" if compared else ""),
                                   [r["label"] for r in rows], [*series, ("this month", [r["count"] for r in rows])]))
    return [Markup(chart) for chart in out]  # noqa: S704 - built by crm_xl.reports.svg, every text escaped


def _write_pdf(workbook: Path) -> Path | None:
    from crm_xl.office import PDF_ONE_PAGE_PER_SHEET, OfficeError, convert, soffice

    if soffice() is None:
        return None
    try:
        return convert([workbook], PDF_ONE_PAGE_PER_SHEET, workbook.parent)[0]  # a page per sheet
    except OfficeError:
        return None


def latest_month(transactions: pd.DataFrame | Transactions) -> str | None:
    """The month of the latest order that counts (crm_xl.scoring.rfm.prepare_transactions: bad rows
    left out): what a report button reports on by default."""
    if not isinstance(transactions, Transactions):
        transactions = prepare_transactions(transactions, Problems(len(transactions)))
    if not len(transactions):
        return None
    month = str(transactions.date.max().astype("datetime64[M]"))
    return month if values.month_start(month) is not None else None
