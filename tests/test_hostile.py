"""The hostile-file corpus (tests/hostile_corpus.py) through every command that reads a user's file.

Each kind has one expected outcome — rejected with a named file-level finding, read with a finding
at its cell, or read clean — and no command may answer any of them with a traceback, an abort or
exit 3 ("a bug in crm-xl"). The last tests run the corpus again under an address-space limit
(`ulimit -v 4000000`, as on shared hosts), where every child process must keep within what it
inherited.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_corpus import KINDS, make_all
from tests.test_cli import run

BY_NAME = {k.name: k for k in KINDS}
# What only validation checks (template marks, macro-enabled by name): score reads these files as tables.
SCORE_READS = {"macro_enabled_by_name", "template_of_another_schema", "template_metadata_damaged",
               "template_metadata_sheet_removed"}
ADDRESS_LIMIT_KB = 4_000_000
TEMPLATE_CODES = ("wrong-schema-version", "unknown-template", "template-metadata-missing")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return {name: path for name, (_, path) in make_all(tmp_path_factory.mktemp("hostile")).items()}


def test_the_corpus_is_broad_and_every_kind_has_an_outcome():
    assert len(KINDS) >= 60 and len(BY_NAME) == len(KINDS)
    assert {k.outcome for k in KINDS} == {"reject", "flag", "accept"}
    for k in KINDS:
        assert (k.code is None) == (k.outcome == "accept") and (k.cell is None) == (k.outcome != "flag"), k.name


def check_report(kind, report: dict) -> None:
    """One file's validate report (JSON) against its kind's expected outcome."""
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    if kind.outcome == "reject":
        assert report["rows"] == 0 or kind.code in TEMPLATE_CODES, kind.name  # a template is read, then refused
        assert any(f["code"] == kind.code and f.get("cell") in (None, f.get("cell")) and f["row"] is None
                   for f in errors), (kind.name, errors)
    elif kind.outcome == "flag":
        assert any((f["code"], f.get("cell")) == (kind.code, kind.cell) for f in report["findings"]), (kind.name, report)
    else:
        assert report["rows"] >= 1 and not errors, (kind.name, errors)


def test_validate_gives_every_kind_its_outcome(corpus, capsys):
    code, out, err = run(["validate", *corpus.values(), "--json", "-q"], capsys)
    assert code == 1 and "Traceback" not in err + out
    reports = {Path(r["file"]).name: r for r in json.loads(out)}
    for name, path in corpus.items():
        check_report(BY_NAME[name], reports[path.name])


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_score_gives_every_kind_its_outcome(corpus, name, tmp_path, capsys):
    kind, out_file = BY_NAME[name], tmp_path / "scored.xlsx"
    code, out, err = run(["score", corpus[name], "-o", out_file, "-q"], capsys)
    assert "Traceback" not in out + err and code != 3, err
    if kind.outcome == "reject" and name not in SCORE_READS:
        assert code == 2 and f"error [{kind.code}]" in err and "fix:" in err, (name, err)
        assert not out_file.exists()
    else:
        assert code == 0 and out_file.exists(), (name, err)


def present(corpus) -> dict[str, Path]:
    """The kinds that are files (a missing file refuses a whole merge batch: tested on its own)."""
    return {n: p for n, p in corpus.items() if BY_NAME[n].code != "file-not-found"}


def test_merge_gives_every_kind_its_outcome(corpus, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'master.db'}"
    corpus = present(corpus)
    code, out, err = run(["merge", *corpus.values(), "--as", "back_office", "--db", db, "--json"], capsys)
    assert code == 1 and "Traceback" not in out + err, err
    result = json.loads(out)
    held = {}
    for f in result["held_back"]:
        held.setdefault(Path(f["file"]).name, []).append(f)
    for name, path in corpus.items():
        kind, mine = BY_NAME[name], held.get(path.name, [])
        if kind.outcome == "reject":
            assert [f["cause"] for f in mine if f["code"] == "file-held-back"] == [kind.code], (name, mine)
        elif kind.outcome == "flag" and kind.code not in ("formula-text",):  # a warning does not hold a row back
            assert any(f["code"] == "row-held-back" and f["cause"] == kind.code and f["cell"] == kind.cell
                       for f in mine), (name, mine)
        else:
            assert not [f for f in mine if f["code"] == "file-held-back"], (name, mine)
    assert result["rows_in"] > 0


OTHER_READERS = sorted(n for n in BY_NAME if not n.startswith("csv") and (
    n.endswith(("bomb", "far_cell", "references", "count", "says", "crc_in_the_sheet"))
    or "utf16" in n or "nul_" in n or "macro_code" in n))


@pytest.mark.parametrize("name", OTHER_READERS)
def test_the_other_readers_name_hostile_files(corpus, name, tmp_path, capsys):
    """check-sheet (openpyxl in the child), template --from, report --customers and model check."""
    kind, src = BY_NAME[name], corpus[name]
    commands = [["check-sheet", src, "-o", tmp_path / "checked.xlsx"],
                ["template", "--from", src, "-o", tmp_path / "template.xlsx", "--lang", "en"],
                ["report", "--month", "2026-10", "--customers", src, "-o", tmp_path / "report.xlsx", "--no-html", "-q"],
                ["model", "check", src]]
    for args in commands:
        code, out, err = run(args, capsys)
        assert "Traceback" not in out + err and code != 3, (args[0], err)
        if kind.outcome == "reject":
            assert code == 2 and "error [" in err, (args[0], name, err)
        elif args[0] != "model":  # a customer table has no Model sheet: model check refuses it either way
            assert code == 0, (args[0], name, err)


def _limited(args: list, limit_kb: int = ADDRESS_LIMIT_KB) -> subprocess.CompletedProcess:
    """`crm-xl ARGS` in a process whose address space is limited as by `ulimit -v` (hard and soft)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_kb * 1024, limit_kb * 1024))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "crm_xl.cli", *map(str, args)], capture_output=True, text=True,
                          preexec_fn=limit, env=env, timeout=600)


