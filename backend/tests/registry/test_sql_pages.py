"""Pages of the registry's lists, and models listed without their heavy parts (SQLite and
PostgreSQL)."""

from datetime import timedelta

from app.registry.sql import SqlRegistry
from app.registry.tables import utcnow
from shared.schemas import Metrics, MetricsSummary, ModelStatus, ModelSummary
from shared.schemas.models import RocCurve
from testkit.records import model_record, task_record


def test_model_summaries_hold_the_scores_and_nothing_heavy(registry: SqlRegistry) -> None:
    classes = [f"c{i}" for i in range(300)] + [7]
    metrics = Metrics(
        accuracy=0.5,
        precision=0.25,
        recall=0.125,
        f1=0.0625,
        roc_auc=None,
        confusion_matrix=[[1] * len(classes) for _ in classes],
        roc_curve=RocCurve(fpr=[0.0, 1.0], tpr=[0.0, 1.0]),
        positive_label=7,
        n_train=10,
        n_test=5,
    )
    trained = model_record(
        "trained", status=ModelStatus.READY, classes=classes, metrics=metrics, history={"a": [1]}
    )
    registry.add_model_version(trained)
    registry.add_model_version(model_record("training"))
    summaries = {m.id: m for m in registry.list_model_summaries(limit=10, offset=0)}
    whole = registry.get_model("trained")
    assert whole is not None
    expected = ModelSummary.model_validate(
        {
            **whole.model_dump(exclude={"classes", "metrics", "history", "artifact_file"}),
            "n_classes": 301,
            "metrics": metrics.model_dump(include=set(MetricsSummary.model_fields)),
        }
    )
    assert summaries["trained"] == expected
    assert summaries["trained"].metrics is not None
    assert summaries["trained"].metrics.positive_label == 7
    assert summaries["trained"].metrics.roc_auc is None
    assert summaries["training"].n_classes == 0 and summaries["training"].metrics is None


def test_lists_come_in_stable_pages_with_their_totals(registry: SqlRegistry) -> None:
    same_time = utcnow()
    for i in range(5):  # one creation time for all: the id breaks the tie
        registry.add_task(task_record(f"t{i}", created_at=same_time))
        registry.add_model_version(model_record(f"m{i}", name=f"name{i % 2}"))
    registry.add_task(task_record("newest", created_at=same_time + timedelta(seconds=1)))
    assert registry.count_tasks() == 6 and registry.count_models() == 5
    tasks = [t.id for t in registry.list_tasks()]
    assert tasks[0] == "newest"
    paged = [t.id for o in range(0, 6, 4) for t in registry.list_tasks(limit=4, offset=o)]
    assert paged == tasks
    models = [(m.name, m.version) for m in registry.list_models()]
    summaries = [
        (m.name, m.version)
        for o in range(0, 5, 2)
        for m in registry.list_model_summaries(limit=2, offset=o)
    ]
    assert summaries == models == [
        ("name0", 3), ("name0", 2), ("name0", 1), ("name1", 2), ("name1", 1)
    ]  # fmt: skip
    assert registry.list_model_summaries(limit=2, offset=5) == []
    assert registry.count_datasets() == 0 and registry.list_datasets(limit=1) == []
