"""`crm-xl addin build`: the desktop add-in workbooks/crm_xl.xlam with a CRM ribbon tab.

It starts from xlwings' own add-in template (quickstart_addin_ribbon.xlam, BSD licence), which
has one ribbon callback, RibbonMyAddin.RunMain, that always runs main(). Here that module's
source is replaced with one callback per button, each running its own script of udfs.scripts
through xlwings' RunPython; the ribbon XML names those callbacks. Nothing needs Excel.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from crm_xl.addin import ovba
from crm_xl.files import atomic_path

RIBBON_MODULE = "RibbonMyAddin"
CONFIG_SHEET = "myaddin.conf"  # the name xlwings' template VBA looks for (PROJECT_NAME & ".conf")
UDF_MODULES = "udfs.functions"
SCRIPTS_MODULE = "udfs.scripts"


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    callback: str  # VBA Sub in RIBBON_MODULE
    script: str | None  # function of udfs.scripts it runs; None for xlwings' function import
    image: str  # a built-in Office icon (imageMso)
    desktop_only: bool = False  # writes a file next to the workbook: no such place on xlwings Server or Lite


BUTTONS = (
    Button("crmRegrade", "Regrade sheet", "RegradeSheet", "regrade_sheet", "RecurrenceEdit"),
    Button("crmValidate", "Validate sheet", "ValidateSheet", "validate_sheet", "ReviewAcceptChange"),
    Button("crmReport", "Monthly report", "MonthlyReport", "monthly_report", "ChartInsert", desktop_only=True),
    Button("crmFunctions", "Import functions", "ImportFunctions", None, "FunctionWizard"),
)


def template_path() -> Path:
    import xlwings

    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


def ribbon_xml(buttons=BUTTONS) -> str:
    rows = "\n".join(
        f'          <button id="{b.id}" label="{b.label}" size="large" imageMso="{b.image}" '
        f'onAction="{RIBBON_MODULE}.{b.callback}" />' for b in buttons)
    return f"""<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
  <ribbon>
    <tabs>
      <tab id="crmTab" label="CRM">
        <group id="crmGroup" label="Customers">
{rows}
        </group>
      </tab>
    </tabs>
  </ribbon>
</customUI>
"""


def vba_source(buttons=BUTTONS) -> str:
    """The ribbon module: a short shared runner keeps the source small (see patch_module)."""
    lines = [f'Attribute VB_Name = "{RIBBON_MODULE}"', "Sub RunScript(name)",
             f'    RunPython "import {SCRIPTS_MODULE} as m;m." & name & "()"', "End Sub"]
    for b in buttons:
        body = f'    RunScript "{b.script}"' if b.script else "    ImportPythonUDFsToAddin"
        lines += [f"Sub {b.callback}(control As IRibbonControl)", body, "End Sub"]
    return "\r\n".join(lines) + "\r\n"


def patch_module(vba_bin: bytes, module: str, source: str) -> bytes:
    """vbaProject.bin with `module`'s source replaced; every stream keeps its size.

    The module stream is [ignored p-code | compressed source]; the new source goes at its end and
    the module's offset in the dir stream moves to match. Only the offset bytes stored there as
    literals can change, so the new source must compress to a length those bytes can express.
    """
    import olefile  # the `addin` extra: only building the add-in needs it

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vbaProject.bin"
        path.write_bytes(vba_bin)
        ole = olefile.OleFileIO(str(path), write_mode=True)
        try:
            project = ole.openstream("VBA/_VBA_PROJECT").read()
            if project[2:4] != b"\xff\xff":
                raise ValueError("the template's VBA cache is valid: Excel would run the old compiled code")
            dir_raw = ole.openstream("VBA/dir").read()
            dir_data, literal_at = ovba.decompress(dir_raw)
            _, value_at = ovba.module_offsets(dir_data)[module]
            stream = f"VBA/{module}"
            size = ole.get_size(stream)
            compressed = ovba.compress(source.encode("cp1252"))
            new_offset = size - len(compressed)
            new_bytes = struct.pack("<I", new_offset)
            patched_dir = bytearray(dir_raw)
            for i, byte in enumerate(new_bytes):
                if dir_data[value_at + i] == byte:
                    continue
                if value_at + i not in literal_at:
                    raise ValueError(f"module source of {len(compressed)} compressed bytes cannot be placed "
                                     f"(offset {new_offset}); shorten it")
                patched_dir[literal_at[value_at + i]] = byte
            ole.write_stream(stream, b"\x00" * new_offset + compressed)
            ole.write_stream("VBA/dir", bytes(patched_dir))
        finally:
            ole.close()
        return path.read_bytes()


def _config_sheet(workbook_xml: str, sheet_xml: str, strings_xml: str) -> tuple[str, str, str]:
    """Enable the add-in's config sheet and point "UDF Modules" at udfs.functions."""
    workbook_xml = workbook_xml.replace('name="_myaddin.conf"', f'name="{CONFIG_SHEET}"')
    index = re.findall(r"<si><t>([^<]*)</t></si>", strings_xml).index("UDF Modules")
    row = re.search(rf'<c r="A(\d+)"[^>]*t="s"[^>]*><v>{index}</v></c>', sheet_xml).group(1)
    cell = f'<c r="B{row}" t="inlineStr"><is><t>{UDF_MODULES}</t></is></c>'
    sheet_xml = re.sub(rf'<row r="{row}"([^>]*?)spans="1:1"', rf'<row r="{row}"\1spans="1:2"', sheet_xml, count=1)
    sheet_xml = re.sub(rf'(<row r="{row}"[^>]*>.*?)(</row>)', lambda m: m.group(1) + cell + m.group(2),
                       sheet_xml, count=1, flags=re.S)
    return workbook_xml, sheet_xml, strings_xml


def build_addin(output: Path) -> Path:
    template = template_path()
    with zipfile.ZipFile(template) as z:
        parts = {info.filename: (info, z.read(info.filename)) for info in z.infolist()}
    sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    wb_xml, sheet_xml, strings = _config_sheet(parts["xl/workbook.xml"][1].decode("utf-8"),
                                               parts[sheet_name][1].decode("utf-8"),
                                               parts["xl/sharedStrings.xml"][1].decode("utf-8"))
    replaced = {
        "customUI/customUI.xml": ribbon_xml().encode("utf-8"),
        "xl/vbaProject.bin": patch_module(parts["xl/vbaProject.bin"][1], RIBBON_MODULE, vba_source()),
        "xl/workbook.xml": wb_xml.encode("utf-8"),
        sheet_name: sheet_xml.encode("utf-8"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, (info, data) in parts.items():
            z.writestr(info, replaced.get(name, data), compress_type=zipfile.ZIP_DEFLATED)
    with atomic_path(output) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return output


def install_dir() -> Path | None:
    """Excel's start-up folder for add-ins, on the machines that have Excel."""
    import os
    import sys

    if sys.platform.startswith("win"):
        return Path(os.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"
    if sys.platform == "darwin":
        return Path.home() / "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
    return None


def install_addin(addin: Path) -> Path:
    folder = install_dir()
    if folder is None:
        raise OSError("Excel add-ins install on Windows or macOS; this machine has no Excel")
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(addin, folder / addin.name))
