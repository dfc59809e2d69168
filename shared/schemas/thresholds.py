"""Decision thresholds: where a binary model (and, later, each label of a multi-label one)
puts its cut-off, the objective it was chosen by on the held-out split, and its changes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.labels import Label
from shared.schemas.strings import ALIAS_PATTERN

Objective = Literal["max_f1", "precision_at_recall", "recall_at_precision", "min_cost"]
Probability = float


class ThresholdObjective(BaseModel):
    """How the threshold is chosen on the held-out split. max_f1: the best F1.
    precision_at_recall: the best precision with recall >= min_recall. recall_at_precision:
    the best recall with precision >= min_precision. min_cost: the least
    cost_fp * false positives + cost_fn * false negatives."""

    model_config = ConfigDict(extra="forbid")

    objective: Objective = "max_f1"
    min_recall: float | None = Field(None, ge=0.0, le=1.0)
    min_precision: float | None = Field(None, ge=0.0, le=1.0)
    cost_fp: float = Field(1.0, gt=0.0, le=1e9)
    cost_fn: float = Field(1.0, gt=0.0, le=1e9)

    @model_validator(mode="after")
    def _needs_its_bound(self) -> "ThresholdObjective":
        if self.objective == "precision_at_recall" and self.min_recall is None:
            raise ValueError("objective precision_at_recall needs min_recall")
        if self.objective == "recall_at_precision" and self.min_precision is None:
            raise ValueError("objective recall_at_precision needs min_precision")
        return self


class LabelThreshold(BaseModel):
    """One class's (or label's) cut-off: it is predicted when its probability is at least
    `threshold`; with the figures that gives on the held-out split."""

    label: Label
    threshold: float = Field(ge=0.0, le=1.0)
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    # confusion counts on the held-out split at this threshold
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None
    tn: int | None = None


class DecisionThresholds(BaseModel):
    """A model's thresholds as set once: at fit, by an objective later, or by hand."""

    source: Literal["fit", "objective", "manual"]
    objective: ThresholdObjective | None = None  # None when set by hand
    thresholds: list[LabelThreshold]
    set_at: datetime
    note: str | None = None


class ThresholdsUpdate(BaseModel):
    """PUT /models/{id}/thresholds: an objective to choose again on the held-out split, or
    the thresholds themselves ({label: threshold}); one of the two. The change is the next
    version of the model's name; `move_alias` names an alias of the name to point at it."""

    model_config = ConfigDict(extra="forbid")

    objective: ThresholdObjective | None = None
    thresholds: dict[str, Probability] | None = Field(None, max_length=1000)
    move_alias: str | None = Field(None, pattern=ALIAS_PATTERN)

    @model_validator(mode="after")
    def _one_of(self) -> "ThresholdsUpdate":
        if (self.objective is None) == (self.thresholds is None):
            raise ValueError("give either objective or thresholds")
        if self.thresholds is not None:
            if not self.thresholds:
                raise ValueError("thresholds must name at least one label")
            bad = [k for k, v in self.thresholds.items() if not 0.0 <= v <= 1.0]
            if bad:
                raise ValueError(f"thresholds must be between 0 and 1 (labels {bad[:5]})")
        return self


class ThresholdsRead(BaseModel):
    """A version's thresholds and every earlier setting of its line, oldest first. After a
    change: the new version's (its id, name and version), made from `parent_id`."""

    model_id: str
    thresholds: DecisionThresholds | None
    history: list[DecisionThresholds] = Field(default_factory=list)
    name: str | None = None
    version: int | None = None
    parent_id: str | None = None
    parent_version: int | None = None
    loaded: bool | None = None
    moved_alias: str | None = None  # the alias the change pointed at the new version
