"""The start-up sweeps' rule for files on a path several API replicas share (MODELS_DIR,
DATASETS_DIR): a replica removes what its own last run left, and what no record owns, but
never what another replica's work in progress is writing.

- A file of a record still in progress (a model TRAINING, a scoring task running) stays.
- A file that no record owns yet stays while it is younger than GRACE_S: the work that
  writes it creates it a moment before its record (a fit's lock file, an upload moved into
  place before its dataset row).
- A partial upload (`DATASETS_DIR/.incoming/<replica>.<uuid>.part`) names the replica that
  receives it: a replica removes its own (its last run's), and another replica's only once
  it is older than PART_MAX_AGE_S (no upload, nor a predict_csv answer, lasts that long).
"""

import re
import time
from pathlib import Path

GRACE_S = 60.0
PART_MAX_AGE_S = 24 * 3600.0


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
