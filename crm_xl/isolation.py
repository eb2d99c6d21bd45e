"""Run work on an untrusted file in a child process with memory and time limits.

A hostile or broken workbook can make a parser allocate without bound or abort the process
outright (the Rust xlsx readers do, on a sheet spanning A1:XFD1048576); in a child process
that costs the child, and the command reports the file instead of dying with it.
"""
from __future__ import annotations

import faulthandler
import multiprocessing as mp
import multiprocessing.connection
import resource
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable

DEFAULT_MEMORY_MB = 4096
DEFAULT_SECONDS = 300


@dataclass
class Failed:
    """Why a child gave no result: it was killed, ran out of memory or time, or raised."""

    reason: str


def _child(conn, func, args, memory_mb):
    faulthandler.disable()  # a native crash is reported by the parent as a finding, not as a dump
    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        conn.send(("ok", func(*args)))
    except MemoryError:
        conn.send(("failed", f"needed more than {memory_mb:,} MB of memory"))
    except BaseException as exc:  # anything else the child hits is reported, never swallowed
        conn.send(("failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
    finally:
        conn.close()


def run_isolated(jobs: Iterable[tuple[Callable, tuple]], workers: int = 2, memory_mb: int = DEFAULT_MEMORY_MB,
                 seconds: float = DEFAULT_SECONDS, on_done: Callable[[int], None] | None = None) -> list[Any]:
    """Each job's result (or a Failed), in order; at most `workers` children at a time."""
    ctx = mp.get_context("fork")  # the parent's modules and arguments, without pickling them in
    jobs = list(jobs)
    results: list[Any] = [None] * len(jobs)
    running: dict[int, tuple] = {}
    pending = list(range(len(jobs)))
    while pending or running:
        while pending and len(running) < max(1, workers):
            i = pending.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(child, *jobs[i], memory_mb), daemon=True)
            proc.start()
            child.close()
            running[i] = (proc, parent)
        done = mp.connection.wait([conn for _, conn in running.values()], timeout=seconds)
        if not done:  # nothing finished within the limit: the oldest gives up
            i = next(iter(running))
            proc, conn = running.pop(i)
            proc.kill()
            results[i] = Failed(f"took longer than {seconds:,.0f} s")
            _finish(on_done)
            continue
        for i, (proc, conn) in list(running.items()):
            if conn in done:
                try:
                    state, value = conn.recv()
                    results[i] = value if state == "ok" else Failed(value)
                except EOFError:  # the child died without a word: killed, or aborted by native code
                    proc.join(5)
                    results[i] = Failed(f"the reader stopped abnormally (exit code {proc.exitcode})")
                proc.join(5)
                del running[i]
                _finish(on_done)
    return results


def _finish(on_done):
    if on_done:
        on_done(1)
