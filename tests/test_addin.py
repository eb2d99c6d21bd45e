"""The desktop add-in: built reproducibly from xlwings' template and proved statically."""
import io
import re
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from crm_xl.addin import ovba
from crm_xl.addin.build import (
    BUTTONS,
    CONFIG_NAME,
    FUNCTIONS_MODULE,
    PROJECT,
    REGISTER_SUB,
    RIBBON_MODULE,
    build_addin,
    functions_source,
    install_addin,
    template_path,
    this_workbook_source,
    vba_source,
    vba_string,
)
from crm_xl.addin.check import check_addin
from udfs import functions

SHIPPED = Path(__file__).parent.parent / "workbooks" / "crm_xl.xlam"


@pytest.fixture(scope="module")
def addin(tmp_path_factory):
    return build_addin(tmp_path_factory.mktemp("addin") / "crm_xl.xlam")


def test_the_build_is_reproducible_and_is_the_shipped_file(addin, tmp_path):
    again = build_addin(tmp_path / "again.xlam")
    assert addin.read_bytes() == again.read_bytes() == SHIPPED.read_bytes()


def test_all_static_checks_pass(addin):
    assert check_addin(addin) == []


def test_the_checks_fail_on_xlwings_plain_template():
    problems = check_addin(template_path())
    assert any("RunPython" in p for p in problems) and any("conf" in p for p in problems)
    assert any("Interpreter_Win has no value" in p for p in problems)
    assert any("CREDIT_SCORE: no VBA wrapper" in p for p in problems)
    assert any("CREDIT_SCORE: not registered" in p for p in problems) and any("Workbook_Open" in p for p in problems)


def _vba(path):
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def _modules(vba: bytes) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser("vbaProject.bin", data=vba)
    return {name.rsplit(".", 1)[0]: text for _, _, name, text in parser.extract_macros()}


def test_each_button_runs_its_own_script(addin):
    code = _modules(_vba(addin))
    ribbon = code[RIBBON_MODULE]
    assert ribbon.replace("\r\n", "\n").strip() == vba_source().replace("\r\n", "\n").strip()
    for b in BUTTONS:
        assert f"Sub {b.callback}(control As IRibbonControl)" in ribbon
    assert 'RunScript "regrade_sheet"' in ribbon and 'RunScript "monthly_report"' in ribbon
    assert "Function RunPython(" in code["xlwings"]  # the runner the callbacks use is in the project


def test_the_vba_project_is_the_templates_with_its_own_names(addin):
    """Own project, config and ribbon module names (two add-ins from one template no longer collide);
    every other module exactly the template's; Excel compiles the project from source."""
    old, new = _modules(_vba(template_path())), _modules(_vba(addin))
    assert set(new) == (set(old) - {"RibbonMyAddin"}) | {RIBBON_MODULE, FUNCTIONS_MODULE}
    for module in ("Dictionary", "Sheet2"):
        assert new[module] == old[module]
    assert new["ThisWorkbook"].replace("\r\n", "\n") == this_workbook_source(old["ThisWorkbook"]).replace("\r\n", "\n")
    changed = [(a, b) for a, b in zip(old["xlwings"].splitlines(), new["xlwings"].splitlines()) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "myaddin"',
                        f'Public Const PROJECT_NAME As String = "{CONFIG_NAME}"')]
    ole = olefile.OleFileIO(io.BytesIO(_vba(addin)))
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert f'Name="{PROJECT}"' in project and "MyAddin" not in project
    assert f"Module={RIBBON_MODULE}\r\n" in project and f"Module={FUNCTIONS_MODULE}\r\n" in project
    assert ole.openstream("VBA/_VBA_PROJECT").read()[2:4] == b"\xff\xff"  # no stale compiled code
    assert new[FUNCTIONS_MODULE].replace("\r\n", "\n").strip() == functions_source().replace("\r\n", "\n").strip()
    with zipfile.ZipFile(addin) as z:
        assert f'name="{CONFIG_NAME}.conf"' in z.read("xl/workbook.xml").decode()


def test_the_settings_sheet_has_no_empty_key(addin):
    from crm_xl.addin.check import _config_values

    with zipfile.ZipFile(addin) as z:
        config = _config_values(z)
    assert config == {"UDF Modules": "udfs.functions", "Debug UDFs": "0", "Use UDF Server": "0", "Show Console": "0"}


