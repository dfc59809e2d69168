"""Datasets over HTTP: upload (streamed, deduplicated by content), list, get, download, delete."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.csv_uploads import CSV_FORMAT_PROPERTIES, receive_csv
from app.api.deps import DatasetId, ServicesDep
from app.api.downloads import attachment
from app.api.pages import TOTAL_HEADER_DOC, PageDep, set_total
from app.api.public import public_json
from shared.schemas import DatasetRead

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])

UPLOAD_BODY = {
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
                        "name": {"type": "string"},
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=DatasetRead,
    openapi_extra=UPLOAD_BODY,
    responses={200: {"model": DatasetRead, "description": "The same bytes were uploaded before"}},
)
@router.post("/", include_in_schema=False)  # both slash forms answer, neither with a 307
async def upload_dataset(request: Request, services: ServicesDep) -> JSONResponse:
    upload = await receive_csv(
        request,
        incoming_dir=services.datasets.incoming_dir,
        prefix=services.datasets.part_prefix,
        limit_bytes=services.settings.max_upload_bytes,
        body=UPLOAD_BODY,
    )
    dataset, created = await run_in_threadpool(
        services.datasets.ingest,
        path=upload.path,
        filename=upload.filename,
        sha256=upload.sha256,
        name=upload.fields.get("name"),
    )
    return JSONResponse(public_json(DatasetRead, dataset), status_code=201 if created else 200)


@router.get("", response_model=list[DatasetRead], responses={200: {"headers": TOTAL_HEADER_DOC}})
@router.get("/", response_model=list[DatasetRead], include_in_schema=False)
def list_datasets(
    services: ServicesDep, page: PageDep, response: Response
) -> Sequence[DatasetRead]:
    datasets, total = services.datasets.page(limit=page.limit, offset=page.offset)
    set_total(response, total)
    return datasets


@router.get("/{dataset_id}", response_model=DatasetRead)
def get_dataset(dataset_id: DatasetId, services: ServicesDep) -> DatasetRead:
    return services.datasets.get(dataset_id)


@router.get(
    "/{dataset_id}/file",
    response_class=FileResponse,
    responses={200: {"description": "The stored bytes", "content": {"text/csv": {"schema": {}}}}},
)
def download_dataset(dataset_id: DatasetId, services: ServicesDep) -> FileResponse:
    dataset = services.datasets.get(dataset_id)
    return FileResponse(
        services.datasets.file_path(dataset_id),
        media_type="text/csv",
        headers={"Content-Disposition": attachment(dataset.filename, ".csv")},
    )


@router.delete("/{dataset_id}", status_code=204, response_class=Response)
def delete_dataset(
    dataset_id: DatasetId,
    services: ServicesDep,
    force: Annotated[
        bool, Query(description="delete it even though models were trained on it")
    ] = False,
) -> Response:
    services.datasets.delete(dataset_id, force=force)
    return Response(status_code=204)
