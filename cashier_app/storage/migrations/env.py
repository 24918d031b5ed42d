"""Alembic environment: batch mode for SQLite, the engine handed in by cashier_app."""

from __future__ import annotations

from alembic import context

from cashier_app.storage.db import make_engine
from cashier_app.storage.schema import metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The FTS5 name index and its shadow tables are made by raw SQL in the migration.
    return not (
        type_ == "table"
        and name is not None
        and name.startswith(("customer_names", "product_names"))
    )


engine = config.attributes.get("engine") or make_engine(
    config.get_main_option("sqlalchemy.url", "").removeprefix("sqlite+pysqlite:///")
)

# Each migration runs in its own IMMEDIATE transaction (the engine's begin hook).
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        transaction_per_migration=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
