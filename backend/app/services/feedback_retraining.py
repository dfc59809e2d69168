"""Retrain from feedback: the next version of a name, trained like its parent on the
parent's data and the name's feedback, then compared with the parent.

The parent's data is the frame its fit read, made again by HeldOutSplits with its split
(every dataset of a retrain on both, concatenated and deduplicated). The feedback's
newest label for each text wins, and replaces the label of the same text in it. A seeded
share of the feedback texts is held out of training; so are the parent's own held-out
rows. The new dataset says so in a split column, and the new version's fit takes that
split (not one drawn again with test_size), so every other labelled row is trained on.
Both versions are then scored on each of the two held-out sets (the task's judge, before
it ends), the comparison is kept in the new version's metrics, and an alias named in the
request moves to it if it is better on the held-out feedback."""

import hashlib
import logging
import uuid
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from app.core.errors import ConflictError, InvalidInputError
from app.ml.artifacts import load_bundle
from app.ml.comparison import is_better, scores
from app.ml.labels import Label, normalise_labels
from app.ml.thresholds import cutoffs, positive_cut
from app.ml.training import TrainResult, TrainSpec
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.registry.feedback import SqlFeedback
from app.services.aliases import AliasService
from app.services.datasets import DatasetService
from app.services.evaluation import EvaluationService
from app.services.fit_endings import Outcome
from app.services.held_out import HeldOut
from app.services.models import ModelService, cutoffs_of
from app.services.training import TrainingService
from app.services.training_specs import (
    child_record,
    lineage_dataset,
    manifest_of,
    objective_of,
    require_data_here,
    require_installed,
)
from shared.schemas import FeedbackComparison, FeedbackRetrainRequest, ModelSource, ModelStatus
from shared.schemas.feedback import ComparisonScores, ScoresOfBoth

log = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2
SPLIT_COLUMN = "split"
Labelled = Sequence[tuple[str, str]]


def hold_out(feedback: Labelled, share: float, seed: int) -> tuple[Labelled, Labelled]:
    """(to train on, held out): a seeded `share` of the texts held out, at least one once
    there are two or more, none when there is only one."""
    if len(feedback) < 2:
        return feedback, []
    count = max(1, round(len(feedback) * share))
    order = np.random.default_rng(seed).permutation(len(feedback))
    held = set(order[:count].tolist())
    return (
        [row for i, row in enumerate(feedback) if i not in held],
        [row for i, row in enumerate(feedback) if i in held],
    )


