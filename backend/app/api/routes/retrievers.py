"""Retrievers: fit, list, load, unload, remove; find_context, benchmark, quality_test."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api.deps import DatasetId, ServicesDep
from app.core.errors import NotFoundError
from app.services.qa_datasets import qa_report
from shared.schemas.retrieval import (
    BenchmarkRequest,
    BenchmarkResult,
    FindContextRequest,
    FindContextResponse,
    QaColumns,
    QaDatasetReport,
    QualityAccepted,
    QualityResult,
    QualityTestRequest,
    RetrieverFitAccepted,
    RetrieverFitRequest,
    RetrieverRead,
    RetrieversRemoved,
)
from shared.schemas.strings import ID_PATTERN

router = APIRouter(prefix="/api/v1/retrievers", tags=["retrievers"])
RetrieverId = Annotated[str, Path(pattern=ID_PATTERN, description="A retriever's id")]
TASK_LOCATION = {
    "Location": {"description": "/api/v1/tasks/{task_id}", "schema": {"type": "string"}}
}


@router.get("", response_model=list[RetrieverRead])
@router.get("/", response_model=list[RetrieverRead], include_in_schema=False)  # no 307
def list_retrievers(services: ServicesDep) -> list[RetrieverRead]:
    return list(services.retrievers.all())


@router.post(
    "/fit",
    status_code=202,
    response_model=RetrieverFitAccepted,
    responses={202: {"headers": TASK_LOCATION}},
)
def fit(
    request: RetrieverFitRequest, services: ServicesDep, response: Response
) -> RetrieverFitAccepted:
    task, record = services.retrievers.fits.fit(request)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return RetrieverFitAccepted(
        task_id=task.id, retriever_id=record.id, name=record.name, version=record.version
    )


@router.post("/qa_report/{dataset_id}", response_model=QaDatasetReport)
def dataset_qa_report(
    dataset_id: DatasetId, columns: QaColumns, services: ServicesDep
) -> QaDatasetReport:
    """A dataset read as QA data: missing values and duplicates per column, contexts once."""
    return qa_report(services.retrievers, dataset_id, columns)


@router.delete("", response_model=RetrieversRemoved)
@router.delete("/", response_model=RetrieversRemoved, include_in_schema=False)
def remove_all(services: ServicesDep) -> RetrieversRemoved:
    removed, kept = services.retrievers.remove_all()
    return RetrieversRemoved(removed=len(removed), kept=kept)


@router.get("/{retriever_id}", response_model=RetrieverRead)
def get_retriever(retriever_id: RetrieverId, services: ServicesDep) -> RetrieverRead:
    return services.retrievers.get(retriever_id)


@router.delete("/{retriever_id}", status_code=204, response_class=Response)
def remove(retriever_id: RetrieverId, services: ServicesDep) -> Response:
    services.retrievers.remove(retriever_id)
    return Response(status_code=204)


@router.post("/{retriever_id}/load", response_model=RetrieverRead)
def load(retriever_id: RetrieverId, services: ServicesDep) -> RetrieverRead:
    return services.retrievers.load(retriever_id)


@router.post("/{retriever_id}/unload", response_model=RetrieverRead)
def unload(retriever_id: RetrieverId, services: ServicesDep) -> RetrieverRead:
    return services.retrievers.unload(retriever_id)


@router.post("/{retriever_id}/find_context", response_model=FindContextResponse)
def find_context(
    retriever_id: RetrieverId, request: FindContextRequest, services: ServicesDep
) -> FindContextResponse:
    return services.retrieval.find_context(retriever_id, request)


@router.post("/{retriever_id}/benchmark", response_model=BenchmarkResult)
def benchmark(
    retriever_id: RetrieverId, request: BenchmarkRequest, services: ServicesDep
) -> BenchmarkResult:
    return services.retrieval.benchmark(retriever_id, request)


@router.post(
    "/{retriever_id}/quality_test",
    status_code=202,
    response_model=QualityAccepted,
    responses={202: {"headers": TASK_LOCATION}},
)
def quality_test(
    retriever_id: RetrieverId,
    request: QualityTestRequest,
    services: ServicesDep,
    response: Response,
) -> QualityAccepted:
    task = services.retrieval.start_quality_test(retriever_id, request)
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return QualityAccepted(task_id=task.id, retriever_id=retriever_id)


@router.get("/{retriever_id}/quality", response_model=QualityResult)
def last_quality(retriever_id: RetrieverId, services: ServicesDep) -> QualityResult:
    record = services.retrievers.get(retriever_id)
    if record.quality is None:
        raise NotFoundError(f"retriever {retriever_id} has no quality test yet")
    return QualityResult.model_validate(record.quality)
