"""Hard examples to label first, from the prediction log or a scored dataset (HTTP only:
app/services/hard_examples.py)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import DatasetId, ModelRef, SegmentQuery, ServicesDep
from app.api.pages import TOTAL_HEADER_DOC, set_total
from app.api.routes.retrievers import TASK_LOCATION
from shared.schemas.hard_examples import (
    DatasetHardExample,
    DatasetScoringRequest,
    HardExample,
    HardExampleStrategy,
    ScoringAccepted,
)
from shared.schemas.strings import COLUMN_NAME_MAX, NO_NUL

router = APIRouter(prefix="/api/v1/models", tags=["hard examples"])

Strategy = Annotated[
    HardExampleStrategy,
    Query(description="least_confidence (1 - max p), margin (p1 - p2) or entropy"),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Examples in this page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Ranked examples to skip")]


@router.get(
    "/{model_ref}/hard_examples",
    response_model=list[HardExample],
    responses={200: {"headers": TOTAL_HEADER_DOC}},
)
def hard_examples(
    model_ref: ModelRef,
    services: ServicesDep,
    response: Response,
    strategy: Strategy = HardExampleStrategy.LEAST_CONFIDENCE,
    segment: SegmentQuery = None,
    start: Annotated[datetime | None, Query(description="logged at or after")] = None,
    end: Annotated[datetime | None, Query(description="logged before")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[HardExample]:
    """The model name's logged predictions (any version) with a text and no feedback, one
    per text (its newest), hardest first; X-Total-Count: how many were ranked."""
    examples, total = services.hard_examples.from_log(
        model_ref,
        strategy=strategy,
        segment=segment,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    set_total(response, total)
    return examples


@router.post(
    "/{model_ref}/hard_examples/datasets/{dataset_id}",
    status_code=202,
    response_model=ScoringAccepted,
    responses={202: {"headers": TASK_LOCATION}},
)
def score_dataset(
    model_ref: ModelRef,
    dataset_id: DatasetId,
    request: DatasetScoringRequest,
    services: ServicesDep,
    response: Response,
) -> ScoringAccepted:
    """Score every row of the text column with the model, in the background (a task)."""
    task = services.hard_examples.start_scoring(model_ref, dataset_id, request.text_column)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return ScoringAccepted(
        task_id=task.id,
        model_id=services.models.resolve_id(model_ref),
        dataset_id=dataset_id,
        text_column=request.text_column,
    )


@router.get(
    "/{model_ref}/hard_examples/datasets/{dataset_id}",
    response_model=list[DatasetHardExample],
    responses={200: {"headers": TOTAL_HEADER_DOC}},
)
def dataset_hard_examples(
    model_ref: ModelRef,
    dataset_id: DatasetId,
    services: ServicesDep,
    response: Response,
    text_column: Annotated[str, Query(min_length=1, max_length=COLUMN_NAME_MAX, pattern=NO_NUL)],
    strategy: Strategy = HardExampleStrategy.LEAST_CONFIDENCE,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DatasetHardExample]:
    """The scored rows, hardest first, without texts that have feedback under the model's
    name; 409 until the scoring task has finished. X-Total-Count: how many were ranked."""
    examples, total = services.hard_examples.from_dataset(
        model_ref, dataset_id, text_column, strategy=strategy, limit=limit, offset=offset
    )
    set_total(response, total)
    return examples
