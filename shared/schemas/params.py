"""Hyperparameters per model kind: one flat object each, validated, with defaults.

`FitRequest.params` is validated as a discriminated union on `kind`, so an unknown
or out-of-range field is a 422 that names it.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from shared.schemas.enums import ModelKind


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_public(self) -> dict[str, Any]:
        """The params as stored and shown: every value, without the `kind` tag."""
        return self.model_dump(mode="json", exclude={"kind"})


class TfidfParams(_Params):
    analyzer: Literal["word", "char_wb", "char"] = Field(
        "word", description="Tokens are words, or character n-grams (char_wb: inside words)."
    )
    ngram_range: tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]] = (
        Field((1, 2), description="Smallest and largest n-gram length.")
    )
    min_df: int = Field(2, ge=1, le=1000, description="Ignore terms in fewer documents.")
    max_df: float = Field(
        1.0, gt=0.0, le=1.0, description="Ignore terms in a larger share of documents."
    )
    max_features: int | None = Field(
        200_000, ge=1, le=5_000_000, description="Keep only the most frequent terms."
    )
    sublinear_tf: bool = Field(True, description="Use 1 + log(tf) instead of raw counts.")
    # Character n-grams beside the words catch what words miss on informal text: typos,
    # obfuscations ("f*ck", "id1ot"), word parts. On the 20k toxic sample they lift the held-out
    # ROC AUC of `toxic` from 0.959 (words only) to 0.969 (docs/performance.md).
    char_ngram_range: (
        tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]] | None
    ) = Field(
        (1, 4),
        description="Also character n-grams (char_wb) of these lengths, beside the analyzer's "
        "terms; null: none. Ignored when the analyzer is already a character one.",
    )
    char_max_features: int | None = Field(
        100_000, ge=1, le=5_000_000, description="Keep only the most frequent character n-grams."
    )

    @model_validator(mode="after")
    def _ngram_order(self) -> "TfidfParams":
        if self.ngram_range[0] > self.ngram_range[1]:
            raise ValueError("ngram_range must be [min, max] with min <= max")
        if self.char_ngram_range is not None and (
            self.char_ngram_range[0] > self.char_ngram_range[1]
        ):
            raise ValueError("char_ngram_range must be [min, max] with min <= max")
        return self


ClassWeight = Literal["balanced"] | None


class LogregParams(TfidfParams):
    kind: Literal[ModelKind.LOGREG] = ModelKind.LOGREG
    C: float = Field(2.0, gt=0.0, le=1e6, description="Inverse regularisation strength.")
    class_weight: ClassWeight = Field(None, description="'balanced' reweights rare classes.")
    max_iter: int = Field(1000, ge=10, le=100_000, description="Solver iterations at most.")
    solver: Literal["auto", "liblinear", "lbfgs", "saga"] = Field(
        "auto", description="auto: liblinear for two classes, lbfgs for more."
    )


class LinearSvcParams(TfidfParams):
    kind: Literal[ModelKind.LINEAR_SVC] = ModelKind.LINEAR_SVC
    C: float = Field(0.5, gt=0.0, le=1e6, description="Inverse regularisation strength.")
    class_weight: ClassWeight = Field(None, description="'balanced' reweights rare classes.")
    max_iter: int = Field(2000, ge=10, le=100_000, description="Solver iterations at most.")
    calibration_folds: int = Field(
        3, ge=2, le=10, description="Folds for the sigmoid calibration that gives confidences."
    )


class NaiveBayesParams(TfidfParams):
    kind: Literal[ModelKind.NAIVE_BAYES] = ModelKind.NAIVE_BAYES
    alpha: float = Field(0.1, gt=0.0, le=100.0, description="Additive (Laplace) smoothing.")
    fit_prior: bool = Field(True, description="Learn class priors (else uniform).")
    variant: Literal["multinomial", "complement"] = Field(
        "complement", description="Complement NB copes better with unbalanced classes."
    )


class KerasParams(_Params):
    epochs: int = Field(4, ge=1, le=200)
    batch_size: int = Field(64, ge=1, le=4096)
    max_tokens: int = Field(20_000, ge=100, le=1_000_000, description="Vocabulary size.")
    sequence_length: int = Field(200, ge=8, le=5000, description="Tokens kept per text.")
    embedding_dim: int = Field(64, ge=4, le=1024)
    dropout: float = Field(0.3, ge=0.0, lt=1.0)
    learning_rate: float = Field(1e-3, gt=0.0, le=1.0)
    validation_split: float = Field(0.1, ge=0.0, lt=0.5)
    patience: int = Field(2, ge=0, le=100, description="Early-stopping patience in epochs.")


class KerasCnnParams(KerasParams):
    kind: Literal[ModelKind.KERAS_CNN] = ModelKind.KERAS_CNN
    filters: int = Field(128, ge=1, le=2048)
    kernel_size: int = Field(5, ge=1, le=32)

    @model_validator(mode="after")
    def _kernel_fits_the_sequence(self) -> "KerasCnnParams":
        # a convolution wider than the texts it reads has no output (Keras fails mid-fit)
        if self.kernel_size > self.sequence_length:
            raise ValueError(
                f"kernel_size {self.kernel_size} is more than sequence_length "
                f"{self.sequence_length}: a kernel must be at most the tokens kept per text"
            )
        return self


class KerasBilstmParams(KerasParams):
    kind: Literal[ModelKind.KERAS_BILSTM] = ModelKind.KERAS_BILSTM
    # Recurrent steps are sequential, so on CPU shorter texts, fewer units and bigger batches
    # are what keep an epoch under a minute; it overfits after 1-2 epochs, so patience is 1.
    units: int = Field(32, ge=1, le=2048)
    sequence_length: int = Field(100, ge=8, le=5000, description="Tokens kept per text.")
    batch_size: int = Field(128, ge=1, le=4096)
    learning_rate: float = Field(2e-3, gt=0.0, le=1.0)
    patience: int = Field(1, ge=0, le=100, description="Early-stopping patience in epochs.")


class SgdParams(_Params):
    """Hashed n-grams (no vocabulary to refit), TF-IDF weights, a logistic-loss SGD
    classifier: the kind that continues training on new rows (partial_fit)."""

    kind: Literal[ModelKind.SGD] = ModelKind.SGD
    analyzer: Literal["word", "char_wb", "char"] = Field(
        "word", description="Tokens are words, or character n-grams (char_wb: inside words)."
    )
    ngram_range: tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]] = (
        Field((1, 2), description="Smallest and largest n-gram length.")
    )
    n_features: int = Field(
        2**20, ge=2**8, le=2**24, description="Hash buckets (columns) the n-grams fall into."
    )
    regularization: float = Field(
        2e-6, gt=0.0, le=1.0, description="L2 regularisation strength (SGDClassifier's alpha)."
    )
    max_iter: int = Field(20, ge=1, le=1000, description="Passes over the data at a fit.")

    @model_validator(mode="after")
    def _ngram_order(self) -> "SgdParams":
        if self.ngram_range[0] > self.ngram_range[1]:
            raise ValueError("ngram_range must be [min, max] with min <= max")
        return self


ModelParams = Annotated[
    LogregParams
    | LinearSvcParams
    | NaiveBayesParams
    | KerasCnnParams
    | KerasBilstmParams
    | SgdParams,
    Field(discriminator="kind"),
]

_PARAMS_ADAPTER: TypeAdapter[ModelParams] = TypeAdapter(ModelParams)


def parse_params(kind: ModelKind | str, params: dict[str, Any] | None) -> ModelParams:
    return _PARAMS_ADAPTER.validate_python({**(params or {}), "kind": kind})


def default_params(kind: ModelKind | str) -> dict[str, Any]:
    """The kind's defaults, as a client would show them in a form."""
    return parse_params(kind, None).to_public()