def test_wrappers_are_what_xlwings_import_functions_writes(tmp_path):
    """xlwings' own generate_vba_wrapper (Windows-only imports stubbed) on the same functions."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import inspect, io, sys, types
        for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["win32com.client"].Dispatch = None
        sys.modules["pythoncom"].CoInitialize = lambda: None
        from xlwings.udfs import generate_vba_wrapper
        from udfs import functions
        module = types.ModuleType("stand_in")
        for name in functions.CATALOGUE:
            f = getattr(functions, name.lower())
            params = inspect.signature(f).parameters.values()
            def stub(): pass
            stub.__xlfunc__ = {"name": name.lower(), "sub": False, "call_in_wizard": True, "volatile": False,
                               "args": [{"name": p.name, "vba": None, "vararg": False,
                                         **({"optional": None} if p.default is not inspect.Parameter.empty else {})}
                                        for p in params]}
            setattr(module, name.lower(), stub)
        out = io.StringIO()
        generate_vba_wrapper("udfs.functions", module, out, types.SimpleNamespace(Name="crm_xl.xlam"))
        sys.stdout.write(out.getvalue())
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ours = functions_source().replace("\r\n", "\n").split("\n", 3)[3]  # after the module header
    wrappers = ours.split(f"Sub {REGISTER_SUB}()")[0]  # then the registration Import Functions makes from Python
    assert wrappers.strip() == run.stdout.strip()


def _vba_text(expression: str) -> str:
    """The text of a VBA string expression made of "literals" & ChrW(n) parts."""
    units = []
    for literal, code in re.findall(r'"((?:[^"]|"")*)"|ChrW\((\d+)\)', expression):
        units += [c for c in literal.replace('""', '"').encode("utf-16-le").hex(" ", 2).split()] if not code else \
            [int(code).to_bytes(2, "little").hex()]
    return bytes.fromhex("".join(units)).decode("utf-16-le")


@given(st.text(max_size=40))
def test_vba_strings_say_any_text(text):
    assert _vba_text(vba_string(text)) == text


def test_every_function_is_registered_as_import_functions_registers_it():
    """xlwings' import_udfs calls MacroOptions with the description and each argument's doc cut to
    255 characters, and the function's category; RegisterCrmFunctions makes the same calls."""
    source = functions_source().replace("\r\n", "\n").replace(" _\n        ", " ")
    calls = re.findall(r'docs = Array\((.*)\)\n    Application\.MacroOptions Macro:=.*\'!(\w+)", '
                       r'Description:=(.*), Category:=(.*), ArgumentDescriptions:=docs', source)
    assert sorted(name for _, name, _, _ in calls) == sorted(n.lower() for n in functions.CATALOGUE)
    for docs, name, description, category in calls:
        spec = functions.CATALOGUE[name.upper()]
        assert _vba_text(description) == spec.description[:255] and _vba_text(category) == functions.CATEGORY
        assert [_vba_text(d) for d in re.findall(_EXPRESSION, docs)] == [d[:255] for d in spec.docs.values()]


_PART = r'(?:"(?:[^"]|"")*"|ChrW\(\d+\))'
_EXPRESSION = rf"{_PART}(?: & {_PART})*"  # one VBA string expression of an Array(...) list


def test_install_names_this_python_in_the_users_config(tmp_path, monkeypatch):
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    config = tmp_path / f".{CONFIG_NAME}" / f"{CONFIG_NAME}.conf"
    config.parent.mkdir()
    config.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\n"SHOW CONSOLE","True"\n')
    installed, written = install_addin(SHIPPED, interpreter="C:\\crm\\.venv\\Scripts\\python.exe",
                                       platform="win32", home=tmp_path)
    assert installed == tmp_path / "AppData" / "Microsoft" / "Excel" / "XLSTART" / "crm_xl.xlam"
    assert installed.read_bytes() == SHIPPED.read_bytes()
    assert written == config
    assert config.read_text().splitlines() == ['"SHOW CONSOLE","True"',
                                               '"INTERPRETER_WIN","C:\\crm\\.venv\\Scripts\\python.exe"']
    _, mac = install_addin(SHIPPED, interpreter="/Users/a/.venv/bin/python", platform="darwin", home=tmp_path)
    assert mac == tmp_path / "Library/Containers/com.microsoft.Excel/Data" / f"{CONFIG_NAME}.conf"
    assert mac.read_text() == '"INTERPRETER_MAC","/Users/a/.venv/bin/python"\n'
    with pytest.raises(OSError, match="Windows or macOS"):
        install_addin(SHIPPED, platform="linux", home=tmp_path)


