"""Where a scoring model comes from: the shipped default, a TOML file or a workbook sheet."""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from crm_xl.findings import Finding, ModelError, finding
from crm_xl.model.schema import ScoringModel, parse_model
from crm_xl.isolation import read_untrusted
from crm_xl.model.sheet import read_model_cells

MODEL_SHEET = "Model"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


@cache
def default_model() -> ScoringModel:
    text = resources.files("crm_xl.model").joinpath("default.toml").read_text("utf-8")
    return parse_model(tomllib.loads(text), "crm_xl default model")


def load_model(path: str | Path | None = None, sheet: str = MODEL_SHEET) -> ScoringModel:
    """The model at `path` (TOML, or a workbook with a Model sheet); the default when None."""
    if path is None:
        return default_model()
    path = Path(path)
    if not path.is_file():
        raise ModelError([finding("model-unreadable", source=path, detail="no such file")])
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raw, cells = read_untrusted(read_model_cells, path, sheet, scan=True)
        try:
            return parse_model(raw, f"{path} [{sheet}]")
        except ModelError as exc:  # point at the cell to fix, not only the key
            raise ModelError([_at_cell(f, cells, f"{path.name} [{sheet}]") for f in exc.findings]) from None
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError([finding("model-unreadable", source=path, detail=str(exc))]) from None
    return parse_model(raw, str(path))


def _at_cell(f: Finding, cells: dict[str, str], where: str) -> Finding:
    entry = str(f.fields.get("entry", ""))
    if entry not in cells:
        return f
    return finding(f.code, f.row, **{**f.fields, "entry": f"{entry} ({where} {cells[entry]})", "key": entry,
                                     "cell": cells[entry]})
