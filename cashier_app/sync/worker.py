"""One sync cycle and the loop that repeats it off the UI thread: push the outbox in
device-sequence order, then pull changes page by page; back off with jitter on failure.

Exactly-once in effect: an event is marked sent only when the server said it is stored
(accepted, or a duplicate of one it stored before), so a lost answer means a harmless
re-send. A till restored from a
copy of its ledger, whose new events the server refuses as ``sequence_reused``, sends its
unsent events again numbered after the server's last one for it (outbox.renumber_after).
An event refused for what it is (malformed, out of bounds) leaves the queue for the
dead-letter list a manager reviews (outbox.refuse), and the events behind it go on.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from cashier_app.engine.protocol import Refusal
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import schema as t
from cashier_app.sync import outbox, snapshot
from cashier_app.sync.apply import apply_page
from cashier_app.sync.client import SyncClient, SyncError

PUSH_BATCH = 2000
PULL_PAGE = 1000
BACKOFF_START, BACKOFF_CAP = 2.0, 300.0
CLOCK_WARNING_SECONDS = 180
RENUMBER_ROUNDS = 3  # a till restored from a copy renumbers once; more is a server at odds


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    queued: int
    last_success: datetime | None
    last_error: str | None
    clock_skew_seconds: int | None
    pushed: int = 0
    pulled: int = 0
    enrolled: bool = True  # False: a standalone till, nothing is ever sent
    refused: int = 0  # operations the server refused for good, not yet reviewed

    @property
    def clock_warning(self) -> bool:
        return (
            self.clock_skew_seconds is not None
            and abs(self.clock_skew_seconds) > CLOCK_WARNING_SECONDS
        )


def enrol(
    ledger: Ledger,
    server_url: str,
    code: str,
    device_name: str,
    verify: bool | str = True,
    *,
    actor: Actor = OPERATOR,
) -> str:
    """Exchange a one-time code for this till's identity and token; the server's card
    prefix replaces the local one so cards issued offline never collide. An
    administrator's act, checked here so the window's hidden menu entry is not the only
    thing that stops a cashier. Raises ``SyncError`` when the server refuses or cannot be
    reached."""
    actor.require(Permission.ENROL_DEVICE)
    answer = SyncClient(server_url, verify=verify).enrol(code, device_name)
    with ledger.db.write() as conn:
        conn.execute(t.sync_state.delete())
        conn.execute(
            insert(t.sync_state).values(
                id=1,
                server_url=server_url,
                device_id=answer.device_id,
                token=answer.token,
                cursor=0,
            )
        )
        conn.execute(update(t.device).values(card_prefix=answer.card_prefix, name=device_name[:80]))
    return answer.device_id


def client_for(ledger: Ledger, verify: bool | str = True) -> SyncClient | None:
    with ledger.db.read() as conn:
        row = conn.execute(select(t.sync_state)).first()
    return SyncClient(row.server_url, row.token, verify=verify) if row else None


def status(ledger: Ledger, online: bool = False) -> SyncStatus:
    with ledger.db.read() as conn:
        row = conn.execute(select(t.sync_state)).first()
    return SyncStatus(
        online=online,
        queued=outbox.queued_count(ledger),
        last_success=row.last_success if row else None,
        last_error=row.last_error if row else None,
        clock_skew_seconds=row.clock_skew_seconds if row else None,
        enrolled=row is not None,
        refused=outbox.refused_count(ledger),
    )


# Refusals that say where the event stands in the device's sequence, not what is wrong
# with it: the event goes out again, renumbered. Any other refusal is for good.
_OUT_OF_LINE = (
    Refusal.SEQUENCE_REUSED.value,
    Refusal.AFTER_GAP.value,
    f"{Refusal.GAP}:",
    f"{Refusal.BATCH_REFUSED}:",
)


def _for_good(reason: str | None) -> bool:
    return not (reason or "").startswith(_OUT_OF_LINE)


def _record(ledger: Ledger, **values: object) -> None:
    with ledger.db.write() as conn:
        conn.execute(update(t.sync_state).where(t.sync_state.c.id == 1).values(**values))


def sync_once(
    ledger: Ledger, client: SyncClient, *, pull_progress: Callable[[int], None] | None = None
) -> SyncStatus:
    """Push everything queued, then pull everything new. Raises SyncError on failure,
    having kept every unsent event queued."""
    pushed = pulled = 0
    try:
        skew = client.clock(ledger.clock()).skew_seconds
        _record(ledger, clock_skew_seconds=int(skew))
        renumbered = 0
        while batch := outbox.next_batch(ledger, PUSH_BATCH):
            answer = client.push(batch)
            stored = [r.id for r in answer.results if r.status in ("accepted", "duplicate")]
            outbox.mark_sent(ledger, stored, ledger.clock())
            pushed += len(stored)
            refused = [r for r in answer.results if r.status == "refused"]
            if not refused:
                continue
            for_good = [(r.id, r.reason or "refused") for r in refused if _for_good(r.reason)]
            reused = [r.id for r in refused if r.reason == Refusal.SEQUENCE_REUSED]
            if for_good:
                # Out of the queue into the dead-letter list, so the rest go on; each round
                # moves at least one event out, so this loop ends.
                outbox.refuse(ledger, for_good, ledger.clock())
                outbox.renumber_after(ledger, answer.last_seq, reused)
                continue
            if renumbered < RENUMBER_ROUNDS:
                # A till restored from a copy of its ledger (the server holds later events
                # of this device), or a gap left by a refused event: send the unsent ones
                # after the server's last (outbox.renumber_after).
                outbox.renumber_after(ledger, answer.last_seq, reused)
                renumbered += 1
                continue
            for r in refused:
                outbox.mark_failed(ledger, [r.id], r.reason or "refused")
            raise SyncError(
                f"the server refused {len(refused)} event(s): {refused[0].reason}", retry=False
            )
        if snapshot.wants_snapshot(ledger):
            try:
                # Page by page; a broken download goes on at the next sync where it stopped.
                pulled += snapshot.load_snapshot(ledger, client, pull_progress)
            except SyncError as exc:
                if exc.status != 404:  # a server without snapshots: the feed does it all
                    raise
                snapshot.abandon_staged(ledger)
        else:
            snapshot.abandon_staged(ledger)
        with ledger.db.read() as conn:
            cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
        while True:
            page = client.pull(cursor, PULL_PAGE)
            if page.changes:
                apply_page(ledger, page.changes, page.cursor)
                pulled += len(page.changes)
                if pull_progress:
                    pull_progress(pulled)
            cursor = page.cursor
            if not page.more:
                break
    except SyncError as exc:
        _record(ledger, last_error=str(exc)[:1000])
        raise
    _record(ledger, last_success=ledger.clock(), last_error=None)
    done = status(ledger, online=True)
    return SyncStatus(
        done.online,
        done.queued,
        done.last_success,
        done.last_error,
        done.clock_skew_seconds,
        pushed,
        pulled,
        refused=done.refused,
    )


class SyncLoop:
    """Repeats ``sync_once`` on its own thread: every ``interval`` seconds when all is well,
    with exponential backoff and jitter after a failure, at once when ``wake()`` is called
    (a new sale, the network back). ``on_status`` is called from that thread."""

    def __init__(
        self,
        ledger: Ledger,
        on_status: Callable[[SyncStatus], None],
        interval: float = 15.0,
        verify: bool | str = True,
    ) -> None:
        self.ledger = ledger
        self.on_status = on_status
        self.interval = interval
        self.verify = verify
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._rng = random.Random()

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = BACKOFF_START
        while not self._stop.is_set():
            client = client_for(self.ledger, self.verify)
            wait = self.interval
            if client is not None:
                try:
                    self.on_status(sync_once(self.ledger, client))
                    delay = BACKOFF_START
                except SyncError:
                    self.on_status(status(self.ledger, online=False))
                    wait = delay * (0.5 + self._rng.random())  # jitter: tills do not retry in step
                    delay = min(BACKOFF_CAP, delay * 2)
            else:
                self.on_status(status(self.ledger, online=False))
            self._wake.wait(wait)
            self._wake.clear()
