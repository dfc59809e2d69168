"""The retrieval pages (AppTest against the session's real backend, whose default
retriever is fitted from demo_data/qa_demo.csv at start-up)."""

import re
import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas.retrieval import RetrieverFitRequest, RetrieverRead
from ui.api_client import ApiClient
from ui.components.retrieval import describe, highlight, params_text, preprocessing_text
from ui.state import Selection


@pytest.fixture(scope="session")
def default_retriever(api: ApiClient) -> RetrieverRead:
    deadline = time.monotonic() + 300
    retrievers = api.list_retrievers()
    while time.monotonic() < deadline:
        retrievers = api.list_retrievers()
        found = [r for r in retrievers if r.is_default and r.loaded]
        if found:
            return found[0]
        time.sleep(0.3)
    tasks = [(t.kind, t.status, t.message, t.error) for t in api.list_tasks()]
    raise TimeoutError(f"the default retriever was not loaded in 300 s: {retrievers}, {tasks}")


def test_a_retriever_unloaded_elsewhere_is_never_swapped_for_another(
    page: Callable[[str], AppTest], api: ApiClient, default_retriever: RetrieverRead
) -> None:
    """Picked on Search, then unloaded in another tab: the page says so and searches
    nothing, rather than search with whichever retriever comes first."""
    at = page("retrieval_search").run()
    at.selectbox(key="retrieval_search.retriever").set_value(default_retriever.id).run()
    api.unload_retriever(default_retriever.id)  # the other tab
    try:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="retrieval_search.retriever").value == default_retriever.id
        assert "is no longer loaded" in at.error[0].value, [e.value for e in at.error]
        assert not at.text_input  # no question box: nothing would answer it
    finally:
        api.load_retriever(default_retriever.id)
    at.run()
    assert not at.error and at.text_input(key="retrieval_search.question")


def choose_qa_demo(at: AppTest, key: str) -> None:
    box = at.selectbox(key=key)
    demo = next(o for o in box.options if o.startswith("QA demo data"))
    box.select(demo).run()  # type: ignore[arg-type]


