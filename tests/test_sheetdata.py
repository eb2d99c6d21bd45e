"""Tables written as column-built sheet XML read back as the values they were, in any reader."""
import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from crm_xl.xlsx.writing import new_workbook, write_table

TRICKY = ["=1+1", "_x0041_", "a\x01b", "<r><t>x</t></r>", "  spaced ", "a & b <c>", "한글 中文", "+82 10", "@SUM(A1)"]


def frame() -> pd.DataFrame:
    n = len(TRICKY)
    return pd.DataFrame({
        "customer_code": TRICKY,
        "credit_limit": [1234567.0, np.nan, np.inf, -5.5, 0.1 + 0.2, 1e15, 2.0**53, 7, 0],
        "mixed": [dt.date(9999, 12, 31), 3, True, "text", None, pd.Timestamp("2026-10-31"), np.nan,
                  np.datetime64("1900-03-01"), 1.5],
        "last_order_date": pd.array(["2026-01-02"] * (n - 1) + [None], dtype="datetime64[s]"),
        "credit_grade": pd.Categorical(["AAA", None, "C"] * 3),
        "rfm_r": pd.array([1, None, 5] * 3, dtype="Int8"),
        "flag": [True, False] * 4 + [True],
    })


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("sheetdata") / "t.xlsx"
    wb = new_workbook(path)
    write_table(wb, "Customers", frame())
    wb.close()
    return path


def test_text_stays_text_and_exact(written):
    ws = openpyxl.load_workbook(written)["Customers"]
    got = [ws.cell(r, 1).value for r in range(2, 2 + len(TRICKY))]
    # openpyxl does not decode Excel's _xHHHH_ escapes (Excel and calamine do): compare the others
    assert [g for g, t in zip(got, TRICKY) if "_x" not in t and "\x01" not in t] == \
        [t for t in TRICKY if "_x" not in t and "\x01" not in t]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 2 + len(TRICKY)))  # never a formula
    calamine = CalamineWorkbook.from_path(str(written)).get_sheet_by_name("Customers").to_python()
    assert [row[0] for row in calamine[1:]] == TRICKY


def test_numbers_dates_booleans_and_blanks(written):
    ws = openpyxl.load_workbook(written)["Customers"]
    head = {c.value: c.column for c in ws[1]}
    col = lambda name: [ws.cell(r, head[name]).value for r in range(2, 11)]
    assert col("credit_limit") == [1234567, None, None, -5.5, 0.1 + 0.2, 1e15, 2**53, 7, 0]
    assert ws.cell(2, head["credit_limit"]).number_format == "#,##0"
    assert col("mixed") == [dt.datetime(9999, 12, 31), 3, True, "text", None, dt.datetime(2026, 10, 31), None,
                            dt.datetime(1900, 3, 1), 1.5]
    assert ws.cell(2, head["mixed"]).number_format == "yyyy-mm-dd"
    assert col("last_order_date")[0] == dt.datetime(2026, 1, 2) and col("last_order_date")[-1] is None
    assert col("credit_grade")[:3] == ["AAA", None, "C"] and col("rfm_r")[:3] == [1, None, 5]
    assert col("flag")[:2] == [True, False]
    assert ws.max_row == 10 and ws.auto_filter.ref == "A1:G10"


def test_a_cell_written_among_the_spliced_rows_is_refused(tmp_path):
    wb = new_workbook(tmp_path / "t.xlsx")
    ws = write_table(wb, "Customers", frame())
    ws.write_string(3, 0, "would break the row order")
    with pytest.raises(RuntimeError, match="row 4"):
        wb.close()