def test_validate_under_an_address_space_limit(corpus):
    """Under `ulimit -v 4000000` every child keeps within the limit it inherits (it used to ask for
    4 GB, be refused, and report every file as "could not be checked" with a traceback)."""
    done = _limited(["validate", *corpus.values(), "--json", "-q"])
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    reports = {Path(r["file"]).name: r for r in json.loads(done.stdout)}
    for name, path in corpus.items():
        check_report(BY_NAME[name], reports[path.name])


def test_score_and_merge_under_an_address_space_limit(corpus, tmp_path):
    for name in ("template_as_downloaded", "cell_far_beyond_the_dimension"):
        done = _limited(["score", corpus[name], "-o", tmp_path / f"{name}.xlsx", "-q"])
        assert "Traceback" not in done.stderr and done.returncode == (2 if BY_NAME[name].outcome == "reject" else 0), \
            (name, done.stderr[-2000:])
    done = _limited(["merge", *present(corpus).values(), "--as", "back_office", "--db", f"sqlite:///{tmp_path / 'm.db'}", "--json"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert json.loads(done.stdout)["rows_in"] > 0


def test_forged_row_fingerprints_are_caught_with_the_store_key(tmp_path, capsys):
    """A template from the master data carries HMAC prints keyed with the store's secret: editing a
    locked cell and writing a fresh plain-hash print for it (and claiming plain prints) no longer hides it."""
    import hashlib

    import openpyxl

    from crm_xl.fields import label
    from crm_xl.sheets.template import template_columns

    db = f"sqlite:///{tmp_path / 'master.db'}"
    first = tmp_path / "first.csv"
    first.write_text("customer_code,store_name,score_character\nC001,One,7\nC002,Two,5\n", "utf-8")
    assert run(["merge", first, "--as", "back_office", "--db", db], capsys)[0] == 0
    issued = tmp_path / "issued.xlsx"
    assert run(["template", "--from-store", "--db", db, "-o", issued, "--lang", "en"], capsys)[0] == 0
    code, out, err = run(["validate", issued, "--db", db, "--json"], capsys)
    assert code == 0, out  # the untouched template is clean

    wb = openpyxl.load_workbook(issued)
    ws, meta = wb["Customers"], wb["_crm_meta"]
    headers = [c.value for c in ws[1]]
    locked = str(next(r[1].value for r in meta.iter_rows() if r[0].value == "locked_columns")).split(",")
    ws.cell(2, headers.index("orders 12m") + 1, 99)
    texts = []
    for name in locked:
        spec = next(s for s in template_columns() if s.name == name)
        value = ws.cell(2, headers.index(label(spec.name, "en")) + 1).value
        texts.append("" if value is None else str(value))
    forged = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:32]  # what a forger can compute
    for r in meta.iter_rows():
        if r[0].value == "C001":
            r[1].value = forged
        if r[0].value == "fingerprints":
            r[1].value = "sha256"  # and claim plain prints
    wb.save(issued)
    code, out, err = run(["validate", issued, "--db", db, "--json"], capsys)
    findings = json.loads(out)[0]["findings"]
    assert code == 1 and [(f["code"], f["cell"]) for f in findings if f["severity"] == "error"] == \
        [("locked-field-changed", "A2")]


def test_a_store_template_validated_without_the_store_is_not_called_changed(tmp_path, capsys):
    """Its prints are keyed with the store's secret: without --db they cannot be checked, so they
    are not checked (a plain hash of every untouched row would differ and cry wolf on each)."""
    db = f"sqlite:///{tmp_path / 'master.db'}"
    first = tmp_path / "first.csv"
    first.write_text("customer_code,store_name,score_character\nC001,One,7\nC002,Two,5\n", "utf-8")
    assert run(["merge", first, "--as", "back_office", "--db", db], capsys)[0] == 0
    issued = tmp_path / "issued.xlsx"
    assert run(["template", "--from-store", "--db", db, "-o", issued, "--lang", "en"], capsys)[0] == 0
    code, out, _ = run(["validate", issued, "--json"], capsys)
    assert [f["code"] for f in json.loads(out)[0]["findings"] if f["severity"] == "error"] == []
