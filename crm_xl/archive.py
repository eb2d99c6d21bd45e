"""Content-addressed archive of every uploaded file, with a manifest.

Files are stored once under `<root>/<yyyy>/<mm>/<sha256>.<suffix>`; the manifest (JSON lines,
append-only) records who, when, the original name, size, hash and the validation result.
Nothing is ever overwritten: storing the same content again adds a manifest line pointing at the
file already there. `verify` re-hashes everything the manifest lists.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from crm_xl.files import OutputError, atomic_path, os_error
from crm_xl.findings import InputError, finding

MANIFEST = "manifest.jsonl"
CHUNK = 1 << 20


@dataclass
class Entry:
    sha256: str
    stored: str  # path relative to the archive root
    original_name: str
    size: int
    archived_at: str  # ISO 8601, UTC
    archived_by: str
    validation: dict | None  # {"errors": n, "warnings": n} or None when not validated
    new: bool  # False when the same content was already archived


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, root: Path, validation: dict | None = None, user: str | None = None,
                 now: dt.datetime | None = None) -> Entry:
    now = now or dt.datetime.now(dt.timezone.utc)
    digest = sha256_of(path)
    existing = _stored_paths(root).get(digest)
    stored = existing or Path(f"{now:%Y}") / f"{now:%m}" / f"{digest}{path.suffix.lower()}"
    target = root / stored
    if existing is None:
        if target.exists():  # same content from another run: never overwrite, just point at it
            if sha256_of(target) != digest:
                raise FileExistsError(f"{target} exists with other content; run crm-xl archive verify")
        else:
            with atomic_path(target) as tmp:
                shutil.copyfile(path, tmp)
                os.chmod(tmp, 0o444)  # archived files are read-only
    entry = Entry(digest, stored.as_posix(), path.name, path.stat().st_size, now.isoformat(timespec="seconds"),
                  user or current_user(), validation, existing is None)
    try:
        _append(root / MANIFEST, asdict(entry))
    except OSError as exc:
        if os_error(exc) is None:
            raise
        raise OutputError([finding("cannot-write", file=root / MANIFEST, detail=exc.strerror or str(exc))]) from None
    return entry


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return f"uid {os.getuid()}"


def _append(manifest: Path, record: dict) -> None:
    """One JSON line, written and flushed in one call, so a crash never leaves half a record."""
    manifest.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    fd = os.open(manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def entries(root: Path) -> list[dict]:
    manifest = root / MANIFEST
    if not manifest.exists():
        return []
    return [json.loads(line) for line in manifest.read_text("utf-8").splitlines() if line.strip()]


def _stored_paths(root: Path) -> dict[str, Path]:
    return {e["sha256"]: Path(e["stored"]) for e in entries(root)}


@dataclass
class VerifyResult:
    checked: int
    missing: list[str]
    altered: list[str]
    unlisted: list[str]  # files in the archive the manifest does not know

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered or self.unlisted)


def verify(root: Path) -> VerifyResult:
    if not root.is_dir():  # not "0 files, all intact": a mistyped folder must not pass
        raise InputError([finding("file-not-found", file=root)])
    stored = _stored_paths(root)
    missing, altered = [], []
    for digest, rel in stored.items():
        path = root / rel
        if not path.is_file():
            missing.append(rel.as_posix())
        elif sha256_of(path) != digest:
            altered.append(rel.as_posix())
    known = {rel.as_posix() for rel in stored.values()}
    unlisted = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*/*") if p.is_file()
                      and p.relative_to(root).as_posix() not in known and not p.name.startswith("."))
    return VerifyResult(len(stored), missing, altered, unlisted)
