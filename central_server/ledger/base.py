"""What every job of the central ledger stands on: the database, the clock, the published
programs, and the change feed and replay marks each job appends to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from cashier_app.engine.program import Program, parse_program
from central_server import schema as s
from central_server.ledger.common import Clock, Device, bulk_insert, dumps, utc_now


class StoreBase:
    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._programs: dict[int, Program] = {}
        self._tokens: dict[str, Device] = {}  # token hash -> device (ids never change)

    def _program(self, conn: Connection, version: int | None) -> Program | None:
        latest = conn.execute(select(func.max(s.program_versions.c.version))).scalar()
        if latest is None:
            return None
        if version is None or version > latest:
            version = latest
        if version not in self._programs:
            doc = conn.execute(
                select(s.program_versions.c.document)
                .where(s.program_versions.c.version <= version)
                .order_by(s.program_versions.c.version.desc())
                .limit(1)
            ).scalar_one()  # a version <= the latest always exists
            self._programs[version] = parse_program(json.loads(doc))
        return self._programs[version]

    def _change(self, conn: Connection, kind: str, key: str, payload: Mapping[str, Any]) -> None:
        self._changes(conn, [(kind, key, payload)])

    def _changes(
        self,
        conn: Connection,
        items: list[tuple[str, str, Mapping[str, Any]]],
        store: str | None = None,
        not_store: str | None = None,
    ) -> None:
        """Append changes with cursor values taken under the counter's row lock; with
        ``store``, for that store's tills only; with ``not_store``, for every other's."""
        top = conn.execute(
            update(s.cursor_counter)
            .where(s.cursor_counter.c.id == 1)
            .values(value=s.cursor_counter.c.value + len(items))
            .returning(s.cursor_counter.c.value)
        ).scalar_one()
        first = top - len(items) + 1
        bulk_insert(
            conn,
            s.changes,
            [
                {
                    "cursor": first + i,
                    "kind": kind,
                    "key": key,
                    "payload": dumps(payload),
                    "store": store,
                    "not_store": not_store,
                }
                for i, (kind, key, payload) in enumerate(items)
            ],
        )

    def _mark_dirty(self, conn: Connection, since: Mapping[str, str]) -> None:
        """Note the customers to replay with the earliest new event's key. Marks are only
        ever inserted, never updated, so a push never waits for a replay in progress."""
        if not since:
            return
        now = self.clock()
        bulk_insert(
            conn,
            s.dirty_marks,
            [{"customer_id": c, "since": k, "marked_at": now} for c, k in sorted(since.items())],
        )
