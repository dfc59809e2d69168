"""The default retriever: fitted from the QA demo file at first start, loaded at every
start, never removed; a registry or a Dask scheduler that cannot be reached yet is waited
for (`StartUpWork`)."""

import hashlib
import logging
import shutil
from pathlib import Path

from app.core.errors import AppError
from app.registry.retrievers import RetrieverRecord
from app.services.retriever_shards import ShardInUseError
from app.services.retrievers import RetrieverService
from app.services.start_up import StartUpWork
from shared.schemas.retrieval import RetrieverFitRequest, RetrieverStatus

log = logging.getLogger(__name__)
DEFAULT_RETRIEVER = "qa-default"
LOCK = "textclf:default-retriever"  # the registry-wide lock around its first fit


class DefaultRetriever(StartUpWork):
    name = "the default retriever"

    def __init__(self, *, demo_path: Path, retrievers: RetrieverService) -> None:
        super().__init__()
        self.demo_path = demo_path
        self.retrievers = retrievers
        self.retriever_id: str | None = None
        # the fit queued by an attempt that a registry error ended (task id, retriever id):
        # the next one waits for it instead of queueing it again
        self._queued: tuple[str, str] | None = None

    def prepare(self) -> None:
        # one replica fits it while the others wait here, then find it fitted
        with self.retrievers.registry.exclusive(LOCK):
            record = self._existing() or self._fit()
        self.retriever_id = record.id
        try:
            self.retrievers.load(record.id)
        except ShardInUseError:  # embedded, and another replica holds it: it serves it
            log.info("the default retriever is served by another replica (embedded shard)")

    def _existing(self) -> RetrieverRecord | None:
        for record in self.retrievers.all():  # newest version of a name first
            ready = record.status == RetrieverStatus.READY
            if record.name == DEFAULT_RETRIEVER and record.is_default and ready:
                return record
        return None

    def _fit(self) -> RetrieverRecord:
        if self._queued is None:
            self.retrievers.fits.runner.check_reachable()  # a scheduler not up yet: waited for
            task, record = self.retrievers.fits.fit(self._request(), is_default=True)
            self._queued = (task.id, record.id)
        task_id, retriever_id = self._queued
        self.retrievers.fits.wait(task_id)
        fitted = self.retrievers.get(retriever_id)
        if fitted.status != RetrieverStatus.READY:
            raise AppError(f"the default retriever failed to fit: {fitted.error}")
        return fitted

    def _request(self) -> RetrieverFitRequest:
        """The fit of the QA demo file, stored as a dataset."""
        datasets = self.retrievers.datasets
        if not self.demo_path.is_file():
            raise AppError(f"the QA demo data {self.demo_path} is missing")
        sha = hashlib.sha256(self.demo_path.read_bytes()).hexdigest()
        datasets.incoming_dir.mkdir(parents=True, exist_ok=True)
        copy = datasets.new_part()
        shutil.copyfile(self.demo_path, copy)
        dataset, _ = datasets.ingest(
            path=copy, filename=self.demo_path.name, sha256=sha, name="QA demo data"
        )
        return RetrieverFitRequest(
            name=DEFAULT_RETRIEVER,
            dataset_id=dataset.id,
            description="Default: TF-IDF word and char_wb n-grams fused, over the QA demo data.",
        )
