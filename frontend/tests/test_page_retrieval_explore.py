"""The Explore QA data page on the QA demo file (demo_data/qa_demo.csv: 27 questions about
9 contexts, in English and Russian), which the session's real backend stores at start-up."""

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient
from ui.state import Selection

KEY = "retrieval_explore"


@pytest.fixture(scope="module")
def qa_demo(api: ApiClient) -> DatasetRead:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = [d for d in api.list_datasets() if d.filename == "qa_demo.csv"]
        if found:
            return found[0]
        time.sleep(0.3)
    raise TimeoutError("the backend did not store the QA demo data in 300 s")


def figures(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every plotly chart of the page by its widget key's end (`length.contexts`)."""
    out = {}
    for chart in at.get("plotly_chart"):
        out[str(chart.key).removeprefix(f"{KEY}.")] = json.loads(chart.proto.spec)
    return out


def values(array: Any) -> list[Any]:
    """A trace's array as a list: plotly sends numbers as typed arrays (base64 `bdata`)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def bar_words(figure: dict[str, Any]) -> list[str]:
    return [str(y) for trace in figure["data"] for y in values(trace["y"])]


def explore(page: Callable[[str], AppTest], dataset: DatasetRead) -> AppTest:
    at = page(KEY).run()
    box = at.selectbox(key=f"{KEY}.dataset")
    box.select(next(o for o in box.options if o.startswith(dataset.name))).run()  # type: ignore[arg-type]
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_section_renders_with_the_datasets_figures(
    page: Callable[[str], AppTest], qa_demo: DatasetRead
) -> None:
    at = explore(page, qa_demo)
    assert {m.label: m.value for m in at.metric} == {
        "rows": "27",
        "distinct contexts": "9",
        "questions": "27",
    }
    quality = at.dataframe[0].value.set_index("column")
    assert quality.loc["context", "duplicates"] == 18 and quality.loc["answer", "missing"] == 0
    captions = " ".join(c.value for c in at.caption)
    assert "9 contexts, 27 questions, 27 answers (contexts counted once)" in captions
    assert re.search(r"Languages: \*\*English \d\d%, Russian \d\d%", captions), captions
    assert "English and Russian stop-word lists" in captions

    charts = figures(at)
    assert sorted(charts) == sorted(
        f"{section}.{part}"
        for section in ("length", "stop", "words.False")
        for part in ("contexts", "questions", "answers")
    )
    # every distinct context once in its length histogram (bars of % of the part's texts),
    # the longest one included
    for part, texts in (("contexts", 9), ("questions", 27)):
        shares = [float(y) for y in values(charts[f"length.{part}"]["data"][0]["y"])]
        counts = [share * texts / 100 for share in shares]
        assert all(abs(c - round(c)) < 1e-9 for c in counts), counts
        assert sum(round(c) for c in counts) == texts
    lengths = at.dataframe[1].value
    assert lengths.loc["contexts", "texts"] == 9 and lengths.loc["questions", "texts"] == 27
    demo = pd.read_csv(REPO_ROOT / "demo_data" / "qa_demo.csv")
    context_words = demo["context"].drop_duplicates().str.split().str.len()
    assert lengths.loc["contexts", "words mean"] == round(context_words.mean(), 1)
    assert lengths.loc["questions", "words mean"] < 10 < lengths.loc["contexts", "words mean"]

    stop_contexts = bar_words(charts["stop.contexts"])
    assert {"the", "and", "около"} <= set(stop_contexts)  # both languages' lists
    assert {"what", "which"} <= set(bar_words(charts["stop.questions"]))
    words = bar_words(charts["words.False.contexts"])
    assert "байкал" in words or "river" in words
    assert not set(words) & {"the", "and", "около", "его"}
    assert "amazon" in bar_words(charts["words.False.questions"])

    clouds = [image.proto.imgs[0].caption for image in at.get("image")]
    assert clouds == ["contexts", "questions", "answers"]
    assert not any("tsne" in key for key in charts)


def test_the_t_sne_map_places_each_distinct_context_once(
    page: Callable[[str], AppTest], qa_demo: DatasetRead
) -> None:
    at = explore(page, qa_demo)
    at.button(key=f"{KEY}.tsne_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    points = figures(at)["tsne"]["data"]
    assert sum(len(values(trace["x"])) for trace in points) == 9
    hovered = " ".join(str(t) for trace in points for row in trace["customdata"] for t in row)
    assert "Байкал" in hovered and "Amazon River" in hovered
    # another session gets the cached map: nothing of the first one's page is replayed
    again = explore(page, qa_demo)
    again.button(key=f"{KEY}.tsne_run").click().run()
    assert not again.exception, [e.value for e in again.exception]
    assert figures(again)["tsne"]["data"] == points


def test_without_an_answer_column_two_parts_are_explored(
    page: Callable[[str], AppTest], qa_demo: DatasetRead
) -> None:
    at = explore(page, qa_demo)
    answer = at.selectbox(key=f"{KEY}.columns.{qa_demo.id}.answer")
    answer.select_index(answer.options.index("(none)")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any(key.endswith(".answers") for key in figures(at))
    assert len(at.get("image")) == 2
    assert "9 contexts, 27 questions (contexts counted once)" in " ".join(
        c.value for c in at.caption
    )


def test_a_dataset_without_qa_columns_asks_for_them(
    page: Callable[[str], AppTest], demo_dataset: DatasetRead
) -> None:
    at = explore(page, demo_dataset)  # comment_text, toxic: no context or question column
    assert at.warning[0].value.startswith(
        f"{demo_dataset.name} has no `context` and no `question` column, so both start on its "
        "first one. Pick the column of the contexts and the column of the questions"
    ), at.warning[0].value
    assert not at.error  # the page's words, not a schema's ("given 'id', 'id'")
    assert not at.get("plotly_chart") and not at.metric


def test_a_classification_dataset_chosen_elsewhere_opens_on_a_qa_one(
    page: Callable[[str], AppTest], qa_demo: DatasetRead, demo_dataset: DatasetRead
) -> None:
    """The sidebar's dataset is preferred only when it looks like QA data: a classification
    dataset chosen on Upload does not open this page on an error."""
    at = page(KEY)
    at.session_state["selection"] = Selection(
        demo_dataset.id, demo_dataset.name, "comment_text", "toxic"
    )
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "context" in [c.name for c in at.selectbox(key=f"{KEY}.dataset").value.columns]


def test_too_few_contexts_for_a_map_is_a_warning(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    # 8 questions about 4 contexts, one with an empty answer
    rows = [f"The {w} is a long river of the north.,Where is the {w}?,north" for w in "ABCD"]
    rows += [f"The {w} is a long river of the north.,How long is the {w}?," for w in "ABCD"]
    content = ("context,question,answer\n" + "\n".join(rows)).encode()
    dataset = api.upload_dataset("qa-four.csv", content, "qa-explore-four")
    at = explore(page, dataset)
    captions = " ".join(c.value for c in at.caption)
    assert "4 contexts, 8 questions, 4 answers (contexts counted once)" in captions
    at.button(key=f"{KEY}.tsne_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "No t-SNE map: t-SNE needs at least 5 texts" in at.warning[0].value


def test_the_eda_page_sends_a_qa_dataset_here_which_opens_on_it(
    page: Callable[[str], AppTest], qa_demo: DatasetRead
) -> None:
    selected = Selection(qa_demo.id, qa_demo.name, "context", "answer")
    at = page("eda")
    at.session_state["selection"] = selected
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "This looks like a QA dataset" in at.info[0].value
    assert at.get("page_link")[0].proto.page == "retrieval_explore"

    at = page(KEY)
    at.session_state["selection"] = selected
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=f"{KEY}.dataset").value.id == qa_demo.id
    assert "9 contexts" in " ".join(c.value for c in at.caption)
