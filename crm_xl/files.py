"""Writing files so that a reader never sees half a file: a temp file, then one rename.

A write the world refuses (disk full, read-only folder, no permission) is the output's finding
(`cannot-write`), never a traceback, and the old file stays as it was.
"""
from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from crm_xl.findings import CrmError, finding

WORLD_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EFBIG, errno.ENOTDIR,
                errno.EISDIR, errno.EEXIST, errno.EIO, errno.ENOENT}  # ENOENT: a folder no file can be made in (/proc)


class OutputError(CrmError):
    """An output could not be written; nothing was changed."""


def refuse_overwriting(output: str | Path, *inputs: str | Path | None) -> None:
    """An output that names one of the command's own input files would replace what was read."""
    out = Path(output)
    for given in inputs:
        if given is not None and out.exists() and Path(given).exists() and out.resolve() == Path(given).resolve():
            raise OutputError([finding("bad-option", option="-o / --output", value=str(output),
                                       problem="is also an input of this command; writing it would replace what was read",
                                       hint="Write the result to another file name.")])


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temp path beside `target`; renamed onto it only if the block finishes."""
    target = Path(target)
    tmp = None
    make_folder(target.parent, target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the result is an ordinary file
        yield Path(tmp)
        os.replace(tmp, target)
    except Exception as exc:
        cause = os_error(exc)
        if cause is None:
            raise
        raise OutputError([finding("cannot-write", file=target, detail=cause.strerror or str(cause))]) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def make_folder(folder: Path, target: Path | None = None) -> None:
    """An output folder, made when it does not exist yet; a folder that cannot be made (a link that
    points nowhere, a file in the way, a place no file can be made) is the finding of the output
    (`target`, default the folder itself)."""
    folder = Path(folder)
    in_the_way = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
    if folder.is_symlink() and not folder.exists():
        detail = f"its folder {folder} is a link to {os.readlink(folder)}, which does not exist"
    elif in_the_way is not None:
        detail = f"its folder cannot be made: {in_the_way} is a file, not a folder"
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return
        except OSError as exc:
            detail = f"its folder {folder} cannot be made ({exc.strerror or exc})"
    raise OutputError([finding("cannot-write", file=target or folder, detail=detail)])


def os_error(exc: BaseException | None) -> OSError | None:
    """The refusal of the operating system behind an exception, also when a library wrapped it
    (xlsxwriter's FileCreateError, zipfile's errors): None when there is none."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in WORLD_ERRORS:
            return exc
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, OSError)), None)
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None
