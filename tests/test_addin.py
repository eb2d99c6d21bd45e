"""The desktop add-in: built reproducibly from xlwings' template and proved statically."""
import io
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
    RIBBON_MODULE,
    build_addin,
    template_path,
    vba_source,
)
from crm_xl.addin.check import check_addin

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


def _vba(path):
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def test_each_button_runs_its_own_script(addin):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser("vbaProject.bin", data=_vba(addin))
    code = {name.rsplit(".", 1)[0]: text for _, _, name, text in parser.extract_macros()}
    ribbon = code[RIBBON_MODULE]
    assert ribbon.replace("\r\n", "\n").strip() == vba_source().replace("\r\n", "\n").strip()
    for b in BUTTONS:
        assert f"Sub {b.callback}(control As IRibbonControl)" in ribbon
    assert 'RunScript "regrade_sheet"' in ribbon and 'RunScript "monthly_report"' in ribbon
    assert "Function RunPython(" in code["xlwings"]  # the runner the callbacks use is in the project


def test_only_the_ribbon_module_and_its_offset_change(addin):
    old, new = (olefile.OleFileIO(io.BytesIO(b)) for b in (_vba(template_path()), _vba(addin)))
    streams = ["/".join(s) for s in old.listdir()]
    assert streams == ["/".join(s) for s in new.listdir()]
    changed = [s for s in streams if old.openstream(s).read() != new.openstream(s).read()]
    assert sorted(changed) == ["VBA/RibbonMyAddin", "VBA/dir"]
    assert all(old.get_size(s) == new.get_size(s) for s in streams)
    old_dir = ovba.decompress(old.openstream("VBA/dir").read())[0]
    new_dir = ovba.decompress(new.openstream("VBA/dir").read())[0]
    offsets = ovba.module_offsets(new_dir)
    assert {k: v for k, v in ovba.module_offsets(old_dir).items() if k != RIBBON_MODULE} == \
           {k: v for k, v in offsets.items() if k != RIBBON_MODULE}
    stream = new.openstream(f"VBA/{RIBBON_MODULE}").read()
    assert bytes(decompress_stream(bytearray(stream[offsets[RIBBON_MODULE][0]:]))).decode() == vba_source()
    assert new.openstream("VBA/_VBA_PROJECT").read()[2:4] == b"\xff\xff"  # Excel compiles from source


def test_a_broken_ribbon_is_caught(addin, tmp_path):
    with zipfile.ZipFile(addin) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = parts["customUI/customUI.xml"].decode()
    xml = xml.replace('id="crmValidate"', 'id="crmRegrade"').replace("RibbonMyAddin.MonthlyReport", "RibbonMyAddin.Nope")
    xml = xml.replace('size="large" imageMso="FunctionWizard"', 'size="huge" colour="red" imageMso="FunctionWizard"')
    parts["customUI/customUI.xml"] = xml.encode()
    broken = tmp_path / "broken.xlam"
    with zipfile.ZipFile(broken, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    problems = check_addin(broken)
    assert "id 'crmRegrade' is used twice" in problems
    assert any("RibbonMyAddin.Nope" in p for p in problems)
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
    namespace: dict = {}
    exec(compile(source, module, "exec"), namespace)  # on Linux the decorators leave the functions as they are
    assert namespace["credit_score"]([[7, 7, 7, 7, 7]]) == 0.7
    assert namespace["credit_score"]([[7, 12, 7, 7, 7]]) == "#VALUE!"  # a real error value in Office.js
