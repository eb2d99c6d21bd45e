"""Pieces of one output built in order, side by side in forked processes when the machine has cores
to spare.

Why: turning a table into sheet XML is Python string work, held to one core by the GIL. A forked
helper sees the table as it is in memory (nothing is pickled on the way in), builds every piece
that falls to it and sends each back through its own pipe; the caller gets every piece in order.
Where fork is missing (Windows, macOS' default) or there is one core, the caller builds every piece.

A helper is a plain fork with one pipe, not a process pool, so that no failure can hang the
caller or outlive it: the caller holds the only read end, so a helper that dies part way through
a piece (out of memory, killed) ends its pipe, and the caller builds what it did not send; a
caller that stops or dies closes the pipe, and the helper's next write fails and ends it (the
caller also kills and reaps it when it stops).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import warnings
from collections.abc import Callable, Iterator

MAX_WORKERS = 3  # a piece costs ~0.1 s to build and ~10 ms to send back: more helpers gain little
_HEADER = struct.Struct("<qq")  # piece number, length in bytes


def spare_cores() -> int:
    """How many forked helpers may work beside the calling process (0: none)."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0  # no fork (Windows), or a daemon process (a pool's worker), which may not have children
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, MAX_WORKERS))


def in_order(count: int, build: Callable[[int], bytes], workers: int | None = None) -> Iterator[bytes]:
    """build(0) ... build(count - 1), yielded in order. The caller builds one piece in every
    (workers + 1), each helper the pieces of its own turn, as far ahead as its pipe lets it."""
    workers = spare_cores() if workers is None else workers
    if workers == 0 or count < 2:
        yield from (build(i) for i in range(count))
        return
    step = workers + 1
    helpers: list[_Helper] = []
    for k in range(1, min(step, count)):
        helpers.append(_Helper.start(range(k, count, step), build, helpers))
    try:
        for i in range(count):
            turn = i % step
            yield build(i) if turn == 0 else helpers[turn - 1].piece(i, build)
    finally:
        for helper in helpers:
            helper.stop()


class _Helper:
    """One forked process building its share of the pieces, in order, into a pipe."""

    def __init__(self, pid: int, pipe):
        self.pid, self.pipe, self.alive = pid, pipe, True

    @classmethod
    def start(cls, share: range, build: Callable[[int], bytes], started: list[_Helper]) -> _Helper:
        """A helper for `share`; it closes its copies of the pipes of the helpers `started` before it,
        so that each pipe's only reader is the caller."""
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():  # 3.12+ warns of fork beside threads: the helper runs no thread's code
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            for other in started:
                os.close(other.pipe.fileno())
            _helper_main(read_end, write_end, share, build)  # never returns
        os.close(write_end)
        return cls(pid, os.fdopen(read_end, "rb", buffering=1 << 20))

    def piece(self, i: int, build: Callable[[int], bytes]) -> bytes:
        """Piece i as the helper sent it; built here when the helper ended before sending all of it."""
        if self.alive:
            header = self.pipe.read(_HEADER.size)
            if len(header) == _HEADER.size:
                number, size = _HEADER.unpack(header)
                data = self.pipe.read(size)
                if number == i and len(data) == size:
                    return data
            self.stop()  # ended part way (killed, out of memory): the rest of its share is built here
        return build(i)

    def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.pipe.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def _helper_main(read_end: int, write_end: int, share: range, build: Callable[[int], bytes]) -> None:
    """The forked helper: build and send each piece of its share, then end. It never returns into the
    caller's code (os._exit), whatever happens: an error, Ctrl-C, the caller gone (a broken pipe)."""
    status = 1
    try:
        os.close(read_end)
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            for i in share:
                data = build(i)
                _send(pipe, _HEADER.pack(i, len(data)) + data)
        status = 0
    except BaseException:  # noqa: BLE001 - the caller builds what was not sent
        pass
    finally:
        os._exit(status)


def _send(pipe, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[pipe.write(view):]
