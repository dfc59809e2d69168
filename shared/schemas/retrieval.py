"""Retrieval: QA datasets, retrievers (question → best context), their searches and tests."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.preprocessing import PreprocessingConfig
from shared.schemas.strings import NO_NUL, RETRIEVER_NAME_PATTERN

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=RETRIEVER_NAME_PATTERN)]
Column = Annotated[str, Field(min_length=1, max_length=300, pattern=NO_NUL)]
Question = Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]


class RetrieverKind(StrEnum):
    TFIDF = "tfidf"  # TF-IDF n-grams, sparse vectors, cosine similarity
    BM25 = "bm25"  # bm25s term weights, sparse vectors, dot product = the BM25 score


class RetrieverStatus(StrEnum):
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"


class QaColumns(BaseModel):
    """Which columns of a dataset hold the contexts, questions and (optional) answers."""

    model_config = ConfigDict(extra="forbid")

    context_column: Column = "context"
    question_column: Column = "question"
    answer_column: Column | None = "answer"

    @model_validator(mode="after")
    def _three_columns(self) -> "QaColumns":
        columns = [self.context_column, self.question_column, self.answer_column]
        named = [c for c in columns if c is not None]
        if len(set(named)) < len(named):
            raise ValueError(
                "the context, question and answer columns must be different columns "
                f"(given {', '.join(repr(c) for c in named)}): pick the dataset's columns of "
                "contexts and of questions"
            )
        return self


class RetrieverParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    analyzer: Literal["word", "char_wb", "both"] = Field(
        "both", description="TF-IDF only: word n-grams, char_wb n-grams, or both fused."
    )
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (3, 5)
    word_weight: float = Field(
        0.3, ge=0.0, le=1.0, description="Share of the word score in the fused score."
    )
    sublinear_tf: bool = True
    k1: float = Field(1.5, gt=0.0, le=10.0, description="BM25 only.")
    b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 only.")


def default_retrieval_preprocessing() -> PreprocessingConfig:
    return PreprocessingConfig(lowercase=True, drop_duplicates=True, drop_empty=True)


class RetrieverFitRequest(QaColumns):
    name: Name
    dataset_id: str = Field(min_length=1, max_length=64)
    kind: RetrieverKind = RetrieverKind.TFIDF
    params: RetrieverParams = Field(default_factory=RetrieverParams)
    preprocessing: PreprocessingConfig = Field(default_factory=default_retrieval_preprocessing)
    description: str = Field("", max_length=2_000, pattern=NO_NUL)


class RetrieverFitAccepted(BaseModel):
    task_id: str
    retriever_id: str
    name: str
    version: int


class RetrieverRead(BaseModel):
    id: str
    name: str
    version: int
    kind: RetrieverKind
    description: str = ""
    status: RetrieverStatus
    is_default: bool
    loaded: bool
    params: dict[str, Any]
    preprocessing: dict[str, Any]
    dataset_id: str | None
    dataset_name: str | None
    context_column: str
    question_column: str
    answer_column: str | None
    contexts: int | None = None  # how many distinct contexts are indexed
    report: dict[str, Any] | None = None  # what preprocessing dropped
    quality: dict[str, Any] | None = None  # the last quality test's figures
    train_seconds: float | None = None
    error: str | None = None
    created_at: datetime


class RetrieversRemoved(BaseModel):
    removed: int
    kept: list[str]  # ids kept: the default retriever


class FindContextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question | None = None
    questions: list[Question] | None = Field(None, min_length=1, max_length=1_000)
    top_k: int = Field(5, ge=1, le=100)

    @model_validator(mode="after")
    def _one_of(self) -> "FindContextRequest":
        if (self.question is None) == (self.questions is None):
            raise ValueError("give either 'question' or 'questions'")
        return self


class ContextHit(BaseModel):
    rank: int
    score: float
    context: str
    answers: list[str]  # the known answers of questions about this context


class ContextResult(BaseModel):
    question: str
    hits: list[ContextHit]


class FindContextResponse(BaseModel):
    retriever_id: str
    results: list[ContextResult]


class BenchmarkRequest(QaColumns):
    dataset_id: str = Field(min_length=1, max_length=64)
    n_questions: int = Field(100, ge=1, le=10_000)
    top_k: int = Field(5, ge=1, le=100)
    random_state: int = 0


class LatencyStats(BaseModel):
    n: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class BenchmarkResult(BaseModel):
    retriever_id: str
    latencies_ms: list[float]
    stats: LatencyStats


class QualityTestRequest(QaColumns):
    dataset_id: str = Field(min_length=1, max_length=64)


class FailedQuestion(BaseModel):
    question: str
    expected_context: str
    first_context: str
    rank: int | None  # where the right context came (1-based, within the top 10), or None


class QualityResult(BaseModel):
    retriever_id: str
    dataset_id: str
    questions: int
    # questions whose own context the retriever does not hold (it was fitted on other
    # data): they can only fail; all of them, and the figures say nothing of the retriever
    contexts_missing: int = 0
    top1: float
    top5: float
    mrr10: float
    seconds: float
    failed: list[FailedQuestion]  # the first FAILED_SHOWN questions whose context was not first


class QualityAccepted(BaseModel):
    task_id: str
    retriever_id: str


class ColumnQuality(BaseModel):
    column: str
    missing: int
    duplicates: int
    distinct: int


class QaDatasetReport(BaseModel):
    dataset_id: str
    rows: int
    contexts: int  # distinct non-empty contexts (a context asked about many times counts once)
    questions: int  # non-empty questions
    columns: list[ColumnQuality]
