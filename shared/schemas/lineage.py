"""Lineage of a model version (where it came from) and the requests that make a version
from another: retrain and incremental training."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.preprocessing import PreprocessingConfig
from shared.schemas.strings import NO_NUL, IdText


class LineageDataset(BaseModel):
    """A dataset a version was trained on, as it was then (kept after it is deleted)."""

    id: str | None
    name: str | None = None
    sha256: str | None = None
    rows: int | None = None  # rows of the file


class RetrainRequest(BaseModel):
    """The next version of a name from an existing version: same kind, params and
    preprocessing unless given here. `data`: the parent's dataset, a new one (`dataset_id`),
    or both concatenated (duplicate rows dropped)."""

    model_config = ConfigDict(extra="forbid")

    data: Literal["parent", "new", "both"] = "parent"
    dataset_id: IdText | None = None
    params: dict[str, object] | None = None  # merged over the parent's params
    preprocessing: PreprocessingConfig | None = None
    description: str | None = Field(None, max_length=2000, pattern=NO_NUL)

    @model_validator(mode="after")
    def _dataset_with_its_data(self) -> "RetrainRequest":
        if self.data == "parent" and self.dataset_id is not None:
            raise ValueError(
                "dataset_id is used only with data 'new' or 'both'; leave it out to retrain "
                "on the parent's dataset"
            )
        if self.data != "parent" and self.dataset_id is None:
            raise ValueError(f"data {self.data!r} needs a dataset_id")
        return self


class IncrementalRequest(BaseModel):
    """Continue an existing version on new rows (a dataset with the parent's text and label
    columns): the next version of its name, without starting over."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: IdText
    epochs: int = Field(
        3, ge=1, le=200, description="Passes over the new rows (Keras epochs; SGD partial_fit)."
    )
    description: str | None = Field(None, max_length=2000, pattern=NO_NUL)
