"""A Chinese fit through the API with default settings: the detected language and the
choice are on the model, the stored preprocessing and params are the resolved ones, and
predictions apply them, warning about a text in another script; explicit tokenizer,
new_words and stemming are kept."""

import csv
import io

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
    assert [p["warning"] for p in answer.json()["predictions"]] == [None, None]


def test_a_text_in_another_script_than_the_models_is_warned_about(client: httpx.Client) -> None:
    """Latin letters occur in Chinese reviews (brands, English words): an English text's
    character n-grams are then largely known to a Chinese model, which was never trained
    on English, so its known words alone do not warn."""
    rows = list(csv.reader(io.StringIO(ZH_DEMO.read_text(encoding="utf-8"))))
    english = ["the phone quality is good", "price and delivery fine", "screen and battery"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    writer.writerows(
        [f"{text} {english[i % 3]}", label] for i, (text, label) in enumerate(rows[1:])
    )
    dataset = upload_csv(client, out.getvalue().encode(), "zh-latin.csv").json()
    model = _fit(client, dataset, "zh-latin")
    assert model["preprocessing_report"]["language"]["detected"] == "zh"
    assert client.post("/api/v1/models/load", json={"model_id": model["id"]}).status_code == 200
    text = "the phone quality is fine and the delivery is good"
    mixed = "iPhone 手机质量很好"  # a brand in Latin letters: still Chinese
    body = {"model_id": model["id"], "texts": [text, mixed]}
    answers = client.post("/api/v1/models/predict", json=body).json()["predictions"]
    assert answers[0]["known_token_share"] > 0.5  # known n-grams, yet not its language
    assert answers[0]["warning"] == (
        "the model was trained on Chinese texts and this one is hardly written in Chinese "
        "characters: the answer is unreliable"
    )
    assert answers[1]["warning"] is None
    scored = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": model["id"]},
        files={"file": ("texts.csv", f"text\n{text}\n{mixed}\n".encode(), "text/csv")},
    )
    assert scored.status_code == 200, scored.text
    lines = scored.text.splitlines()
    assert "trained on Chinese texts" in lines[1] and "trained on Chinese" not in lines[2]


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


def test_the_chinese_stop_word_list_is_accepted_and_applied(
    client: httpx.Client, zh_dataset: dict
) -> None:
    model = _fit(client, zh_dataset, "zh-stop-words", preprocessing={"stop_words": ["chinese"]})
    assert model["preprocessing"]["stop_words"] == ["chinese"]
    assert model["preprocessing"]["keep_negations"] is True
    assert model["preprocessing"]["tokenizer"] == "jieba"  # auto: the list needs its words
    assert "the chinese stop-word list" in model["preprocessing_report"]["language"]["reason"]


@pytest.mark.parametrize(
    "preprocessing",
    [
        {"tokenizer": "spaces"},
        {"stemming": "klingon"},
        {"new_words": ["two words"]},
        {"stop_words": ["mandarin"]},
    ],
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
