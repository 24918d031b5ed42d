"""A real central server on loopback over HTTP (uvicorn in a thread), on SQLite and on a
throwaway PostgreSQL cluster (pgserver), and real tills (ledger files) that enrol with it."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from cashier_app import service
from cashier_app.service.ledger import Ledger
from cashier_app.sync import worker
from central_server.app import create_app
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from tests.shop import samosale_program

ADMIN = "admin-token-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    def __init__(self, store: CentralLedger) -> None:
        self.store = store
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(store, ADMIN), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pgserver

    cluster = pgserver.get_server(str(tmp_path_factory.mktemp("pg")), cleanup_mode="stop")
    yield cluster.get_uri()
    cluster.cleanup()


def _pg_database(uri: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = uri.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    url = (
        str(tmp_path / "central.sqlite3")
        if request.param == "sqlite"
        else _pg_database(request.getfixturevalue("postgres"))
    )
    engine = make_engine(url)
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(samosale_program(welcome={"points": "100", "expiry_days": 60}))
    running = RunningServer(store).start()
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[RunningServer]:
    engine = make_engine(str(tmp_path / "central.sqlite3"))
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(samosale_program(welcome={"points": "100", "expiry_days": 60}))
    running = RunningServer(store).start()
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Callable[[RunningServer, str], Ledger]]:
    opened: list[Ledger] = []

    def make(srv: RunningServer, name: str) -> Ledger:
        ledger = service.open_ledger(tmp_path / name, device_name=name)
        service.install_program(
            ledger, samosale_program(welcome={"points": "100", "expiry_days": 60})
        )
        worker.enrol(ledger, srv.url, srv.store.issue_code(), name)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.db.close()


def server_database_at(
    db: str, tmp_path: Path, request: pytest.FixtureRequest, revision: str
) -> Engine:
    """A server database (SQLite or PostgreSQL) migrated up to ``revision`` only: for tests
    of what a later migration does to the rows it finds."""
    from alembic import command
    from alembic.config import Config

    from central_server import schema as s
    from central_server.db import make_engine

    url = (
        str(tmp_path / "central.sqlite3")
        if db == "sqlite"
        else _pg_database(request.getfixturevalue("postgres"))
    )
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(s.__file__).with_name("migrations")))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, revision)
    return engine
