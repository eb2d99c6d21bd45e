"""The paper cuts a new user hit (issue 15), each reproduced first: a cover sheet in front, the
annotated copy still a template, check-sheet and regrade agreeing, template options, review's
wording, progress on a long score."""
import os
import pty
import subprocess
import sys

import openpyxl

from crm_xl.batch import score_file
from crm_xl.model import default_model
from crm_xl.sheets.annotate import write_annotated
from crm_xl.sheets.template import DATA_SHEET, META_SHEET, write_template
from crm_xl.sheets.validation import validate_files
from tests.test_cli import run
from tests.test_template import columns_of, customers
from tests.test_validation import GOOD, HEADERS


def with_cover(path, rows=None):
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "표지"
    cover["A1"], cover["A3"] = "2026년 11월 고객 현황", "작성: 이서연"
    data = wb.create_sheet("고객")
    data.append(HEADERS)
    for row in rows or [GOOD]:
        data.append(row)
    wb.save(path)
    return path


def test_a_cover_sheet_in_front_is_passed_over(tmp_path, capsys):
    path = with_cover(tmp_path / "upload.xlsx", [GOOD, ["C2", "행복마트", "식료품점", "도시", "call me"]])
    report = validate_files([path], default_model())[0]
    assert report.sheet == "고객"
    assert [(f.cell, f.code) for f in report.findings] == [("E3", "bad-pattern")]
    code, out, _ = run(["validate", str(path), "--sheet", "고객"], capsys)
    assert code == 1 and "[고객] E3" in out
    code, _, err = run(["validate", str(path), "--sheet", "표지"], capsys)  # named, it is used as named
    assert code == 1
    code, out, _ = run(["validate", str(path), "--sheet", "없음"], capsys)
    assert code == 1 and "no sheet named '없음'" in out


def test_the_annotated_copy_of_a_template_is_still_that_template(tmp_path):
    path = write_template(tmp_path / "t.xlsx", default_model(), customers(), lang="ko")
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    cols = columns_of(ws)
    ws.cell(3, cols["score_capacity"]).value = 11  # a mistake to be marked
    wb.save(path)
    report = validate_files([path], default_model())[0]
    assert [(f.cell, f.code) for f in report.findings] == [(f"{ws.cell(3, cols['score_capacity']).column_letter}3",
                                                           "out-of-range")]
    copy = openpyxl.load_workbook(write_annotated(report, tmp_path / "t.checked.xlsx"))
    sheet = copy[DATA_SHEET]
    assert sheet.protection.sheet and copy[META_SHEET].sheet_state == "veryHidden"
    assert sheet.cell(2, cols["customer_code"]).protection.locked  # pre-filled key stays locked
    assert not sheet.cell(2, cols["phone"]).protection.locked
    assert not sheet.cell(3, cols["score_capacity"]).protection.locked  # the marked cell can be fixed
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert {"list", "decimal", "date"} <= kinds
    prompts = {dv.prompt for dv in sheet.data_validations.dataValidation}
    assert "1부터 10까지의 점수" in prompts  # hints in the template's language
    assert "작성 방법" in copy.sheetnames and "오류" in copy.sheetnames
    # fixed and uploaded again: the template checks still run, and it is clean
    sheet.cell(3, cols["score_capacity"]).value = 7
    copy.save(tmp_path / "fixed.xlsx")
    again = validate_files([tmp_path / "fixed.xlsx"], default_model())[0]
    assert again.meta is not None and again.meta["template_id"] == report.meta["template_id"]
    assert again.findings == []
    sheet.cell(4, cols["avg_monthly_qty"]).value = 99  # a locked field changed is still found
    copy.save(tmp_path / "tampered.xlsx")
    tampered = validate_files([tmp_path / "tampered.xlsx"], default_model())[0]
    assert [f.code for f in tampered.findings] == ["locked-field-changed"]


def test_check_sheet_and_regrade_agree_on_the_rows_with_issues(tmp_path, capsys):
    source = "workbooks/example_customers.xlsx"
    code, regraded, _ = run(["regrade", source, "-o", str(tmp_path / "r.xlsx")], capsys)
    rows = int(regraded.split("; ")[1].split()[0])
    code, checked, _ = run(["check-sheet", source, "-o", str(tmp_path / "c.xlsx")], capsys)
    assert f"in {rows} rows" in checked.splitlines()[0]
    marked = {c.row for row in openpyxl.load_workbook(tmp_path / "c.xlsx").active.iter_rows() for c in row
              if c.comment is not None}
    assert len(marked) == rows
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    empty_blocking = [c for row in ws.iter_rows() for c in row if c.comment is not None and c.value is None]
    assert empty_blocking, "an empty cell that keeps a score from being computed is marked too"


def test_template_for_a_manager_without_customers_is_an_error_naming_the_managers(tmp_path, capsys):
    source = tmp_path / "customers.csv"
    frame = customers()
    frame.to_csv(source, index=False)
    code, _, err = run(["template", "--from", str(source), "--manager", "Nobody", "-o", str(tmp_path / "t.xlsx")],
                       capsys)
    assert code == 2 and "--manager: 'Nobody' is not the account manager of any customer" in err
    assert sorted(frame["account_manager"].dropna().unique())[0] in err
    assert not (tmp_path / "t.xlsx").exists()


def test_template_refuses_an_output_it_cannot_write(tmp_path, capsys):
    code, _, err = run(["template", "-o", str(tmp_path / "x.csv")], capsys)
    assert code == 2 and "unsupported-output" in err and "ending in .xlsx" in err
    assert not (tmp_path / "x.csv").exists()


def test_review_says_rejected_and_approved(tmp_path, capsys):
    from tests.test_store import BASE, upload

    url = f"sqlite:///{tmp_path / 'master.db'}"
    run(["merge", str(upload(tmp_path, "a.xlsx", BASE)), "--as", "back_office", "--db", url], capsys)
    code, out, _ = run(["review", "reject", "1", "--db", url], capsys)  # bank accounts wait for review
    assert out.strip() == "rejected 1 of 1 changes"
    code, out, _ = run(["review", "approve", "2", "--db", url], capsys)
    assert out.strip() == "approved 1 of 1 changes"


def test_score_reports_progress_for_reading_scoring_and_writing(tmp_path):
    source = tmp_path / "c.csv"
    customers().to_csv(source, index=False)
    calls, done = [], {}

    def bar(stage, total):
        calls.append((stage, total))
        return lambda n: done.__setitem__(stage, done.get(stage, 0) + n)

    score_file(source, tmp_path / "out.xlsx", default_model(), progress=bar)
    n = len(customers())
    assert calls == [("reading", 1), ("scoring", n), ("writing", n)]
    assert done == {"reading": 1, "scoring": n, "writing": n}  # every bar runs to its end


def test_a_progress_bar_appears_on_a_terminal(tmp_path):
    source = tmp_path / "c.csv"
    customers().to_csv(source, index=False)
    out = tmp_path / "out.xlsx"
    pid, fd = pty.fork()
    if pid == 0:  # the child runs the command with stderr on the terminal
        os.execv(sys.executable, [sys.executable, "-m", "crm_xl.cli", "score", str(source), "-o", str(out)])
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    seen = b"".join(chunks).decode("utf-8", "replace")
    assert "scoring" in seen and "writing" in seen and "|" in seen  # tqdm's bar
    quiet = subprocess.run([sys.executable, "-m", "crm_xl.cli", "score", str(source), "-o", str(out)],
                           capture_output=True, text=True)
    assert "scoring:" not in quiet.stderr  # not a terminal: no bar
