"""The start-up sweeps' rule for files on a path several API replicas share (MODELS_DIR,
DATASETS_DIR): a replica removes what its own last run left, and what no record owns, but
never what another replica's work in progress is writing.

- A file of a record still in progress (a model TRAINING, a scoring task running) stays.
- A file that no record owns yet stays while it is younger than GRACE_S: the work that
  writes it creates it a moment before its record (a fit's lock file, an upload moved into
  place before its dataset row).
- A whole file (a model's bundle, a dataset's CSV) that no record knows at all is set
  aside in the folder's `orphaned/` subfolder, never deleted: the registry that knows it
  may be another one (a DATABASE_URL changed or mistyped), and moving it back undoes the
  sweep. What a record knows but does not need (the bundle of a fit that failed) and
  partial files (lock files, staging folders, partial uploads) are removed.
- A partial upload (`DATASETS_DIR/.incoming/<replica>.<uuid>.part`) names the replica that
  receives it: a replica removes its own (its last run's), and another replica's only once
  it is older than PART_MAX_AGE_S (no upload, nor a predict_csv answer, lasts that long).
"""

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

GRACE_S = 60.0
PART_MAX_AGE_S = 24 * 3600.0
ORPHANED = "orphaned"  # the subfolder unknown files are set aside in


def younger_than(
    path: Path, seconds: float, now: float | None = None, *, renamed: bool = True
) -> bool:
    """Written, or with `renamed` also renamed into place (a rename sets the ctime), less
    than `seconds` ago."""
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return True  # gone meanwhile: nothing to remove
    last = max(stat.st_mtime, stat.st_ctime) if renamed else stat.st_mtime
    return (now or time.time()) - last < seconds


def replica_tag(replica: str) -> str:
    """The replica's name as a file name prefix (no dots, slashes or colons)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", replica)[:80] or "replica"


def set_aside(path: Path, why: str) -> Path:
    """Move a file no record knows into its folder's `orphaned/` subfolder (a name already
    there gets a numbered suffix) and say so; returns where it went."""
    folder = path.parent / ORPHANED
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.name}.{n}"
        n += 1
    os.replace(path, target)
    log.warning(
        "set %s aside in %s: %s. Is DATABASE_URL the registry it belongs to? Move it back "
        "(and restart) to use it, or delete it",
        path.name,
        folder,
        why,
    )
    return target


@contextmanager
def left_to_the_sweep(path: Path, what: str) -> Iterator[None]:
    """Deleting the file of a record already gone: a failure (a read-only folder) is logged,
    not raised, since the removal has happened; no record names the file, so the next
    start-up sets it aside."""
    try:
        yield
    except OSError as exc:
        log.warning(
            "%s is gone, but its file %s could not be deleted (%s); the next start-up sets "
            "it aside",
            what,
            path,
            exc.strerror or exc,
        )