def test_search_ranks_contexts_and_marks_the_questions_words(
    page: Callable[[str], AppTest], default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_search").run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="retrieval_search.question").input("Who first climbed Everest?").run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = [m.value for m in at.markdown]
    assert markdown[0].startswith("**#1**")
    assert "<mark>Everest</mark>" in markdown[1] and "<mark>climbed</mark>" in markdown[1]
    assert any("Edmund Hillary and Tenzing Norgay" in c.value for c in at.caption)
    # fewer hits than asked for (a rare word): the page says why
    at.text_input(key="retrieval_search.question").input("Байкал?").run()
    hits = [m for m in at.markdown if m.value.startswith("**#")]
    assert 0 < len(hits) < 5, [m.value for m in at.markdown]
    assert any(
        f"{len(hits)} of the 5 asked for: no other context shares a term" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]


def test_a_question_over_the_limit_says_so_in_words(
    page: Callable[[str], AppTest], default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_search").run()
    at.text_input(key="retrieval_search.question").input("why " * 2_501).run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "`question`: at most 10,000 characters" in error.value, error.value
    assert "pydantic" not in error.value


def test_a_retriever_name_with_a_space_says_what_is_allowed(
    page: Callable[[str], AppTest], default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_train").run()
    choose_qa_demo(at, "retrieval_train.dataset")
    at.text_input(key="retrieval_train.name").input("two words")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "`name`: use only letters (a-z, A-Z), digits, '.', '_' and '-'" in error.value


def test_a_retriever_is_described_by_its_own_kinds_params(
    default_retriever: RetrieverRead,
) -> None:
    tfidf = default_retriever  # qa-default v1, tfidf, both
    bm25 = tfidf.model_copy(
        update={"kind": "bm25", "params": {**tfidf.params, "k1": 1.5, "b": 0.75}}
    )
    assert describe(tfidf) == "qa-default v1 (tfidf both) · default"
    assert describe(bm25) == "qa-default v1 (bm25) · default"  # no stray space, no analyzer
    assert params_text(bm25) == "k1 1.5 · b 0.75"
    assert params_text(tfidf).startswith("vectors both · word n-grams 1-2 · character n-grams")
    assert "k1" not in params_text(tfidf)
    # a switch reads as words, not as Python's True
    assert params_text(tfidf).endswith(" · sublinear tf") and "True" not in params_text(tfidf)
    plain = tfidf.model_copy(update={"params": {**tfidf.params, "sublinear_tf": False}})
    assert params_text(plain).endswith(" · no sublinear tf")
    # only what applies: a word-only retriever has no character n-grams, nor a word share
    words = tfidf.model_copy(update={"params": {**tfidf.params, "analyzer": "word"}})
    assert params_text(words) == "vectors word · word n-grams 1-2 · sublinear tf"


def test_highlight_escapes_html_and_marks_whole_words() -> None:
    marked = highlight("<b>Paris</b> is the capital; Parisian", "capital of paris?")
    assert marked.startswith("&lt;b&gt;<mark>Paris</mark>&lt;/b&gt;")
    assert "<mark>capital</mark>" in marked and "Parisian" in marked and "<mark>of" not in marked


def test_benchmark_shows_percentiles_and_a_histogram(
    page: Callable[[str], AppTest], default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_benchmark").run()
    choose_qa_demo(at, "retrieval_benchmark.dataset")
    at.number_input(key="retrieval_benchmark.n").set_value(30).run()
    at.button(key="retrieval_benchmark.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert labels == ["p50 (ms)", "p95 (ms)", "p99 (ms)", "mean (ms)", "max (ms)"]
    assert float(at.metric[0].value) <= float(at.metric[2].value)
    assert at.get("plotly_chart")


def test_quality_runs_the_test_and_shows_the_figures(
    page: Callable[[str], AppTest], default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_quality").run()
    picker = f"retrieval_quality.dataset.{default_retriever.id}"
    # the retriever's own data is the first choice
    assert at.selectbox(key=picker).value.id == default_retriever.dataset_id
    at.button(key="retrieval_quality.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: float(m.value) for m in at.metric}
    assert set(metrics) == {"top-1", "top-5", "MRR@10"}
    assert metrics["top-5"] == 1.0 and 0.9 <= metrics["top-1"] <= metrics["MRR@10"]
    said = next(s.value for s in at.subheader if "27 questions" in s.value)
    assert re.search(r"27 questions of QA demo data in (\d+ ms|\d+\.\d s)$", said), said
    assert not said.endswith(" 0.0 s"), said  # never "0.0 s"
    assert not at.warning


def test_the_questions_not_answered_first_are_counted_and_ranked_as_numbers() -> None:
    """The result keeps the first 200: the heading says of how many; a rank beyond the
    first ten is an empty number shown "> 10", not text (which sorted as text)."""

    def script() -> None:
        from shared.schemas.retrieval import FailedQuestion, QualityResult
        from ui.pages.retrieval_quality import failed_table

        failed = [
            FailedQuestion(question=f"q{i}", expected_context="c", first_context="d", rank=rank)
            for i, rank in enumerate([2, None, 10, 3])
        ]
        failed_table(
            QualityResult(
                retriever_id="r",
                dataset_id="d",
                questions=100,
                top1=0.9,
                top5=0.95,
                mrr10=0.92,
                seconds=1.0,
                failed=failed,
            )
        )

    at = AppTest.from_function(script).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "Questions whose context was not first: the first 4 of 10"
    (table,) = at.dataframe
    ranks = table.value["rank of its context"]
    assert str(ranks.dtype) == "Int64" and ranks.isna().tolist() == [False, True, False, False]
    assert table.proto.placeholder == "> 10"


def test_quality_on_data_the_retriever_does_not_hold_says_so(
    page: Callable[[str], AppTest], api: ApiClient, default_retriever: RetrieverRead
) -> None:
    rows = "".join(f"Context about topic {i} alone.,What is topic {i}?,{i}\n" for i in range(12))
    other = api.upload_dataset("other-qa.csv", f"context,question,answer\n{rows}".encode())
    at = page("retrieval_quality").run()
    at.selectbox(key=f"retrieval_quality.dataset.{default_retriever.id}").select(other).run()
    at.button(key="retrieval_quality.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    warned = [w.value for w in at.warning]
    assert len(warned) == 1 and warned[0].startswith(
        f"None of {other.name}'s contexts is in this retriever (it was fitted on QA demo data)"
    ), warned
    assert api.last_quality(default_retriever.id).contexts_missing == 12
    api.delete_dataset(other.id)


def test_retrievers_page_reports_the_dataset_and_fits(
    page: Callable[[str], AppTest], api: ApiClient, default_retriever: RetrieverRead
) -> None:
    at = page("retrieval_train").run()
    choose_qa_demo(at, "retrieval_train.dataset")
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"rows": "27", "distinct contexts": "9", "questions": "27"}
    assert any("qa-default" in m.value for m in at.markdown)
    assert at.selectbox(key="retrieval_train.analyzer").value == "both"  # TF-IDF's field
    # the kind, outside the form, shows its own fields at once: BM25 has k1 and b, no vectorizer
    at.radio(key="retrieval_train.kind").set_value("bm25").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [n.key for n in at.number_input] == ["retrieval_train.k1", "retrieval_train.b"]
    assert "retrieval_train.analyzer" not in [s.key for s in at.selectbox]
    # a form's widgets count when it is submitted: set them, then press Fit in one run
    at.text_input(key="retrieval_train.name").input("page-tests-bm25")
    at.number_input(key="retrieval_train.k1").set_value(2.0)
    # the preprocessing too (no tokenizer: words are split by the pattern here)
    assert not any(t.key == "retrieval_train.pre.tokenizer" for t in at.selectbox)
    at.multiselect(key="retrieval_train.pre.stop_words").set_value(["english"])
    at.checkbox(key="retrieval_train.pre.strip_punctuation").check()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("page-tests-bm25" in s.value for s in at.success), [s.value for s in at.success]
    fitted = [r for r in api.list_retrievers() if r.name == "page-tests-bm25"]
    assert fitted and fitted[0].kind == "bm25" and fitted[0].params["k1"] == 2.0, fitted
    assert fitted[0].preprocessing["stop_words"] == ["english"]
    assert fitted[0].preprocessing["strip_punctuation"] is True
    assert preprocessing_text(fitted[0].preprocessing) == (
        "punctuation stripped · stop words english"
    )
    assert preprocessing_text({}) == ""  # the default: nothing to say


@pytest.mark.parametrize("key", ["retrieval_train", "retrieval_benchmark"])
def test_the_dataset_selected_on_upload_is_the_one_offered(
    page: Callable[[str], AppTest], api: ApiClient, default_retriever: RetrieverRead, key: str
) -> None:
    """Upload's "Fit a retriever on it" opens the Retrievers page on that dataset, not on
    the newest QA dataset; the latency page likewise."""
    rows = "".join(f"Context {i} alone.,What is {i}?,{i}\n" for i in range(6))
    newer = api.upload_dataset(f"newer-{key}.csv", f"context,question,answer\n{rows}".encode())
    picked = api.get_dataset(default_retriever.dataset_id or "")
    try:
        at = page(key)
        at.session_state["selection"] = Selection(picked.id, picked.name, "context", "answer")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key=f"{key}.dataset").value.id == picked.id
    finally:
        api.delete_dataset(newer.id)


def test_a_retriever_is_removed_only_once_confirmed_and_a_failed_action_says_why(
    page: Callable[[str], AppTest], api: ApiClient, default_retriever: RetrieverRead
) -> None:
    accepted = api.fit_retriever(
        RetrieverFitRequest(name="page-tests-remove", dataset_id=default_retriever.dataset_id or "")
    )
    deadline = time.monotonic() + 120  # every fit done: the page polls while one runs
    while any(r.status == "training" for r in api.list_retrievers()):
        assert time.monotonic() < deadline, "the fits did not finish"
        time.sleep(0.3)
    retriever_id = accepted.retriever_id
    assert api.get_retriever(retriever_id).status == "ready"
    at = page("retrieval_train").run()
    at.button(key=f"retrieval_train.remove.{retriever_id}").click().run()
    assert any("for good?" in w.value for w in at.warning), [w.value for w in at.warning]
    at.button(key=f"retrieval_train.remove_no.{retriever_id}").click().run()
    assert api.get_retriever(retriever_id).status == "ready"  # kept
    # removed elsewhere meanwhile: this page's Load button fails, and says so
    api.remove_retriever(retriever_id)
    at.button(key=f"retrieval_train.load.{retriever_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [e.value for e in at.error]
    assert any("Loading page-tests-remove v" in e for e in said), said
