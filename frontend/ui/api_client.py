"""The one way the frontend talks to the backend: typed calls that return shared schemas.

Every failure, whether the backend answers an error, cannot be reached or times out,
becomes one `ApiError` carrying the problem+json `status`, `title` and `detail`.
"""

import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.csv_encodings import DEFAULT_DELIMITER, DEFAULT_ENCODING
from shared.schemas import (
    PAGE_LIMIT_MAX,
    TOTAL_COUNT_HEADER,
    DatasetRead,
    FieldError,
    FitAccepted,
    FitRequest,
    ModelRead,
    ModelSummary,
    PredictResponse,
    Problem,
    RemoveAllResponse,
    ScoresRequest,
    ScoresResponse,
    TaskRead,
    TasksCleared,
)
from ui.api_feedback import FeedbackCalls
from ui.api_lifecycle import LifecycleCalls
from ui.api_monitoring import MonitoringCalls
from ui.api_retrieval import RetrievalCalls
from ui.api_transport import API, Upload, csv_format_fields
from ui.settings import FrontendSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PredictedFile:
    """predict_csv's answer: the result file, and the version that answered it."""

    content: bytes
    model_id: str
    version: int | None


class ApiError(Exception):
    """The backend said no, or could not be asked. `status` is None when no answer came."""

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []

    def __str__(self) -> str:
        code = f" ({self.status})" if self.status else ""
        return f"{self.title}{code}: {self.detail}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> "ApiError":
        try:
            problem = Problem.model_validate(response.json())
            return cls(problem.status, problem.title, problem.detail, problem.errors)
        except (ValueError, ValidationError):
            text = response.text.strip()[:500] or response.reason_phrase
            return cls(response.status_code, "Backend error", text)


