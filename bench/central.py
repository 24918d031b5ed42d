"""A central server's store for a benchmark: a throwaway PostgreSQL cluster (pgserver) or
a SQLite file, migrated, with the demo program published."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cashier_app.paths import resource
from central_server.db import make_engine, migrate
from central_server.store import ServerStore


@dataclass
class BenchServer:
    url: str
    engine: Engine
    store: ServerStore
    program: dict[str, Any]
    cluster: Any = None

    def close(self) -> None:
        self.engine.dispose()
        if self.cluster is not None:
            self.cluster.cleanup()


def bench_server(kind: str, folder: Path) -> BenchServer:
    cluster = None
    if kind == "postgresql":
        import pgserver

        cluster = pgserver.get_server(str(folder / "pg"), cleanup_mode="stop")
        url = cluster.get_uri()
    else:
        url = str(folder / "central.sqlite3")
    engine = make_engine(url)
    migrate(engine)
    store = ServerStore(engine)
    program = json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    store.publish_program(program)
    return BenchServer(url, engine, store, program, cluster)
