"""The API client's feedback calls: true labels, retraining from them, and the hard
examples worth labelling next (a part of `ApiClient`, kept in a file of its own)."""

from datetime import datetime

from shared.csv_encodings import DEFAULT_DELIMITER, DEFAULT_ENCODING
from shared.schemas import (
    TOTAL_COUNT_HEADER,
    FeedbackCreate,
    FeedbackImported,
    FeedbackRead,
    FeedbackRetrainRequest,
    FitAccepted,
)
from shared.schemas.hard_examples import (
    DatasetHardExample,
    DatasetScoringRequest,
    HardExample,
    HardExampleStrategy,
    ScoringAccepted,
)
from ui.api_transport import Transport, Upload, csv_format_fields, model_path, query_params


class FeedbackCalls:
    # -- feedback (issue 17) --------------------------------------------------------------
    def send_feedback(self: Transport, ref: str, feedback: FeedbackCreate) -> FeedbackRead:
        """The true label of a logged prediction (prediction_id) or of a text."""
        body = feedback.model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{model_path(ref)}/feedback", json=body)
        return self._parse(FeedbackRead, response)

    def import_feedback_csv(
        self: Transport,
        ref: str,
        filename: str,
        content: Upload,
        *,
        text_column: str = "text",
        label_column: str = "label",
        segment_column: str | None = None,
        add_class: bool = False,
        encoding: str = DEFAULT_ENCODING,
        delimiter: str = DEFAULT_DELIMITER,
    ) -> FeedbackImported:
        data = {
            "text_column": text_column,
            "label_column": label_column,
            "add_class": "true" if add_class else "false",
            **({"segment_column": segment_column} if segment_column else {}),
            **csv_format_fields(encoding, delimiter),
        }
        response = self._request(
            "POST",
            f"{model_path(ref)}/feedback/csv",
            files={"file": (filename, content, "text/csv")},
            data=data,
            long=True,
        )
        return self._parse(FeedbackImported, response)

    def list_feedback(
        self: Transport, ref: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[FeedbackRead], int]:
        """One page of the name's feedback, newest first, and how many there are in all."""
        response = self._request(
            "GET", f"{model_path(ref)}/feedback", params={"limit": limit, "offset": offset}
        )
        items: list[FeedbackRead] = self._parse(list[FeedbackRead], response)
        return items, int(response.headers.get(TOTAL_COUNT_HEADER, len(items)))

    def export_feedback(self: Transport, ref: str) -> bytes:
        """The name's feedback as CSV: text,label,segment,prediction_id,model_id,
        created_at,source."""
        return self._request("GET", f"{model_path(ref)}/feedback/export", long=True).content

    def delete_feedback(self: Transport, ref: str, feedback_id: str) -> None:
        self._request("DELETE", f"{model_path(ref)}/feedback/{feedback_id}")

    def retrain_from_feedback(
        self: Transport, ref: str, request: FeedbackRetrainRequest | None = None
    ) -> FitAccepted:
        """A new version from the parent's data and the name's feedback (a task); its
        metrics.comparison says how it compares with the parent."""
        body = (request or FeedbackRetrainRequest()).model_dump(mode="json", exclude_none=True)
        response = self._request("POST", f"{model_path(ref)}/retrain_from_feedback", json=body)
        return self._parse(FitAccepted, response)

    # -- hard examples (issue 17) ---------------------------------------------------------
    def hard_examples(
        self: Transport,
        model_ref: str,
        *,
        strategy: HardExampleStrategy = HardExampleStrategy.LEAST_CONFIDENCE,
        segment: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[HardExample]:
        """The name's logged predictions without feedback, hardest first."""
        params = query_params(
            strategy=strategy,
            segment=segment or None,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
        )
        response = self._request(
            "GET", f"{model_path(model_ref)}/hard_examples", params=params, long=True
        )
        return self._parse(list[HardExample], response)

    def score_dataset_for_labelling(
        self: Transport, model_ref: str, dataset_id: str, text_column: str
    ) -> ScoringAccepted:
        """Start scoring every row of the dataset's text column (a task)."""
        body = DatasetScoringRequest(text_column=text_column).model_dump()
        path = f"{model_path(model_ref)}/hard_examples/datasets/{dataset_id}"
        return self._parse(ScoringAccepted, self._request("POST", path, json=body))

    def dataset_hard_examples(
        self: Transport,
        model_ref: str,
        dataset_id: str,
        text_column: str,
        *,
        strategy: HardExampleStrategy = HardExampleStrategy.LEAST_CONFIDENCE,
        limit: int = 50,
        offset: int = 0,
    ) -> list[DatasetHardExample]:
        """The scored rows without feedback, hardest first (409 until scored)."""
        params = {
            "text_column": text_column,
            "strategy": str(strategy),
            "limit": limit,
            "offset": offset,
        }
        path = f"{model_path(model_ref)}/hard_examples/datasets/{dataset_id}"
        response = self._request("GET", path, params=params, long=True)
        return self._parse(list[DatasetHardExample], response)
