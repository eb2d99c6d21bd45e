"""Where a scoring model comes from: the shipped default, a TOML file or a workbook sheet."""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from crm_xl.findings import ModelError, finding
from crm_xl.model.schema import ScoringModel, parse_model
from crm_xl.isolation import read_untrusted
from crm_xl.model.sheet import read_model_sheet

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
        return parse_model(read_untrusted(read_model_sheet, path, sheet, scan=True), f"{path} [{sheet}]")
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError([finding("model-unreadable", source=path, detail=str(exc))]) from None
    return parse_model(raw, str(path))
