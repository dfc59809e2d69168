"""Retrieval's pure ML: the encoders against their libraries, and the Qdrant Edge store
against a brute-force dot product."""

from pathlib import Path

import bm25s
import numpy as np
import pytest

from app.ml.retrieval.encoders import Bm25Encoder, TfidfEncoder
from app.ml.retrieval.fitting import RetrieverSpec, fit_retriever
from app.ml.retrieval.index import LoadedRetriever, RetrieverClosedError
from app.ml.retrieval.qa_data import QaColumnNames, question_pairs, read_qa_frame
from app.ml.retrieval.quality import latency_stats, rank_of, ranking_metrics
from app.ml.retrieval.store import EdgeStore
from shared.schemas.retrieval import RetrieverParams, default_retrieval_preprocessing
from testkit.servers import REPO_ROOT

DEMO = REPO_ROOT / "demo_data" / "qa_demo.csv"
COLUMNS = QaColumnNames("context", "question", "answer")


def demo_pairs() -> tuple[list[str], list[str]]:
    pairs = question_pairs(read_qa_frame(DEMO, COLUMNS), COLUMNS)
    return pairs["question"].tolist(), list(dict.fromkeys(pairs["context"]))


@pytest.mark.parametrize("analyzer", ["word", "char_wb", "both"])
def test_tfidf_encode_equals_scikit_learns_transform(analyzer: str) -> None:
    questions, contexts = demo_pairs()
    params = RetrieverParams(analyzer=analyzer).model_dump()  # type: ignore[arg-type]
    encoder = TfidfEncoder(params, default_retrieval_preprocessing())
    encoder.fit_documents(contexts)
    texts = [*questions, "", "zzzz qqqq"]  # an empty and an unknown question too
    fast, reference = encoder.encode(texts), encoder.encode_reference(texts)
    assert fast.shape == reference.shape
    assert abs(fast - reference).max() < 1e-6


def test_bm25_vectors_give_bm25s_scores() -> None:
    questions, contexts = demo_pairs()
    encoder = Bm25Encoder(RetrieverParams().model_dump(), default_retrieval_preprocessing())
    documents = encoder.fit_documents(contexts)
    reference = bm25s.BM25()
    reference.index([encoder.tokens(c) for c in contexts], show_progress=False)
    for question in questions[:10]:
        ours = (encoder.encode([question]) @ documents.T).toarray()[0]
        terms = list(dict.fromkeys(t for t in encoder.tokens(question) if t in encoder.vocabulary))
        np.testing.assert_allclose(ours, reference.get_scores(terms), rtol=1e-5, atol=1e-6)


def test_edge_store_ranks_as_a_dot_product(tmp_path: Path) -> None:
    questions, contexts = demo_pairs()
    encoder = TfidfEncoder(RetrieverParams().model_dump(), default_retrieval_preprocessing())
    documents = encoder.fit_documents(contexts)
    store = EdgeStore(tmp_path / "shard", create=True)
    store.upsert(documents)
    queries = encoder.encode(questions)
    found = store.search(queries, 3)
    scores = (queries @ documents.T).toarray()
    for row, hits in enumerate(found):
        best = np.argsort(-scores[row], kind="stable")[:3]
        assert hits[0][0] == best[0]
        assert hits[0][1] == pytest.approx(scores[row, best[0]], rel=1e-4)
    store.close()
    reopened = EdgeStore(tmp_path / "shard", create=False)  # the shard persisted
    assert reopened.search(queries[:1], 1)[0][0][0] == found[0][0][0]
    reopened.close()


@pytest.mark.parametrize("kind", ["tfidf", "bm25"])
def test_fit_then_load_answers_the_demo_questions(tmp_path: Path, kind: str) -> None:
    spec = RetrieverSpec(
        dataset_path=str(DEMO),
        kind=kind,
        params=RetrieverParams().model_dump(),
        preprocessing=default_retrieval_preprocessing().model_dump(),
        columns=COLUMNS,
        folder=str(tmp_path / "r"),
    )
    progress: list[float] = []
    result = fit_retriever(spec, lambda f, _m: progress.append(f))
    assert result.contexts == 9 and progress[-1] == 1.0
    retriever = LoadedRetriever(tmp_path / "r", qdrant_url=None, api_key=None)
    questions, _ = demo_pairs()
    pairs = question_pairs(read_qa_frame(DEMO, COLUMNS), COLUMNS)
    hits = retriever.search(questions, 5)
    ranks = [
        rank_of(retriever.position[c], [p for p, _ in h])
        for c, h in zip(pairs["context"], hits, strict=True)
    ]
    assert ranking_metrics(ranks)["top1"] >= 0.8
    assert retriever.answers[retriever.position[pairs["context"][0]]][0] == "The Amazon River"
    retriever.close()
    # unloaded under a request (here, or by another replica's unload that the sync follows)
    with pytest.raises(RetrieverClosedError, match="unloaded while it was being searched"):
        retriever.search(questions, 5)


def test_ranking_metrics_and_latency_stats() -> None:
    assert rank_of(3, [5, 3, 1]) == 2 and rank_of(9, [5, 3]) is None
    m = ranking_metrics([1, 2, None, 6])
    assert m["top1"] == 0.25 and m["top5"] == 0.5
    assert m["mrr10"] == pytest.approx((1 + 0.5 + 1 / 6) / 4)
    s = latency_stats([float(x) for x in range(1, 101)])
    assert s["p50_ms"] == pytest.approx(50.5) and s["max_ms"] == 100.0 and s["n"] == 100


def test_the_fit_report_counts_every_empty_context_it_leaves_out(tmp_path: Path) -> None:
    """Empty cells (however many rows hold them; blanks read as empty) are one context
    left out, and said: the report counted only contexts empty once cleaned."""
    data = tmp_path / "awkward.csv"
    data.write_text(
        "context,question,answer\n"
        "The Nile flows north.,Which way does the Nile flow?,north\n"
        ",Where is it?,\n"
        ",And this?,\n"
        '"   ",Blank?,\n'
        "Paris is in France.,Where is Paris?,France\n",
        encoding="utf-8",
    )
    spec = RetrieverSpec(
        dataset_path=str(data),
        kind="tfidf",
        params=RetrieverParams().model_dump(),
        preprocessing=default_retrieval_preprocessing().model_dump(),
        columns=COLUMNS,
        folder=str(tmp_path / "r"),
    )
    result = fit_retriever(spec, lambda f, _m: None)
    assert result.contexts == 2
    assert result.report["empty_contexts_dropped"] == 1