def test_text_shaped_like_rich_string_xml_is_written_as_text(tmp_path):
    """xlsxwriter's constant-memory mode writes `<r>…</r>` raw; a person may type exactly that."""
    import openpyxl

    from crm_xl.xlsx.writing import new_workbook, write_value

    typed = ["<r>a<b</r>", "<r><t>x</t></r>", " <r>lead</r>", "<r>&amp;</r>"]
    path = tmp_path / "t.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet("S")
    for i, text in enumerate(typed):
        write_value(ws, i, 0, text)
    ws.write_rich_string(len(typed), 0, "plain ", wb.add_format({"bold": True}), "bold")  # real rich text still works
    wb.close()
    back = openpyxl.load_workbook(path)["S"]
    assert [back.cell(i + 1, 1).value for i in range(len(typed))] == typed
    assert str(back.cell(len(typed) + 1, 1).value) == "plain bold"


from hypothesis import given, settings, strategies as st  # noqa: E402

from crm_xl.xlsx.sheetdata import MAX_TEXT, _escaped, number_texts, escape_text  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text() | st.sampled_from(TRICKY + ["\x00", "a\x00b", "x" * (MAX_TEXT + 5), " ", "_x00e9_"]),
                max_size=12))
def test_texts_escaped_together_as_one_by_one(texts):
    """The batched escape (texts joined by NUL) gives exactly what escaping each text alone gives."""
    assert _escaped(texts, ' s="3"') == [escape_text(t, ' s="3"') for t in texts]


@pytest.mark.parametrize("texts", [["a ", " b", "c"], [" "], ["x", "\u3000y\u3000", "z\n"], [" a", "b "],
                                   ["a", " ", " ", "b"], ["\x1fa", "b\x1c"], ["p", "&lt; ", " <q>"]])
def test_texts_with_spaces_at_their_ends_keep_them(texts):
    """Spaces at either end (any Unicode space) are kept (xml:space), side by side in the joined form too."""
    assert _escaped(texts, "") == [escape_text(t, "") for t in texts]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=50))
def test_number_texts_read_back_exactly(values):
    texts = number_texts(np.array(values, dtype=np.float64)).tolist()
    assert [float(t) for t in texts] == values
    assert all(not t.endswith(".0") for t in texts)  # 12.0 is written 12, as Excel stores it


import os  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402

from crm_xl.xlsx import forked, sheetdata  # noqa: E402


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:  # reading checks each entry's CRC
        return z.read("xl/worksheets/sheet1.xml")


def _written(path, rows: pd.DataFrame, progress=None):
    wb = new_workbook(path)
    write_table(wb, "Customers", rows, progress)
    wb.close()
    return _sheet_xml(path)


def test_rows_built_on_spare_cores_are_the_rows_built_in_one_process(tmp_path, monkeypatch):
    """Pieces built in forked workers come back whole and in order: the sheet is byte for byte the one
    built in a single process, and progress counts every row once."""
    monkeypatch.setattr(sheetdata, "CHUNK", 4)  # 9 x 7 = 63 rows: 16 pieces, shared by three processes
    rows = pd.concat([frame()] * 7, ignore_index=True)
    monkeypatch.setattr(forked, "spare_cores", lambda: 0)
    alone = _written(tmp_path / "alone.xlsx", rows)
    monkeypatch.setattr(forked, "spare_cores", lambda: 2)
    counted = []
    shared = _written(tmp_path / "shared.xlsx", rows, counted.append)
    assert shared == alone
    assert sum(counted) == len(rows) and alone.count(b"<row ") == len(rows) + 1


def test_a_worker_that_dies_leaves_its_pieces_to_the_caller():
    parent = os.getpid()

    def build(i: int) -> bytes:
        if os.getpid() != parent:
            os._exit(1)  # a worker killed (out of memory) mid-piece
        return str(i).encode()

    assert list(forked.in_order(7, build, workers=1)) == [str(i).encode() for i in range(7)]


def test_a_worker_killed_while_it_sends_a_piece_leaves_the_rest_to_the_caller():
    """Killed with part of a piece in the pipe (the out-of-memory killer's case): no hang, every
    piece whole and in order."""
    import signal
    import threading
    import time

    parent = os.getpid()

    def build(i: int) -> bytes:
        if os.getpid() != parent:  # the helper: killed while blocked writing 5 MB into a full pipe
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGKILL)).start()
            return b"x" * 5_000_000
        if i == 0:
            time.sleep(0.6)  # the caller reads late: the helper is blocked mid-piece when killed
        return str(i).encode()

    assert list(forked.in_order(6, build, workers=1)) == [str(i).encode() for i in range(6)]


