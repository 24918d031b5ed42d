"""What the tills receive: the change feed page by page, and a new till's snapshot, page by
page too."""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from cashier_app.engine.protocol import DEFAULT_STORE, SNAPSHOT_FORMAT, SNAPSHOT_PAGE
from central_server import schema as s
from central_server.ledger.common import dumps
from central_server.ledger.replay import Replays
from central_server.ledger.snapshot_lines import customer_line


class Feeds(Replays):
    def pull_json(self, after: int, limit: int, store: str = DEFAULT_STORE) -> str:
        """The page as JSON text, with each stored payload embedded as it is: a first pull
        of a large network is millions of changes, and parsing and re-encoding each would
        cost more than the rest of the exchange. An account change carries the customer's
        current snapshot; one for a customer merged away since is left out. Only the
        changes a till of ``store`` may see (its store's staff and every store's)."""
        c, a = s.changes.c, s.accounts.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.cursor, c.kind, c.key, c.payload, a.snapshot)
                .outerjoin(s.accounts, and_(c.kind == "account", a.customer_id == c.key))
                .where(
                    c.cursor > after,
                    or_(c.store.is_(None), c.store == store),
                    or_(c.not_store.is_(None), c.not_store != store),
                )
                .order_by(c.cursor)
                .limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = ",".join(
            f'{{"cursor":{r.cursor},"kind":{json.dumps(r.kind)},"key":{json.dumps(r.key)},'
            f'"payload":{r.snapshot if r.kind == "account" else r.payload}}}'
            for r in rows
            if r.kind != "account" or r.snapshot is not None
        )
        cursor = rows[-1].cursor if rows else after
        return f'{{"changes":[{items}],"cursor":{cursor},"more":{"true" if more else "false"}}}'

    def snapshot_page(
        self, after: str = "", limit: int = SNAPSHOT_PAGE, store: str = DEFAULT_STORE
    ) -> bytes:
        """A page of a new till's first pull instead of millions of feed changes: at most
        ``limit`` customers with an id above ``after`` (the last one the till stored; ""
        for the first page), in id order, with their account snapshots, as gzip-compressed
        JSON lines (engine/protocol.py SNAPSHOT_*). The first page also has the current
        program, the catalogue and the staff of ``store`` and of every store. The header
        says the feed cursor the page is consistent with: the till pulls the feed after
        the earliest page's cursor once it has every page (docs/sync.md: the first pull).

        The lines are compact and ready to store, since a till loads a million of them,
        and parsing decimals and time zones there was most of its work.

        Read in one snapshot transaction (REPEATABLE READ on PostgreSQL; on SQLite the
        read transaction is a snapshot already) that starts by reading the feed's counter:
        changes up to that value were committed and are in the page, later ones are not
        (the counter row is locked until each writer commits). The key is the customer's
        id, so a page costs the same at the end of a million customers as at the start."""
        self.catch_up()
        first = not after
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                cursor = conn.execute(select(s.cursor_counter.c.value)).scalar_one()
                records = _records(conn, store) if first else []
                c, a = s.customers.c, s.accounts.c
                # The key on both sides of the join, so that a merge join can enter each
                # index at ``after`` instead of reading accounts from the first one on.
                rows = conn.execute(
                    select(c.id, c.phone, c.data, a.snapshot)
                    .outerjoin(s.accounts, and_(a.customer_id == c.id, a.customer_id > after))
                    .where(c.id > after)
                    .order_by(c.id)
                    .limit(limit + 1)
                ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        header = {
            "after": after,
            "cursor": cursor,
            "customers": len(rows),
            "format": SNAPSHOT_FORMAT,
            "last": rows[-1].id if rows else None,
            "more": more,
        }
        text = b"".join(
            [
                orjson.dumps(header),
                b"\n",
                *(line.encode() + b"\n" for line in records),
                *(orjson.dumps(_loadable(r)) + b"\n" for r in rows),
            ]
        )
        gzip = zlib.compressobj(1, zlib.DEFLATED, 31)  # level 1: the server's CPU is shared
        return gzip.compress(text) + gzip.flush()


def _records(conn: Connection, store: str) -> list[str]:
    """The first page's program (the newest version), products and users, as lines."""
    lines = []
    program = conn.execute(
        select(s.program_versions.c.version, s.program_versions.c.document)
        .order_by(s.program_versions.c.version.desc())
        .limit(1)
    ).first()
    if program is not None:
        lines.append(f'["program",{program.version},{program.document}]')
    for sku, data in conn.execute(select(s.products.c.sku, s.products.c.data)):
        lines.append(f'["product",{dumps(sku)},{data}]')
    u_ = s.users.c
    staff = select(s.users).where(or_(u_.store.is_(None), u_.store == store))
    for u in conn.execute(staff):
        user = {"name": u.name, "role": u.role, "pin_hash": u.pin_hash, "active": u.active}
        lines.append(f'["user",{dumps(u.name)},{dumps(user)}]')
    return lines


def _loadable(r: Any) -> list[Any]:
    """A customer's snapshot line; an account stored before the replay checked what it
    sends, and that a till could not load, is sent as not replayed yet (the till keeps
    its own numbers until the next replay), so one account cannot cut the stream."""
    try:
        return customer_line(r.id, r.phone, r.data, r.snapshot)
    except (ValueError, ArithmeticError, TypeError, KeyError) as exc:
        logging.getLogger(__name__).warning(
            "account of customer %s left out of the snapshot (%s)", r.id, type(exc).__name__
        )
        return customer_line(r.id, r.phone, r.data, None)
