"""The API client against the real backend: typed answers, and errors as one ApiError."""

import time

import httpx
import pytest

from shared.schemas import (
    DatasetRead,
    FitRequest,
    ModelRead,
    ModelSummary,
    ScoresRequest,
    TaskStatus,
)
from testkit.data import DEMO_CSV
from testkit.servers import BackendServer, free_port
from ui.api_client import ApiClient, ApiError


def test_lists_are_typed(api: ApiClient, demo_dataset: DatasetRead) -> None:
    models = api.list_models()
    assert {m.name for m in models if m.is_default} == {"toxic-logreg", "toxic-naive-bayes"}
    assert all(isinstance(m, ModelSummary) for m in models)
    whole = api.get_model(models[0].id)
    assert isinstance(whole, ModelRead) and len(whole.classes) == models[0].n_classes
    assert demo_dataset.rows > 1000
    assert api.get_dataset(demo_dataset.id) == demo_dataset
    assert api.ready() == {"status": "ready"}


def test_uploading_the_same_bytes_returns_the_stored_dataset(
    api: ApiClient, demo_dataset: DatasetRead
) -> None:
    again = api.upload_dataset("again.csv", DEMO_CSV.read_bytes(), name="ignored")
    assert again.id == demo_dataset.id
    assert api.dataset_file(demo_dataset.id) == DEMO_CSV.read_bytes()


def test_not_found_carries_the_problem_detail(api: ApiClient) -> None:
    with pytest.raises(ApiError) as caught:
        api.get_model("0123456789abcdef")
    assert caught.value.status == 404
    assert caught.value.title == "Not found"
    assert caught.value.detail == "model 0123456789abcdef not found"


def test_an_invalid_csv_is_a_422_that_says_where(api: ApiClient) -> None:
    with pytest.raises(ApiError) as caught:
        api.upload_dataset("bad.csv", b'text,label\nfine,0\n"open quote,1\n')
    assert caught.value.status == 422
    assert "line" in caught.value.detail


def test_a_too_large_upload_is_a_413(api: ApiClient) -> None:
    big = b"text,label\n" + b"x" * (6 * 1024 * 1024) + b",0\n"
    with pytest.raises(ApiError) as caught:
        api.upload_dataset("big.csv", big)
    assert caught.value.status == 413
    assert "limit" in caught.value.detail


def test_field_errors_come_along(api: ApiClient, demo_dataset: DatasetRead) -> None:
    with pytest.raises(ApiError) as caught:
        api.fit(
            FitRequest.model_validate(
                {
                    "name": "x",
                    "kind": "logreg",
                    "dataset_id": demo_dataset.id,
                    "label_column": "no_such_column",
                }
            )
        )
    assert caught.value.status == 422
    assert "no_such_column" in caught.value.detail


def test_predicting_with_a_model_that_is_not_loaded_is_a_409(
    api: ApiClient, default_models: list[ModelSummary]
) -> None:
    model = default_models[0]
    api.unload_model(model.id)
    try:
        with pytest.raises(ApiError) as caught:
            api.predict(model.id, ["hello"])
        assert caught.value.status == 409
        assert "not loaded" in caught.value.detail
    finally:
        assert api.load_model(model.id).loaded


def test_predict_predict_csv_and_scores(
    api: ApiClient, default_models: list[ModelSummary], demo_dataset: DatasetRead
) -> None:
    model = default_models[0]
    answer = api.predict(model.id, ["You are wonderful.\nThank you!", "idiot"])
    assert len(answer.predictions) == 2
    assert all(0.0 <= p.confidence <= 1.0 for p in answer.predictions)

    result = api.predict_csv(model.id, "in.csv", b"comment_text,id\nhello there,1\nidiot,2\n")
    assert (result.model_id, result.version) == (model.id, model.version)
    lines = result.content.decode().splitlines()
    assert lines[0] == "comment_text,id,Result,Confidence,P(0),P(1),Note,Prediction id"
    assert len(lines) == 3

    scores = api.predict_scores(
        ScoresRequest(model_ids=[m.id for m in default_models], dataset_id=demo_dataset.id)
    )
    assert len(scores.results) == 2
    assert len(scores.labels) == len(scores.results[0].scores)
    assert scores.results[0].roc_auc is not None


def test_fit_then_follow_the_task(api: ApiClient, demo_dataset: DatasetRead) -> None:
    accepted = api.fit(
        FitRequest.model_validate(
            {"name": "client-test", "kind": "naive_bayes", "dataset_id": demo_dataset.id}
        )
    )
    deadline = time.monotonic() + 120
    task = api.get_task(accepted.task_id)
    while not task.status.is_finished and time.monotonic() < deadline:
        time.sleep(0.5)
        task = api.get_task(accepted.task_id)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    assert accepted.task_id in {t.id for t in api.list_tasks()}
    with pytest.raises(ApiError) as caught:
        api.cancel_task(accepted.task_id)
    assert caught.value.status == 409
    api.remove_model(accepted.model_id)


def test_a_backend_that_is_down_is_an_api_error() -> None:
    client = ApiClient(f"http://127.0.0.1:{free_port()}", connect_timeout_s=1)
    with pytest.raises(ApiError) as caught:
        client.list_models()
    assert caught.value.status is None
    assert caught.value.title == "Backend unreachable"
    assert "is it running?" in caught.value.detail


def test_a_non_problem_error_body_still_gives_a_detail(backend: BackendServer) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    client = ApiClient(backend.base_url)
    client._http = httpx.Client(base_url=backend.base_url, transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError) as caught:
        client.list_tasks()
    assert caught.value.status == 502
    assert "Bad gateway" in caught.value.detail


def test_the_token_is_sent_as_a_bearer_header() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[])

    client = ApiClient("http://backend", token="s3cret")
    client._http = httpx.Client(
        base_url="http://backend",
        headers=client._http.headers,
        transport=httpx.MockTransport(handler),
    )
    assert client.list_tasks() == []
    assert seen == ["Bearer s3cret"]
