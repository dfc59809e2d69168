"""Why a model gave its answer: the terms that pushed a text towards and away from its
label, with their weights and where they stand in the text as sent."""

from typing import Literal

from pydantic import BaseModel, Field

from shared.schemas.labels import Label

ExplanationMethod = Literal["linear", "naive_bayes", "occlusion"]


class TermWeight(BaseModel):
    term: str
    # > 0: towards the explained label; < 0: away from it. Linear kinds: coefficient x
    # feature value (a term in the decision function); naive Bayes: its share of the
    # log-probability ratio; occlusion: the label's probability lost without the term
    weight: float
    # [start, end) character offsets of each occurrence in the original text
    spans: list[tuple[int, int]] = Field(default_factory=list)


class Explanation(BaseModel):
    label: Label
    method: ExplanationMethod
    towards: list[TermWeight] = Field(default_factory=list)
    away: list[TermWeight] = Field(default_factory=list)
    # the part of the score no term explains (the intercept), when the method has one
    bias: float | None = None
    # false when preprocessing could not be traced and spans were found by searching
    exact_spans: bool = True
    note: str | None = None
