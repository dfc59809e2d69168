"""The registry's schema under Alembic, on SQLite and PostgreSQL: upgrade from nothing,
models and migrations in step, a pre-migration registry recognised, start-ups at once."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from app.core.db import make_engine
from app.core.errors import StartUpError
from app.registry.entities import DatasetRecord
from app.registry.retrievers import SqlRetrievers
from app.registry.schema import BASELINE, MIGRATIONS_DIR, alembic_config, upgrade_schema
from app.registry.sql import SqlRegistry
from app.registry.tables import Base, utcnow
from shared.schemas import ModelStatus, PreprocessingConfig, TaskStatus
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.records import model_record, retriever_record, task_record
from testkit.servers import REPO_ROOT

HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
FOREIGN_KEYS = {
    ("models", "dataset_id", "datasets"),
    ("tasks", "model_id", "models"),
    ("tasks", "dataset_id", "datasets"),
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(engine: Engine) -> list[Any]:
    """What `alembic check` would report: the models' metadata against the database."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def migrate_to(engine: Engine, target: str) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), target)


def foreign_keys(engine: Engine) -> set[tuple[str, str, str]]:
    found = set()
    inspector = inspect(engine)
    for table in ("models", "tasks"):
        for fk in inspector.get_foreign_keys(table):
            assert fk["options"].get("ondelete") == "SET NULL", fk
            found.add((table, fk["constrained_columns"][0], fk["referred_table"]))
    return found


def test_upgrade_from_empty_matches_the_models(engine: Engine) -> None:
    upgrade_schema(engine)
    assert revision(engine) == HEAD
    assert differences(engine) == []
    assert foreign_keys(engine) == FOREIGN_KEYS


def test_first_revision_is_the_schema_without_foreign_keys(engine: Engine) -> None:
    migrate_to(engine, BASELINE)
    diff = differences(engine)
    keys = [op for op in diff if op[0] == "add_fk"]
    assert {(op[0], op[1].parent.name, op[1].column_keys[0]) for op in keys} == {
        ("add_fk", table, column) for table, column, _ in FOREIGN_KEYS
    }, diff
    # the tables later revisions add whole (0004: aliases and their history; 0007:
    # retrievers; 0009: the prediction log; 0011: feedback; 0012: the prediction summary;
    # 0015: the replicas' heartbeats; 0018: the model and retriever names' last versions)
    tables = {op[1].name for op in diff if op[0] == "add_table"}
    assert tables == {
        "model_aliases",
        "model_alias_history",
        "retrievers",
        "predictions",
        "feedback",
        "prediction_summary",
        "replicas",
        "model_names",
        "retriever_names",
    }, diff
    indexes = {op[1].name for op in diff if op[0] == "add_index"}
    assert "ix_models_parent_id" in indexes, diff  # 0005: lineage
    later = {"add_fk", "add_table", "add_index"}
    # and the columns later revisions add (0003: what a model was trained on; 0005: lineage;
    # 0006: its decision thresholds; 0008: a multi-label model's label columns; 0013: its
    # split column; 0014: where a task runs and which replica follows it; 0016: when a
    # running task will finish)
    added = {(op[0], op[2], op[3].name) for op in diff if op[0] not in later}
    assert added == {
        ("add_column", "models", "dataset_name"),
        ("add_column", "models", "dataset_sha256"),
        ("add_column", "models", "preprocessing_report"),
        ("add_column", "models", "label_names"),
        ("add_column", "tasks", "model_name"),
        ("add_column", "tasks", "model_version"),
        ("add_column", "models", "parent_id"),
        ("add_column", "models", "parent_version"),
        ("add_column", "models", "source"),
        ("add_column", "models", "lineage_datasets"),
        ("add_column", "models", "thresholds"),
        ("add_column", "models", "threshold_history"),
        ("add_column", "models", "label_columns"),
        ("add_column", "models", "split_column"),
        ("add_column", "tasks", "worker"),
        ("add_column", "tasks", "replica"),
        ("add_column", "tasks", "expected_finish_at"),
    }, diff


