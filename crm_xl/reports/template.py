"""The shipped monthly report template, built by code so it can be rebuilt and diffed.

`python -m crm_xl.reports.template` writes templates/monthly_report.xlsx. A business user
restyles a copy in Excel and passes it with --template; see crm_xl.reports.render for what
its cells may hold.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from crm_xl.xlsx.printing import WIDE, print_setup_openpyxl

TITLE = Font(bold=True, size=16, color="1F4E78")
HEAD = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
SUB = Font(italic=True, color="595959")
BOLD = Font(bold=True)
THIN = Border(bottom=Side(style="thin", color="BFBFBF"))
INT, MONEY, PCT, LEVEL, CHANGE = "#,##0", "#,##0", "0.0%", "0.000", "+#,##0;-#,##0;0"

KPIS = [("customers", INT), ("active", INT), ("orders", INT), ("sales", MONEY), ("credit_level", LEVEL),
        ("credit_limit", MONEY), ("core_share", PCT), ("at_risk", INT)]


def _header(ws, row: int, labels: list[str], col: int = 1) -> None:
    for j, label in enumerate(labels):
        cell = ws.cell(row, col + j, label or None)
        cell.font, cell.fill = HEAD, HEAD_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)


def _title(ws, text: str, sub: str = "Compared with {{ previous_month }} · model {{ model }}") -> None:
    ws["A1"] = text
    ws["A1"].font = TITLE
    ws["A2"] = sub
    ws["A2"].font = SUB


def _row(ws, row: int, cells: list[tuple[str, str | None]]) -> None:
    for j, (text, fmt) in enumerate(cells, start=1):
        cell = ws.cell(row, j, text)
        cell.border = THIN
        if fmt:
            cell.number_format = fmt


def _widths(ws, widths: list[int]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + j)].width = w


def _movements(ws, caption: str, matrix: str) -> None:
    """Below a distribution: last month's group (rows) against this month's (columns)."""
    ws["A8"] = f"{caption}: last month (rows) to this month (columns)"
    ws["A9"] = f"{{%matrix {matrix} %}}"
    for cell in ("A8", "A9"):
        ws[cell].font = BOLD


def _distribution(wb, title: str, sheet: str, source: str, chart: str, extra: list[tuple[str, str, str]] = (),
                  chart_cell: str = "H4"):
    ws = wb.create_sheet(sheet)
    _title(ws, title)
    _header(ws, 4, ["", "Customers", "Share", "Last month", "Change"] + [e[0] for e in extra])
    _row(ws, 5, [(f"{{%row for t in {source} %}}{{{{ t.label }}}}", None), ("{{ t.count }}", INT),
                 ("{{ t.share }}", PCT), ("{{ t.previous }}", INT), ("{{ t.change }}", CHANGE)]
         + [(f"{{{{ t.{e[1]} }}}}", e[2]) for e in extra])
    ws[chart_cell] = chart
    _widths(ws, [20, 12, 10, 12, 10] + [16] * len(extra))
    return ws


def _credit_trend(wb) -> None:
    """The 12-month credit trend from the store's monthly snapshots."""
    ws = wb.create_sheet("Credit trend")
    _title(ws, "Credit trend, 12 months to {{ month }}", "From the monthly snapshots (crm-xl snapshot) · model {{ model }}")
    _header(ws, 4, ["Month", "Customers", "Average level", "Total limit", "Moved down", "Moved up", "PSI", "Reading"])
    _row(ws, 5, [("{%row for t in credit_trend %}{{ t.month }}", None), ("{{ t.customers }}", INT),
                 ("{{ t.average_level }}", LEVEL), ("{{ t.total_limit }}", MONEY), ("{{ t.down }}", INT),
                 ("{{ t.up }}", INT), ("{{ t.psi }}", LEVEL), ("{{ t.reading }}", None)])
    ws["J4"] = '{%chart line credit_trend average_level "Average credit level per month" %}'
    _widths(ws, [10, 11, 10, 15, 9, 9, 8, 22])


