"""The push route waits for the push writer on the event loop (``GroupCommit.push_async``),
and ``central-server serve`` runs the replayer in a process of its own that ends with the
server."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time

from central_server import background, cli
from central_server.background import GroupCommit
from central_server.db import make_engine, migrate
from tests.sync.test_many_tills import registration, stored


def test_pushes_awaited_on_one_event_loop_each_get_their_own_answer(server):
    store = server.store
    writer = GroupCommit(store)
    tills = [store.enrol(store.issue_code(), f"till {n}")[0] for n in range(5)]

    async def all_at_once():
        return await asyncio.gather(
            *(
                writer.push_async(till, [registration(1, f"+7900222000{n}")])
                for n, till in enumerate(tills)
            )
        )

    answers = asyncio.run(all_at_once())
    assert [[r.status for r in results] for results, _ in answers] == [["accepted"]] * 5
    assert [last for _, last in answers] == [1] * 5
    assert stored(store) == 5


def test_a_push_awaited_on_the_event_loop_gets_its_own_error(server):
    store = server.store
    writer = GroupCommit(store)
    till = store.enrol(store.issue_code(), "till")[0]
    store.revoke(till.id)

    async def revoked():
        try:
            await writer.push_async(till, [registration(1, "+79002220010")])
        except Exception as exc:
            return exc
        return None

    refusal = asyncio.run(revoked())
    assert refusal is not None and getattr(refusal, "code", None) == "revoked"
    assert stored(store) == 0


def test_the_replayer_process_ends_when_its_server_is_gone(tmp_path, monkeypatch):
    db = str(tmp_path / "central.sqlite3")
    migrate(make_engine(db))
    monkeypatch.setattr(background, "REPLAY_EVERY", 0.05)
    ended = threading.Event()

    def replayer() -> None:  # a parent that is not ours: as after the server was killed
        background.replay_process(db, os.getppid() + 1)
        ended.set()

    threading.Thread(target=replayer, daemon=True).start()
    assert ended.wait(10)


def test_serve_runs_the_replayer_in_its_own_process_and_stops_it(tmp_path, monkeypatch):
    import uvicorn

    seen: list[list[str]] = []

    def run(app, **kw):  # instead of serving: which processes run beside the server
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not multiprocessing.active_children():
            time.sleep(0.05)
        seen.append([p.name for p in multiprocessing.active_children()])

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("CENTRAL_SERVER_ADMIN_TOKEN", "a-test-admin-token-0123456789")
    assert cli.main(["--db", str(tmp_path / "central.sqlite3"), "serve"]) == 0
    assert seen == [["replayer"]]
    assert not [p for p in multiprocessing.active_children() if p.name == "replayer"]


def test_postgresql_plans_every_statement_for_its_own_values(postgres):
    # no server-side prepared statements: a generic plan made on a nearly empty table
    # would scan it whole ever after
    engine = make_engine(postgres)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None and raw.prepare_threshold is None
    engine.dispose()


def test_the_replayers_postgresql_backend_runs_at_the_replayers_priority(postgres):
    import psycopg

    with psycopg.connect(postgres, autocommit=False) as conn:
        background._lower_backend(conn, None)
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert os.getpriority(os.PRIO_PROCESS, pid) == background.REPLAY_NICE
