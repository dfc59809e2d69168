"""The registry's schema under Alembic: brought to the newest revision at every start-up.

The migration scripts ship inside the package (`migrations/`); Alembic is configured here
in code, so no alembic.ini is needed. For developers, the same configuration drives
Alembic's command line on the registry that DATABASE_URL names:

    python -m app.registry.schema revision --autogenerate -m "add a column"
    python -m app.registry.schema current
"""

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import CommandLine, Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.db import make_engine
from app.core.errors import StartUpError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The schema that create_all made up to release 0.1, before migrations existed.
BASELINE = "0001_initial"
BASELINE_TABLES = frozenset({"datasets", "models", "tasks"})
# Key of the PostgreSQL advisory lock held while one server migrates ("textclf" as bytes).
_PG_LOCK_KEY = int.from_bytes(b"textclf", "big")
# Alembic's `context` and `op` are process-wide proxies: one migration at a time per process
# (the database's lock only orders processes, and registries on different databases).
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Upgrade the registry to the newest revision, in one transaction and under a lock,
    so that servers starting at once on one database migrate it once."""
    with _ALEMBIC_LOCK, _migrating(engine) as conn:
        config = alembic_config(conn)
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables and tables & BASELINE_TABLES:
            missing = BASELINE_TABLES - tables
            if missing:
                raise RuntimeError(
                    f"the registry has tables {sorted(tables & BASELINE_TABLES)} but not "
                    f"{sorted(missing)} and no migration history; it was not made by this "
                    "application"
                )
            log.info("registry made before migrations (release 0.1): stamping it %s", BASELINE)
            command.stamp(config, BASELINE)
        _require_known_revisions(config, conn)
        command.upgrade(config, "head")


def _require_known_revisions(config: Config, conn: Connection) -> None:
    """A registry at a revision none of our migrations names was upgraded by a newer
    release: Alembic would only say that it cannot locate the revision."""
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    for revision in MigrationContext.configure(conn).get_current_heads():
        if revision not in known:
            raise StartUpError(
                f"the database is at revision {revision}, which this version of the product "
                "does not know: it was probably upgraded by a newer version; run that "
                "version, or restore a backup"
            )


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _sqlite_migrating(engine) as conn:
            yield conn
        return
    # PostgreSQL, or an in-memory SQLite that only the app's engine can see (new, so empty)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # DDL is transactional here: the lock and the upgrade end with the transaction
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        yield conn


@contextmanager
def _sqlite_migrating(engine: Engine) -> Iterator[Connection]:
    """A connection of its own: foreign keys off (batch mode copies and drops tables, which
    must not fire ON DELETE actions) and one BEGIN IMMEDIATE around the whole upgrade, so
    the DDL is atomic and a second server waits for the write lock. The Python driver would
    otherwise run each DDL statement outside any transaction."""
    migrator = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(migrator, "connect")
    def _own_transactions(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set it first
        cursor.close()

    @event.listens_for(migrator, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with migrator.begin() as conn:
            yield conn
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migrated registry breaks its foreign keys: {broken}")
    finally:
        migrator.dispose()


def main(argv: list[str]) -> None:
    """Alembic's command line, on the registry the settings name."""
    from app.core.settings import get_settings

    cli = CommandLine(prog="python -m app.registry.schema")
    options = cli.parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    try:
        with _migrating(engine) as conn:
            cli.run_cmd(alembic_config(conn), options)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
