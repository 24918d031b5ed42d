"""The server's two background jobs: the push writer, which groups the pushes of many
tills into one transaction, and the replayer, which brings balances up to date."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from cashier_app.engine.protocol import PushResult
from central_server.ledger import CentralLedger, Device
from central_server.problems import log_failure

# Seconds between looks for settled customers. A customer waits ``QUIET`` (2 s) for their
# events to settle anyway, so looking four times a second only made PostgreSQL group the
# whole table of marks four times a second, on the core that answers pushes.
REPLAY_EVERY = 1.0
# The replayer's scheduling priority (Linux nice): the lowest, so that when the cores are
# busy, answering pushes (and committing them) comes first and the replay takes the rest.
REPLAY_NICE = 19


class GroupCommit:
    """Pushes from many tills go through one writer thread per server process, which
    takes every push waiting at that moment into one transaction (``push_many``): one
    commit and one round of statements for a group instead of for each till. Under light
    load a group is a single push, so nothing waits for company."""

    MOST = 100  # pushes in one transaction

    def __init__(self, ledger: CentralLedger) -> None:
        self.ledger = ledger
        self._queue: queue.Queue[_Waiting] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="push-writer", daemon=True)
        self._thread.start()

    def push(self, device: Device, events: list[dict[str, Any]]) -> tuple[list[PushResult], int]:
        waiting = _Waiting(device, events)
        self._queue.put(waiting)
        waiting.done.wait()
        return waiting.result()

    async def push_async(
        self, device: Device, events: list[dict[str, Any]]
    ) -> tuple[list[PushResult], int]:
        """``push`` for the event loop: the request waits on a future the writer settles,
        not in a worker thread of its own (each waiting push held one, and on a busy core
        the threads' hand-offs cost as much as the push)."""
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, settled)

        waiting = _Waiting(device, events, wake)
        self._queue.put(waiting)
        await settled
        return waiting.result()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            later: list[_Waiting] = []
            devices = {group[0].device.id}
            while len(group) < self.MOST:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                # one push per device in a group: a till's retry waits for its first try
                (later if item.device.id in devices else group).append(item)
                devices.add(item.device.id)
            for item in later:
                self._queue.put(item)
            try:
                outcomes = self.ledger.push_many([(w.device, w.events) for w in group])
            except Exception:
                # One push's fault (say an event id reused across tills) must not fail the
                # others: each goes alone, and only the faulty one gets the error.
                outcomes = []
                for w in group:
                    try:
                        outcomes += self.ledger.push_many([(w.device, w.events)])
                    except Exception as exc:  # answered 500; the till retries
                        outcomes.append(exc)  # type: ignore[arg-type]
            for w, outcome in zip(group, outcomes, strict=True):
                w.outcome = outcome
                w.done.set()
                if w.wake is not None:
                    w.wake()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():  # not when the request was cancelled (the till went away)
        future.set_result(None)


class _Waiting:
    def __init__(
        self,
        device: Device,
        events: list[dict[str, Any]],
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.device, self.events, self.wake = device, events, wake
        self.done = threading.Event()
        self.outcome: tuple[list[PushResult], int] | BaseException | None = None

    def result(self) -> tuple[list[PushResult], int]:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        assert self.outcome is not None
        return self.outcome


def replay_until(ledger: CentralLedger, stop: threading.Event, nice: int = 0) -> None:
    """The background replayer's loop: a customer once their events settle (see
    ``CentralLedger.catch_up``), so balances are current within a few seconds when pushes
    are calm and within ``MOST_LAG`` during a rush; a pull replays what is left first.
    Every round also carries out one batch of automatic events fallen due by the server's
    clock (``CentralLedger.run_automations``), for customers nobody serves.

    ``nice``: run this thread at a lower scheduling priority (Linux), so that when the
    cores are busy, answering pushes comes first and the replay takes the rest."""
    if nice and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    while not stop.wait(REPLAY_EVERY):
        try:
            ledger.catch_up(settled=True)
        except Exception as exc:  # logged and retried: the events are safe in their table
            log_failure(logging.getLogger(__name__), "replay failed; will retry", exc)
        try:  # birthdays, expiry... of customers with no new events (docs/automations.md)
            ledger.run_automations()
        except Exception as exc:
            log_failure(logging.getLogger(__name__), "automatic events failed; will retry", exc)


def replay_process(db: str, parent: int) -> None:
    """The replayer of ``central-server serve``, in a process of its own at the lowest
    priority (``REPLAY_NICE``): as a thread of the process supervising the web workers it
    held that process's interpreter lock, and at a low priority it could keep the
    supervisor from answering its workers' health checks. It ends when ``parent`` does,
    also when that was killed (a power cut, SIGKILL), so no orphan replays on."""
    from sqlalchemy import event

    from central_server.db import make_engine

    engine = make_engine(db)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _lower_backend)
    ledger = CentralLedger(engine)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    replay_until(ledger, stop, REPLAY_NICE)
    ledger.engine.dispose()


def _lower_backend(dbapi: Any, _record: Any) -> None:
    """The PostgreSQL backend serving the replayer at the replayer's own priority, when the
    database runs on this machine and the backend is ours to renice: the replay's
    statements are most of its cost, and at the backend's normal priority they took the
    core from the pushes' commits whatever the replayer's own nice (200 tills, one server
    core: p99 over 3 s in two runs of five). Elsewhere, or not allowed, nothing changes."""
    if not hasattr(os, "setpriority"):
        return
    with dbapi.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    dbapi.commit()
    # A pid of this machine that is a postgres process: the database is here (on another
    # machine the number names nothing, or something else); not ours: PermissionError.
    with contextlib.suppress(OSError):
        if b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.setpriority(os.PRIO_PROCESS, pid, REPLAY_NICE)


def replayer(
    ledger: CentralLedger, replay: bool
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan: with ``replay``, the replayer runs while the app serves."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = threading.Thread(target=replay_until, args=(ledger, stop), name="replayer")
        if replay:
            worker.start()
        yield
        stop.set()
        if replay:
            worker.join(5)

    return lifespan
