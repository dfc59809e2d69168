"""The API client's feedback calls against a real backend of their own (no default
models): send by prediction id and by text, import a CSV, list a page with its total,
export, delete, and retrain from feedback, each answer typed."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.schemas import FeedbackCreate, FeedbackRetrainRequest, FitRequest, ModelSource
from testkit.samples import labelled_csv
from testkit.servers import BackendServer, serving
from ui.api_client import ApiClient, ApiError

from .conftest import wait_for_task


@pytest.fixture(scope="module")
def own_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    root: Path = tmp_path_factory.mktemp("feedback-client")
    env = {"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"}
    with serving(BackendServer(root=root, env=env)) as server:
        client = ApiClient(server.base_url, request_timeout_s=120)
        yield client
        client.close()


def test_every_feedback_call(own_api: ApiClient) -> None:
    dataset = own_api.upload_dataset("fb.csv", labelled_csv(120, seed=3))
    fit = FitRequest.model_validate(
        {"name": "client-fb", "kind": "logreg", "dataset_id": dataset.id, "params": {"min_df": 1}}
    )
    accepted = own_api.fit(fit)
    assert wait_for_task(own_api, accepted.task_id).status == "succeeded"
    own_api.load_model(accepted.model_id)
    answer = own_api.predict("client-fb:1", ["you idiot", "nice photo"])
    prediction_id = answer.predictions[0].prediction_id
    assert prediction_id is not None

    sent = own_api.send_feedback(
        "client-fb:1", FeedbackCreate(prediction_id=prediction_id, label="1")
    )
    assert (sent.text, sent.source, sent.model_id) == ("you idiot", "prediction", accepted.model_id)
    by_text = own_api.send_feedback(accepted.model_id, FeedbackCreate(text="hello", label="0"))
    assert by_text.segment == "default" and by_text.prediction_id is None
    with pytest.raises(ApiError) as refused:
        own_api.send_feedback(accepted.model_id, FeedbackCreate(text="hello", label="spam"))
    assert refused.value.status == 422 and "'0', '1'" in str(refused.value)

    imported = own_api.import_feedback_csv(
        "client-fb:1",
        "more.csv",
        b"review,truth\nnice photo,0\nnever asked,1\n",
        text_column="review",
        label_column="truth",
    )
    assert (imported.added, imported.matched_predictions) == (2, 1)

    page, total = own_api.list_feedback("client-fb:1", limit=2, offset=0)
    assert total == 4 and len(page) == 2
    assert {e.text for e in page} <= {"nice photo", "never asked"}
    rows = list(csv.DictReader(io.StringIO(own_api.export_feedback("client-fb:1").decode())))
    assert len(rows) == 4 and {r["source"] for r in rows} == {"prediction", "text", "csv"}

    own_api.delete_feedback("client-fb:1", by_text.id)
    assert own_api.list_feedback(accepted.model_id)[1] == 3
    with pytest.raises(ApiError) as gone:
        own_api.delete_feedback("client-fb:1", by_text.id)
    assert gone.value.status == 404

    retrained = own_api.retrain_from_feedback(
        "client-fb:1", FeedbackRetrainRequest(description="from feedback")
    )
    assert wait_for_task(own_api, retrained.task_id).status == "succeeded"
    child = own_api.get_model(retrained.model_id)
    assert child.source == ModelSource.FEEDBACK and child.parent_id == accepted.model_id
    assert child.metrics is not None and child.metrics.comparison is not None
    assert child.metrics.comparison.feedback_holdout_rows == 1