@given(st.dictionaries(st.sampled_from(["PROJECT", "PROJECTwm", "VBA/dir", "VBA/a", "VBA/Module1", "B/c/d"]),
                       st.binary(max_size=9000), min_size=1))
def test_compound_files_read_back_with_olefile(streams):
    from crm_xl.addin.cfb import write_cfb

    ole = olefile.OleFileIO(io.BytesIO(write_cfb(streams)))
    assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams


def test_a_broken_ribbon_is_caught(addin, tmp_path):
    with zipfile.ZipFile(addin) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = parts["customUI/customUI.xml"].decode()
    xml = xml.replace('id="crmValidate"', 'id="crmRegrade"').replace(f"{RIBBON_MODULE}.MonthlyReport", f"{RIBBON_MODULE}.Nope")
    xml = xml.replace('size="large" imageMso="ChartInsert"', 'size="huge" colour="red" imageMso="ChartInsert"')
    parts["customUI/customUI.xml"] = xml.encode()
    broken = tmp_path / "broken.xlam"
    with zipfile.ZipFile(broken, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    problems = check_addin(broken)
    assert "id 'crmRegrade' is used twice" in problems
    assert any(f"{RIBBON_MODULE}.Nope" in p for p in problems)
    assert "size 'huge' is not normal or large" in problems
    assert "<button> has no attribute 'colour' in the schema" in problems


@given(st.binary(max_size=9000) | st.text(alphabet="Sub End RunPython()\r\n\" ", max_size=6000).map(str.encode))
def test_compression_reads_back_with_oletools(data):
    packed = ovba.compress(data)
    assert bytes(decompress_stream(bytearray(packed)))[:len(data)] == data
    assert ovba.decompress(packed)[0][:len(data)] == data


def test_server_package_ribbon_binds_every_button_to_an_existing_script(tmp_path):
    import re
    from xml.etree import ElementTree

    from crm_xl.addin.server import write_server_package
    from udfs import functions, scripts

    write_server_package(tmp_path)
    manifest = ElementTree.parse(tmp_path / "templates" / "manifest.xml").getroot()
    ns = {"o": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
          "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0"}
    names = [e.text for e in manifest.iterfind(".//o:FunctionName", ns)]
    assert names == ["crmRegrade", "crmValidate"]  # the monthly report writes a file: desktop only
    defined = {e.get("id") for e in manifest.iter() if e.get("id") and e.tag.endswith(("String", "Url", "Image"))}
    used = {e.get("resid") for e in manifest.iter() if e.get("resid")}
    assert used <= defined, used - defined
    js = (tmp_path / "static" / "js" / "ribbon.js").read_text()
    bound = dict(re.findall(r'Office\.actions\.associate\("(\w+)", crmScript\("(\w+)"\)\)', js))
    assert set(bound) == set(names)
    assert all(callable(getattr(scripts, script)) for script in bound.values())
    assert all(hasattr(functions, name.lower()) for name in functions.CATALOGUE)


@pytest.mark.parametrize("module", ["lite/main.py", "custom_functions/crm.py"])
def test_office_js_modules_decorate_every_function_themselves(tmp_path, module):
    """Lite registers only what main.py itself decorates; the server reads the same decorations."""
    import ast

    from crm_xl.addin.server import SCRIPT_BUTTONS, write_server_package
    from udfs import functions

    write_server_package(tmp_path)
    source = (tmp_path / module).read_text()
    tree = ast.parse(source)
    decorated = {node.name: [ast.unparse(d) for d in node.decorator_list]
                 for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name, spec in functions.CATALOGUE.items():
        decorators = decorated[name.lower()]
        assert decorators[0] == "func(category='CRM')"
        assert [d.split("'")[1] for d in decorators[1:]] == list(spec.docs)  # one @arg per argument, in order
        assert all("err_to_str=True" in d for d in decorators[1:])
    scripts = {b.script for b in SCRIPT_BUTTONS}
    assert {n for n, d in decorated.items() if d == ["script"]} == (scripts if module.startswith("lite") else set())
    for node in tree.body:  # Lite passes the workbook to a script parameter typed xw.Book
        if isinstance(node, ast.FunctionDef) and node.name in scripts:
            assert [ast.unparse(a.annotation) for a in node.args.args] == ["xw.Book"]
    namespace: dict = {}
    exec(compile(source, module, "exec"), namespace)  # on Linux the decorators leave the functions as they are
    assert namespace["credit_score"]([[7, 7, 7, 7, 7]]) == 0.7
    assert namespace["credit_score"]([[7, 12, 7, 7, 7]]) == "#VALUE!"  # a real error value in Office.js
