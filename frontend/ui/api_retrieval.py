"""The API client's retrieval calls (a part of `ApiClient`, kept in a file of its own)."""

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
from ui.api_transport import API, Transport

RETRIEVERS = f"{API}/retrievers"


class RetrievalCalls:
    def list_retrievers(self: Transport) -> list[RetrieverRead]:
        parsed: list[RetrieverRead] = self._parse(
            list[RetrieverRead], self._request("GET", RETRIEVERS)
        )
        return parsed

    def get_retriever(self: Transport, retriever_id: str) -> RetrieverRead:
        return self._parse(RetrieverRead, self._request("GET", f"{RETRIEVERS}/{retriever_id}"))

    def fit_retriever(self: Transport, request: RetrieverFitRequest) -> RetrieverFitAccepted:
        body = request.model_dump(mode="json")
        response = self._request("POST", f"{RETRIEVERS}/fit", json=body)
        return self._parse(RetrieverFitAccepted, response)

    def qa_report(self: Transport, dataset_id: str, columns: QaColumns) -> QaDatasetReport:
        body = columns.model_dump(mode="json")
        response = self._request("POST", f"{RETRIEVERS}/qa_report/{dataset_id}", json=body)
        return self._parse(QaDatasetReport, response)

    def load_retriever(self: Transport, retriever_id: str) -> RetrieverRead:
        response = self._request("POST", f"{RETRIEVERS}/{retriever_id}/load")
        return self._parse(RetrieverRead, response)

    def unload_retriever(self: Transport, retriever_id: str) -> RetrieverRead:
        response = self._request("POST", f"{RETRIEVERS}/{retriever_id}/unload")
        return self._parse(RetrieverRead, response)

    def remove_retriever(self: Transport, retriever_id: str) -> None:
        self._request("DELETE", f"{RETRIEVERS}/{retriever_id}")

    def remove_all_retrievers(self: Transport) -> RetrieversRemoved:
        return self._parse(RetrieversRemoved, self._request("DELETE", RETRIEVERS))

    def find_context(
        self: Transport, retriever_id: str, request: FindContextRequest
    ) -> FindContextResponse:
        body = request.model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{RETRIEVERS}/{retriever_id}/find_context", json=body)
        return self._parse(FindContextResponse, response)

    def benchmark_retriever(
        self: Transport, retriever_id: str, request: BenchmarkRequest
    ) -> BenchmarkResult:
        body = request.model_dump(mode="json")
        response = self._request(
            "POST", f"{RETRIEVERS}/{retriever_id}/benchmark", json=body, long=True
        )
        return self._parse(BenchmarkResult, response)

    def start_quality_test(
        self: Transport, retriever_id: str, request: QualityTestRequest
    ) -> QualityAccepted:
        body = request.model_dump(mode="json")
        response = self._request("POST", f"{RETRIEVERS}/{retriever_id}/quality_test", json=body)
        return self._parse(QualityAccepted, response)

    def last_quality(self: Transport, retriever_id: str) -> QualityResult:
        response = self._request("GET", f"{RETRIEVERS}/{retriever_id}/quality")
        return self._parse(QualityResult, response)
