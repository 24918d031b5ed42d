"""Writing an old system's customers into the ledger: the rows that passed the check, in
one write transaction, each registered as the till registers a customer (a
customer_registered event with its outbox row, a card, the account's projection) and its
starting balance brought over as an adjustment with its own reason.

Decisions (README, "Importing customers"):

- No welcome bonus: these customers are not new to the shop. Their registration event
  says ``"imported": true`` and the replay (engine/replay.py) gives them none either, so
  the server and ``cashier-app check --accounts`` agree with the till.
- A starting balance is an ADJUSTMENT event, reason "opening balance (import of FILE)":
  a lot with the program's usual expiry from the day of the import, replayed and checked
  by the server like any manager's adjustment (one worth more than the server holds for
  review is refused by the check, customer_import.py).
- A phone already in the base is left as it is, so a second import of a file writes
  nothing but its audit line.

100,000 rows are one transaction: the program is loaded once, sequence and card numbers
taken a block at a time, and the rows go in with the driver's executemany
(storage/bulk.py) in batches, with the progress reported after each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from cashier_app.engine import automation, postings
from cashier_app.engine.automation import Profile
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import Account
from cashier_app.engine.money import ZERO, to_cents
from cashier_app.engine.postings import Standing
from cashier_app.engine.program import Program
from cashier_app.service.cards import card_number
from cashier_app.service.customer_import import (
    ColumnMap,
    CustomerFile,
    ImportRow,
    Progress,
    Row,
    ValidationReport,
    against_base,
    check_rows,
)
from cashier_app.service.ledger import Ledger, check_moment, new_id, to_json
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t
from cashier_app.storage.bulk import BulkLoad
from cashier_app.storage.rows import projection_values

BATCH = 1000  # rows a progress step; larger batches gain little
# The load's page cache: 100,000 customers with their events and lots fill about 280 MiB
# of pages, all of which the everyday first pull's 512 MiB kept in memory (the import
# peaked at 520 MiB); at 128 MiB the pages spill to the log and the import takes as long
# (28 s either way on this machine), peaking at 330 MiB.
IMPORT_CACHE_KIB = 128 * 1024
MAX_REASON_FILE = 400  # the reason has at most 500 characters (engine/event_check.py)


@dataclass(frozen=True, slots=True)
class ImportResult:
    report: ValidationReport  # the check made inside the import's own transaction
    imported: int
    balances: Decimal  # points brought over as opening balances

    @property
    def unchanged(self) -> int:
        return len(self.report.unchanged)


def opening_reason(file_name: str) -> str:
    return f"opening balance (import of {file_name[:MAX_REASON_FILE]})"


def import_customers(
    ledger: Ledger,
    actor: Actor,
    file: CustomerFile,
    mapping: ColumnMap,
    *,
    at: datetime | None = None,
    progress: Progress | None = None,
    checked: ValidationReport | None = None,
) -> ImportResult:
    """Register the file's valid rows in one transaction; the bad rows and the phones
    already known are left out. ``checked``: the manager's check of this file and mapping
    a moment ago; its row checks stand if the program is still the version they were made
    with, and only what depends on the base is checked again (a customer registered at
    the counter meanwhile), inside this transaction. Otherwise the whole file is checked."""
    actor.require(Permission.IMPORT_CUSTOMERS)
    check_moment(at)
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        total = len(file.rows)

        def checking(done: int, _: int) -> None:
            if progress:
                progress(done, 2 * total)

        reused = (
            checked is not None
            and checked.program_version == program.version
            and checked.mapping == mapping
            and checked.file_name == file.name
        )
        if reused and checked is not None:
            # Rows the check left out stay out (a phone in the base stays there, a phone
            # twice in the file stays twice); those it passed may meet a customer or a card
            # registered at the counter since.
            report = ValidationReport(file.name, program.version, dict(mapping), checked.rows)
            report.problems = list(checked.problems)
            report.unchanged = list(checked.unchanged)
            report.unchanged_balances = dict(checked.unchanged_balances)
            report.left_out = list(checked.left_out)
            report.points_rounding = program.points_rounding
            against_base(conn, file, report, list(checked.to_import))
        else:
            report = check_rows(conn, program, file, mapping, at, checking)

        # Checked again in full, the check is the first half of the bar; else the writing
        # is all of it.
        start, scale = (0, 1) if reused else (total, 2)

        def writing(done: int) -> None:
            if progress:
                share = done * total // max(1, report.importable)
                progress(start + share, scale * total)

        _Writer(ledger, conn, program, actor, at, opening_reason(file.name)).write(
            report.to_import, writing
        )
        details = {
            "rows": report.rows,
            "imported": report.importable,
            "unchanged": len(report.unchanged),
            "problems": len(report.problems),
            "bad_rows": report.bad_rows,
            "balances": report.balances,
        }
        ledger.audit(conn, "import_customers", file.name[:120], actor.name, details,
                     user_id=actor.id)  # fmt: skip
    if progress:
        progress(total, total)
    return ImportResult(report, report.importable, report.balances)


def _cents(value: Decimal) -> int:
    return to_cents(value)


_EVENT = ("id", "device_id", "device_seq", "kind", "at", "recorded_at", "customer_id",
          "actor", "program_version", "payload")  # fmt: skip
_OUTBOX = ("event_id", "device_seq")
_CUSTOMER = ("id", "phone", "phone_last4", "name", "birthday", "group_id", "registered_at",
             "consent_at", "event_id")  # fmt: skip
_CARD = ("number", "customer_id", "issued_at")
_ACCOUNT = ("customer_id", "balance", "pending", "debt", "tier_basis", "last_purchase_at",
            "sales_count", "sales_net_total", "winback_stage", "birthday_year_done",
            "next_due_at", "updated_at")  # fmt: skip
_LOT = ("id", "customer_id", "kind", "points", "remaining", "credited_at", "available_at",
        "expires_at", "settled", "warned", "event_id")  # fmt: skip
_MOVE = ("customer_id", "lot_id", "event_id", "kind", "points", "at")
_AMOUNTS = {"balance", "pending", "debt", "tier_basis", "sales_net_total", "points", "remaining"}


class _Writer:
    def __init__(
        self,
        ledger: Ledger,
        conn: Connection,
        program: Program,
        actor: Actor,
        at: datetime,
        reason: str,
    ) -> None:
        self.ledger, self.conn, self.program, self.at = ledger, conn, program, at
        self.actor, self.reason = actor, reason
        self.recorded_at = ledger.clock()
        self.at_json = to_json(at)
        device = ledger.device_row(conn)
        self.device_id, self.prefix = str(device.device_id), str(device.card_prefix)

    def write(self, rows: list[Row], progress: Any) -> None:
        if not rows:
            return
        # The customers' secondary indexes and the name index are built once at the end;
        # events and lots keep theirs (a big ledger's would take longer to rebuild).
        bulk = BulkLoad(self.conn, ("customers",), cache_kib=IMPORT_CACHE_KIB)
        try:
            bulk.begin()
            given = {c for r in rows if (c := r[6])}
            numbers = self._card_numbers(sum(1 for r in rows if not r[6]), given)
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                self._batch(bulk, batch, numbers)
                progress(start + len(batch))
            bulk.finish()
        finally:
            bulk.close()

    def _sequences(self, count: int) -> Iterator[int]:
        """``count`` device sequence numbers taken at once (gapless: the transaction
        holds the write lock)."""
        col = t.device.c.next_seq
        after = self.conn.execute(
            update(t.device).where(t.device.c.id == 1).values(next_seq=col + count).returning(col)
        ).scalar_one()
        return iter(range(int(after) - count, int(after)))

    def _card_numbers(self, count: int, given: set[str]) -> Iterator[str]:
        """New card numbers from this till's counter, skipping any already held (a
        pre-printed card) or brought by the file itself."""
        found: list[str] = []
        col = t.device.c.next_card
        while len(found) < count:
            want = count - len(found)
            after = self.conn.execute(
                update(t.device).where(t.device.c.id == 1).values(next_card=col + want)
                .returning(col)
            ).scalar_one()  # fmt: skip
            numbers = [card_number(self.prefix, n) for n in range(int(after) - want, int(after))]
            held: set[str] = set()
            for i in range(0, len(numbers), 500):
                chunk = numbers[i : i + 500]
                held.update(
                    self.conn.execute(
                        select(t.cards.c.number).where(t.cards.c.number.in_(chunk))
                    ).scalars()
                )
            found += [n for n in numbers if n not in held and n not in given]
        return iter(found)

    def _batch(self, bulk: BulkLoad, batch: list[Row], numbers: Iterator[str]) -> None:
        program, at = self.program, self.at
        rows = [ImportRow._make(r) for r in batch]
        with_balance = sum(1 for r in rows if r.balance > ZERO)
        seqs = self._sequences(len(rows) + with_balance)
        events, outbox, customers, cards, accounts, lots, moves = [], [], [], [], [], [], []
        for r in rows:
            cid, event_id, seq = new_id(), new_id(), next(seqs)
            card = r.card or next(numbers)
            consent_at = at if r.consent else None
            # Written as JSON values already (what ledger.to_json would make of them).
            payload = {
                "customer_id": cid,
                "phone": r.phone,
                "name": r.name,
                "birthday": r.birthday.isoformat() if r.birthday else None,
                "group": r.group,
                "consent_at": self.at_json if r.consent else None,
                "referrer_id": None,
                "card": card,
                "imported": True,
            }
            events.append(self._event(event_id, seq, EventKind.CUSTOMER_REGISTERED, cid, payload))
            outbox.append((event_id, seq))
            customers.append(
                (cid, r.phone, r.phone[-4:], r.name, r.birthday, r.group, at, consent_at, event_id)
            )
            cards.append((card, cid, at))
            group = program.group(r.group) or program.default_group
            bonus = program.bonus_program_of(group)
            standing = Standing(Account(), Profile(cid, at, r.birthday))
            if r.balance > ZERO:
                adj_id, adj_seq = new_id(), next(seqs)
                # "opening": the reports tell a balance brought over from a manager's adjustment.
                body = {
                    "customer_id": cid,
                    "points": str(r.balance),
                    "reason": self.reason,
                    "opening": True,
                }
                events.append(self._event(adj_id, adj_seq, EventKind.ADJUSTMENT, cid, body))
                outbox.append((adj_id, adj_seq))
                posted = postings.adjustment(
                    standing, bonus, event_id=adj_id, points=r.balance, at=at, tz=program.tz
                )
                standing = posted.standing
                # The lot as the credit left it (settled): stored as made, unsettled, the
                # next catch-up would credit it a second time.
                for made in posted.credited:
                    lot = standing.account.lot(made.id) or made
                    lots.append((lot.id, cid, lot.kind.value, _cents(lot.points),
                                 _cents(lot.remaining), lot.credited_at, lot.available_at,
                                 lot.expires_at, lot.settled, lot.warned, adj_id))  # fmt: skip
                for m in posted.moves:
                    moves.append((cid, m.lot, adj_id, m.kind.value, _cents(m.points), m.at))
            due = automation.next_due(program, bonus, standing.account, standing.profile)
            v = projection_values(standing, due.at if due else None, at)
            accounts.append(tuple(_cents(v[c]) if c in _AMOUNTS else v[c] for c in _ACCOUNT[1:]))
            accounts[-1] = (cid, *accounts[-1])
        insert = bulk.insert
        insert(t.events, _EVENT, events, _TYPES)
        insert(t.outbox, _OUTBOX, outbox, _TYPES)
        insert(t.customers, _CUSTOMER, customers, _TYPES)
        insert(t.cards, _CARD, cards, _TYPES)
        insert(t.accounts, _ACCOUNT, accounts, _TYPES)
        insert(t.lots, _LOT, lots, _TYPES)
        insert(t.lot_movements, _MOVE, moves, _TYPES)

    def _event(
        self, event_id: str, seq: int, kind: EventKind, cid: str, payload: dict[str, Any]
    ) -> tuple[Any, ...]:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return (event_id, self.device_id, seq, kind.value, self.at, self.recorded_at, cid,
                self.actor.name, self.program.version, text)  # fmt: skip


# What each column must hold before the driver gets it (storage/bulk.py checks them).
_TYPES: dict[str, type] = {"at": datetime, "registered_at": datetime, "issued_at": datetime}
