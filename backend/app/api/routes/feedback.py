"""Feedback over HTTP: true labels for a model name's predictions or texts, one by one or
from a CSV; listed (newest first), exported as CSV, deleted."""

from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.csv_uploads import CSV_FORMAT_PROPERTIES, receive_csv
from app.api.deps import FeedbackId, ModelRef, ServicesDep
from app.api.downloads import attachment
from app.api.pages import TOTAL_HEADER_DOC, PageDep, set_total
from app.core.errors import InvalidInputError
from app.services.feedback import CsvFeedback
from shared.schemas import (
    FeedbackCreate,
    FeedbackImported,
    FeedbackRead,
    FeedbackRetrainRequest,
    FitAccepted,
)

router = APIRouter(prefix="/api/v1/models", tags=["feedback"])
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **CSV_FORMAT_PROPERTIES,
                        "text_column": {"type": "string", "description": "default: text"},
                        "label_column": {"type": "string", "description": "default: label"},
                        "segment_column": {
                            "type": "string",
                            "description": "each row's segment; blank cells and none: default",
                        },
                        "add_class": {"type": "boolean", "description": "accept new labels"},
                    },
                }
            }
        },
    }
}


def _read(entry: object) -> FeedbackRead:
    return FeedbackRead.model_validate(entry, from_attributes=True)


@router.post("/{ref}/feedback", status_code=201, response_model=FeedbackRead)
def send_feedback(ref: ModelRef, body: FeedbackCreate, services: ServicesDep) -> FeedbackRead:
    """The true label of a logged prediction (`prediction_id`) or of a text, kept for the
    ref's model name."""
    return _read(services.feedback.add(ref, body))


@router.post(
    "/{ref}/feedback/csv",
    status_code=201,
    response_model=FeedbackImported,
    openapi_extra=IMPORT_BODY,
)
async def import_feedback_csv(
    ref: ModelRef, request: Request, services: ServicesDep
) -> JSONResponse:
    """A CSV of texts and their true labels; each text the name predicted before is
    matched to its newest logged prediction."""
    upload = await receive_csv(
        request,
        incoming_dir=services.datasets.incoming_dir,
        prefix=services.datasets.part_prefix,
        limit_bytes=services.settings.max_upload_bytes,
        body=IMPORT_BODY,
    )
    try:
        fields = upload.fields
        csv_feedback = CsvFeedback(
            path=upload.path,
            text_column=(fields.get("text_column") or "").strip() or "text",
            label_column=(fields.get("label_column") or "").strip() or "label",
            segment_column=(fields.get("segment_column") or "").strip() or None,
            add_class=_flag(fields.get("add_class", ""), "add_class"),
        )
        added, matched = await run_in_threadpool(
            partial(services.feedback.import_csv, ref, csv_feedback)
        )
    finally:
        upload.path.unlink(missing_ok=True)
    body = FeedbackImported(added=added, matched_predictions=matched)
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


@router.get(
    "/{ref}/feedback",
    response_model=list[FeedbackRead],
    responses={200: {"headers": TOTAL_HEADER_DOC}},
)
def list_feedback(
    ref: ModelRef, services: ServicesDep, page: PageDep, response: Response
) -> Sequence[FeedbackRead]:
    """The name's feedback, newest first."""
    entries, total = services.feedback.page(ref, limit=page.limit, offset=page.offset)
    set_total(response, total)
    return [_read(e) for e in entries]


@router.get(
    "/{ref}/feedback/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text,label,segment,prediction_id,model_id,created_at,source",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def export_feedback(ref: ModelRef, services: ServicesDep) -> StreamingResponse:
    name, pages = services.feedback.export(ref)
    return StreamingResponse(
        pages,
        media_type="text/csv",
        headers={"Content-Disposition": attachment(name, "_feedback.csv")},
    )


@router.delete("/{ref}/feedback/{feedback_id}", status_code=204, response_class=Response)
def delete_feedback(ref: ModelRef, feedback_id: FeedbackId, services: ServicesDep) -> Response:
    services.feedback.delete(ref, feedback_id)
    return Response(status_code=204)


@router.post(
    "/{ref}/retrain_from_feedback",
    status_code=202,
    response_model=FitAccepted,
    responses={202: {"headers": {"Location": {"description": "/api/v1/tasks/{task_id}"}}}},
)
def retrain_from_feedback(
    ref: ModelRef,
    services: ServicesDep,
    response: Response,
    request: Annotated[FeedbackRetrainRequest | None, Body()] = None,
) -> FitAccepted:
    """The next version of the name: trained like `ref` on its data and the name's
    feedback (part of it held out), then compared with it; `move_alias` moves to it if it
    is better on the held-out feedback. The comparison: the new version's
    metrics.comparison, and its task's message."""
    # every field is optional: no body at all is the same as {}
    task, model = services.feedback_retraining.retrain(ref, request or FeedbackRetrainRequest())
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return FitAccepted(task_id=task.id, model_id=model.id)


def _flag(value: str, field: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInputError(f"{field} is true or false, not {value[:40]!r}")
