import copy
import os
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from crm_xl.model import default_model
from crm_xl.office import soffice

DATA = Path(__file__).parent / "data"


@pytest.fixture
def model():
    return default_model()


@pytest.fixture
def raw_model():
    """A fresh, editable copy of the shipped model's raw structure."""
    text = resources.files("crm_xl.model").joinpath("default.toml").read_text("utf-8")
    return copy.deepcopy(tomllib.loads(text))


@pytest.fixture(scope="session")
def libreoffice():
    """The soffice path; on CI a missing LibreOffice fails instead of skipping."""
    exe = soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed but CI is set: .ci/run must install it")
        pytest.skip("LibreOffice not installed (CI installs it)")
    return exe


@pytest.fixture(params=["fastexcel", "openpyxl"])
def either_reader(request, monkeypatch):
    """Runs a test with the fast reader and again with the pure-Python one (installs without [fast])."""
    if request.param == "openpyxl":
        from crm_xl.xlsx import reader

        monkeypatch.setattr(reader, "fast_reader", lambda: None)
    return request.param