def _credit_monitoring(wb) -> None:
    """Stability of the credit level against last month, and the back-test of earlier grades."""
    ws = wb.create_sheet("Credit monitoring")
    _title(ws, "Credit monitoring {{ month }}")
    ws["A4"] = "PSI of the credit level"
    ws["A4"].font = BOLD
    ws["B4"] = "{{ kpi.psi.value }}"
    ws["B4"].number_format = LEVEL
    ws["C4"] = "{{ kpi.psi.reading }}"
    ws["A5"] = "Population stability index vs last month: below 0.1 stable, 0.1 to 0.25 watch, from 0.25 act (model: credit.monitoring)."
    ws["A5"].font = SUB
    _header(ws, 7, ["Level bin", "Last month", "This month", "PSI part"])
    _row(ws, 8, [("{%row for b in psi_bins %}{{ b.label }}", None), ("{{ b.previous }}", PCT), ("{{ b.share }}", PCT),
                 ("{{ b.psi }}", "0.0000")])
    ws["A10"] = "Back-test: {{ kpi.backtest.label }}"
    ws["A10"].font = BOLD
    _header(ws, 11, ["Grade", "Customers", "Went past", "Share"])
    _row(ws, 12, [("{%row for b in backtest %}{{ b.grade }}", None), ("{{ b.customers }}", INT), ("{{ b.late }}", INT),
                  ("{{ b.share }}", PCT)])
    ws["H7"] = '{%chart column2 psi_bins share "Credit level: last month and this month" %}'
    _widths(ws, [24, 12, 12, 10, 10, 10])


