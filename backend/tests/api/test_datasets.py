import hashlib
from pathlib import Path

import httpx
import pytest

from shared.schemas import DatasetRead
from testkit.api import assert_problem, upload_csv
from testkit.bad_files import BAD_FILES
from testkit.samples import labelled_csv
from testkit.servers import BackendServer


def _files(server: BackendServer) -> set[str]:
    return {p.name for p in server.datasets_dir.rglob("*") if p.is_file()}


def test_upload_records_summary_and_deduplicates(client: httpx.Client) -> None:
    content = b"comment_text,toxic,note\nhello there,0,\nyou idiot,1,x\nhello there,0,\n"
    first = upload_csv(client, content, "small.csv", name="My data")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["name"] == "My data" and body["filename"] == "small.csv"
    assert body["rows"] == 3 and body["duplicate_rows"] == 1
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size_bytes"] == len(content)
    columns = {c["name"]: c for c in body["columns"]}
    assert columns["toxic"]["dtype"] == "int" and columns["note"]["missing"] == 2

    again = upload_csv(client, content, "other-name.csv")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    # the answers say what a read says, not where the file lies on the server
    assert body.keys() == again.json().keys() == DatasetRead.model_fields.keys()

    listed = [d["id"] for d in client.get("/api/v1/datasets").json()]
    assert body["id"] in listed
    assert client.get(f"/api/v1/datasets/{body['id']}").json()["rows"] == 3
    download = client.get(f"/api/v1/datasets/{body['id']}/file")
    assert download.content == content and download.headers["content-type"].startswith("text/csv")


def test_bom_and_multiline_fields_are_fine(client: httpx.Client) -> None:
    content = '\ufeffcomment_text,toxic\n"line one\nline two",0\n"quote ""inside""",1\n'
    response = upload_csv(client, content.encode(), "bom.csv")
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 2
    assert response.json()["columns"][0]["name"] == "comment_text"


def test_delete_dataset(client: httpx.Client, server: BackendServer) -> None:
    dataset = upload_csv(client, labelled_csv(20, seed=99)).json()
    assert client.delete(f"/api/v1/datasets/{dataset['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/datasets/{dataset['id']}"), 404)
    assert f"{dataset['id']}.csv" not in _files(server)


def test_bad_files_are_rejected_and_leave_nothing(
    client: httpx.Client, server: BackendServer
) -> None:
    before_files = _files(server)
    before_ids = {d["id"] for d in client.get("/api/v1/datasets").json()}
    for label, content, status, fragment in BAD_FILES:
        response = upload_csv(client, content, f"{label}.csv")
        assert response.status_code == status, (label, response.text)
        assert_problem(response, status, fragment)
    assert _files(server) == before_files
    assert {d["id"] for d in client.get("/api/v1/datasets").json()} == before_ids


def test_ragged_rows_are_listed_with_line_numbers(client: httpx.Client) -> None:
    response = upload_csv(client, b"a,b\n1,2\n3,4,5\n6,7\n8\n")
    assert_problem(response, 422, "line 3: 3 fields", "line 5: 1 fields")


def test_over_the_limit_by_one_byte_is_413(
    client: httpx.Client, server: BackendServer, tmp_path: Path
) -> None:
    limit = 60 * 1024 * 1024
    header = b"comment_text,toxic\n"
    row = b"x" * 1000 + b",0\n"
    body = header + row * ((limit - len(header)) // len(row))
    body += b"y" * (limit - len(body) - 3) + b",0\n"
    assert len(body) == limit
    assert upload_csv(client, body, "exact.csv").status_code == 201
    before = _files(server)
    assert_problem(upload_csv(client, body + b"\n", "over.csv"), 413, "60 MiB")
    assert _files(server) == before


def test_missing_file_field_and_wrong_content_type(client: httpx.Client) -> None:
    assert_problem(
        client.post("/api/v1/datasets", data={"name": "x"}, files={"other": ("a.csv", b"a\n1\n")}),
        422,
        "'file'",
    )
    assert_problem(client.post("/api/v1/datasets", json={"a": 1}), 422, "multipart")


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/models/predict_csv"])
def test_an_upload_without_content_type_says_so(client: httpx.Client, path: str) -> None:
    body = (
        b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\na\n1\n--b--\r\n"
    )
    problem = assert_problem(client.post(path, content=body), 422, "content-type", "missing")
    assert "multipart/form-data" in problem["detail"]


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/datasets/"])
def test_both_slash_forms_answer_without_a_redirect(client: httpx.Client, path: str) -> None:
    listed = client.get(path)
    assert listed.status_code == 200 and isinstance(listed.json(), list)
    uploaded = upload_csv(client, labelled_csv(60, seed=61))
    assert uploaded.status_code in (200, 201)
    again = client.post(path, files={"file": ("again.csv", labelled_csv(60, seed=61), "text/csv")})
    assert again.status_code == 200 and again.json()["id"] == uploaded.json()["id"]


def test_unknown_dataset_is_404(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/datasets/doesnotexist"), 404, "not found")
    assert_problem(client.delete("/api/v1/datasets/doesnotexist"), 404)


def test_the_same_bytes_restore_a_dataset_whose_file_was_lost(
    client: httpx.Client, server: BackendServer
) -> None:
    content = b"comment_text,toxic\nrestored text,0\nanother one,1\n"
    body = upload_csv(client, content, "lost.csv").json()
    next(server.datasets_dir.glob(f"{body['id']}.csv")).unlink()  # lost on disk
    assert client.get(f"/api/v1/datasets/{body['id']}/file").status_code == 404
    again = upload_csv(client, content, "lost-again.csv")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert client.get(f"/api/v1/datasets/{body['id']}/file").content == content
