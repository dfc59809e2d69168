"""A model's next versions (retrain, incremental training) and its bundle file (download,
import into another installation)."""

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import ModelRefId, ServicesDep
from app.api.downloads import attachment
from app.api.public import public_json
from app.api.uploads import form_fields, receive_upload
from app.core.errors import InvalidInputError
from shared.schemas import FitAccepted, IncrementalRequest, ModelRead, RetrainRequest
from shared.schemas.strings import MODEL_NAME_MAX, NAME_PATTERN

router = APIRouter(prefix="/api/v1/models", tags=["models"])
SHA256_HEADER = "X-Bundle-SHA256"
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"headers": {"Location": {"description": "The task: /api/v1/tasks/{task_id}"}}}
}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file", "sha256"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "sha256": {"type": "string", "description": "the bundle's SHA-256"},
                        "name": {"type": "string", "description": "default: the bundle's"},
                    },
                }
            }
        },
    }
}


@router.post("/{model_id}/retrain", status_code=202, response_model=FitAccepted, responses=ACCEPTED)
def retrain(
    model_id: ModelRefId, request: RetrainRequest, services: ServicesDep, response: Response
) -> FitAccepted:
    """The next version of the model's name, trained from scratch like its parent (same
    kind, params and preprocessing unless given) on the parent's data, new data or both."""
    task, model = services.versions.retrain(model_id, request)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return FitAccepted(task_id=task.id, model_id=model.id)


@router.post(
    "/{model_id}/incremental", status_code=202, response_model=FitAccepted, responses=ACCEPTED
)
def incremental(
    model_id: ModelRefId, request: IncrementalRequest, services: ServicesDep, response: Response
) -> FitAccepted:
    """The next version of the model's name: the model itself trained further on new rows
    (kinds sgd, keras_cnn, keras_bilstm; the others answer 409: retrain them)."""
    task, model = services.versions.continue_training(model_id, request)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return FitAccepted(task_id=task.id, model_id=model.id)


@router.get(
    "/{model_id}/bundle",
    response_class=FileResponse,
    responses={200: {"description": "The bundle (zip)", "content": {"application/zip": {}}}},
)
def download_bundle(model_id: ModelRefId, services: ServicesDep) -> FileResponse:
    bundle = services.bundles.export(model_id)
    return FileResponse(
        bundle.path,
        media_type="application/zip",
        headers={
            "Content-Disposition": attachment(bundle.download_name.removesuffix(".zip"), ".zip"),
            SHA256_HEADER: bundle.sha256,
        },
    )


@router.post("/import", status_code=201, response_model=ModelRead, openapi_extra=IMPORT_BODY)
async def import_bundle(request: Request, services: ServicesDep) -> JSONResponse:
    upload = await receive_upload(
        request,
        incoming_dir=services.datasets.incoming_dir,
        prefix=services.datasets.part_prefix,
        limit_bytes=services.settings.max_upload_bytes,
        fields=form_fields(IMPORT_BODY),
    )
    name = upload.fields.get("name") or None
    if name is not None and (len(name) > MODEL_NAME_MAX or not re.fullmatch(NAME_PATTERN, name)):
        upload.path.unlink(missing_ok=True)
        raise InvalidInputError(f"name {name!r} is not a valid model name")
    model = await run_in_threadpool(
        services.bundles.import_bundle,
        upload.path,
        actual_sha256=upload.sha256,
        expected_sha256=upload.fields.get("sha256", ""),
        name=name,
    )
    return JSONResponse(public_json(ModelRead, model), status_code=201)