def test_the_caller_stopping_early_ends_its_helpers():
    import time

    pids = []
    parent = os.getpid()

    def build(i: int) -> bytes:
        if os.getpid() != parent:
            time.sleep(0.05)
        return b"x" * 200_000

    pieces = forked.in_order(50, build, workers=2)
    next(pieces)
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent_of(int(p)) == parent]
    assert pids  # the helpers are running
    pieces.close()  # e.g. the writer failed (disk full) or Ctrl-C
    assert not [p for p in pids if os.path.exists(f"/proc/{p}")]


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_without_isal_the_same_sheet_is_written_with_zlib(tmp_path, monkeypatch):
    rows = pd.concat([frame()] * 50, ignore_index=True)
    with_isal = _written(tmp_path / "isal.xlsx", rows)
    monkeypatch.setitem(sys.modules, "isal", None)  # the fast extra not installed: import fails
    assert _written(tmp_path / "zlib.xlsx", rows) == with_isal
    sizes = [zipfile.ZipFile(tmp_path / f).getinfo("xl/worksheets/sheet1.xml").compress_size
             for f in ("isal.xlsx", "zlib.xlsx")]
    assert sizes[0] != sizes[1]  # each compressor did write its own entry


def test_a_daemon_process_builds_every_piece_itself(monkeypatch):
    """A pool's worker process is a daemon, and a daemon may not start processes of its own."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    assert forked.spare_cores() == 0


@pytest.mark.parametrize("shared_strings", [False, True])
def test_escape_like_text_written_by_xlsxwriter_itself_reads_back_as_typed(tmp_path, shared_strings):
    """Cells xlsxwriter writes (Issues sheets, review workbooks) escape overlapping _xHHHH_ runs too."""
    import xlsxwriter

    typed = ["_x005F_x0041_", "_x0041_x0042_", "_x0041_", "a_x00e9_b_x00E9_"]
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings})
    ws = wb.add_worksheet("S")
    for i, text in enumerate(typed):
        ws.write_string(i, 0, text)
    wb.close()
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python()
    assert [row[0] for row in got] == typed


def test_escape_like_text_in_a_table_reads_back_as_typed(tmp_path):
    typed = ["_x005F_x0041_", "_x0041_x0042_", "x_x0041__x0042_", "_x005f_x005F_x0041_"] * 30  # both paths
    path = tmp_path / "t.xlsx"
    wb = new_workbook(path)
    write_table(wb, "Customers", pd.DataFrame({"store_name": typed}))
    wb.close()
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Customers").to_python()
    assert [row[0] for row in got[1:]] == typed


from crm_xl.xlsx import arrow_rows  # noqa: E402

EDGE_NUMBERS = [0.0, -0.0, 1e-4, np.nextafter(1e-4, 0), np.nextafter(1e-4, 1), 1e9, np.nextafter(1e9, 0), -123.456,
                0.1 + 0.2, 1 / 3, 2.0**53, 2.0**53 + 2, -(2.0**53) - 2, 1e15 + 0.5, 1e16, 1.5e300, 5e-324,
                123456789.123, -999999999.9999, 12.5, np.nan, np.inf, -np.inf]


def _both_ways(rows: pd.DataFrame, styles=None, overrides=()) -> tuple[bytes, bytes]:
    styles = styles or [sheetdata.CellStyles(number=' s="3"', date=' s="2"', text=' s="4"') for _ in rows.columns]
    table = sheetdata.TableRows(rows, styles, first_row=2, overrides=overrides)
    return sheetdata.rows_xml(table, 0).encode("utf-8"), arrow_rows.rows_bytes(table, 0)


def test_arrow_rows_are_the_rows_of_the_plain_path():
    """Every kind of column the writer meets (text with escapes and blanks, numbers at the edges of
    Arrow's own formatting, dates, categories, nullable ints, booleans, mixed objects)."""
    rows = pd.concat([frame()] * 3, ignore_index=True)
    rows["edge"] = (EDGE_NUMBERS * 2)[:len(rows)]
    rows["texts"] = pd.array((["a", None, "", " b ", "c&d"] * 6)[:len(rows)], dtype="str")
    plain, arrow = _both_ways(rows)
    assert arrow == plain
    blank = [sheetdata.CellStyles(number=' s="3"', blank=' s="5"') for _ in rows.columns]  # empty cells written styled
    plain, arrow = _both_ways(rows, blank)
    assert arrow == plain
    red, grey = (sheetdata.CellStyles(number=f' s="{n}"', date=f' s="{n + 1}"', text=f' s="{n}"', blank=f' s="{n}"')
                 for n in (7, 9))  # cells styled apart from their column, a later one over an earlier one
    overrides = tuple((j, np.array(p), s) for j, p, s in [(0, [0, 3, 26], red), (1, [1, 2, 3], grey), (1, [2], red),
                                                           (2, [4, 5, 6], red), (4, [0, 1], red), (5, [1], grey)])
    plain, arrow = _both_ways(rows, overrides=overrides)
    assert arrow == plain and plain.count(b' s="7"') >= 6 and plain.count(b' s="9"') >= 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(EDGE_NUMBERS)
                | st.integers(-10**12, 10**12).map(lambda i: i / 1000), min_size=1, max_size=40))
