"""Static proof that the add-in works without opening Excel.

- the ribbon XML is well formed and follows the 2006 customUI schema for what it uses
  (elements, their allowed and required attributes, unique NCName ids, size values);
- every onAction names a Sub of the VBA project (read back with oletools) taking the control;
- every script a button runs through RunPython is a function of udfs.scripts, and the
  function import points at a module that imports;
- every CRM function has its VBA wrapper, calling Python with its own name and arguments, and is
  registered for the function wizard (description, category CRM) when the add-in opens;
- the settings sheet is the one xlwings' PROJECT_NAME names, and holds no empty key.
"""
from __future__ import annotations

import importlib
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from crm_xl.addin.build import CONFIG_SHEET, FUNCTIONS_MODULE, REGISTER_SUB, SCRIPTS_MODULE, UDF_MODULES

NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
# customUI 2006 schema, for the elements used: allowed children, allowed and required attributes.
SCHEMA = {
    "customUI": ({"ribbon"}, {"onLoad", "loadImage"}, set()),
    "ribbon": ({"tabs", "qat", "officeMenu", "contextualTabs"}, {"startFromScratch"}, set()),
    "tabs": ({"tab"}, set(), set()),
    "tab": ({"group"}, {"id", "idMso", "idQ", "label", "getLabel", "visible", "getVisible", "keytip",
                        "insertAfterMso", "insertBeforeMso", "tag"}, set()),
    "group": ({"button", "separator", "box", "menu", "splitButton", "toggleButton", "labelControl"},
              {"id", "idMso", "idQ", "label", "getLabel", "visible", "image", "imageMso", "tag", "keytip",
               "insertAfterMso", "insertBeforeMso"}, set()),
    "button": (set(), {"id", "idMso", "idQ", "label", "getLabel", "onAction", "image", "imageMso", "getImage",
                       "size", "getSize", "screentip", "supertip", "enabled", "getEnabled", "visible", "tag",
                       "keytip", "showLabel", "showImage", "description"}, {"onAction"}),
}
SIZES = {"normal", "large"}


def check_addin(path: Path) -> list[str]:
    """Every problem found; an empty list means the add-in passed every check."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if "customUI/customUI.xml" not in names or "xl/vbaProject.bin" not in names:
            return ["the add-in has no customUI/customUI.xml or no xl/vbaProject.bin"]
        ribbon = z.read("customUI/customUI.xml")
        vba = z.read("xl/vbaProject.bin")
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("_rels/.rels").decode("utf-8")
        config = _config_values(z)
    problems: list[str] = []
    if "customUI/customUI.xml" not in rels:
        problems.append("_rels/.rels does not point Excel at customUI/customUI.xml")
    actions = _check_ribbon(ribbon, problems)
    subs, source = _vba_subs(vba)
    for action in actions:
        module, _, name = action.rpartition(".")
        if (module or None, name) not in subs and (None, name) not in {(None, n) for _, n in subs}:
            problems.append(f"onAction {action!r}: no Sub {name}(control As IRibbonControl) in the VBA project")
        elif module and (module, name) not in subs:
            problems.append(f"onAction {action!r}: Sub {name} is not in module {module}")
    _check_scripts(source, problems)
    if f'name="{CONFIG_SHEET}"' not in workbook:
        problems.append(f"no {CONFIG_SHEET} sheet: xlwings would not find the UDF module setting")
    if config.get("UDF Modules") != UDF_MODULES:
        problems.append(f"config sheet: UDF Modules is {config.get('UDF Modules')!r}, not {UDF_MODULES!r}")
    for key, value in config.items():
        if key is not None and value in (None, ""):
            problems.append(f"config sheet: {key} has no value; xlwings stops at it and never reads the user's "
                            "config file")
    project_name = re.search(r'PROJECT_NAME As String = "([^"]*)"', source)
    if project_name and f'name="{project_name.group(1)}.conf"' not in workbook:
        problems.append(f"xlwings' PROJECT_NAME is {project_name.group(1)!r} but there is no "
                        f"{project_name.group(1)}.conf sheet")
    problems += missing_wrappers(source)
    problems += missing_registrations(source)
    return problems


def missing_registrations(source: str) -> list[str]:
    """Each CRM function registered for the function wizard (description, category, argument help)
    by RegisterCrmFunctions, which the add-in's Workbook_Open runs."""
    from udfs import functions

    problems = []
    if not re.search(rf"^Private Sub Workbook_Open\(\)\s*\r?\n\s*{REGISTER_SUB}\s*$", source, re.M):
        problems.append(f"ThisWorkbook has no Workbook_Open running {REGISTER_SUB}: the function wizard "
                        "would not list the CRM functions")
    for name in functions.CATALOGUE:
        registered = (rf"""Application\.MacroOptions Macro:=.*'!{name.lower()}", Description:=.+, """
                      rf"""Category:="{functions.CATEGORY}", ArgumentDescriptions:=docs""")
        if not re.search(registered, source):
            problems.append(f"{name}: not registered with a description and category {functions.CATEGORY}")
    return problems


