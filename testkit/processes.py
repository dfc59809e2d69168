"""Processes as Linux's /proc shows them: a process's fields, its descendants, its session."""

import os
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path


def stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3 on: state, ppid, pgrp, session,
    ...); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """A process that has not exited (a zombie has, and waits only to be reaped)."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def started(pid: int) -> int | None:
    """When a process started (clock ticks after boot): tells a pid from its reuse."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def process_tree(pid: int) -> Iterator[int]:
    """A process and its live descendants."""
    todo = [pid]
    while todo:
        current = todo.pop()
        yield current
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]


def in_session(session: int) -> list[int]:
    """The live processes of a session (a process started with `setsid` and all it
    started, unless one made a session of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        fields = stat_fields(pid)
        if fields is not None and int(fields[3]) == session and fields[0] != "Z":
            found.append(pid)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants so far, with that of the
    children they reaped (a fit's process that ended still counts; nothing twice)."""
    ticks = 0
    for current in process_tree(pid):
        fields = stat_fields(current)
        if fields is not None:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")
