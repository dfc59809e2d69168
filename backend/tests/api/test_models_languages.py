"""A Chinese fit through the API with default settings: the detected language and the
choice are on the model, the stored preprocessing and params are the resolved ones, and
predictions apply them; explicit tokenizer, new_words and stemming are kept."""

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.servers import REPO_ROOT

ZH_DEMO = REPO_ROOT / "demo_data" / "zh_reviews_demo.csv"


@pytest.fixture(scope="module")
def zh_dataset(client: httpx.Client) -> dict:
    response = upload_csv(client, ZH_DEMO, "zh.csv")
    assert response.status_code in (200, 201)
    return response.json()


def _fit(client: httpx.Client, dataset: dict, name: str, **kwargs: object) -> dict:
    accepted = fit(
        client, dataset["id"], name=name, text_column="text", label_column="label", **kwargs
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    return client.get(f"/api/v1/models/{accepted['model_id']}").json()


def test_default_settings_detect_chinese(client: httpx.Client, zh_dataset: dict) -> None:
    model = _fit(client, zh_dataset, "zh-auto")
    language = model["preprocessing_report"]["language"]
    assert language["detected"] == "zh" and language["script_share"] > 0.9
    assert language["analyzer"] == "char" and "character" in language["reason"]
    assert model["params"]["analyzer"] == "char" and model["params"]["ngram_range"] == [1, 3]
    assert model["preprocessing"]["tokenizer"] == "regex"
    assert model["metrics"]["roc_auc"] > 0.85
    loaded = client.post("/api/v1/models/load", json={"model_id": model["id"]})
    assert loaded.status_code == 200, loaded.text
    answer = client.post(
        "/api/v1/models/predict",
        json={"model_id": model["id"], "texts": ["质量非常好，物超所值。", "质量太差了，没法用。"]},
    )
    assert answer.status_code == 200, answer.text
    assert [p["label"] for p in answer.json()["predictions"]] == ["positive", "negative"]


def test_jieba_new_words_and_stemming_are_stored(client: httpx.Client, zh_dataset: dict) -> None:
    model = _fit(
        client,
        zh_dataset,
        "zh-jieba",
        preprocessing={"tokenizer": "jieba", "new_words": ["物超所值"], "stemming": "english"},
    )
    assert model["preprocessing"]["tokenizer"] == "jieba"
    assert model["preprocessing"]["new_words"] == ["物超所值"]
    assert model["preprocessing"]["stemming"] == "english"
    assert model["preprocessing_report"]["language"] is None  # given, not detected


@pytest.mark.parametrize(
    "preprocessing",
    [{"tokenizer": "spaces"}, {"stemming": "klingon"}, {"new_words": ["two words"]}],
)
def test_bad_preprocessing_is_a_422(
    client: httpx.Client, zh_dataset: dict, preprocessing: dict
) -> None:
    response = client.post(
        "/api/v1/models/fit",
        json={
            "name": "bad",
            "kind": "logreg",
            "params": {},
            "dataset_id": zh_dataset["id"],
            "text_column": "text",
            "label_column": "label",
            "preprocessing": preprocessing,
        },
    )
    assert_problem(response, 422)