class FeedbackRetraining:
    def __init__(
        self,
        *,
        models: ModelService,
        datasets: DatasetService,
        training: TrainingService,
        evaluation: EvaluationService,
        aliases: AliasService,
        store: SqlFeedback,
    ) -> None:
        self.models = models
        self.datasets = datasets
        self.training = training
        self.evaluation = evaluation
        self.aliases = aliases
        self.store = store

    def retrain(self, ref: str, request: FeedbackRetrainRequest) -> tuple[TaskRecord, ModelRecord]:
        parent = self._parent(ref)
        feedback = self.store.newest_labels(parent.name)
        if not feedback:
            raise ConflictError(
                f"model {parent.name!r} has no usable feedback (none, or none with a text: "
                "the prediction log kept no texts); send feedback first"
            )
        train, held = hold_out(feedback, HOLDOUT_SHARE, parent.random_state)
        fitted = self.evaluation.splits.made_again(parent)
        split = fitted.split
        dataset = self._training_data(parent, fitted, train, held)
        record = child_record(
            parent,
            dataset,
            source=ModelSource.FEEDBACK,
            lineage=[*parent.lineage_datasets, lineage_dataset(dataset)],
            description=request.description,
        ).model_copy(update={"split_column": self._split_column(parent)})
        path = str(self.datasets.file_path(dataset.id))

        def spec(model: ModelRecord, artifact: Path) -> TrainSpec:
            return TrainSpec(
                dataset_path=path,
                kind=parent.kind,
                params=parent.params,
                preprocessing=parent.preprocessing.model_dump(),
                text_column=parent.text_column,
                label_column=parent.label_column,
                test_size=parent.test_size,
                random_state=parent.random_state,
                artifact_path=str(artifact),
                manifest=manifest_of(model),
                threshold_objective=objective_of(parent),
                split_column=model.split_column,
            )

        judge = partial(
            self._judge,
            parent,
            record.id,
            request.move_alias,
            (split.texts(split.test), split.labels(split.test)),
            train,
            held,
        )
        return self.training.queue(record, dataset, spec, judge)

    def _parent(self, ref: str) -> ModelRecord:
        parent = self.models.get(ref)
        if parent.label_columns:
            raise InvalidInputError(
                "retraining a multi-label model from feedback is not supported yet"
            )
        if parent.status != ModelStatus.READY:
            raise ConflictError(
                f"model {parent.id} is {parent.status}; only a trained (ready) version can "
                "be the parent of a new one"
            )
        require_installed(parent.kind)
        require_data_here(parent, then=", then retrain that version from the feedback")
        gone = self.evaluation.splits.deleted_datasets(parent)
        if parent.dataset_id is None or gone:
            names = ", ".join(gone or [str(parent.dataset_name)])
            several = len(gone) > 1
            raise ConflictError(
                f"the dataset{'s' if several else ''} model {parent.id} was trained on "
                f"({names}) {'have' if several else 'has'} been deleted; its held-out rows "
                "cannot be made again"
            )
        return parent

    @staticmethod
    def _split_column(parent: ModelRecord) -> str:
        """The new dataset's split column: a name its text and label columns do not have."""
        name = SPLIT_COLUMN
        while name in (parent.text_column, parent.label_column):
            name = f"_{name}"
        return name

    def _training_data(
        self, parent: ModelRecord, fitted: HeldOut, train: Labelled, held: Labelled
    ) -> DatasetRecord:
        """A stored dataset: the labelled rows the parent's fit read (of every dataset it
        read) and every feedback text (the feedback's label over the data's), with a split
        column. Held out (`test`): the parent's held-out texts (and their repeats) and the
        held-out feedback texts; every other row trains (`train`), so no labelled row is set
        aside twice."""
        text, label = parent.text_column, parent.label_column
        role = self._split_column(parent)
        frame = fitted.frame[[text, label]].reset_index(drop=True)
        labels = {**dict(train), **dict(held)}
        known = frame[text].isin(labels)
        frame.loc[known, label] = frame.loc[known, text].map(labels)
        present = set(frame[text])
        added = [(t, lab) for t, lab in [*train, *held] if t not in present]
        frame = pd.concat(
            [frame, pd.DataFrame(added, columns=[text, label], dtype=object)], ignore_index=True
        )
        # a parent's held-out text given as training feedback trains (as its label says)
        held_out = (set(fitted.held_out_originals()) - dict(train).keys()) | {t for t, _ in held}
        frame[role] = np.where(frame[text].isin(held_out), "test", "train")
        training = frame[frame[role] == "train"]
        values = [v for v in normalise_labels(training[label]) if v != ""]
        if len(set(map(str, values))) < 2:
            raise InvalidInputError(
                "the parent's data with the feedback leaves only one class to train on"
            )
        incoming = self.datasets.incoming_dir / f"{uuid.uuid4().hex}.feedback.csv"
        frame.to_csv(incoming, index=False, lineterminator="\r\n")
        sha256 = hashlib.sha256(incoming.read_bytes()).hexdigest()
        dataset, _ = self.datasets.ingest(
            path=incoming,
            filename=f"{parent.name}_v{parent.version}_feedback.csv",
            sha256=sha256,
            name=f"{parent.name} v{parent.version} with feedback",
        )
        return dataset

    def _judge(
        self,
        parent: ModelRecord,
        model_id: str,
        move_alias: str | None,
        parent_holdout: tuple[list[str], list[Label]],
        train: Labelled,
        held: Labelled,
        artifact: Path,
        result: TrainResult,
    ) -> Outcome:
        new = load_bundle(artifact, expected_sha256=result.artifact_sha256)
        old = self.models.read_bundle(parent)
        texts, labels = parent_holdout
        # each decides as its predictions do: at its own threshold, if any
        old_cut = positive_cut(old.classes, cutoffs_of(parent))
        new_cut = positive_cut(new.classes, cutoffs(result.thresholds))
        on_parent = ScoresOfBoth(
            parent=ComparisonScores(
                **scores(labels, old.predict_proba_cleaned(texts), old.classes, old_cut)
            ),
            new=ComparisonScores(
                **scores(labels, new.predict_proba_cleaned(texts), new.classes, new_cut)
            ),
        )
        on_feedback = None
        if held:
            held_texts, held_labels = [t for t, _ in held], [lab for _, lab in held]
            on_feedback = ScoresOfBoth(
                parent=ComparisonScores(
                    **scores(held_labels, old.predict_proba(held_texts), old.classes, old_cut)
                ),
                new=ComparisonScores(
                    **scores(held_labels, new.predict_proba(held_texts), new.classes, new_cut)
                ),
            )
        better = on_feedback is not None and is_better(
            on_feedback.new.model_dump(), on_feedback.parent.model_dump()
        )
        comparison = FeedbackComparison(
            parent_id=parent.id,
            feedback_train_rows=len(train),
            feedback_holdout_rows=len(held),
            parent_holdout=on_parent,
            feedback_holdout=on_feedback,
            better=better,
            move_alias=move_alias,
        )
        message = _summary(comparison, parent.version)
        then = None
        if move_alias is not None and better:
            then = partial(self._move_alias, parent.name, move_alias, model_id, message)
        elif move_alias is not None:
            message += f"; alias {move_alias!r} not moved"
        return Outcome(
            metrics={"comparison": comparison.model_dump(mode="json")}, message=message, then=then
        )

    def _move_alias(self, name: str, alias: str, model_id: str, message: str) -> str:
        model = self.models.get(model_id)
        self.aliases.set(
            name,
            alias,
            version=model.version,
            reason=f"retrained from feedback and better on the held-out feedback: {message}",
            caller="retrain_from_feedback",
        )
        return f"{message}; alias {alias!r} moved to v{model.version}"


def _summary(comparison: FeedbackComparison, parent_version: int) -> str:
    held = comparison.feedback_holdout
    if held is None:
        return "done; no feedback held out (only one text), so not compared on feedback"
    verdict = "better" if comparison.better else "not better"
    return (
        f"done; on {held.new.n} held-out feedback text{'s' * (held.new.n != 1)} macro-F1 "
        f"{held.new.macro_f1:.3f} vs "
        f"{held.parent.macro_f1:.3f} for v{parent_version}: {verdict}"
    )
