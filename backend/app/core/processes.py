"""Process hygiene for the training workers: they die with the server that started them."""

import ctypes
import multiprocessing
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent dies (even by SIGKILL),
    so an orphan never goes on working (or writing files) for a server that is gone.

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