def missing_wrappers(source: str) -> list[str]:
    """Problems with the VBA wrappers of the CRM functions: each must exist and call its own
    Python function with its own arguments, in the add-in and the host (XLPy.CallUDF)."""
    import inspect

    from udfs import functions

    problems = []
    for name in functions.CATALOGUE:
        python_name = name.lower()
        params = list(inspect.signature(getattr(functions, python_name)).parameters)
        call = f'XLPy.CallUDF("{UDF_MODULES}", "{python_name}", Array({", ".join(params)})'
        if not re.search(rf"^Function {python_name}\(", source, re.M):
            problems.append(f"{name}: no VBA wrapper (Function {python_name}) in module {FUNCTIONS_MODULE}")
        elif source.count(call) != 2:  # the Excel call (with caller) and the other-host call
            problems.append(f"{name}: its VBA wrapper does not call {UDF_MODULES}.{python_name}({', '.join(params)})")
    return problems


def _config_values(z: zipfile.ZipFile) -> dict[str, str]:
    """Key -> value of the add-in's config sheet (the first worksheet), parsed as XML."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    strings = [si.findtext(f"{main}t") for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml"))]
    sheet = ElementTree.fromstring(z.read(next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))))
    values = {}
    for row in sheet.iter(f"{main}row"):
        cells = {}
        for c in row:
            text = c.findtext(f"{main}v")
            cells[c.get("r")[0]] = strings[int(text)] if c.get("t") == "s" else (text or c.findtext(f"{main}is/{main}t"))
        if "A" in cells:
            values[cells["A"]] = cells.get("B")
    return values


def _check_ribbon(xml: bytes, problems: list[str]) -> list[str]:
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        problems.append(f"customUI.xml is not well formed: {exc}")
        return []
    if root.tag != f"{NS}customUI":
        problems.append(f"customUI.xml root is {root.tag}, not customUI in the 2006 namespace")
        return []
    ids, actions = set(), []
    for element in root.iter():
        tag = element.tag.replace(NS, "")
        if tag not in SCHEMA:
            problems.append(f"<{tag}> is not an element this check knows from the customUI schema")
            continue
        children, allowed, required = SCHEMA[tag]
        for child in element:
            if child.tag.replace(NS, "") not in children:
                problems.append(f"<{child.tag.replace(NS, '')}> may not be inside <{tag}>")
        for attr in element.attrib:
            if attr not in allowed:
                problems.append(f"<{tag}> has no attribute {attr!r} in the schema")
        for attr in required - set(element.attrib):
            problems.append(f"<{tag} id={element.get('id')!r}> needs {attr!r}")
        if "id" in element.attrib:
            if not NCNAME.match(element.get("id")):
                problems.append(f"id {element.get('id')!r} is not an NCName")
            if element.get("id") in ids:
                problems.append(f"id {element.get('id')!r} is used twice")
            ids.add(element.get("id"))
        if element.get("size") and element.get("size") not in SIZES:
            problems.append(f"size {element.get('size')!r} is not normal or large")
        if element.get("onAction"):
            actions.append(element.get("onAction"))
        for attr in ("label", "onAction"):
            if len(element.get(attr, "")) > 1024:
                problems.append(f"<{tag}> {attr} is longer than 1024 characters")
    return actions


def _vba_subs(vba: bytes) -> tuple[set[tuple[str, str]], str]:
    """(module, Sub) pairs whose only parameter is the ribbon control, and all VBA source."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser("vbaProject.bin", data=vba)
    subs, sources = set(), []
    for _, _, module_file, code in parser.extract_macros():
        module = module_file.rsplit(".", 1)[0]
        sources.append(code)
        for name in re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*\w+\s+As\s+IRibbonControl\s*\)", code, re.M | re.I):
            subs.add((module, name))
        if re.search(r"^\s*Sub\s+ImportPythonUDFsToAddin\s*\(", code, re.M):
            subs.add((module, "ImportPythonUDFsToAddin"))
    parser.close()
    return subs, "\n".join(sources)


def _check_scripts(source: str, problems: list[str]) -> None:
    scripts = importlib.import_module(SCRIPTS_MODULE)
    runner = re.search(r'RunPython "import ([\w.]+) as m;m\." & name & "\(\)"', source)
    if not runner or runner.group(1) != SCRIPTS_MODULE:
        problems.append(f"the ribbon module does not run scripts of {SCRIPTS_MODULE} through RunPython")
    for name in re.findall(r'RunScript "(\w+)"', source):
        if not callable(getattr(scripts, name, None)):
            problems.append(f"RunPython would call {SCRIPTS_MODULE}.{name}(), which does not exist")
    if "ImportPythonUDFsToAddin" in source and not re.search(r"Sub ImportPythonUDFsToAddin\(", source):
        problems.append("ImportPythonUDFsToAddin is called but not defined")
    try:
        importlib.import_module(UDF_MODULES)
    except ImportError as exc:
        problems.append(f"UDF module {UDF_MODULES} does not import: {exc}")
