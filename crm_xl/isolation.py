"""Every untrusted file is read one way: a bounded safety pre-check, then the parse in a child
process with memory and time limits.

A hostile or broken workbook can make a parser allocate without bound or abort the process
outright (the Rust xlsx readers do, on a sheet spanning A1:XFD1048576); in a child process
that costs the child, and the command reports the file instead of dying with it. `read_untrusted`
is the one entry point every command uses for a file a user gave it (uploads, customer and
transaction tables, model workbooks, sheets to regrade).
"""
from __future__ import annotations

import faulthandler
import multiprocessing as mp
import multiprocessing.connection
import os
import resource
import signal
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from crm_xl.findings import CrmError, Finding, InputError, finding
from crm_xl.xlsx.safety import check_file, check_thoroughly, scan_parts

DEFAULT_MEMORY_MB = 4096
DEFAULT_SECONDS = 300


@dataclass
class Failed:
    """Why a child gave no result: it was killed, ran out of memory or time, or raised."""

    reason: str


def read_untrusted(parse: Callable, path: str | Path, *args, scan: bool = False, memory_mb: int = DEFAULT_MEMORY_MB,
                   seconds: float = DEFAULT_SECONDS) -> Any:
    """`parse(path, *args)` run on a user's file: missing file, failed pre-check and a child that
    dies, runs out of memory or time all become the file's findings (InputError), never a crash.

    With `scan`, the child first inflates and checks every part of a workbook, the farthest cell of
    every sheet included (safety.scan_parts): for the openpyxl loads (model sheets, regrade), which
    do not run that scan alongside their own read as the fast reader does.
    """
    return read_untrusted_many([(parse, path, *args)], scan=scan, memory_mb=memory_mb, seconds=seconds)[0]


def read_untrusted_many(calls: list[tuple], *, scan: bool = False, workers: int = 2,
                        memory_mb: int = DEFAULT_MEMORY_MB, seconds: float = DEFAULT_SECONDS) -> list[Any]:
    """`read_untrusted` of several files side by side, one child each (`workers` at a time): a
    command's customers and transactions are read in the time of the slower. Each call is
    (parse, path, *args); the first file that fails, in the order given, is the error raised."""
    jobs = []
    for parse, path, *args in calls:
        path = Path(path)
        if not path.is_file():
            raise InputError([finding("file-not-found", file=path)])
        check_file(path)
        jobs.append((_scanned, (parse, path, *args)) if scan else (parse, (path, *args)))
    outcomes = run_isolated(jobs, workers, memory_mb, seconds)
    for (_, path, *_), outcome in zip(calls, outcomes):
        if isinstance(outcome, CrmError):
            raise outcome
        if isinstance(outcome, Failed):
            raise InputError(failure_findings(Path(path), outcome))
    return outcomes


def _scanned(parse: Callable, path: Path, *args) -> Any:
    if check_file(path) is not None:  # openpyxl builds every cell up to the farthest: look for it first
        scan_parts(path, far_cells=True)
    return parse(path, *args)


def failure_findings(path: Path, failed: Failed, verb: str = "read") -> list[Finding]:
    """Why a child working on `path` died: the thorough check of every byte names the cause when
    the file is hostile (a cell at XFD1048576, a part bigger than it claims); else what happened."""
    try:
        check_thoroughly(path)
    except CrmError as exc:
        return exc.findings
    except Exception:  # noqa: BLE001 - naming the cause is best effort; the failure itself is reported below
        pass
    return [finding("file-unreadable", file=path, detail=f"could not be {verb}: {failed.reason}")]


def memory_limit(memory_mb: int) -> int:
    """Bytes of address space for a child: `memory_mb`, or less when the limit this process
    inherited is lower (a shared host's `ulimit -v`): a limit cannot be raised, only kept."""
    limit = memory_mb * 1024 * 1024
    for inherited in resource.getrlimit(resource.RLIMIT_AS):
        if inherited != resource.RLIM_INFINITY:
            limit = min(limit, inherited)
    return limit


def _child(conn, func, args, memory_mb, stderr_fd, readers=()):
    for reader in readers:
        reader.close()
    faulthandler.disable()  # a native crash is reported by the parent as a finding, not as a dump
    os.dup2(stderr_fd, 2)  # a native reader's panic text goes to the parent's report, not the terminal
    limit = memory_limit(memory_mb)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        conn.send(("ok", func(*args)))
    except CrmError as exc:  # the file's own findings: passed on as they are
        conn.send(("findings", (type(exc), exc.findings)))
    except MemoryError:
        conn.send(("failed", f"needed more than {limit // 1024**2:,} MB of memory"))
    except BaseException as exc:  # anything else the child hits is reported, never swallowed
        conn.send(("failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
    finally:
        conn.close()


def run_isolated(jobs: Iterable[tuple[Callable, tuple]], workers: int = 2, memory_mb: int = DEFAULT_MEMORY_MB,
                 seconds: float = DEFAULT_SECONDS, on_done: Callable[[int], None] | None = None) -> list[Any]:
    """Each job's result (a Failed, or the CrmError it raised), in order; at most `workers` at a time."""
    ctx = mp.get_context("fork")  # the parent's modules and arguments, without pickling them in
    jobs = list(jobs)
    results: list[Any] = [None] * len(jobs)
    running: dict[int, tuple] = {}
    pending = list(range(len(jobs)))
    while pending or running:
        while pending and len(running) < max(1, workers):
            i = pending.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            stderr = tempfile.TemporaryFile()
            # the child closes its copies of the read ends (its own and those of the readers already
            # running): the caller must be their only reader, so that a caller killed outright ends
            # the child's write with a broken pipe instead of leaving it blocked for ever
            readers = [parent] + [conn for _, conn, _ in running.values()]
            proc = ctx.Process(target=_child, args=(child, *jobs[i], memory_mb, stderr.fileno(), readers),
                               daemon=True)
            proc.start()
            child.close()
            running[i] = (proc, parent, stderr)
        done = mp.connection.wait([conn for _, conn, _ in running.values()], timeout=seconds)
        if not done:  # nothing finished within the limit: the oldest gives up
            i = next(iter(running))
            proc, conn, stderr = running.pop(i)
            proc.kill()
            proc.join(5)
            stderr.close()
            results[i] = Failed(f"took longer than {seconds:,.0f} s")
            _finish(on_done)
            continue
        for i, (proc, conn, stderr) in list(running.items()):
            if conn in done:
                results[i] = _outcome(proc, conn, stderr)
                del running[i]
                _finish(on_done)
    return results


def _outcome(proc, conn, stderr):
    try:
        state, value = conn.recv()
    except (EOFError, OSError):  # the child died without a word: killed, or aborted by native code
        proc.join(5)
        return Failed(f"the reader stopped abnormally ({_how(proc.exitcode)}{_said(stderr)})")
    finally:
        proc.join(5)
    stderr.close()
    if state == "ok":
        return value
    if state == "findings":
        kind, findings = value
        return kind(findings)
    return Failed(value)


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            pass
    return f"exit code {exitcode}"


def _said(stderr) -> str:
    """The first line a native reader printed as it died (a Rust panic's message), if any."""
    try:
        stderr.seek(0)
        lines = [line.strip() for line in stderr.read(64 * 1024).decode("utf-8", "replace").splitlines()]
    finally:
        stderr.close()
    said = next((line for line in lines if "panicked" in line or "memory allocation" in line), "")
    return f": {said[:300]}" if said else ""


def _finish(on_done):
    if on_done:
        on_done(1)
