"""Run one function over a few inputs at once: the first in this process, the others in
forked children that share this process's memory (nothing is pickled on the way in).

Meant for CPU-bound pure-Python work inside a training worker, such as counting the terms
of a corpus, where threads would wait on each other for the GIL. The children die with
this process (a cancelled fit leaves none behind) and hand their result back pickled
through a pipe; an exception in a child is raised here as ForkedWorkError, naming the
child's exception, with the child's traceback as its cause (for the logs).
"""

import contextlib
import gc
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, Pipe
from typing import TypeVar

from app.core.processes import die_with_parent

In = TypeVar("In")
Out = TypeVar("Out")


class ForkedWorkError(RuntimeError):
    """A forked child failed or died before handing back its result."""


class ChildTraceback(Exception):
    """The traceback of a child's exception, as text."""


def can_fork() -> bool:
    """fork() is only dependable on Linux (macOS frameworks and Windows lack it or break)."""
    return sys.platform == "linux" and hasattr(os, "fork")


def map_forked(fn: Callable[[In], Out], items: Sequence[In]) -> list[Out]:
    """[fn(item) for item in items], the items after the first each in a forked child."""
    if len(items) <= 1 or not can_fork():
        return [fn(item) for item in items]
    children = [_start_child(fn, item) for item in items[1:]]
    try:
        results = [fn(items[0])]
        results.extend(_collect(pid, conn) for pid, conn in children)
    except BaseException:
        for pid, _ in children:
            _kill(pid)
        raise
    finally:
        for pid, conn in children:
            conn.close()
            _reap(pid)
    return results


def _start_child(fn: Callable[[In], Out], item: In) -> tuple[int, Connection]:
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        receiver.close()
        _run_child(fn, item, sender)
    sender.close()
    return pid, receiver


def _run_child(fn: Callable[[In], Out], item: In, sender: Connection) -> None:
    code = 0
    try:
        # The inherited objects stay out of the collector's sight: a collection walking
        # them would touch (so copy) every page this child shares with its parent.
        gc.freeze()
        die_with_parent()
        # the worker's own handlers (pebble's SIGTERM exit) are not this child's business
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            payload = pickle.dumps(("ok", fn(item)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            payload = pickle.dumps(("error", traceback.format_exc()))
            code = 1
        sender.send_bytes(payload)
    except BaseException:
        code = 2
    finally:
        # no atexit handlers, no flushing of buffers copied from the parent
        os._exit(code)


def _collect(pid: int, conn: Connection) -> Out:
    try:
        status, value = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError) as exc:
        raise ForkedWorkError(
            f"a helper process ({pid}) died before finishing; it may have run out of memory"
        ) from exc
    if status != "ok":
        last_line = value.strip().splitlines()[-1]
        raise ForkedWorkError(f"a helper process failed: {last_line}") from ChildTraceback(value)
    return value


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # not reaped yet, so the pid is still this child's


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