def test_downgrade_to_nothing_and_up_again(engine: Engine) -> None:
    upgrade_schema(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade_schema(engine)
    assert differences(engine) == []


def test_registry_made_before_migrations_is_stamped_then_upgraded(engine: Engine) -> None:
    # release 0.1's create_all schema: the first revision without Alembic's bookkeeping
    migrate_to(engine, BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO tasks (id, kind, model_id, dataset_id, status, progress, message,"
                " created_at) VALUES ('t1', 'fit', 'gone-model', 'gone-dataset', 'succeeded',"
                " 1.0, 'done', :now)"
            ),
            {"now": utcnow()},
        )
    upgrade_schema(engine)
    assert revision(engine) == HEAD
    assert differences(engine) == []
    with engine.connect() as conn:  # the dangling references became nulls, the row stays
        row = conn.execute(text("SELECT model_id, dataset_id FROM tasks WHERE id = 't1'")).one()
    assert tuple(row) == (None, None)


def test_partial_registry_without_history_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE models (id VARCHAR(64) PRIMARY KEY)"))
    with pytest.raises(RuntimeError, match="not made by this application"):
        upgrade_schema(engine)


def test_start_ups_at_once_migrate_once(database_url: str, tmp_path: Path) -> None:
    # separate processes, as servers are: each waits for the go file, then opens the registry
    go = tmp_path / "go"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from app.registry.sql import SqlRegistry\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.005)\n"
        "SqlRegistry(sys.argv[1]).close()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "backend"), str(REPO_ROOT)]),
    }
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url, str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(3)  # let them import
    go.touch()
    for process in starts:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    engine = make_engine(database_url)
    try:
        assert revision(engine) == HEAD
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_deletes_set_references_to_null(database_url: str) -> None:
    registry = SqlRegistry(database_url)
    try:
        registry.add_dataset(
            DatasetRecord(
                id="d1",
                name="d",
                filename="d.csv",
                size_bytes=1,
                sha256="0" * 64,
                rows=1,
                columns=[],
                duplicate_rows=0,
                created_at=utcnow(),
                file="d1.csv",
            )
        )
        registry.add_model_version(model_record("m1", status=ModelStatus.READY, dataset_id="d1"))
        registry.add_task(
            task_record("t1", model_id="m1", dataset_id="d1", status=TaskStatus.SUCCEEDED)
        )
        registry.delete_dataset("d1", force=True)
        assert registry.get_model("m1").dataset_id is None  # type: ignore[union-attr]
        assert registry.get_task("t1").dataset_id is None  # type: ignore[union-attr]
        registry.delete_model("m1")
        task = registry.get_task("t1")
        assert task is not None and task.model_id is None  # the history stays
    finally:
        registry.close()


def test_a_registry_of_the_previous_revision_gains_the_heartbeats_table(engine: Engine) -> None:
    """0015 on a 0014 registry with a running task: the task stays, naming its replica, and
    the replicas' heartbeats start empty (so that replica counts as stopped)."""
    migrate_to(engine, "0014_task_placement")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (id, kind, status, progress, message, created_at, replica)"
                " VALUES ('t1', 'fit', 'running', 0.5, 'fitting', :now, 'api-old:8000')"
            ),
            {"now": utcnow()},
        )
    upgrade_schema(engine)
    assert revision(engine) == HEAD
    assert differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT replica FROM tasks")).scalars().all() == ["api-old:8000"]
        assert conn.execute(text("SELECT count(*) FROM replicas")).scalar() == 0


def test_a_registry_from_a_newer_release_is_refused_with_the_reason(engine: Engine) -> None:
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(StartUpError) as refused:
        upgrade_schema(engine)
    assert str(refused.value) == (
        "the database is at revision 0099_from_the_future, which this version of the product "
        "does not know: it was probably upgraded by a newer version; run that version, or "
        "restore a backup"
    )
    assert revision(engine) == "0099_from_the_future"  # left as it was


def test_models_stored_before_keep_negations_go_on_dropping_them(
    database_url: str, engine: Engine
) -> None:
    """0017: a config saved before the field existed dropped the lists' negations; it says
    so after the upgrade (false), and predicts and retrains as before. A new one keeps them."""
    registry = SqlRegistry(database_url)
    try:
        registry.add_model_version(model_record("old", status=ModelStatus.READY))
    finally:
        registry.close()
    with engine.begin() as conn:  # back to 0016: the configs lose the key, as they had none
        command.downgrade(alembic_config(conn), "0016_task_finish_estimate")
        stored = conn.execute(text("SELECT preprocessing FROM models")).scalar_one()
    assert "keep_negations" not in (stored if isinstance(stored, dict) else json.loads(stored))
    upgrade_schema(engine)
    registry = SqlRegistry(database_url)
    try:
        old = registry.get_model("old")
        assert old is not None and old.preprocessing.keep_negations is False
        assert PreprocessingConfig().keep_negations is True  # a new fit's default
    finally:
        registry.close()


def test_a_registry_of_the_previous_revision_gives_no_used_version_number_again(
    database_url: str, engine: Engine
) -> None:
    """0018 on a 0017 registry: a name whose highest versions were removed goes on from the
    highest number any table keeps (its alias history, its tasks), not from its models'."""
    migrate_to(engine, "0017_keep_negations")
    with engine.begin() as conn:
        now = utcnow()
        conn.execute(
            text(
                "INSERT INTO model_alias_history (name, alias, action, from_version, "
                "to_version, reason, created_at) VALUES ('m', 'production', 'move', 7, 2, "
                "'', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO tasks (id, kind, status, progress, message, created_at, "
                "model_name, model_version) VALUES ('t9', 'fit', 'failed', 0, '', :now, "
                "'m', 9), ('o1', 'fit', 'failed', 0, '', :now, 'other', 1), "
                "('r4', 'retriever_fit', 'failed', 0, '', :now, 'faq', 4)"
            ),
            {"now": now},
        )
    upgrade_schema(engine)
    assert revision(engine) == HEAD
    registry = SqlRegistry(database_url)
    try:
        assert registry.add_model_version(model_record("m10", name="m")).version == 10
        assert registry.add_model_version(model_record("o2", name="other")).version == 2
        assert registry.add_model_version(model_record("n1", name="new")).version == 1
        # a retriever's name counts apart: its fits' tasks, not the models'
        assert registry.add_model_version(model_record("faq1", name="faq")).version == 1
        retrievers = SqlRetrievers(registry.engine)
        assert retrievers.add_version(retriever_record("r5", "faq")).version == 5
    finally:
        registry.close()
