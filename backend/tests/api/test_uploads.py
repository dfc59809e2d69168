"""Uploads when the disk fails the server, for real: a full disk (a 1 MiB tmpfs) answers 507,
a refused write (RLIMIT_FSIZE on the server process) 500, both as problem+json with no
partial file left behind, and the next upload works."""

import resource
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem, upload_csv
from testkit.servers import BackendServer, serving

DISK_BYTES = 1024 * 1024
ENV = {"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1", "MAX_UPLOAD_MB": "10"}


def csv_of(size: int) -> bytes:
    row = b"a line of text that fills the file,pos\n"
    return b"text,label\n" + row * (size // len(row) + 1)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@contextmanager
def tiny_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (root needed): {mount.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@contextmanager
def serve(root: Path, **env: str) -> Iterator[tuple[BackendServer, httpx.Client]]:
    with (
        serving(BackendServer(root=root, env={**ENV, **env})) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        yield server, client


def test_a_full_disk_answers_507_and_leaves_nothing(tmp_path: Path) -> None:
    with (
        tiny_disk(tmp_path / "disk") as disk,
        serve(tmp_path / "server", DATASETS_DIR=str(disk)) as (_, client),
    ):
        big = csv_of(3 * DISK_BYTES)
        assert_problem(upload_csv(client, big), 507, "out of disk space")
        assert files_under(disk) == []
        response = client.post(
            "/api/v1/models/predict_csv",
            files={"file": ("big.csv", big, "text/csv")},
            data={"model_id": "0" * 32},
        )
        assert_problem(response, 507, "out of disk space")
        assert files_under(disk) == []
        # the partial files are gone, so the small disk takes a small file
        assert upload_csv(client, csv_of(10_000)).status_code == 201


def test_a_refused_write_answers_500_and_leaves_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as (server, client):
        assert server.process is not None
        # the kernel refuses writes past this size in the server process (EFBIG)
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (DISK_BYTES, DISK_BYTES))
        body = assert_problem(
            upload_csv(client, csv_of(3 * DISK_BYTES)), 500, "storing the upload failed"
        )
        assert "too large" in body["detail"].lower()  # the OS's reason, not a path
        assert files_under(server.datasets_dir) == []
        assert upload_csv(client, csv_of(10_000)).status_code == 201
