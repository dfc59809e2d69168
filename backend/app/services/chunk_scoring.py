"""Where a batch's model runs: here, or chunk by chunk on the Dask workers.

predict_csv and predict_scores read, decide, log and answer in one code path; only the
model's own call goes through a ChunkScorer. The local one calls the model in this
process. The Dask one (TASK_EXECUTOR=dask, a batch of at least DASK_BATCH_MIN_ROWS rows)
sends each chunk's texts to a worker, which reads the bundle from the shared MODELS_DIR;
it keeps at most two chunks per worker thread in flight and hands the answers back in the
chunks' order, so memory stays bounded and a streamed answer keeps the file's order.
"""

import logging
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np
from distributed import Client, Future

from app.core.errors import UnavailableError
from app.ml.bundle import Predictions, TrainedModel
from app.registry.entities import ModelRecord
from app.tasks.dask_client import dask_client
from app.tasks.scoring_job import ChunkAnswer, Scoring, score_chunk, timed

log = logging.getLogger(__name__)

T = TypeVar("T")
# chunks in flight per Dask worker thread: one running, one waiting its turn
IN_FLIGHT_PER_THREAD = 2


class ChunkScorer(ABC):
    """One model run over chunks of texts; the answers come back in the chunks' order."""

    def __init__(self, model: TrainedModel, chunk_rows: int) -> None:
        self.model = model
        self.chunk_rows = chunk_rows

    @abstractmethod
    def answers(
        self, scoring: Scoring, chunks: Iterable[tuple[T, list[str]]]
    ) -> Iterator[tuple[T, ChunkAnswer]]:
        """Each chunk's item and the model's answer for its texts, in the chunks' order."""

    def predictions(
        self, chunks: Iterable[tuple[T, list[str]]]
    ) -> Iterator[tuple[T, Predictions, float]]:
        """Each chunk's item, its predictions and the seconds the model took."""
        for item, answer in self.answers("predict", chunks):
            assert isinstance(answer.answer, Predictions)
            yield item, answer.answer, answer.seconds

    def probabilities(self, texts: list[str], *, cleaned: bool) -> np.ndarray:
        """The class probabilities of every text (rows in the texts' order)."""
        scoring: Scoring = "proba_cleaned" if cleaned else "proba"
        parts = [a.answer for _, a in self.answers(scoring, self._chunks(texts))]
        if not parts:
            return np.zeros((0, len(self.model.classes)))
        return np.concatenate(parts)  # type: ignore[arg-type]

    def _chunks(self, texts: list[str]) -> Iterator[tuple[int, list[str]]]:
        for start in range(0, len(texts), self.chunk_rows):
            yield start, texts[start : start + self.chunk_rows]


class LocalScorer(ChunkScorer):
    """The model run here, in the calling thread."""

    def answers(
        self, scoring: Scoring, chunks: Iterable[tuple[T, list[str]]]
    ) -> Iterator[tuple[T, ChunkAnswer]]:
        for item, texts in chunks:
            yield item, timed(self.model, scoring, texts)

    def probabilities(self, texts: list[str], *, cleaned: bool) -> np.ndarray:
        # all at once, as before there were chunks: nothing to spread here
        answer = timed(self.model, "proba_cleaned" if cleaned else "proba", texts).answer
        assert isinstance(answer, np.ndarray)
        return answer


class DaskScorer(ChunkScorer):
    """The chunks scored on the Dask workers, a bounded window of them at a time."""

    def __init__(
        self,
        model: TrainedModel,
        chunk_rows: int,
        *,
        client: Client,
        bundle: Path,
        sha256: str,
        window: int,
    ) -> None:
        super().__init__(model, chunk_rows)
        self.client = client
        self.bundle = bundle
        self.sha256 = sha256
        self.window = window

    def answers(
        self, scoring: Scoring, chunks: Iterable[tuple[T, list[str]]]
    ) -> Iterator[tuple[T, ChunkAnswer]]:
        batch = uuid.uuid4().hex[:12]
        pending: deque[tuple[T, Future[ChunkAnswer]]] = deque()
        source = iter(chunks)
        index = 0
        try:
            while True:
                for item, texts in islice(source, self.window - len(pending)):
                    future = self.client.submit(
                        score_chunk,
                        str(self.bundle),
                        self.sha256,
                        scoring,
                        texts,
                        key=f"score-chunk-{batch}-{index}",
                        pure=False,
                    )
                    pending.append((item, future))
                    index += 1
                if not pending:
                    return
                item, future = pending.popleft()
                try:
                    answer = future.result()
                except Exception:
                    log.exception("chunk of batch %s failed on the Dask workers", batch)
                    raise
                yield item, answer
        finally:  # the stream ended early (an error, the client gone): stop what is queued
            for _, future in pending:
                future.cancel()


class ChunkScorers:
    """Which scorer a batch gets: the Dask one for a large batch when TASK_EXECUTOR=dask,
    the local one otherwise."""

    def __init__(
        self,
        *,
        models_dir: Path,
        chunk_rows: int,
        dask_address: str | None = None,
        dask_min_rows: int = 0,
    ) -> None:
        self.models_dir = models_dir
        self.chunk_rows = chunk_rows
        self.dask_address = dask_address
        self.dask_min_rows = dask_min_rows

    def for_rows(self, record: ModelRecord, model: TrainedModel, rows: int) -> ChunkScorer:
        """The scorer for `rows` rows of the model `record` (loaded here as `model`). With
        Dask, a 503 names the scheduler when it cannot be reached or has no workers."""
        if self.dask_address is None or rows < self.dask_min_rows:
            return LocalScorer(model, self.chunk_rows)
        client = dask_client(self.dask_address)
        try:
            threads = sum(client.nthreads().values())
        except (OSError, TimeoutError) as exc:
            raise UnavailableError(
                f"the Dask scheduler at {self.dask_address} cannot be reached ({exc})"
            ) from exc
        if threads == 0:
            raise UnavailableError(
                f"the Dask scheduler at {self.dask_address} has no workers to score "
                f"{rows:,} rows on; start some, or send fewer than {self.dask_min_rows:,} rows"
            )
        return DaskScorer(
            model,
            self.chunk_rows,
            client=client,
            bundle=self.models_dir / (record.artifact_file or ""),
            sha256=record.artifact_sha256 or "",
            window=IN_FLIGHT_PER_THREAD * threads,
        )
