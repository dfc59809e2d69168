"""Alembic's environment: runs the migrations on the connection `app.registry.schema` hands
in (already inside the transaction, and the lock, that it holds), never on its own engine."""

from alembic import context

from app.registry.tables import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations through app.registry.schema, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER constraints: batch mode copies the table instead
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transactional_ddl=True,  # always inside the transaction the caller opened
)
with context.begin_transaction():
    context.run_migrations()
