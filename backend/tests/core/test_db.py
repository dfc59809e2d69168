"""The SQLite registry serves one server process: the lock a server holds refuses a second
one, and goes with the process, even when it is killed."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.core.db import RegistryInUseError, hold_sqlite_registry
from testkit.api import fit, upload_csv, wait_task
from testkit.samples import SLOW_PARAMS, slow_csv
from testkit.servers import BackendServer, serving


def test_a_second_holder_is_refused_until_the_first_lets_go(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    first = hold_sqlite_registry(url)
    assert first is not None
    with pytest.raises(RegistryInUseError, match=r"another server \(pid \d+\) is using"):
        hold_sqlite_registry(url)
    first.close()
    again = hold_sqlite_registry(url)
    assert again is not None
    again.close()
    assert hold_sqlite_registry("postgresql://u@127.0.0.1/db") is None
    assert hold_sqlite_registry("sqlite://") is None


def test_the_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    code = (
        "from app.core.db import hold_sqlite_registry as h\n"
        f"lock = h({url!r})\nprint('held', flush=True)\ninput()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(RegistryInUseError):
        hold_sqlite_registry(url)
    holder.kill()
    holder.wait()
    taken = hold_sqlite_registry(url)
    assert taken is not None
    taken.close()


def test_a_second_server_on_the_same_sqlite_file_leaves_the_first_ones_fit_alone(
    tmp_path: Path,
) -> None:
    first = BackendServer(root=tmp_path / "first", env={"DEFAULT_MODELS": "false"})
    with serving(first) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        dataset = upload_csv(client, slow_csv(3000), "slow.csv").json()
        accepted = fit(client, dataset["id"], name="busy", params=SLOW_PARAMS)
        second = BackendServer(
            root=tmp_path / "second",
            database_url=server.environment()["DATABASE_URL"],
            env={"DEFAULT_MODELS": "false"},
        )
        try:
            with pytest.raises(RuntimeError, match="the server exited"):
                second.start()
        finally:
            second.stop()  # were it to start after all, it must not outlive the test
        assert "is using the SQLite registry" in second.output()
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
