"""Process hygiene for the training workers: they die with the server that started them.

Two mechanisms, because neither alone covers every process tree:

- `die_with_parent`: the kernel kills the worker when its *parent* dies
  (`PR_SET_PDEATHSIG`). With multiprocessing's forkserver the parent is the forkserver,
  not the server, and the forkserver does not exit with the server while a worker is
  busy: every forkserver child inherits the write end of the forkserver's "alive" pipe
  (so that it could start processes through it), and the forkserver exits only at that
  pipe's EOF. A busy worker thus keeps its own parent alive, and that parent keeps the
  worker's death signal from firing: after a `kill -9` of the server the worker trained
  on (and wrote its bundle) until its fit ended.
- `exit_with`: a daemon thread in the worker that reads the server's `/proc/<pid>/stat`
  every `WATCH_S` and calls `os._exit` once the server is gone, a zombie, or its pid
  belongs to another process (another start time). It depends on no process tree, so a
  worker ends within about a second of its server, whoever its parent is.

And a terminal's Ctrl-C, which reaches every process of its group, does not interrupt a
child before its own code ignores SIGINT (`ctrl_c_blocked`).
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
WATCH_S = 0.2  # how often a worker checks that its server still runs


@dataclass(frozen=True)
class ProcessId:
    """A process, safe from pid reuse: its pid and its start time (clock ticks after
    boot, from /proc; None where there is no /proc)."""

    pid: int
    started: str | None


def this_process() -> ProcessId:
    """The calling process, to hand to the workers it starts (`exit_with`)."""
    state = _state(os.getpid())
    return ProcessId(os.getpid(), state[1] if state is not None else None)


def exit_with(owner: ProcessId) -> None:
    """Exit this process (`os._exit`, no clean-up) as soon as `owner` is gone: a daemon
    thread checks every WATCH_S. Does nothing where there is no /proc (not Linux)."""
    if owner.started is None:
        return
    threading.Thread(target=_watch, args=(owner,), name="server-watch", daemon=True).start()


def _watch(owner: ProcessId) -> None:
    while True:
        state = _state(owner.pid)
        # gone, a zombie (dead, not yet reaped), or its pid reused by another process
        if state is None or state[0] in ("Z", "X") or state[1] != owner.started:
            os._exit(1)
        time.sleep(WATCH_S)


def _state(pid: int) -> tuple[str, str] | None:
    """(state letter, start time) of a process, from /proc; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and ')'
    return fields[0], fields[19]


def die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent dies (even by SIGKILL),
    so an orphan never goes on working (or writing files) for a server that is gone.
    Under a forkserver the parent is the forkserver, which may outlive the server (see
    the module's docstring): workers also call `exit_with`.

    The parent may die before prctl takes effect: that is asked of the process that
    started this one (multiprocessing's sentinel), never read from the parent's pid. A
    parent pid of 1 proves nothing: in a container the server itself is PID 1, and a
    worker it starts directly has parent 1 from its first instruction (a check of
    `getppid() == 1` once made every training worker exit in the image).
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # died before prctl took effect
        os._exit(1)


@contextmanager
def ctrl_c_blocked() -> Iterator[None]:
    """Start a child process (the forkserver, the prediction process) within this. The
    child inherits the calling thread's blocked SIGINT, across exec too, so a Ctrl-C in
    `make run`'s terminal, sent to the whole process group, cannot interrupt its imports
    with a KeyboardInterrupt before its own code ignores SIGINT (the server ends its
    children as it shuts down). The block is this thread's only: the server's main
    thread still takes the Ctrl-C."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
