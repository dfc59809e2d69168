"""Unexpected errors (issue 13, class 11), in an app served by a real uvicorn in this
process whose services are made to fail: the answer is a 500 problem+json and the
keep-alive connection stays usable; a predict_csv whose stream fails half-way leaves no
uploaded file behind."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.settings import Settings
from testkit.rawhttp import connect, read_response, request_head
from testkit.samples import labelled_csv
from testkit.servers import serving_in_process


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FastAPI]]:
    root = Path(tmp_path_factory.mktemp("in-process"))
    settings = Settings(
        database_url=f"sqlite:///{root / 'registry.db'}",
        models_dir=root / "models",
        datasets_dir=root / "datasets",
        logs_dir=root / "logs",
        default_models=False,
        training_workers=1,
    )
    with serving_in_process(settings) as running:
        yield running


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a failure nobody expected")


FORM = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    b"text,label\nhi,1\r\n--b--\r\n"
)
FORM_HEADERS = {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(len(FORM))}


@pytest.mark.parametrize(
    ("service", "method", "request_bytes"),
    [
        ("models", "page", request_head("GET", "/api/v1/models/")),
        (
            "registry",
            "find_dataset_by_sha256",
            request_head("POST", "/api/v1/datasets", FORM_HEADERS) + FORM,
        ),
    ],
    ids=["sync route", "async route after an upload"],
)
def test_an_unexpected_error_keeps_the_connection(
    served: tuple[str, FastAPI],
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    method: str,
    request_bytes: bytes,
) -> None:
    base_url, app = served
    monkeypatch.setattr(getattr(app.state.services, service), method, _boom)
    with connect(base_url) as sock:
        sock.sendall(request_bytes)
        failed = read_response(sock)
        assert failed.status == 500
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.json()["title"] == "Internal error"
        assert failed.headers["x-replica"] == app.state.services.settings.replica  # this one too
        assert "nobody expected" not in failed.body.decode()  # the log has it, not the client
        assert failed.headers.get("connection") != "close"
        sock.sendall(request_head("GET", "/healthz"))  # the same connection
        assert read_response(sock).status == 200
    assert list(app.state.services.datasets.incoming_dir.glob("*")) == []


def test_a_stream_failing_half_way_leaves_no_upload_behind(
    served: tuple[str, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, app = served
    predictions = app.state.services.predictions

    def failing_stream(model_id: str, path: Path, column: str) -> Iterator[bytes]:
        yield b"text,label,Result,Confidence\r\n"
        raise RuntimeError("the model failed half-way")

    monkeypatch.setattr(predictions, "check_csv", lambda model_id, path, column: "text")
    monkeypatch.setattr(predictions, "predict_csv", failing_stream)
    with httpx.Client(base_url=base_url, timeout=30) as client, pytest.raises(httpx.HTTPError):
        client.post(
            "/api/v1/models/predict_csv",
            data={"model_id": "m1"},
            files={"file": ("in.csv", labelled_csv(50), "text/csv")},
        ).raise_for_status()
    incoming = app.state.services.datasets.incoming_dir
    assert list(incoming.glob("*")) == []