def build_template() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    _title(ws, "Customer report {{ month }}")
    _header(ws, 4, ["", "This month", "Last month", "Change"])
    for i, (key, fmt) in enumerate(KPIS, start=5):
        _row(ws, i, [(f"{{{{ kpi.{key}.label }}}}", None), (f"{{{{ kpi.{key}.value }}}}", fmt),
                     (f"{{{{ kpi.{key}.previous }}}}", fmt), (f"{{{{ kpi.{key}.change }}}}", fmt if fmt != INT else CHANGE)])
    ws["A14"] = "{{ kpi.stale.label }}"
    ws["B14"] = "{{ kpi.stale.value }}"
    ws["B14"].number_format = INT
    ws["A15"] = "{{ kpi.pending_reviews.label }}"
    ws["B15"] = "{{ kpi.pending_reviews.value }}"
    ws["B15"].number_format = INT
    ws["A16"] = "Notes"
    ws["A16"].font = BOLD
    ws["A17"] = "{%row for n in notes %}{{ n }}"
    ws["A17"].font = SUB
    ws["A19"] = '{%chart line trend amount "Sales per month" %}'  # below the notes, which run wide
    _widths(ws, [30, 16, 16, 18])

    trend = wb.create_sheet("Trend")
    _title(trend, "Monthly trend, 12 months to {{ month }}", "Orders and sales per month")
    _header(trend, 4, ["Month", "Customers who ordered", "Orders", "Sales amount"])
    _row(trend, 5, [("{%row for t in trend %}{{ t.month }}", None), ("{{ t.active }}", INT), ("{{ t.orders }}", INT),
                    ("{{ t.amount }}", MONEY)])
    trend["F4"] = '{%chart line trend active "Customers who ordered" %}'
    _widths(trend, [12, 14, 10, 16])

    tiers = _distribution(wb, "Customer tiers {{ month }}", "Tiers", "tiers", '{%chart column2 tiers count "Customers per tier: last month and this month" %}')
    _movements(tiers, "Tier movements", "tier_moves")

    classes = wb.create_sheet("Classes")
    _title(classes, "Customers by class (format x market x scale) {{ month }}")
    classes["A4"] = "{%matrix classes %}"
    classes["A4"].font = BOLD
    classes["A4"].alignment = Alignment(wrap_text=True)
    _widths(classes, [22] + [13] * 6)

    _distribution(wb, "Value segments {{ month }}", "Value", "segments", '{%chart bar segments count "Customers per value segment" %}')

    credit = _distribution(wb, "Credit grades and limits {{ month }}", "Credit", "grades",
                           '{%chart column2 grades count "Customers per grade: last month and this month" %}',
                           [("Total limit", "limit_total", MONEY), ("Average limit", "limit_average", MONEY),
                            ("Policy", "policy", None)], chart_cell="J4")
    credit.column_dimensions["H"].width = 40
    credit["A8"] = "Customers who moved to a worse grade"
    credit["A8"].font = BOLD
    _header(credit, 9, ["Customer", "Store", "Last month", "This month", "Limit"])
    _row(credit, 10, [("{%row for w in worse_grades %}{{ w.code }}", None), ("{{ w.name }}", None),
                      ("{{ w.previous }}", None), ("{{ w.grade }}", None), ("{{ w.limit }}", MONEY)])

    _credit_trend(wb)
    _credit_monitoring(wb)

    rfm = _distribution(wb, "Behaviour (RFM) segments {{ month }}", "RFM", "rfm", '{%chart bar rfm count "Customers per RFM segment" %}')
    _movements(rfm, "Segment movements", "rfm_moves")

    quality = wb.create_sheet("Data quality")
    _title(quality, "Data quality {{ month }}", "Completeness of each field staff maintain, least complete first")
    _header(quality, 4, ["Field", "Group", "Filled", "Empty", "Complete"])
    _row(quality, 5, [("{%row for q in quality %}{{ q.field }}", None), ("{{ q.group }}", None), ("{{ q.filled }}", INT),
                      ("{{ q.empty }}", INT), ("{{ q.completeness }}", PCT)])
    quality["A8"] = "Customers with no order for 6+ months: {{ kpi.stale.value }} in all, the longest silent listed"
    quality["A8"].font = BOLD
    _header(quality, 9, ["Customer", "Store", "Account manager", "Last order", "Months"])
    _row(quality, 10, [("{%row for s in stale_customers %}{{ s.code }}", None), ("{{ s.name }}", None),
                       ("{{ s.manager }}", None), ("{{ s.last_order or 'never' }}", None), ("{{ s.months }}", INT)])
    _widths(quality, [22, 22, 16, 12, 10])

    top = wb.create_sheet("Top customers")
    _title(top, "Top customers by sales {{ month }}")
    _header(top, 4, ["Customer", "Store", "Sales amount", "Orders", "Tier", "Grade", "Value segment"])
    _row(top, 5, [("{%row for c in top_customers %}{{ c.code }}", None), ("{{ c.name }}", None), ("{{ c.amount }}", MONEY),
                  ("{{ c.orders }}", INT), ("{{ c.tier }}", None), ("{{ c.grade }}", None), ("{{ c.segment }}", None)])
    for col in "EF":  # a short code centred, so it does not read as one with the number before it
        top[f"{col}5"].alignment = Alignment(horizontal="center")
    _widths(top, [12, 24, 14, 10, 10, 10, 16])

    tags = wb.create_sheet("Tags")
    _title(tags, "Most common portrait tags {{ month }}")
    _header(tags, 4, ["Tag", "Customers", "Share"])
    _row(tags, 5, [("{%row for t in tags %}{{ t.label }}", None), ("{{ t.count }}", INT), ("{{ t.share }}", PCT)])
    tags["F4"] = '{%chart bar tags count "Customers per tag" %}'
    _widths(tags, [20, 12, 10])
    for sheet in wb.worksheets:
        sheet.sheet_view.showGridLines = False
        print_setup_openpyxl(sheet, width=WIDE + 1, header_rows=4)  # charts beside tables: landscape
    return wb


def write_template(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(path)
    return path


if __name__ == "__main__":
    print(write_template(Path(__file__).resolve().parents[2] / "templates" / "monthly_report.xlsx"))