def test_arrow_numbers_are_written_as_the_plain_path_writes_them(values):
    plain, arrow = _both_ways(pd.DataFrame({"n": np.array(values, dtype=np.float64)}))
    assert arrow == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.text() | st.sampled_from(TRICKY + ["", " ", "_x00e9_", "\x00", "a\x00b"]),
                min_size=1, max_size=30))
def test_arrow_texts_are_written_as_the_plain_path_writes_them(texts):
    texts = [t for t in texts if t is None or not any("\ud800" <= c <= "\udfff" for c in t)]  # no lone surrogates in XML
    if texts:
        plain, arrow = _both_ways(pd.DataFrame({"t": pd.Series(texts, dtype=object)}))
        assert arrow == plain


def test_a_findings_sheet_links_each_cell_and_says_how_many_more(tmp_path, monkeypatch):
    """The findings go in as a table: each cell links to its place (Hyperlink style), past the link limit
    the cells are plain text, nothing typed turns into a formula, and the last line follows them."""
    from crm_xl.xlsx import writing

    monkeypatch.setattr(writing, "MAX_LINKS", 3)
    rows = [(f"D{i + 2}", "error", "not-a-number", "amount", "=1+1" if i == 0 else i, f"message {i}", None)
            for i in range(5)] + [(None, "warning", "column-missing", "phone", float("nan"), "no cell", "fix")]
    path = tmp_path / "f.xlsx"
    wb = new_workbook(path)
    wb.add_worksheet("고객 'list' & <x>")
    writing.write_findings_sheet(wb, "Issues", "고객 'list' & <x>", rows, last_line="... and 9 more")
    wb.close()
    ws = openpyxl.load_workbook(path)["Issues"]
    assert [ws.cell(r, 1).value for r in range(2, 9)] == ["D2", "D3", "D4", "D5", "D6", None, "... and 9 more"]
    assert [ws.cell(r, 1).hyperlink.location if ws.cell(r, 1).hyperlink else None for r in range(2, 9)] == \
        [f"'고객 ''list'' & <x>'!D{r}" for r in (2, 3, 4)] + [None] * 4
    assert ws["A2"].style == "Hyperlink" and ws["A2"].font.u == "single" and ws["A5"].style == "Normal"
    assert all(ws[f"{c}2"].alignment.vertical == "top" for c in "ABCDEF")  # level with a wrapped message
    assert ws["E2"].value == "=1+1" and ws["E2"].data_type == "s" and ws["E3"].value == "1"
    assert ws["E7"].value is None and ws["G2"].value is None and ws["F7"].alignment.wrap_text
    assert ws.max_row == 8
