"""The checks a multi-label fit passes before it is queued: every label column 0/1, and
each label present (and absent) in at least 2 rows. The worker checks again after
preprocessing; these answer 422 at once instead of a failed task."""

import numpy as np

from app.core.errors import InvalidInputError
from app.ml.labels import normalise_labels
from app.ml.multilabel_data import MultiLabelDataError, check_multilabel, label_values
from app.services.datasets import DatasetService
from shared.schemas import FitRequest


def check_label_columns(datasets: DatasetService, request: FitRequest) -> None:
    check_label_matrix(datasets, request.dataset_id, request.label_columns or [], request.test_size)


def check_label_matrix(
    datasets: DatasetService, dataset_id: str, columns: list[str], test_size: float
) -> None:
    frame = datasets.read_columns(dataset_id, *columns)
    labelled = np.ones(len(frame), dtype=bool)
    for column in columns:
        labelled &= (frame[column].str.strip() != "").to_numpy()
    frame = frame[labelled]
    try:
        matrix = np.column_stack([label_values(c, normalise_labels(frame[c])) for c in columns])
        check_multilabel(matrix, columns, test_size)
    except MultiLabelDataError as exc:
        raise InvalidInputError(str(exc)) from exc
