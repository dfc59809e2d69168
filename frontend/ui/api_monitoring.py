"""The API client's calls about a model at work: its decision thresholds, its mistakes on
its held-out split, and what the prediction log says of it (statistics, drift); a part of
`ApiClient`, kept in a file of its own."""

from datetime import datetime

from shared.schemas import ModelErrors
from shared.schemas.drift import ModelDrift
from shared.schemas.statistics import ModelStatistics
from shared.schemas.thresholds import ThresholdsRead, ThresholdsUpdate
from ui.api_transport import API, Transport, model_path, query_params


class MonitoringCalls:
    def get_thresholds(self: Transport, model_id: str) -> ThresholdsRead:
        response = self._request("GET", f"{API}/models/{model_id}/thresholds")
        return self._parse(ThresholdsRead, response)

    def set_thresholds(self: Transport, model_id: str, update: ThresholdsUpdate) -> ThresholdsRead:
        body = update.model_dump(mode="json", exclude_none=True)
        response = self._request("PUT", f"{API}/models/{model_id}/thresholds", json=body, long=True)
        return self._parse(ThresholdsRead, response)

    def model_errors(self: Transport, model_id: str, limit: int = 50) -> ModelErrors:
        """The model's misclassified rows of its own held-out split."""
        response = self._request(
            "GET", f"{API}/models/{model_id}/errors", params={"limit": limit}, long=True
        )
        return self._parse(ModelErrors, response)

    def model_statistics(
        self: Transport,
        ref: str,
        *,
        period: str = "day",
        start: datetime | None = None,
        end: datetime | None = None,
        segment: str | None = None,
        confidence_below: float | None = None,
    ) -> ModelStatistics:
        """The prediction log's figures per bucket (a name: all its versions)."""
        params = query_params(
            period=period,
            start=start,
            end=end,
            segment=segment,
            confidence_below=confidence_below,
        )
        response = self._request("GET", f"{model_path(ref)}/statistics", params=params)
        return self._parse(ModelStatistics, response)

    def model_drift(
        self: Transport,
        ref: str,
        *,
        period: str = "day",
        start: datetime | None = None,
        end: datetime | None = None,
        segment: str | None = None,
        psi_threshold: float | None = None,
    ) -> ModelDrift:
        """PSI and unknown-token share per segment and bucket, with their flags."""
        params = query_params(
            period=period, start=start, end=end, segment=segment, psi_threshold=psi_threshold
        )
        response = self._request("GET", f"{model_path(ref)}/drift", params=params, long=True)
        return self._parse(ModelDrift, response)
