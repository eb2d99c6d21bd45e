"""Pieces of one output built in order, side by side in forked processes when the machine has cores
to spare.

Why: turning a table into sheet XML is Python string work, held to one core by the GIL. Forked
workers see the table as it is in memory (nothing is pickled on the way in); each sends back the
bytes of the pieces it built, and the caller gets every piece in order. Where fork is missing
(Windows, macOS' default) or there is one core, the caller builds every piece itself.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

MAX_WORKERS = 3  # a piece costs ~0.1 s to build and ~10 ms to send back: more workers gain little

_build: Callable[[int], bytes] | None = None  # what the forked workers run: inherited through fork, never pickled


def spare_cores() -> int:
    """How many forked workers may help the calling process (0: none)."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0  # no fork (Windows), or a daemon process (a pool's worker), which may not have children
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, MAX_WORKERS))


def in_order(count: int, build: Callable[[int], bytes], workers: int | None = None) -> Iterator[bytes]:
    """build(0) ... build(count - 1), yielded in order. The caller builds one piece in every
    (workers + 1) and the workers the others, a few pieces ahead of what the caller has reached."""
    workers = spare_cores() if workers is None else workers
    if workers == 0 or count < 2:
        yield from (build(i) for i in range(count))
        return
    global _build
    _build = build
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    pending: dict[int, Future] = {}
    submitted, broken = 0, False
    try:
        for i in range(count):
            while not broken and submitted < min(count, i + 2 * (workers + 1)):
                if submitted % (workers + 1):
                    try:
                        pending[submitted] = pool.submit(_built, submitted)
                    except BrokenProcessPool:  # a worker died (out of memory): build the rest here
                        broken = True
                submitted += 1
            yield _collect(pending.pop(i), build, i) if i in pending else build(i)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _build = None


def _built(i: int) -> bytes:
    return _build(i)


def _collect(future: Future, build: Callable[[int], bytes], i: int) -> bytes:
    try:
        return future.result()
    except BrokenProcessPool:
        return build(i)
