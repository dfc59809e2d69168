"""Folders a server may not write, for real, whoever runs the tests."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def permissions_enforced() -> list[str]:
    """A launcher (`BackendServer.launcher`) under which a server obeys files' modes.
    Root ignores them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): as root, the server runs
    without those capabilities (util-linux's setpriv drops them from the bounding set, so
    the exec'd process never has them), and a write to a folder of mode 555, or a read of a
    file of mode 000, fails with EACCES, as for any other user."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): a mode cannot stop writes")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@contextmanager
def read_only(*folders: Path) -> Iterator[None]:
    """The folders at mode 555 (nobody writes in them) for the block, then 755 again."""
    for folder in folders:
        folder.chmod(0o555)
    try:
        yield
    finally:
        for folder in folders:
            folder.chmod(0o755)


@contextmanager
def unreadable(file: Path) -> Iterator[None]:
    """The file at mode 000 (nobody reads it) for the block, then 644 again."""
    file.chmod(0o000)
    try:
        yield
    finally:
        file.chmod(0o644)
