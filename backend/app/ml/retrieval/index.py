"""A loaded retriever: its encoder, its contexts and answers, and its open vector store."""

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib

from app.ml.retrieval.fitting import ENCODER_FILE, location_of
from app.ml.retrieval.store import Hits, VectorStore

SEARCH_BATCH = 256  # questions per query_batch


class RetrieverClosedError(Exception):
    """The retriever was closed (unloaded, here or by another replica) before or while a
    search ran."""

    def __init__(self) -> None:
        super().__init__("the retriever was unloaded while it was being searched")


class LoadedRetriever:
    def __init__(self, folder: Path, *, qdrant_url: str | None, api_key: str | None) -> None:
        saved: dict[str, Any] = joblib.load(folder / ENCODER_FILE)
        self.encoder = saved["encoder"]
        self.contexts: list[str] = saved["contexts"]
        self.answers: list[list[str]] = saved["answers"]
        self.position = {c: i for i, c in enumerate(self.contexts)}
        self.store: VectorStore = location_of(folder, qdrant_url, api_key).open()
        self._closed = threading.Event()

    def search(self, questions: Sequence[str], limit: int) -> Hits:
        hits: Hits = []
        try:
            for start in range(0, len(questions), SEARCH_BATCH):
                if self._closed.is_set():
                    raise RetrieverClosedError
                batch = questions[start : start + SEARCH_BATCH]
                hits.extend(self.store.search(self.encoder.encode(batch), limit))
        except Exception as exc:
            if self._closed.is_set():  # the store failed because it was closed under it
                raise RetrieverClosedError from exc
            raise
        return hits

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self.store.close()
