"""The server's two background jobs: the push writer, which groups the pushes of many
tills into one transaction, and the replayer, which brings balances up to date."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from cashier_app.engine.protocol import PushResult
from central_server.ledger import CentralLedger, Device
from central_server.problems import log_failure

REPLAY_EVERY = 0.25  # seconds between looks for settled customers


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
        if isinstance(waiting.outcome, BaseException):
            raise waiting.outcome
        assert waiting.outcome is not None
        return waiting.outcome

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


class _Waiting:
    def __init__(self, device: Device, events: list[dict[str, Any]]) -> None:
        self.device, self.events = device, events
        self.done = threading.Event()
        self.outcome: tuple[list[PushResult], int] | BaseException | None = None


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
