"""Authoritative balances: the customers marked by pushes replayed once their events
settle, and the automatic events fallen due by the server's clock for the others."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, exists, func, insert, or_, select

from cashier_app.engine.program import Program
from cashier_app.engine.replay import CustomerReplay, RecordedEvent, state_from_dict
from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import TIME_ONLY, Feed, among, bulk_insert, order_key
from central_server.ledger.customer_replay import (
    isolate,
    not_quarantined,
    recorded_event,
    replay_one,
)

QUIET = timedelta(seconds=2)  # a customer's events have settled after this
MOST_LAG = timedelta(seconds=10)  # replayed by then even while events keep coming


class Replays(StoreBase):
    def catch_up(self, batch: int = 200, settled: bool = False) -> int:
        """Replay every customer marked dirty; returns how many. Safe to run from several
        processes at once: on PostgreSQL each takes customers no other replayer holds (a
        transaction-scoped advisory lock per customer), and only the marks it read are
        removed, so a mark added during the replay is replayed next time.

        ``settled`` (the background replayer) takes only customers with no new events for
        ``QUIET`` or waiting longer than ``MOST_LAG``: during a rush, a customer's events
        from many pushes then go into one replay, and a till uploading its backlog is not
        slowed by replays of what it is still sending. A pull replays what is left first."""
        done = 0
        m = s.dirty_marks.c
        postgres = self.engine.dialect.name == "postgresql"
        while True:
            with self.engine.begin() as conn:
                marks = (
                    select(
                        m.customer_id,
                        func.min(m.since).label("since"),
                        func.min(m.marked_at).label("first"),
                        func.max(m.marked_at).label("last"),
                    )
                    .group_by(m.customer_id)
                    .order_by(m.customer_id)
                )
                if settled:
                    now = self.clock()
                    marks = marks.having(
                        or_(
                            func.max(m.marked_at) <= now - QUIET,
                            func.min(m.marked_at) <= now - MOST_LAG,
                        )
                    )
                if postgres:
                    grouped = marks.subquery()
                    query = (
                        select(grouped.c.customer_id, grouped.c.since)
                        .where(func.pg_try_advisory_xact_lock(func.hashtext(grouped.c.customer_id)))
                        .limit(batch)
                    )
                else:
                    query = marks.limit(batch)
                chosen = {r.customer_id: r.since for r in conn.execute(query)}
                if not chosen:
                    return done
                ids = list(
                    conn.execute(
                        select(m.id).where(among(conn, m.customer_id, list(chosen)))
                    ).scalars()
                )
                # Marks committed after that read are not in ``ids`` and stay for next time.
                since = {
                    r.customer_id: r.since
                    for r in conn.execute(
                        select(m.customer_id, func.min(m.since).label("since"))
                        .where(among(conn, m.id, ids))
                        .group_by(m.customer_id)
                    )
                }
                feed: Feed = []
                self._replay(conn, since, feed)
                conn.execute(delete(s.dirty_marks).where(among(conn, m.id, ids)))
                if feed:
                    self._changes(conn, feed)
                done += len(since)

    def run_automations(self, batch: int = 200) -> int:
        """The automatic events (birthday and win-back bonuses, points becoming available,
        expiry and its warnings) fallen due by the server's clock, for customers with no
        new events too: the customers nobody serves. One transaction of at most ``batch``
        customers, the soonest due first; returns how many (the background replayer calls
        it every round). Each is a replay with no new event, resumed from the stored one
        and advanced to now, so it derives the very lots a till derives (docs/automations.md).

        A customer with events waiting is left to ``catch_up``, which advances them anyway.
        A look that changes nothing the tills see (after migration s0006 every account is
        looked at once) sends no change to the tills."""
        now = self.clock().astimezone(UTC)  # as the moments are stored (see _next_due)
        a, m = s.accounts.c, s.dirty_marks.c
        with self.engine.begin() as conn:
            query = (
                select(a.customer_id)
                .where(a.next_due_at <= now, ~exists().where(m.customer_id == a.customer_id))
                .order_by(a.next_due_at)
                .limit(batch)
            )
            if conn.dialect.name == "postgresql":  # as catch_up: one replayer per customer
                due = query.subquery()
                query = select(due.c.customer_id).where(
                    func.pg_try_advisory_xact_lock(func.hashtext(due.c.customer_id))
                )
            ids = list(conn.execute(query).scalars())
            if not ids:
                return 0
            before = self._account_snapshots(conn, ids)
            feed: Feed = []
            self._replay(conn, dict.fromkeys(ids, TIME_ONLY), feed)
            after = self._account_snapshots(conn, ids)
            feed = [
                f
                for f in feed
                if _seen_by_tills(before.get(f[1])) != _seen_by_tills(after.get(f[1]))
            ]
            if feed:
                self._changes(conn, feed)
        return len(ids)

    def _account_snapshots(self, conn: Connection, ids: list[str]) -> dict[str, str]:
        a = s.accounts.c
        return dict(
            conn.execute(
                select(a.customer_id, a.snapshot).where(among(conn, a.customer_id, ids))
            ).all()
        )

    def _replay(self, conn: Connection, since: Mapping[str, str], feed: Feed) -> None:
        """Bring each customer's authoritative state up to date. When all of a customer's
        unreplayed events come after the last one replayed, the stored replay resumes with
        just them; otherwise (a late event from a till that was offline, a new or merged
        customer) the whole history is replayed again."""
        customer_ids = sorted(since)
        program = self._program(conn, None)
        if program is None:
            return  # no program published yet: the events wait, replayed once there is one
        stored = {
            r.customer_id: r.replay_state
            for r in conn.execute(
                select(s.accounts.c.customer_id, s.accounts.c.replay_state).where(
                    among(conn, s.accounts.c.customer_id, customer_ids)
                )
            )
        }
        alias_rows = conn.execute(
            select(s.customer_aliases.c.alias, s.customer_aliases.c.customer_id).where(
                among(conn, s.customer_aliases.c.customer_id, customer_ids)
            )
        ).all()
        owner = {c: c for c in customer_ids} | {a: c for a, c in alias_rows}
        resumable: dict[str, tuple[CustomerReplay, tuple[datetime, str, int], str]] = {}
        for c in customer_ids:
            if stored.get(c) and since[c]:
                state, last = state_from_dict(orjson.loads(stored[c]))
                if last is not None and since[c] > order_key(*last):
                    resumable[c] = (state, last, order_key(*last))
        earliest = min((since[c] for c in resumable), default=None)
        grouped: dict[str, list[RecordedEvent]] = {c: [] for c in customer_ids}
        query = select(s.events).where(
            among(conn, s.events.c.customer_id, list(owner)), not_quarantined()
        )
        if earliest is not None and len(resumable) == len(customer_ids):
            query = query.where(
                s.events.c.at >= datetime.fromisoformat(earliest.split("|")[0]).replace(tzinfo=UTC)
            )
        for r in conn.execute(query):
            canonical = owner[r.customer_id]
            if r.kind == "customer_registered" and r.customer_id != canonical:
                continue  # a merged-away registration brings no second welcome bonus
            event = recorded_event(r)
            if canonical in resumable and order_key(*event.order) <= resumable[canonical][2]:
                continue  # already in the stored replay
            grouped[canonical].append(event)
        latest = program.version
        cache: dict[int | None, Program] = {}

        def versions(v: int | None) -> Program:
            # One lookup per version per push, not one query per replayed event.
            key = v if v is not None and v <= latest else None
            if key not in cache:
                cache[key] = self._program(conn, key) or program
            return cache[key]

        now = self.clock()
        snapshots = []
        overdrafts = []
        replays = {}
        due: dict[str, datetime | None] = {}
        for customer_id, recorded in grouped.items():
            try:
                outcome = replay_one(
                    customer_id, recorded, resumable.get(customer_id), versions, now
                )
            except Exception as exc:  # one customer's fault stops no one else's replay
                outcome = isolate(conn, customer_id, versions, now, exc)
            if outcome is None:
                continue  # the registration has not arrived yet
            replays[customer_id], snap, due[customer_id], theirs = outcome
            snapshots.append((customer_id, snap))
            overdrafts += [(customer_id, o) for o in theirs]
        if not snapshots:
            return
        done = [c for c, _ in snapshots]
        conn.execute(delete(s.accounts).where(among(conn, s.accounts.c.customer_id, done)))
        bulk_insert(
            conn,
            s.accounts,
            [
                {
                    "customer_id": c,
                    "snapshot": snap,
                    "updated_at": now,
                    "replay_state": replays[c],
                    "next_due_at": due[c],
                }
                for c, snap in snapshots
            ],
        )
        if overdrafts:
            have = set(
                conn.execute(
                    select(s.overdrafts.c.event_id).where(
                        among(conn, s.overdrafts.c.event_id, [o.event_id for _, o in overdrafts])
                    )
                ).scalars()
            )
            new = [
                {
                    "event_id": o.event_id,
                    "customer_id": c,
                    "device_id": o.device_id,
                    "receipt": o.receipt_number,
                    "points": str(o.points),
                    "at": o.at,
                }
                for c, o in overdrafts
                if o.event_id not in have
            ]
            if new:
                conn.execute(insert(s.overdrafts), new)
        # The feed names the account; a pull sends its snapshot from the accounts table as it
        # is then (never older than this one), so a replay writes the snapshot only once.
        feed += [("account", c, {}) for c in done]


def _seen_by_tills(snapshot: str | None) -> dict[str, Any] | None:
    """An account snapshot without the moment it was made."""
    if snapshot is None:
        return None
    snap: dict[str, Any] = orjson.loads(snapshot)
    snap.pop("as_of", None)
    return snap
