"""What a loaded retriever answers: find_context, a latency benchmark, a quality test."""

import random
import threading
import time

import pandas as pd

from app.core.errors import ConflictError, InvalidInputError
from app.ml.progress import Pace
from app.ml.retrieval.index import LoadedRetriever, RetrieverClosedError
from app.ml.retrieval.qa_data import QaDataError, question_pairs, read_qa_frame
from app.ml.retrieval.quality import latency_stats, rank_of, ranking_metrics
from app.ml.retrieval.store import Hits
from app.registry.base import Registry
from app.registry.entities import TaskRecord
from app.services import task_ends
from app.services.retriever_fits import column_names
from app.services.retrievers import RetrieverService
from app.tasks.progress import progress_fields
from shared.schemas import TaskStatus
from shared.schemas.retrieval import (
    BenchmarkRequest,
    BenchmarkResult,
    ContextHit,
    ContextResult,
    FailedQuestion,
    FindContextRequest,
    FindContextResponse,
    LatencyStats,
    QaColumns,
    QualityResult,
    QualityTestRequest,
)

QUALITY_TASK = "retriever_quality"
FAILED_SHOWN = 200  # failed questions kept with a quality result
QUALITY_CHUNK = 256  # questions per step of a quality test (one progress report each)
MRR_DEPTH = 10


class RetrievalQueries:
    def __init__(self, *, retrievers: RetrieverService, registry: Registry) -> None:
        self.retrievers = retrievers
        self.registry = registry

    def find_context(self, retriever_id: str, request: FindContextRequest) -> FindContextResponse:
        questions = _questions(request)
        retriever = self.retrievers.in_memory(retriever_id)
        hits = _search(retriever_id, retriever, questions, request.top_k)
        results = [
            ContextResult(
                question=question,
                hits=[
                    ContextHit(
                        rank=rank,
                        score=score,
                        context=retriever.contexts[position],
                        answers=retriever.answers[position],
                    )
                    for rank, (position, score) in enumerate(found, 1)
                ],
            )
            for question, found in zip(questions, hits, strict=True)
        ]
        return FindContextResponse(retriever_id=retriever_id, results=results)

    def benchmark(self, retriever_id: str, request: BenchmarkRequest) -> BenchmarkResult:
        retriever = self.retrievers.in_memory(retriever_id)
        questions = self._pairs(request.dataset_id, request)["question"].tolist()
        sample = random.Random(request.random_state).choices(questions, k=request.n_questions)
        latencies = []
        for question in sample:
            started = time.perf_counter()
            _search(retriever_id, retriever, [question], request.top_k)
            latencies.append((time.perf_counter() - started) * 1000)
        return BenchmarkResult(
            retriever_id=retriever_id,
            latencies_ms=[round(x, 4) for x in latencies],
            stats=LatencyStats.model_validate(latency_stats(latencies)),
        )

    def start_quality_test(self, retriever_id: str, request: QualityTestRequest) -> TaskRecord:
        self.retrievers.in_memory(retriever_id)  # 404 / 409 before anything is queued
        pairs = self._pairs(request.dataset_id, request)
        record = self.retrievers.get(retriever_id)
        task = self.registry.add_task(
            TaskRecord.new(
                kind=QUALITY_TASK,
                running=True,  # in a thread of this server, started at once
                model_name=record.name,
                model_version=record.version,
                dataset_id=request.dataset_id,
                message=f"testing {len(pairs):,} questions",
            )
        )
        thread = threading.Thread(
            target=self._run_quality,
            args=(task.id, retriever_id, request.dataset_id, pairs),
            name=f"quality-{task.id[:8]}",
            daemon=True,
        )
        thread.start()
        return task

    def _run_quality(
        self, task_id: str, retriever_id: str, dataset_id: str, pairs: pd.DataFrame
    ) -> None:
        def run_test() -> str:
            result = self.quality(task_id, retriever_id, dataset_id, pairs)
            self.retrievers.store.update(retriever_id, quality=result.model_dump(mode="json"))
            return f"top-1 {result.top1:.3f}, top-5 {result.top5:.3f}"

        task_ends.run_to_end(self.registry, task_id, "quality test", run_test)

    def quality(
        self, task_id: str | None, retriever_id: str, dataset_id: str, pairs: pd.DataFrame
    ) -> QualityResult:
        retriever = self.retrievers.in_memory(retriever_id)
        started = time.perf_counter()
        questions = pairs["question"].tolist()
        contexts = pairs["context"].tolist()
        ranks: list[int | None] = []
        failed: list[FailedQuestion] = []
        pace = Pace()
        for start in range(0, len(questions), QUALITY_CHUNK):
            chunk = questions[start : start + QUALITY_CHUNK]
            for offset, found in enumerate(retriever.search(chunk, MRR_DEPTH)):
                i = start + offset
                positions = [p for p, _ in found]
                rank = rank_of(retriever.position.get(contexts[i]), positions)
                ranks.append(rank)
                if rank != 1 and len(failed) < FAILED_SHOWN:
                    failed.append(
                        FailedQuestion(
                            question=questions[i],
                            expected_context=contexts[i],
                            first_context=retriever.contexts[positions[0]] if positions else "",
                            rank=rank,
                        )
                    )
            if task_id is not None:
                done = len(ranks) / max(len(questions), 1)
                self.registry.update_task(
                    task_id,
                    only_if=[TaskStatus.RUNNING],
                    **progress_fields(
                        done,
                        f"{len(ranks):,} of {len(questions):,} questions",
                        pace.seconds_left(done),
                    ),
                )
        metrics = ranking_metrics(ranks)
        return QualityResult(
            retriever_id=retriever_id,
            dataset_id=dataset_id,
            questions=len(questions),
            contexts_missing=sum(retriever.position.get(c) is None for c in contexts),
            seconds=round(time.perf_counter() - started, 3),
            failed=failed,
            **metrics,
        )

    def _pairs(self, dataset_id: str, columns: QaColumns) -> pd.DataFrame:
        self.retrievers.check_columns(dataset_id, columns)
        names = column_names(columns)
        try:
            frame = read_qa_frame(self.retrievers.datasets.file_path(dataset_id), names)
        except QaDataError as exc:
            raise InvalidInputError(str(exc)) from exc
        pairs = question_pairs(frame, names)
        if pairs.empty:
            raise InvalidInputError(
                f"dataset {dataset_id} has no rows with both a question and a context"
            )
        return pairs


def _questions(request: FindContextRequest) -> list[str]:
    questions = (
        [request.question] if request.question is not None else list(request.questions or [])
    )
    if any(not q.strip() for q in questions):
        raise InvalidInputError("a question is empty")
    return questions


def _search(
    retriever_id: str, retriever: LoadedRetriever, questions: list[str], top_k: int
) -> Hits:
    """A request's search; a 409 when the retriever is unloaded under it (here, or on
    another replica, whose unload this replica's sync follows)."""
    try:
        return retriever.search(questions, top_k)
    except RetrieverClosedError as exc:
        raise ConflictError(
            f"retriever {retriever_id} was unloaded while this request searched it; "
            "load it again and resend the request"
        ) from exc
