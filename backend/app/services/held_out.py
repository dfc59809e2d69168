"""A version's own held-out split, made again exactly as its fit made it: from the same
data (several datasets concatenated for a retrain on both), preprocessing, test_size and
random_state or split column, by the training code's own functions, less the rows the
version learnt (a continued version learnt its parent's rows wherever they fell). Every
consumer (predict_scores, errors, drift, the threshold objective, feedback retraining) comes
here."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.core.errors import ConflictError
from app.ml.artifacts import ArtifactError, read_trained_texts
from app.ml.preprocessing import Preprocessor
from app.ml.seen_texts import unseen_held_out
from app.ml.training_data import (
    DatasetSplit,
    TrainingError,
    read_training_frames,
    row_origins,
    split_dataset,
)
from app.registry.entities import ModelRecord
from app.services.datasets import DatasetService
from app.services.models import ModelService
from app.services.training_specs import fit_dataset_ids
from shared.schemas import ModelSource


@dataclass(frozen=True)
class HeldOut:
    """The split, and the rows the fit read as the CSVs hold them (the split holds its
    texts cleaned), indexed by row like the split's frame: read once for both."""

    split: DatasetSplit
    frame: pd.DataFrame
    dataset_ids: list[str]  # the datasets its fit read, in order

    def origin(self, row: object) -> tuple[str, int]:
        """Where a row of the frame is: its dataset and its row in that CSV (the frame of
        several datasets counts its rows through all of them)."""
        origins = row_origins(self.frame)
        if origins is None:  # one dataset: its own rows
            return self.dataset_ids[0], int(row)  # type: ignore[call-overload]
        file, csv_row = origins[int(row)]  # type: ignore[call-overload]
        return self.dataset_ids[int(file)], int(csv_row)

    @property
    def originals(self) -> pd.Series:
        """The text column as the CSVs hold it."""
        return self.frame[self.split.text_column]

    def held_out_originals(self) -> pd.Series:
        """The held-out rows' texts as the CSVs hold them."""
        return self.originals.loc[self.split.frame.index[self.split.test]]


class HeldOutSplits:
    def __init__(self, *, models: ModelService, datasets: DatasetService) -> None:
        self.models = models
        self.datasets = datasets

    def split(self, record: ModelRecord) -> DatasetSplit:
        return self.made_again(record).split

    def made_again(self, record: ModelRecord) -> HeldOut:
        """The split and the original texts; 409 when the data its fit read is gone."""
        held = self._made_again_if_any(record)
        if held is None:
            raise ConflictError(
                f"model {record.id}'s held-out split cannot be made again: a dataset its fit "
                "read is deleted (or it was not fitted here)"
            )
        return held

    def split_if_any(self, record: ModelRecord) -> DatasetSplit | None:
        """The split, or None when the data its fit read is not all here any more."""
        held = self._made_again_if_any(record)
        return held.split if held is not None else None

    def can_split_again(self, record: ModelRecord) -> bool:
        """Whether every dataset the version's fit read is still here."""
        return self._fit_datasets(record) is not None

    def deleted_datasets(self, record: ModelRecord) -> list[str]:
        """The names (as the version recorded them) of the datasets its fit read that are
        deleted; none when every one is here, or when it was not fitted here."""
        ids = self._fit_dataset_ids(record) or []
        gone = [i for i in ids if i is None or self.datasets.registry.get_dataset(i) is None]
        names = {d.id: d.name for d in record.lineage_datasets}
        return [names.get(i or "") or record.dataset_name or str(i) for i in gone]

    def _made_again_if_any(self, record: ModelRecord) -> HeldOut | None:
        ids = self._fit_datasets(record)
        if ids is None:
            return None
        frame = self._fit_frame(record, ids)
        try:
            split = split_dataset(
                frame,
                text_column=record.text_column,
                label_column=record.label_column,
                preprocessor=Preprocessor(record.preprocessing),
                test_size=record.test_size,
                random_state=record.random_state,
                label_columns=record.label_columns,
                split_column=record.split_column,
            )
        except TrainingError as exc:
            raise ConflictError(f"the held-out split cannot be made again: {exc}") from exc
        # a continued version trained on the rows its parent had learnt, wherever they fell
        split, _ = unseen_held_out(split, self._trained_texts(record))
        return HeldOut(split, frame, ids)

    def _trained_texts(self, record: ModelRecord) -> np.ndarray | None:
        if not record.artifact_file:
            return None
        path = self.models.models_dir / record.artifact_file
        if not path.is_file():
            return None
        try:
            return read_trained_texts(path)
        except ArtifactError as exc:
            raise ConflictError(f"the held-out split cannot be made again: {exc}") from exc

    def _fit_frame(self, record: ModelRecord, ids: list[str]) -> pd.DataFrame:
        """The labelled rows the version's fit read (the datasets `ids`), before
        preprocessing, read as the fit read them (index: the row of the CSV; of the
        concatenation for several files, `.attrs["origins"]` saying where each is)."""
        paths = [str(self.datasets.file_path(i)) for i in ids]
        try:
            return read_training_frames(
                paths,
                record.text_column,
                record.label_column,
                record.label_columns,
                record.split_column,
            )
        except TrainingError as exc:
            raise ConflictError(f"the held-out split cannot be made again: {exc}") from exc

    def _fit_datasets(self, record: ModelRecord) -> list[str] | None:
        """The ids of the datasets the version's fit read, in order; None when one of them
        is deleted, or the version was not fitted here."""
        ids = self._fit_dataset_ids(record)
        if ids is None:
            return None
        here = [i for i in ids if i is not None and self.datasets.registry.get_dataset(i)]
        return here if len(here) == len(ids) else None

    def _fit_dataset_ids(self, record: ModelRecord) -> list[str | None] | None:
        """fit_dataset_ids of the version, a thresholds version's taken from the version
        it copies (None when that one is removed and its lineage names several datasets)."""
        origin: ModelRecord | None = record
        seen: set[str] = set()
        while origin is not None and origin.source == ModelSource.THRESHOLDS:
            if origin.parent_id is None or origin.parent_id in seen:
                origin = None
                break
            seen.add(origin.parent_id)
            origin = self.models.registry.get_model(origin.parent_id)
        if origin is None:
            # one dataset in its lineage: the one its dataset_id names
            return [record.dataset_id] if len(record.lineage_datasets) <= 1 else None
        return fit_dataset_ids(origin)
