"""Fitting a retriever: read the QA dataset, encode its distinct contexts, write the
vectors into a new Qdrant collection or shard, and save the encoder beside it."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib

from app.ml.progress import ProgressFn
from app.ml.retrieval.encoders import make_encoder
from app.ml.retrieval.qa_data import (
    QaColumnNames,
    QaDataError,
    contexts_with_answers,
    read_qa_frame,
)
from app.ml.retrieval.store import StoreLocation
from shared.schemas.preprocessing import PreprocessingConfig

ENCODER_FILE = "encoder.joblib"
SHARD_DIR = "shard"


@dataclass(frozen=True)
class RetrieverSpec:
    dataset_path: str
    kind: str
    params: dict[str, Any]
    preprocessing: dict[str, Any]
    columns: QaColumnNames
    folder: str  # the retriever's own folder: its encoder, and its shard when embedded
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None

    def location(self) -> StoreLocation:
        return location_of(Path(self.folder), self.qdrant_url, self.qdrant_api_key)


@dataclass
class RetrieverFitResult:
    contexts: int
    train_seconds: float
    report: dict[str, Any] = field(default_factory=dict)


def location_of(folder: Path, url: str | None, api_key: str | None) -> StoreLocation:
    return StoreLocation(folder / SHARD_DIR, url=url, api_key=api_key)


def fit_retriever(spec: RetrieverSpec, progress: ProgressFn) -> RetrieverFitResult:
    started = time.perf_counter()
    progress(0.05, "reading the dataset")
    frame = read_qa_frame(spec.dataset_path, spec.columns)
    config = PreprocessingConfig.model_validate(spec.preprocessing)
    table = contexts_with_answers(frame, spec.columns)
    encoder = make_encoder(spec.kind, spec.params, config)
    cleaned = encoder.tokens  # the same cleaning the search applies
    keep = [bool(cleaned(c)) for c in table["context"]] if config.drop_empty else None
    # an empty context cell is never indexed (contexts_with_answers): it counts as one
    empty = int((frame[spec.columns.context] == "").any())
    if keep is not None:
        empty += len(keep) - sum(keep)
        table = table[keep].reset_index(drop=True)
    if table.empty:
        raise QaDataError("no contexts are left after preprocessing")
    progress(0.2, f"encoding {len(table):,} contexts")
    vectors = encoder.fit_documents(table["context"].tolist())
    folder = Path(spec.folder)
    folder.mkdir(parents=True, exist_ok=True)
    progress(0.6, "writing the vectors to Qdrant")
    store = spec.location().open(create=True)
    try:
        store.upsert(vectors)
    finally:
        store.close()
    joblib.dump(
        {
            "encoder": encoder,
            "contexts": table["context"].tolist(),
            "answers": table["answers"].tolist(),
        },
        folder / ENCODER_FILE,
    )
    progress(1.0, "done")
    report = {
        "rows": len(frame),
        "contexts": len(table),
        "empty_contexts_dropped": empty,
        "dimensions": int(vectors.shape[1]),
        "stored_values": int(vectors.nnz),
    }
    return RetrieverFitResult(len(table), round(time.perf_counter() - started, 3), report)
