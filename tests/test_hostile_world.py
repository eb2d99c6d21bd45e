"""Failures of the world around a command (disks, folders, databases, other merges) are named errors
with exit 2 that say what happened and what to do, and leave outputs and data as they were; never
exit 3 ("a bug in crm-xl") or a traceback."""
from __future__ import annotations

import errno
import io
import json
import resource
from pathlib import Path

import openpyxl
import pytest

from crm_xl.findings import CrmError
from crm_xl.isolation import memory_limit
from crm_xl.model import default_model
from crm_xl.model.export import export_model
from crm_xl.store import db
from crm_xl.store.merge import merge_files
from tests.test_cli import run
from tests.test_store import BASE, engine, master, upload  # noqa: F401 - engine is a fixture (SQLite, PostgreSQL)


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_code,store_name,score_character\nC001,One,7\nC002,Two,5\n", "utf-8")
    return path


class _FullDisk(io.RawIOBase):
    """A file on a full disk: it opens, and refuses every byte."""

    def __init__(self, path):
        self._file = io.FileIO(path, "w")

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def tell(self):
        return self._file.tell()

    def seek(self, *args):
        return self._file.seek(*args)

    def close(self):
        self._file.close()
        super().close()


def test_a_full_disk_is_named_and_the_old_output_stays(customers_csv, tmp_path, capsys, monkeypatch):
    out = tmp_path / "scored.xlsx"
    out.write_bytes(b"last month's workbook")
    real_open = io.open

    def full_disk_open(file, mode="r", *args, **kwargs):  # the OS refuses every write of a temp output
        if "w" in mode and str(file).endswith(".part"):
            return _FullDisk(file)
        return real_open(file, mode, *args, **kwargs)
    monkeypatch.setattr(io, "open", full_disk_open)
    monkeypatch.setattr("builtins.open", full_disk_open)
    code, _, err = run(["score", customers_csv, "-o", out, "-q"], capsys)
    assert code == 2 and "error [cannot-write]" in err and "No space left on device" in err and "Traceback" not in err
    assert out.read_bytes() == b"last month's workbook"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_folder_that_cannot_be_written_is_named(customers_csv, tmp_path, capsys, monkeypatch):
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", refused)  # what a read-only folder answers (root ignores chmod)
    code, _, err = run(["score", customers_csv, "-o", tmp_path / "ro" / "scored.xlsx", "-q"], capsys)
    assert code == 2 and "error [cannot-write]" in err and "Permission denied" in err and "Traceback" not in err


def test_a_db_option_without_a_url_scheme_is_named(customers_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["merge", customers_csv, "--as", "back_office", "--db", "crm.db"], capsys)
    assert code == 2 and "error [bad-option] --db: 'crm.db' is not a database URL" in err and "sqlite:///crm.db" in err
    assert not (tmp_path / "crm.db").exists()


def test_a_database_that_is_down_is_named_without_its_password(customers_csv, capsys):
    code, _, err = run(["merge", customers_csv, "--as", "back_office",
                        "--db", "postgresql+psycopg://crm:secret@127.0.0.1:1/crm"], capsys)
    assert code == 2 and "error [database-unavailable]" in err and "secret" not in err and "Traceback" not in err


def test_a_merge_racing_another_on_the_same_new_customers(engine, tmp_path, monkeypatch):  # noqa: F811
    """Two merges read the master data before either wrote: the second one's new customers exist by
    the time it inserts them. It says so and writes nothing."""
    first = upload(tmp_path, "a.xlsx", BASE)
    merge_files([first], engine, default_model(), "back_office", "me")
    before = master(engine)
    import crm_xl.store.merge as m

    monkeypatch.setattr(m, "_current", lambda conn, uploads: {})  # what it read before the other merge committed
    second = upload(tmp_path, "b.xlsx", BASE, C001__phone="010-9-9")
    with pytest.raises(CrmError) as raised:
        merge_files([second], engine, default_model(), "back_office", "me")
    (f,) = raised.value.findings
    assert f.code == "database-conflict" and "nothing of this merge was written" in f.message
    assert master(engine) == before


