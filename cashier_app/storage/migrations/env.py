"""Alembic environment: batch mode for SQLite, the engine handed in by cashier_app."""

from __future__ import annotations

from alembic import context

from cashier_app.storage.db import make_engine
from cashier_app.storage.schema import metadata

config = context.config
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
    )
    with context.begin_transaction():
        context.run_migrations()
