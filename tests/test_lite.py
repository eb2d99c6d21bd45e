"""xlwings Lite runs Python in Pyodide: the core install must install and work there.

Pyodide has no fastexcel, pyarrow or psycopg wheels; those are extras ([fast], [postgres],
[addin]). The core requirements are checked against a pinned list of what installs in Pyodide,
and the Excel face is imported and run with every extra blocked.
"""
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
# Packages built into Pyodide 0.27 (the version xlwings Lite and xlwings Server 1.20's Wasm mode load).
PYODIDE_0_27 = {"numpy", "pandas", "openpyxl", "et-xmlfile", "jinja2", "markupsafe", "sqlalchemy", "greenlet",
                "python-dateutil", "pytz", "tzdata", "six", "typing-extensions", "scipy", "pyyaml", "lxml"}
# Pure-Python wheels (py3-none-any) on PyPI, which micropip installs anywhere.
PURE_PYTHON = {"click", "tqdm", "xlsxwriter", "pypinyin"}
# What Lite itself brings: its runtime is built on xlwings.
PROVIDED_BY_LITE = {"xlwings"}


def _core_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_core_requirements_all_install_in_pyodide():
    names = {r.name.lower().replace("_", "-") for r in _core_requirements()}
    allowed = PYODIDE_0_27 | PURE_PYTHON | PROVIDED_BY_LITE
    assert names - allowed == set(), "these have no Pyodide build or pure-Python wheel: move them into an extra"
    assert all(not r.extras for r in _core_requirements())  # e.g. psycopg[binary] pulls a compiled wheel


def test_the_installed_metadata_is_this_pyproject():
    """The Requires-Dist a wheel of this tree carries (a stale editable install would mislead the test above)."""
    core = {str(Requirement(r)) for r in metadata.requires("crm-xl") if "extra ==" not in r}
    assert core == {str(r) for r in _core_requirements()}


def test_the_excel_face_works_with_every_extra_missing(tmp_path):
    """No fastexcel, pyarrow, psycopg, olefile or oletools: functions, scripts and a scored file still work."""
    import openpyxl

    path = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["고객코드", "품성", "상환능력", "자본", "담보", "여건"])
    wb.active.append(["C1", 9, 9, 9, 9, 9])
    wb.save(path)
    code = textwrap.dedent(f"""
        import sys
        BLOCKED = ("fastexcel", "pyarrow", "psycopg", "olefile", "oletools")
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, Block())
        from udfs import functions, officejs, scripts  # noqa: F401
        from crm_xl.sheets.reading import read_table
        assert functions.credit_score([[7, 7, 7, 7, 7]]) == 0.7
        assert officejs.credit_grade([[0.95], [2]]) == [["AAA"], ["#VALUE!"]]
        print(read_table({str(path)!r}).frame["score_character"].tolist())
        assert not any(m.split(".")[0] in BLOCKED for m in sys.modules)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[9.0]"