def test_merge_of_a_missing_file_refuses_the_batch(customers_csv, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    code, _, err = run(["merge", customers_csv, tmp_path / "typo.xlsx", "--as", "back_office", "--db", url], capsys)
    assert code == 2 and "error [file-not-found]" in err and "typo.xlsx" in err
    assert master(db.connect(url)) == {}


def test_a_dry_run_creates_no_database(customers_csv, tmp_path, capsys):
    code, out, err = run(["merge", customers_csv, "--as", "back_office", "--dry-run",
                          "--db", f"sqlite:///{tmp_path / 'new.db'}"], capsys)
    assert code == 0 and out.startswith("Would merge 2 rows") and "2 new customers" in out, err
    assert not (tmp_path / "new.db").exists()


def test_archive_verify_of_a_missing_folder_is_an_error(tmp_path, capsys):
    code, _, err = run(["archive", "verify", "--to", tmp_path / "no-such-archive"], capsys)
    assert code == 2 and "error [file-not-found]" in err and "no-such-archive" in err


def test_review_of_an_unknown_id_decides_nothing(engine, tmp_path):  # noqa: F811
    from crm_xl.store.export import pending_reviews
    from crm_xl.store.merge import decide

    merge_files([upload(tmp_path, "a.xlsx", BASE)], engine, default_model(), "back_office", "me")
    merge_files([upload(tmp_path, "b.xlsx", BASE, C001__bank_account="999-99")], engine, default_model(),
                "back_office", "me")
    pending = [r["id"] for r in pending_reviews(engine)]
    with pytest.raises(CrmError) as raised:
        decide(engine, [pending[0], 99], True, "boss")
    assert [(f.code, f.fields["value"]) for f in raised.value.findings] == [("unknown-review", 99)]
    assert [r["id"] for r in pending_reviews(engine)] == pending  # the known one was not decided either


def test_review_approve_of_an_unknown_id_exits_2(tmp_path, capsys):
    from crm_xl.store.db import connect

    connect(f"sqlite:///{tmp_path / 'crm.db'}")  # master data without that review (a missing one is its own finding)
    code, _, err = run(["review", "approve", "99", "--db", f"sqlite:///{tmp_path / 'crm.db'}"], capsys)
    assert code == 2 and "error [unknown-review] review 99: no pending change has this id" in err


def test_report_without_transactions(customers_csv, tmp_path, capsys):
    code, out, err = run(["report", "--month", "2026-10", "--customers", customers_csv, "-o", tmp_path / "r.xlsx",
                          "--no-html", "-q"], capsys)
    assert code == 0 and "Report 2026-10" in out and (tmp_path / "r.xlsx").exists(), err


@pytest.mark.parametrize("weight, shown", [("0,25", "'0,25'"), ("25%", "'25%'"), (None, "None"), ("high", "'high'")])
def test_model_check_names_the_cell_of_a_weight_that_is_not_a_number(tmp_path, capsys, weight, shown):
    path = export_model(default_model(), tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Model"]
    cell = next(row[1] for row in ws.iter_rows() if row[0].value == "credit.indicator_sets.5c.character")
    cell.value = weight
    wb.save(path)
    code, _, err = run(["model", "check", path], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"error [model-wrong-type] credit.indicator_sets.5c.character (model.xlsx [Model] {cell.coordinate}): " \
           f"{shown} is not a number" in err


def test_a_child_keeps_within_the_address_limit_it_inherits(monkeypatch):
    lower = 3_000 * 1024**2
    monkeypatch.setattr(resource, "getrlimit", lambda which: (lower, lower))
    assert memory_limit(4096) == lower
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert memory_limit(4096) == 4096 * 1024**2


def test_json_of_a_merge_says_what_was_held_back(customers_csv, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_code,store_name,score_character\nC003,Three,11\n", "utf-8")
    code, out, _ = run(["merge", customers_csv, bad, "--as", "back_office", "--json",
                        "--db", f"sqlite:///{tmp_path / 'crm.db'}"], capsys)
    result = json.loads(out)
    assert code == 1 and result["rows_in"] == 2 and result["rows_out"] == 1


def test_sigterm_while_writing_ends_the_command_its_helpers_and_its_part_files(tmp_path):
    """timeout, cron and systemd stop a command with SIGTERM: it ends as Ctrl-C does (aborted, exit 2),
    leaves no half-written file and no forked helper behind, and the old output stays."""
    import os
    import signal
    import subprocess
    import sys
    import time

    lines = ["customer_code,store_name,score_character,score_capacity,score_capital,score_collateral,score_conditions"]
    lines += [f"C{i:07d},store {i},5,6,7,8,9" for i in range(300_000)]  # ~1 s of splicing rows
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "out.xlsx").write_bytes(b"the old output")
    proc = subprocess.Popen([sys.executable, "-m", "crm_xl.cli", "score", "big.csv", "-o", "out.xlsx", "-q"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".out.xlsx*.part.*.part")):  # the rows are being spliced
        time.sleep(0.01)
    time.sleep(0.15)  # the helpers are at work
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    time.sleep(0.5)
    left = _in_session(proc.pid)
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)
    assert proc.returncode == 2 and "aborted" in err.decode()
    assert left == []  # no helper outlived the command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "out.xlsx"]
    assert (tmp_path / "out.xlsx").read_bytes() == b"the old output"


def _in_session(sid: int) -> list[str]:
    """The live processes of a session, from /proc (pgrep is not on every machine)."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:  # state, then ppid, pgrp, session
            found.append(pid)
    return found


@pytest.mark.parametrize("folder", ["dangling link", "cannot be made", "proc"])
def test_an_output_folder_that_cannot_be_made_is_named(customers_csv, tmp_path, capsys, folder):
    if folder == "proc":  # a folder that exists but where no file can be made
        output, said = Path("/proc/crm-xl-test.xlsx"), "could not be written"
    elif folder == "dangling link":
        (tmp_path / "out").symlink_to(tmp_path / "gone")
        output, said = tmp_path / "out" / "s.xlsx", "is a link to"
    else:
        (tmp_path / "file").write_text("x")
        output, said = tmp_path / "file" / "deeper" / "s.xlsx", "is a file, not a folder"  # a file where a folder would be
    code, out, err = run(["score", customers_csv, "-o", output], capsys)
    assert code == 2 and "cannot-write" in err and said in err and "internal error" not in out + err


@pytest.mark.parametrize("command", [["demo", "--customers", "20", "--dir"], ["addin", "server", "-o"]])
def test_a_folder_the_demo_or_the_server_package_cannot_make_is_named(tmp_path, capsys, command):
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    code, out, err = run([*command, tmp_path / "out" / "deeper"], capsys)
    assert code == 2 and "cannot-write" in err and "internal error" not in out + err
