"""The upload archive: content-addressed, append-only manifest, never overwritten, verifiable."""
import datetime as dt
import json

from crm_xl.archive import archive_file, entries, sha256_of, verify
from tests.test_cli import run

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)


def upload(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_store_once_under_year_month_with_a_manifest(tmp_path):
    root = tmp_path / "archive"
    a = upload(tmp_path, "kim.csv", "customer_code\nC1\n")
    first = archive_file(a, root, {"errors": 0, "warnings": 1}, user="kim", now=NOW)
    again = archive_file(upload(tmp_path, "kim-again.csv", "customer_code\nC1\n"), root, None, user="lee", now=NOW)
    assert first.stored == f"2026/11/{sha256_of(a)}.csv" and first.new and not again.new
    assert again.stored == first.stored
    assert (root / first.stored).read_text() == "customer_code\nC1\n"
    log = entries(root)
    assert [(e["original_name"], e["archived_by"], e["validation"]) for e in log] == [
        ("kim.csv", "kim", {"errors": 0, "warnings": 1}), ("kim-again.csv", "lee", None)]
    assert log[0]["size"] == a.stat().st_size and log[0]["archived_at"] == "2026-11-23T09:30:00+00:00"


def test_verify_finds_missing_altered_and_unlisted_files(tmp_path):
    root = tmp_path / "archive"
    one = archive_file(upload(tmp_path, "a.csv", "a"), root, now=NOW)
    two = archive_file(upload(tmp_path, "b.csv", "b"), root, now=NOW)
    assert verify(root).ok
    (root / one.stored).chmod(0o644)
    (root / one.stored).write_text("changed")
    (root / two.stored).unlink()
    (root / "2026" / "11" / "stray.csv").write_text("x")
    result = verify(root)
    assert result.altered == [one.stored] and result.missing == [two.stored]
    assert result.unlisted == ["2026/11/stray.csv"] and not result.ok


def test_archive_command_records_the_validation_result(tmp_path, capsys):
    src = upload(tmp_path, "up.csv", "고객코드,상호,품성\nC1,행복마트,12\n")
    code, out, err = run(["archive", src, "--to", tmp_path / "arc"], capsys)
    assert code == 0, err
    assert "stored as" in out and "1 errors" in out
    assert json.loads((tmp_path / "arc" / "manifest.jsonl").read_text().splitlines()[0])["validation"] == \
        {"errors": 1, "warnings": 0}
    code, out, _ = run(["archive", "verify", "--to", tmp_path / "arc"], capsys)
    assert code == 0 and "1 files checked, all intact" in out


def test_verify_is_a_subcommand_and_a_file_named_verify_is_still_archived(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    upload(tmp_path, "verify", "고객코드,상호\nC1,행복마트\n")
    code, out, err = run(["archive", "add", "verify", "--to", "arc"], capsys)
    assert code == 0 and "verify: stored as" in out, err
    code, out, _ = run(["archive", "verify", "--to", "arc"], capsys)
    assert code == 0 and "1 files checked, all intact" in out
    code, out, err = run(["archive", "--help"], capsys)
    assert "add" in out and "verify" in out


def test_every_database_option_honours_crm_xl_db(tmp_path, capsys, monkeypatch):
    from crm_xl.cli import cli

    def db_options(group, path=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from db_options(command, (*path, name))
            for p in command.params:
                if "--db" in getattr(p, "opts", ()):
                    yield (*path, name), p.envvar
    found = dict(db_options(cli))
    assert {("validate",), ("merge",), ("review",), ("export",), ("template",), ("report",)} <= set(found)
    assert set(found.values()) == {"CRM_XL_DB"}
