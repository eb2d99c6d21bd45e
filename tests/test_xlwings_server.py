"""crm_xl on the real xlwings Server (the registry's xlwings-server, run locally, offline).

A project made by `xlwings-server init`, wired with `crm-xl addin server --into`, started with
uvicorn under the noncommercial licence key; then called with the JSON bodies Office.js sends
(every argument a 2-D array, "" for an empty cell, null for an omitted optional, an error cell
as a data-type object) and compared with the library's own results.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from crm_xl.model import default_model
from crm_xl.scoring import columns
from crm_xl.sheets.adapters import OpenpyxlSheet
from crm_xl.sheets.regrade import regrade
from udfs import functions

BIN = Path(sys.executable).parent
ROWS = [["고객코드", "품성", "상환능력", "자본", "담보", "여건", "월평균수량"],
        ["C1", 9, 9, 9, 9, 9, 45], ["C2", 7, 12, 7, 7, 7, 3], ["C3", 6, 6, 6, 6, 6, 12], ["C4", "", 5, 5, 5, 5, ""]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = tmp_path_factory.mktemp("server") / "crm_project"
    subprocess.run([str(BIN / "xlwings-server"), "init", str(project)], check=True, capture_output=True)
    wired = subprocess.run([str(BIN / "crm-xl"), "addin", "server", "--into", str(project)],
                           capture_output=True, text=True)
    assert wired.returncode == 0, wired.stderr
    port = _free_port()
    log = open(project / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app", "--port", str(port)], cwd=project,
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if process.poll() is not None:
                break
            try:
                if _get(base + "/xlwings/custom-functions-meta")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert process.poll() is None, (project / "server.log").read_text()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def call(base: str, name: str, *args) -> list:
    """POST /xlwings/custom-functions-call with the body Office.js sends for =CRM.NAME(args)."""
    body = {"client": "Office.js", "func_name": name, "args": list(args), "caller_address": "[Book1.xlsx]Sheet1!K2",
            "session_id": "3f6c1d7e-test", "culture_info_name": "en-US", "date_format": "m/d/yyyy",
            "version": "0.37.8", "runtime": "1.4"}
    return _post(base + "/xlwings/custom-functions-call", body)["result"]


def error(kind: str) -> dict:
    """An error cell as Office.js passes it to a custom function."""
    names = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#REF!": "Ref"}
    return {"type": "Error", "basicValue": kind, "basicType": "Error", "errorType": names[kind]}


def test_meta_lists_every_crm_function_beside_the_projects_own(server):
    meta = json.loads(_get(server + "/xlwings/custom-functions-meta")[1])
    listed = {f["name"]: f for f in meta["functions"]}
    assert set(functions.CATALOGUE) <= set(listed)
    assert "HELLO" in listed  # the project's own functions stay
    for name, spec in functions.CATALOGUE.items():
        assert listed[name]["description"] == spec.description
        assert [p["name"] for p in listed[name]["parameters"]] == list(spec.docs)
    assert meta["allowErrorForDataTypeAny"] is True  # error cells reach the functions as errors


def test_function_results_equal_the_librarys_with_real_error_values(server):
    model = default_model()
    scores = [[9, 9, 9, 9, 9], [7, 12, 7, 7, 7], ["", "", "", "", ""], [error("#DIV/0!"), 7, 7, 7, 7],
              [7, 7, 7, 7, ""]]
    library = columns.credit_levels([[9] * 5, [7, 12, 7, 7, 7], [None] * 5, [None, 7, 7, 7, 7], [7, 7, 7, 7, None]],
                                    model)
    assert call(server, "credit_score", scores, None, None) == [
        [library.values[0]], [{"type": "Error", "errorType": "Value"}], [""],
        [{"type": "Error", "errorType": "Div0"}], [{"type": "Error", "errorType": "NotAvailable"}]]
    assert call(server, "credit_grade", [[0.95], [0.72], [""], [2]], None, None) == [
        ["AAA"], ["A"], [""], [{"type": "Error", "errorType": "Value"}]]
    assert call(server, "credit_limit", [["AAA"], ["C"]], [[300000], [1e6]], [[45]], None, None) == [
        [columns.credit_limits(["AAA"], [300000], [45], [None], model).values[0]], [0]]
    assert call(server, "customer_tier", [[12]], None, None) == [["T3"]]
    assert call(server, "customer_class", [["食杂店"]], [["城镇"]], [["大"]], None) == [["CZL"]]
    assert call(server, "value_segment", [[80]], [[80]], [[80]], [[20]], [[20]], None) == [["secondary"]]
    assert call(server, "customer_tags", [["C"]], [["T1"]], [["core"]], [["At Risk"]], [[75]], None) == [
        ["high value, cash only, top tier, churn risk, late payer"]]
    rfm = call(server, "rfm_segment", [[1], [30], [90], [200], [5], [400]], [[10], [5], [2], [1], [14], [1]],
               [[500], [400], [90], [10], [900], [5]], None)
    expected = columns.rfm_segments([1, 30, 90, 200, 5, 400], [10, 5, 2, 1, 14, 1], [500, 400, 90, 10, 900, 5],
                                    model).values
    assert rfm == [[v] for v in expected]
    assert call(server, "crm_model", None) == [[model.title]]


def test_regrade_script_sends_back_what_the_headless_regrade_writes(server):
    sheet = {"name": "Customers", "visibility": "Visible", "show_gridlines": True, "print_area": None, "notes": [],
             "notes_supported": True, "used_range_address": "A1:G5", "used_range_row_count": 5,
             "used_range_column_count": 7, "values": ROWS, "pictures": [], "shapes": [], "charts": [],
             "tables": [], "pivot_tables": []}
    payload = {"client": "Office.js", "version": "0.37.8",
               "book": {"name": "customers.xlsx", "active_sheet_index": 0, "selection": "A1",
                        "calculation": "Automatic"}, "names": [], "sheets": [sheet]}
    actions = _post(server + "/xlwings/custom-scripts-call/regrade_sheet", payload)["actions"]
    written = {}
    for a in actions:
        if a["func"] == "setValues":
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    written[(a["start_row"] + i, a["start_column"] + j)] = v
    wb = openpyxl.Workbook()
    for row in ROWS:
        wb.active.append([None if v == "" else v for v in row])
    regrade(OpenpyxlSheet(wb.active), default_model())
    headless = {(r - 1, c - 1): wb.active.cell(r, c).value for r in range(1, 6) for c in range(8, wb.active.max_column + 1)}
    assert {k: (None if v == "" else v) for k, v in written.items()} == headless
    alerts = [a["args"][0] for a in actions if a["func"] == "alert"]
    assert alerts == ["Regraded 4 customers on Customers: AAA 1 · B 1; 2 rows have issues"]


def test_every_url_the_manifest_names_resolves(server):
    status, body = _get(server + "/manifest")
    assert status == 200
    root = ElementTree.fromstring(body)
    urls = {e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")}
    assert any(u.endswith("/xlwings-80.png") for u in urls) and any(u.endswith("custom-functions-code.js") for u in urls)
    bad = {u: _get(u)[0] for u in urls if _get(u)[0] != 200}
    assert bad == {}
    namespace = [e.get("DefaultValue") for e in root.iter() if e.get("id") == "Functions.Namespace"]
    assert namespace == ["CRM"]
    code = _get(server + "/xlwings/custom-functions-code.js")[1].decode()
    assert all(f'CustomFunctions.associate("{name}"' in code for name in functions.CATALOGUE)


def test_wiring_again_changes_nothing(server, tmp_path):
    project = tmp_path / "again"
    subprocess.run([str(BIN / "xlwings-server"), "init", str(project)], check=True, capture_output=True)
    first = subprocess.run([str(BIN / "crm-xl"), "addin", "server", "--into", str(project)], capture_output=True, text=True)
    snapshot = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    second = subprocess.run([str(BIN / "crm-xl"), "addin", "server", "--into", str(project)], capture_output=True, text=True)
    assert first.returncode == second.returncode == 0
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == snapshot
    assert "already imports crm_xl" in second.stdout and "written" not in second.stdout
    shutil.rmtree(project / "custom_scripts")
    refused = subprocess.run([str(BIN / "crm-xl"), "addin", "server", "--into", str(project)], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "[not-a-server-project]" in refused.stderr and "custom_scripts/__init__.py" in refused.stderr
