"""The server's database: PostgreSQL (psycopg 3) in production, SQLite for one shop."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, select

from central_server import schema as s


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:  # a file path: SQLite
        return f"sqlite+pysqlite:///{Path(url).resolve()}"
    return url


POOL_SIZE = 8  # connections per server process


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,  # errors carry phones and names: never in the logs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi, _record):  # type: ignore[no-untyped-def]
            dbapi.isolation_level = None
            dbapi.execute("PRAGMA journal_mode=WAL")
            dbapi.execute("PRAGMA synchronous=FULL")
            dbapi.execute("PRAGMA busy_timeout=30000")

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A fixed pool, no overflow: requests beyond it wait for a connection instead of opening
    # (and closing) new PostgreSQL backends, which under 200 tills cost more than the work.
    # No pre-ping either (a round trip per checkout): a connection broken by a database
    # restart fails one request, the pool is invalidated, and the till retries.
    # No server-side prepared statements (psycopg prepares a statement after its fifth
    # run): PostgreSQL keeps the generic plan it made then, and a plan made while a fresh
    # database's events table was nearly empty scanned it whole ever after, each push
    # slower than the last (200 tills: p99 from 0.2 s to over 4 s within 30 s, in runs
    # where no ANALYZE came in between). Planned for each run, a push reads the index.
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=0,
        pool_timeout=60,
        hide_parameters=True,
        connect_args={"prepare_threshold": None},
    )


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic) and seed the cursor counter."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "head")
    with engine.begin() as conn:
        if conn.execute(select(s.cursor_counter.c.id)).first() is None:
            conn.execute(insert(s.cursor_counter).values(id=1, value=0))
