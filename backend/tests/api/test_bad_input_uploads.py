"""Multipart uploads (issue 13, class 4): uploads of the same bytes at the same time get
the stored dataset, as a later duplicate does; exactly one `file` part per form; the hash
is that of exactly the stored bytes; a body without its closing boundary is refused."""

import hashlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.api.uploads import MAX_FIELD_BYTES
from app.registry.sql import SqlRegistry
from testkit.api import assert_problem, upload_csv
from testkit.records import dataset_record
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

UPLOADERS = 8
ROUNDS = 4


def _stored_files(server: BackendServer) -> set[str]:
    return {p.name for p in server.datasets_dir.rglob("*") if p.is_file()}


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str) -> bytes:
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    return body


def _post_raw(client: httpx.Client, path: str, body: bytes, boundary: str) -> httpx.Response:
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return client.post(path, content=body, headers=headers)


def test_concurrent_uploads_of_the_same_bytes_get_the_stored_dataset(
    client: httpx.Client, server: BackendServer
) -> None:
    for round_ in range(ROUNDS):
        content = labelled_csv(30, seed=13_000 + round_ + int(uuid.uuid4().int % 10**6))
        before = _stored_files(server)
        barrier = threading.Barrier(UPLOADERS)

        def upload(i: int, content: bytes = content, barrier: threading.Barrier = barrier):
            with httpx.Client(base_url=server.base_url, timeout=60) as c:
                barrier.wait()
                return upload_csv(c, content, f"same-{i}.csv")

        with ThreadPoolExecutor(UPLOADERS) as pool:
            answers = list(pool.map(upload, range(UPLOADERS)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * (UPLOADERS - 1) + [201], [a.text for a in answers]
        bodies = [a.json() for a in answers]
        assert len({b["id"] for b in bodies}) == 1
        # the losers' answer is the one a later duplicate upload gets
        later = upload_csv(client, content, "later.csv")
        assert later.status_code == 200 and later.json() == bodies[0]
        assert len(_stored_files(server) - before) == 1  # no copy left by a loser
        assert hashlib.sha256(content).hexdigest() == bodies[0]["sha256"]


def test_the_registry_answers_a_duplicate_with_the_stored_dataset(
    registry: SqlRegistry,
) -> None:
    first = dataset_record(sha256="a" * 64)
    stored, created = registry.add_dataset(first)
    assert created and stored.id == first.id
    again, created = registry.add_dataset(dataset_record(sha256="a" * 64))
    assert not created and again.id == first.id
    assert [d.id for d in registry.list_datasets()] == [first.id]


def test_the_registry_race_has_one_winner(registry: SqlRegistry) -> None:
    barrier = threading.Barrier(UPLOADERS)

    def add(_: int) -> tuple[str, bool]:
        record = dataset_record(sha256="b" * 64)
        barrier.wait()
        stored, created = registry.add_dataset(record)
        return stored.id, created

    with ThreadPoolExecutor(UPLOADERS) as pool:
        results = list(pool.map(add, range(UPLOADERS)))
    assert sum(created for _, created in results) == 1
    assert len({dataset_id for dataset_id, _ in results}) == 1


def test_the_hash_is_that_of_the_stored_bytes(client: httpx.Client) -> None:
    content = labelled_csv(25, seed=int(uuid.uuid4().int % 10**6))
    dataset = upload_csv(client, content, "hashed.csv").json()
    stored = client.get(f"/api/v1/datasets/{dataset['id']}/file").content
    assert stored == content
    assert dataset["sha256"] == hashlib.sha256(stored).hexdigest()
    assert dataset["size_bytes"] == len(content)


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/models/predict_csv"])
def test_a_second_file_part_is_refused(
    client: httpx.Client, server: BackendServer, path: str
) -> None:
    boundary = uuid.uuid4().hex
    first = labelled_csv(20, seed=int(uuid.uuid4().int % 10**6))
    body = _multipart(
        [
            ("model_id", None, b"0" * 32),
            ("file", "a.csv", first),
            ("file", "b.csv", labelled_csv(20, seed=2)),
        ],
        boundary,
    )
    before = _stored_files(server)
    answer = _post_raw(client, path, body + f"--{boundary}--\r\n".encode(), boundary)
    assert_problem(answer, 422, "more than one 'file' part")
    assert _stored_files(server) == before
    # the first file alone is fine, and was not stored by the refused request
    assert upload_csv(client, first).status_code == 201


@pytest.mark.parametrize(
    "ending",
    [
        b"",  # the file part ended, then nothing
        b"--{b}",  # a boundary without its closing dashes
        b"--{b}\r\n",  # the start of another part
        b'--{b}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx',  # inside a field
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/models/predict_csv"])
def test_a_body_without_its_closing_boundary_is_refused(
    client: httpx.Client, server: BackendServer, path: str, ending: bytes
) -> None:
    boundary = uuid.uuid4().hex
    content = labelled_csv(20, seed=int(uuid.uuid4().int % 10**6))
    body = _multipart([("model_id", None, b"0" * 32), ("file", "a.csv", content)], boundary)
    before = _stored_files(server)
    answer = _post_raw(client, path, body + ending.replace(b"{b}", boundary.encode()), boundary)
    assert_problem(answer, 422, "incomplete")
    assert _stored_files(server) == before
    complete = _multipart([("file", "a.csv", content)], boundary) + f"--{boundary}--\r\n".encode()
    assert _post_raw(client, "/api/v1/datasets", complete, boundary).status_code == 201


def test_a_file_name_is_stored_without_control_characters(client: httpx.Client) -> None:
    """The client's file name is metadata shown in lists, pages and headers: it keeps no
    escape, separator or direction override (the file's bytes are untouched)."""
    content = labelled_csv(25, seed=int(uuid.uuid4().int % 10**6))
    raw_name = "r\u00e9sum\u00e9\x1b[31m\u2028\u202egpj.csv"
    body = _multipart([("file", raw_name, content)], "cc") + b"--cc--\r\n"
    answer = _post_raw(client, "/api/v1/datasets", body, "cc")
    assert answer.status_code == 201, answer.text
    dataset = answer.json()
    assert dataset["filename"] == "r\u00e9sum\u00e9[31mgpj.csv"
    assert dataset["name"] == "r\u00e9sum\u00e9[31mgpj"
    assert client.get(f"/api/v1/datasets/{dataset['id']}/file").content == content


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "esc\x1bape", "over\u202eride"])
def test_a_typed_dataset_name_with_control_characters_is_a_422(
    client: httpx.Client, name: str
) -> None:
    content = labelled_csv(25, seed=int(uuid.uuid4().int % 10**6))
    answer = client.post(
        "/api/v1/datasets",
        files={"file": ("named.csv", content, "text/csv")},
        data={"name": name},
    )
    assert_problem(answer, 422, "control characters")


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/v1/datasets", "name"), ("/api/v1/models/predict_csv", "segment_column")],
)
def test_a_form_field_over_its_limit_is_refused_not_cut(
    client: httpx.Client, server: BackendServer, path: str, field: str
) -> None:
    """Cut, a long name would be stored as another name, a long column as the default."""
    content = labelled_csv(25, seed=int(uuid.uuid4().int % 10**6))
    before = _stored_files(server)
    answer = client.post(
        path,
        files={"file": ("long.csv", content, "text/csv")},
        data={field: "n" * (MAX_FIELD_BYTES + 1), "model_id": "0" * 32},
    )
    assert_problem(answer, 422, f"form field '{field}' is longer than 64 KiB")
    assert _stored_files(server) == before
    at_the_limit = client.post(
        "/api/v1/datasets",
        files={"file": ("long.csv", content, "text/csv")},
        data={"name": "d" * MAX_FIELD_BYTES},
    )
    # read whole: the route's own check of a name answers, not the form's limit
    detail = assert_problem(at_the_limit, 422, "name")["detail"]
    assert "64 KiB" not in detail


@pytest.mark.parametrize(
    ("path", "field", "needed"),
    [
        ("/api/v1/datasets", "nmae", {}),
        ("/api/v1/models/predict_csv", "text_colum", {"model_id": "toxic-logreg:1"}),
        ("/api/v1/models/toxic-logreg:1/feedback/csv", "label_colum", {}),
        ("/api/v1/models/import", "shaa256", {"sha256": "0" * 64}),
    ],
)
def test_a_misspelt_form_field_is_refused_not_ignored(
    client: httpx.Client, server: BackendServer, path: str, field: str, needed: dict
) -> None:
    """As an unknown field of a JSON body: ignored, a misspelt column would fall back to
    the default column, and a misspelt name to the file's."""
    content = labelled_csv(20, seed=int(uuid.uuid4().int % 10**6))
    before = _stored_files(server)
    answer = client.post(
        path,
        files={"file": ("typo.csv", content, "text/csv")},
        data={field: "x", **needed},
    )
    problem = assert_problem(answer, 422)
    assert problem["title"] == "Invalid request"
    unknown = [e for e in problem["errors"] if e["type"] == "extra_forbidden"]
    assert [e["loc"] for e in unknown] == [[field]], problem
    assert _stored_files(server) == before  # nothing kept of the upload
