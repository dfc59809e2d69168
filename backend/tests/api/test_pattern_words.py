"""Every pattern the API checks a string against is said in words when a value does not
match it ("use only letters, digits, …"), never as the regular expression, whether
FastAPI reads the body or the route does (`api/bodies.py`)."""

import re
from typing import Any

import httpx

from shared.schemas.strings import NAME_PATTERN, PATTERN_WORDS, RETRIEVER_NAME_PATTERN
from testkit.api import assert_problem


def _patterns(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(value) for value in node))
    return set()


def test_every_pattern_of_the_api_has_its_words(client: httpx.Client) -> None:
    patterns = _patterns(client.get("/openapi.json").json())
    assert NAME_PATTERN in patterns  # the walk finds them
    assert patterns <= PATTERN_WORDS.keys(), patterns - PATTERN_WORDS.keys()


def test_a_body_the_route_reads_itself_says_the_pattern_in_words(client: httpx.Client) -> None:
    body = {"model_id": "abc", "texts": ["x"], "segment": "north/south"}
    problem = assert_problem(client.post("/api/v1/models/predict", json=body), 422)
    assert f"segment: use only {PATTERN_WORDS[NAME_PATTERN]}" in problem["detail"], problem
    assert "pattern" not in problem["detail"] and "\\w" not in problem["detail"]


def test_a_dictionary_word_with_a_space_is_said_in_words(
    client: httpx.Client, demo_dataset: dict
) -> None:
    body = {
        "name": "words",
        "kind": "logreg",
        "dataset_id": demo_dataset["id"],
        "preprocessing": {"tokenizer": "jieba", "new_words": ["two words"]},
    }
    problem = assert_problem(client.post("/api/v1/models/fit", json=body), 422)
    assert "use only one word: no spaces" in problem["detail"], problem
    assert "\\x00" not in problem["detail"]


def test_a_validators_own_sentence_comes_without_pydantics_prefix(
    client: httpx.Client, demo_dataset: dict
) -> None:
    body = {
        "name": "contradiction",
        "kind": "logreg",
        "params": {"kind": "linear_svc"},
        "dataset_id": demo_dataset["id"],
    }
    problem = assert_problem(client.post("/api/v1/models/fit", json=body), 422)
    assert "params.kind 'linear_svc' contradicts kind 'logreg'" in problem["detail"], problem
    assert "Value error" not in problem["detail"]
    assert not any("Value error" in e["msg"] for e in problem["errors"])


def test_a_blank_padded_or_dots_only_name_is_refused(
    client: httpx.Client, demo_dataset: dict
) -> None:
    for name in ("   ", "..", ".", "qa-conc ", " qa-conc"):
        body = {"name": name, "kind": "logreg", "dataset_id": demo_dataset["id"]}
        problem = assert_problem(client.post("/api/v1/models/fit", json=body), 422)
        assert f"name: use only {PATTERN_WORDS[NAME_PATTERN]}" in problem["detail"], problem
    for segment in ("   ", " retail ", "retail "):
        body = {"model_id": "abc", "texts": ["x"], "segment": segment}
        problem = assert_problem(client.post("/api/v1/models/predict", json=body), 422)
        assert f"segment: use only {PATTERN_WORDS[NAME_PATTERN]}" in problem["detail"], problem
    # a space inside a name, or a dot beside other characters, is still a name
    assert re.fullmatch(NAME_PATTERN, "my model . v1.2") and re.fullmatch(NAME_PATTERN, ". a")


def test_a_dots_only_retriever_name_is_refused(client: httpx.Client) -> None:
    assert not re.fullmatch(RETRIEVER_NAME_PATTERN, "..")
    assert re.fullmatch(RETRIEVER_NAME_PATTERN, "qa.v1")
