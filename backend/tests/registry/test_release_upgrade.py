"""A registry made by release 0.1 (fixtures/, before migrations) upgrades at a real server's
start-up and keeps every model loadable, answering as it did; on SQLite (the file that
release wrote) and on PostgreSQL (its schema and rows rebuilt in a fresh database)."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select, text

from app.core.db import make_engine
from app.registry.schema import BASELINE, MIGRATIONS_DIR, alembic_config, upgrade_schema
from app.registry.tables import Base
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import BackendServer, serving

FIXTURES = Path(__file__).parent / "fixtures"
RELEASE_DB = FIXTURES / "registry_v0_1.db"
RELEASE_FILES = FIXTURES / "registry_v0_1"
API = "/api/v1"
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def copy_release_files(root: Path) -> None:
    for folder in ("models", "datasets"):
        shutil.copytree(RELEASE_FILES / folder, root / folder)


def copy_release_rows(target: Engine, scratch: Path) -> None:
    """Release 0.1's schema (the first revision, no Alembic bookkeeping) and its rows."""
    with target.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
    copy = scratch / "release.db"  # read a copy: never touch the committed file
    shutil.copy(RELEASE_DB, copy)
    source = create_engine(f"sqlite:///{copy}")
    try:
        with source.connect() as src, target.begin() as dst:
            released = set(inspect(src).get_table_names())
            for table in Base.metadata.sorted_tables:
                if table.name not in released:  # a table a later revision adds (retrievers)
                    continue
                # the columns release 0.1 had (later revisions add some)
                had = {c["name"] for c in inspect(src).get_columns(table.name)}
                columns = [c for c in table.columns if c.name in had]
                rows = [dict(r) for r in src.execute(select(*columns)).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)
    finally:
        source.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def release_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendServer]:
    root = tmp_path / "server"
    root.mkdir()
    copy_release_files(root)
    env = {"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"}
    if request.param == "sqlite":
        shutil.copy(RELEASE_DB, root / "registry.db")
        with serving(BackendServer(root=root, env=env)) as server:
            yield server
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        try:
            copy_release_rows(engine, tmp_path)
        finally:
            engine.dispose()
        with serving(BackendServer(root=root, database_url=url, env=env)) as server:
            yield server


def test_release_0_1_registry_upgrades_and_serves_every_model(
    release_server: BackendServer,
) -> None:
    expected = json.loads((RELEASE_FILES / "predictions.json").read_text())
    with httpx.Client(base_url=release_server.base_url, timeout=60) as client:
        models = {m["name"]: m for m in client.get(f"{API}/models/").json()}
        assert set(models) == set(expected["predictions"])
        assert {m["status"] for m in models.values()} == {"ready"}
        # loaded before the upgrade, so loaded again at start-up
        assert [n for n, m in models.items() if m["loaded"]] == ["fixture-logreg"]

        (dataset,) = client.get(f"{API}/datasets").json()
        assert models["fixture-logreg"]["dataset_id"] == dataset["id"]
        assert models["fixture-naive-bayes"]["dataset_id"] == dataset["id"]
        assert models["fixture-orphan"]["dataset_id"] is None  # its dataset was deleted

        tasks = client.get(f"{API}/tasks/").json()
        assert {t["status"] for t in tasks} == {"succeeded"}
        assert sorted(str(t["model_id"]) for t in tasks) == sorted(
            [*(m["id"] for m in models.values()), "None"]  # the removed model's task stays
        )

        for name, model in models.items():
            if not model["loaded"]:
                response = client.post(f"{API}/models/load", json={"model_id": model["id"]})
                assert response.status_code == 200, response.text
            response = client.post(
                f"{API}/models/predict",
                json={"model_id": model["id"], "texts": expected["texts"]},
            )
            assert response.status_code == 200, response.text
            answered = [
                {"label": p["label"], "confidence": p["confidence"]}
                for p in response.json()["predictions"]
            ]
            assert answered == expected["predictions"][name], name

        # a dataset that models were trained on is deleted only when forced
        refused = client.delete(f"{API}/datasets/{dataset['id']}")
        assert refused.status_code == 409 and "force=true" in refused.json()["detail"]
        # the keys now hold: deleting the dataset keeps its models, with no reference, and
        # the upgrade copied the dataset's name and sha256 onto them
        forced = client.delete(f"{API}/datasets/{dataset['id']}", params={"force": True})
        assert forced.status_code == 204, forced.text
        after = client.get(f"{API}/models/").json()
        assert {m["dataset_id"] for m in after} == {None}
        copies = {m["name"]: (m["dataset_name"], m["dataset_sha256"]) for m in after}
        assert copies.pop("fixture-orphan") == (None, None)  # its dataset was gone before
        assert set(copies.values()) == {(dataset["name"], dataset["sha256"])}


def test_release_0_1_sqlite_file_upgrades_to_the_models_schema(tmp_path: Path) -> None:
    # the first revision is stamped, not run, on this file: any difference between it and
    # what release 0.1's create_all made would show here
    shutil.copy(RELEASE_DB, tmp_path / "registry.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        upgrade_schema(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() == HEAD
            assert compare_metadata(context, Base.metadata) == []
            counts = [
                conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("datasets", "models", "tasks")
            ]
        assert counts == [1, 3, 4]
    finally:
        engine.dispose()