class ApiClient(RetrievalCalls, LifecycleCalls, FeedbackCalls, MonitoringCalls):
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        connect_timeout_s: float = 5.0,
        request_timeout_s: float = 30.0,
        long_request_timeout_s: float = 600.0,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(request_timeout_s, connect=connect_timeout_s)
        self._long_timeout = httpx.Timeout(long_request_timeout_s, connect=connect_timeout_s)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=self._timeout)

    @classmethod
    def from_settings(cls, settings: FrontendSettings) -> "ApiClient":
        token = settings.api_token.get_secret_value() if settings.api_token else None
        return cls(
            settings.backend_url,
            token=token,
            connect_timeout_s=settings.connect_timeout_s,
            request_timeout_s=settings.request_timeout_s,
            long_request_timeout_s=settings.long_request_timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    # -- health ---------------------------------------------------------------------------
    def ready(self) -> dict[str, str]:
        return self._request("GET", "/readyz").json()

    # -- datasets -------------------------------------------------------------------------
    def list_datasets(self) -> list[DatasetRead]:
        return self._list(DatasetRead, f"{API}/datasets")

    def get_dataset(self, dataset_id: str) -> DatasetRead:
        return self._parse(DatasetRead, self._request("GET", f"{API}/datasets/{dataset_id}"))

    def upload_dataset(
        self,
        filename: str,
        content: Upload,
        name: str | None = None,
        *,
        encoding: str = DEFAULT_ENCODING,
        delimiter: str = DEFAULT_DELIMITER,
    ) -> DatasetRead:
        """Store a CSV; one in another encoding or with another delimiter is stored
        converted to UTF-8 with commas (its sha256 is the converted file's)."""
        data = {"name": name} if name else {}
        response = self._request(
            "POST",
            f"{API}/datasets",
            files={"file": (filename, content, "text/csv")},
            data=data | csv_format_fields(encoding, delimiter) or None,
            long=True,
        )
        return self._parse(DatasetRead, response)

    def dataset_file(self, dataset_id: str) -> bytes:
        return self._request("GET", f"{API}/datasets/{dataset_id}/file", long=True).content

    def delete_dataset(self, dataset_id: str, *, force: bool = False) -> None:
        """force: delete it even though models were trained on it (else a 409 says so)."""
        params = {"force": "true"} if force else None
        self._request("DELETE", f"{API}/datasets/{dataset_id}", params=params)

    # -- models ---------------------------------------------------------------------------
    def list_models(self) -> list[ModelSummary]:
        """The models without their heavy parts: get_model reads one whole."""
        return self._list(ModelSummary, f"{API}/models/")

    def get_model(self, model_id: str) -> ModelRead:
        return self._parse(ModelRead, self._request("GET", f"{API}/models/{model_id}"))

    def fit(self, request: FitRequest) -> FitAccepted:
        body = request.model_dump(mode="json")
        return self._parse(FitAccepted, self._request("POST", f"{API}/models/fit", json=body))

    def load_model(self, model_id: str) -> ModelRead:
        response = self._request("POST", f"{API}/models/load", json={"model_id": model_id})
        return self._parse(ModelRead, response)

    def unload_model(self, model_id: str) -> ModelRead:
        response = self._request("POST", f"{API}/models/unload", json={"model_id": model_id})
        return self._parse(ModelRead, response)

    def remove_model(self, model_id: str) -> None:
        self._request("DELETE", f"{API}/models/{model_id}")

    def remove_all_models(self) -> RemoveAllResponse:
        response = self._request("DELETE", f"{API}/models/remove_all")
        return self._parse(RemoveAllResponse, response)

    def predict(
        self,
        model_id: str,
        texts: list[str],
        *,
        explain: bool = False,
        explain_label: str | None = None,
        log: bool = True,
        segment: str | None = None,
        explain_terms: int | None = None,
    ) -> PredictResponse:
        """`explain_label`: the class or label every text is explained for (None: its
        answer's); `log`: false keeps these predictions out of the prediction log;
        `segment`: the business line they are logged under (None: `default`)."""
        body: dict[str, object] = {"model_id": model_id, "texts": texts}
        if segment:
            body["segment"] = segment
        if not log:
            body["log"] = False
        if explain:
            body["explain"] = True
            if explain_label is not None:
                body["explain_label"] = explain_label
            if explain_terms is not None:
                body["explain_terms"] = explain_terms
        response = self._request("POST", f"{API}/models/predict", json=body, long=True)
        return self._parse(PredictResponse, response)

    def predict_csv(
        self,
        model_id: str,
        filename: str,
        content: Upload,
        text_column: str | None = None,
        segment_column: str | None = None,
        *,
        encoding: str = DEFAULT_ENCODING,
        delimiter: str = DEFAULT_DELIMITER,
    ) -> PredictedFile:
        """The input CSV with `Result` and `Confidence` columns appended, and the version
        that answered (`model_id` may be a reference: `name@alias`); `segment_column`: the
        column naming each row's segment (None: every row is `default`). A file in another
        encoding or with another delimiter comes back in UTF-8 with commas."""
        data = {"model_id": model_id} | csv_format_fields(encoding, delimiter)
        if text_column:
            data["text_column"] = text_column
        if segment_column:
            data["segment_column"] = segment_column
        response = self._request(
            "POST",
            f"{API}/models/predict_csv",
            files={"file": (filename, content, "text/csv")},
            data=data,
            long=True,
        )
        version = response.headers.get("X-Model-Version")
        return PredictedFile(
            response.content,
            response.headers.get("X-Model-Id", model_id),
            int(version) if version and version.isdigit() else None,
        )

    def predict_scores(self, request: ScoresRequest) -> ScoresResponse:
        body = request.model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{API}/models/predict_scores", json=body, long=True)
        return self._parse(ScoresResponse, response)

    # -- tasks ----------------------------------------------------------------------------
    def list_tasks(self) -> list[TaskRead]:
        return self._list(TaskRead, f"{API}/tasks/")

    def get_task(self, task_id: str) -> TaskRead:
        return self._parse(TaskRead, self._request("GET", f"{API}/tasks/{task_id}"))

    def cancel_task(self, task_id: str) -> TaskRead:
        return self._parse(TaskRead, self._request("POST", f"{API}/tasks/{task_id}/cancel"))

    def clear_finished_tasks(self) -> TasksCleared:
        return self._parse(TasksCleared, self._request("DELETE", f"{API}/tasks/"))

    # -- plumbing -------------------------------------------------------------------------
    def _request(
        self, method: str, path: str, *, long: bool = False, **kwargs: Any
    ) -> httpx.Response:
        started = time.perf_counter()
        timeout = self._long_timeout if long else self._timeout
        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)
        except httpx.TimeoutException as exc:
            log.warning("%s %s timed out: %s", method, path, exc)
            raise ApiError(
                None,
                "Backend timeout",
                f"the backend at {self.base_url} did not answer {method} {path} in time",
            ) from exc
        except httpx.HTTPError as exc:
            log.warning("%s %s failed: %s", method, path, exc)
            raise ApiError(
                None,
                "Backend unreachable",
                f"cannot reach the backend at {self.base_url} ({exc}); is it running?",
            ) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s -> %d in %.0f ms", method, path, response.status_code, elapsed_ms)
        if response.is_error:
            error = ApiError.from_response(response)
            log.warning("%s %s: %s", method, path, error)
            raise error
        return response

    def _list(self, item: type[T], path: str) -> list[T]:
        """Every item of a paginated list, page by page (the backend gives at most
        PAGE_LIMIT_MAX at a time, and the list's size in X-Total-Count)."""
        items: list[T] = []
        while True:
            params = {"limit": PAGE_LIMIT_MAX, "offset": len(items)}
            response = self._request("GET", path, params=params)
            page: list[T] = self._parse(list[item], response)  # type: ignore[valid-type]
            items.extend(page)
            total = int(response.headers.get(TOTAL_COUNT_HEADER, len(items)))
            if not page or len(items) >= total:
                return items

    @staticmethod
    def _parse(schema: type[T] | Any, response: httpx.Response) -> T:
        try:
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                return schema.model_validate_json(response.content)  # type: ignore[return-value]
            return _adapter(schema).validate_json(response.content)
        except ValidationError as exc:
            raise ApiError(
                response.status_code,
                "Unexpected answer",
                f"the backend's answer to {response.request.url.path} does not match the "
                f"schema: {exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}",
            ) from exc


@lru_cache
def _adapter(schema: Any) -> TypeAdapter[Any]:
    return TypeAdapter(schema)
