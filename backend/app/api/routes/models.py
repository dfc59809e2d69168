import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.bodies import parse_json, request_body
from app.api.csv_uploads import CSV_FORMAT_PROPERTIES, receive_csv
from app.api.deps import ModelRef, ModelRefId, ServicesDep, get_services
from app.api.downloads import attachment
from app.api.pages import TOTAL_HEADER_DOC, PageDep, set_total
from app.core.errors import InvalidInputError
from app.services.references import is_reference
from shared.schemas import (
    FitAccepted,
    FitRequest,
    ModelErrors,
    ModelIdRequest,
    ModelRead,
    ModelSummary,
    PredictRequest,
    PredictResponse,
    RemoveAllResponse,
    ScoresRequest,
    ScoresResponse,
)
from shared.schemas.strings import REF_PATTERN

router = APIRouter(prefix="/api/v1/models", tags=["models"])
LOCATION_HEADER = {
    "description": "The fit's task: /api/v1/tasks/{task_id}",
    "schema": {"type": "string"},
}
CSV_CONTENT = {"content": {"text/csv": {"schema": {"type": "string"}}}}
# which model answered a predict_csv (its model_id may be a reference)
MODEL_ID_HEADER = "X-Model-Id"
MODEL_VERSION_HEADER = "X-Model-Version"
ANSWERED_BY_HEADERS = {
    MODEL_ID_HEADER: {
        "description": "The id of the model that answered",
        "schema": {"type": "string"},
    },
    MODEL_VERSION_HEADER: {"description": "Its version", "schema": {"type": "integer"}},
}

PREDICT_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file", "model_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **CSV_FORMAT_PROPERTIES,
                        "model_id": {"type": "string"},
                        "text_column": {"type": "string"},
                        "segment_column": {
                            "type": "string",
                            "description": "The column naming each row's segment "
                            "(business line); blank cells and no column: 'default'",
                        },
                    },
                }
            }
        },
    }
}


@router.post("/predict", response_model=PredictResponse, openapi_extra=request_body(PredictRequest))
async def predict(request: Request) -> Response:
    # The hot path (one short text per request, thousands a second), kept lean: first in
    # the router (routes are matched in order); async, so neither it nor a sync dependency
    # costs a hop to the threadpool; the body is parsed and validated from its bytes in one
    # step; the answer is serialised once by pydantic-core, not validated again against
    # response_model (which only documents it).
    body = await parse_json(request, PredictRequest)
    services = get_services(request)
    response = await services.predictions.predict(
        body.model_id,
        body.texts,
        explain=body.explain,
        explain_terms=body.explain_terms,
        explain_label=body.explain_label,
        segment=body.segment,
        log=body.log,
    )
    return Response(response.model_dump_json(), media_type="application/json")


# Both slash forms answer directly (a 307 gives plain curl an empty body); the OpenAPI
# document names one of them.
@router.get(
    "/",
    response_model=list[ModelSummary],
    responses={200: {"headers": TOTAL_HEADER_DOC}},
)
@router.get("", response_model=list[ModelSummary], include_in_schema=False)
def list_models(services: ServicesDep, page: PageDep, response: Response) -> list[ModelSummary]:
    models, total = services.models.page(limit=page.limit, offset=page.offset)
    set_total(response, total)
    return models


@router.get("/{model_id}", response_model=ModelRead)
def get_model(model_id: ModelRef, services: ServicesDep) -> ModelRead:
    return services.models.get(model_id)


@router.get("/{model_id}/errors", response_model=ModelErrors)
def model_errors(
    model_id: ModelRefId,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> ModelErrors:
    """The model's misclassified rows of its own held-out split (made again from its
    dataset, test_size and random_state), the most confident mistakes first."""
    return services.evaluation.errors(model_id, limit)


@router.post(
    "/fit",
    status_code=202,
    response_model=FitAccepted,
    responses={202: {"headers": {"Location": LOCATION_HEADER}}},
)
def fit(request: FitRequest, services: ServicesDep, response: Response) -> FitAccepted:
    task, model = services.training.fit(request)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return FitAccepted(task_id=task.id, model_id=model.id)


@router.post("/load", response_model=ModelRead)
def load(request: ModelIdRequest, services: ServicesDep) -> ModelRead:
    return services.models.load(request.model_id)


@router.post("/unload", response_model=ModelRead)
def unload(request: ModelIdRequest, services: ServicesDep) -> ModelRead:
    return services.models.unload(request.model_id)


@router.post(
    "/predict_csv",
    response_class=StreamingResponse,
    openapi_extra=PREDICT_CSV_BODY,
    responses={
        200: {
            "description": "The input rows with Result and Confidence",
            "headers": ANSWERED_BY_HEADERS,
            **CSV_CONTENT,
        }
    },
)
async def predict_csv(request: Request, services: ServicesDep) -> StreamingResponse:
    upload = await receive_csv(
        request,
        incoming_dir=services.datasets.incoming_dir,
        prefix=services.datasets.part_prefix,
        limit_bytes=services.settings.max_upload_bytes,
        body=PREDICT_CSV_BODY,
    )
    try:
        ref = upload.fields.get("model_id", "")
        # a reference's own 422 says what is wrong in it (the alias, the version, the name)
        if not is_reference(ref) and not re.fullmatch(REF_PATTERN, ref):
            raise InvalidInputError(
                "the form needs a valid 'model_id' field: an id, name@alias or name:version"
            )
        model_id = await run_in_threadpool(services.models.resolve_id, ref)
        version = (await run_in_threadpool(services.models.get, model_id)).version
        segment_column = upload.fields.get("segment_column") or None
        checked = await run_in_threadpool(
            services.predictions.check_csv,
            model_id,
            upload.path,
            upload.fields.get("text_column") or None,
            segment_column,
        )
        chunks = await run_in_threadpool(
            partial(
                services.predictions.predict_csv,
                model_id,
                upload.path,
                checked.column,
                rows=checked.rows,
                reference=ref,
                segment_column=segment_column,
            )
        )
    except Exception:
        upload.path.unlink(missing_ok=True)
        raise
    return StreamingResponse(
        _removing_after(upload.path, chunks),
        media_type="text/csv",
        headers={
            "Content-Disposition": attachment(upload.filename, "_predictions.csv"),
            MODEL_ID_HEADER: model_id,
            MODEL_VERSION_HEADER: str(version),
        },
    )


def _removing_after(path: Path, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, then the uploaded file removed: after the last one, and also when the
    stream fails or the client goes away (the generator is closed)."""
    try:
        yield from chunks
    finally:
        path.unlink(missing_ok=True)


@router.post("/predict_scores", response_model=ScoresResponse)
def predict_scores(request: ScoresRequest, services: ServicesDep) -> ScoresResponse:
    return services.evaluation.scores(request)


@router.delete("/remove_all", response_model=RemoveAllResponse)
def remove_all(services: ServicesDep) -> RemoveAllResponse:
    return RemoveAllResponse(removed=services.models.remove_all())


# After /remove_all: routes match in order, and "remove_all" is a valid model id.
@router.delete("/{model_id}", status_code=204, response_class=Response)
def remove(model_id: ModelRefId, services: ServicesDep) -> Response:
    services.models.remove(model_id)
    return Response(status_code=204)


@router.delete(
    "/remove/{model_id}",
    status_code=204,
    response_class=Response,
    deprecated=True,
    summary="Remove a model (older path)",
)
def remove_by_older_path(model_id: ModelRefId, services: ServicesDep) -> Response:
    """The older path of `DELETE /api/v1/models/{model_id}`, kept for existing clients."""
    return remove(model_id, services)
