"""A central server's store for a benchmark: a throwaway PostgreSQL cluster (pgserver) or
a SQLite file, migrated, with the demo program published."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from cashier_app.paths import resource
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from tests.sync.conftest import free_port

ADMIN = "bench-admin-token-0123456789"


@dataclass
class BenchServer:
    url: str
    engine: Engine
    store: CentralLedger
    program: dict[str, Any]
    cluster: Any = None

    def close(self) -> None:
        self.engine.dispose()
        if self.cluster is not None:
            self.cluster.cleanup()


def serve(url: str, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """``central-server serve`` as its own process(es), as in production; returns it and
    its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "CENTRAL_SERVER_ADMIN_TOKEN": ADMIN}
    cmd = [
        sys.executable,
        "-m",
        "central_server.cli",
        "--db",
        url,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(base + "/openapi.json", timeout=1)
            return proc, base
        except requests.RequestException:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the central server did not start") from None
            time.sleep(0.2)


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it, read from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (command) state ppid ...": the command may hold spaces and brackets
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def pin(pids: Iterable[int], cores: set[int]) -> list[int]:
    """Every thread of these processes onto ``cores`` (a process's later threads and
    children inherit it); returns the processes pinned. ``sched_setaffinity`` of a pid
    moves only that thread, so each of /proc/PID/task is moved."""
    pinned = []
    for pid in pids:
        try:
            threads = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            continue
        for tid in threads:
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.sched_setaffinity(tid, cores)
        pinned.append(pid)
    return pinned


def split_cores() -> tuple[set[int], set[int]] | None:
    """One core for the simulated tills, the rest for the server side (its processes and
    PostgreSQL's), so a till benchmark measures the server and not the tills' share of
    the cores; None on a machine (or an affinity) of one core, or off Linux."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    return {cores[0]}, set(cores[1:])


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
    store = CentralLedger(engine)
    program = json.loads(resource("programs", "samosale_default.json").read_text(encoding="utf-8"))
    store.publish_program(program)
    return BenchServer(url, engine, store, program, cluster)
