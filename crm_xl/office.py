"""LibreOffice headless: an independent spreadsheet application to recalculate and render our files."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
PDF_ONE_PAGE_PER_SHEET = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


class OfficeError(RuntimeError):
    pass


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], target: str, outdir: Path, timeout: int = 300) -> list[Path]:
    """Convert files in one LibreOffice call (recalculating every formula on load).

    A private profile per call: parallel runs on one profile silently lose conversions.
    LibreOffice exits 0 even when it cannot load a file, so every output is checked.
    """
    exe = soffice()
    if exe is None:
        raise OfficeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crm_xl_lo_") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, "utf-8")
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    suffix = "." + target.split(":")[0]
    outputs = [outdir / (Path(f).stem + suffix) for f in files]
    missing = [str(o) for o in outputs if not o.is_file()]
    if missing:
        raise OfficeError(f"LibreOffice did not write {', '.join(missing)}: {run.stdout} {run.stderr}")
    return outputs


def render_png(xlsx: Path, outdir: Path, dpi: int = 70) -> list[Path]:
    """Every sheet as a PNG page (via PDF), to look at what a person sees."""
    pdf = convert([xlsx], PDF_ONE_PAGE_PER_SHEET, outdir)[0]
    if shutil.which("pdftoppm") is None:
        raise OfficeError("pdftoppm (poppler-utils) is not installed")
    prefix = outdir / xlsx.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=300)
    return sorted(outdir.glob(f"{xlsx.stem}-*.png"))
