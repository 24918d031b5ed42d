"""What every service operation shares: the program in force, the device's event stream,
and loading and saving a customer's account (lots, debt, profile) as one unit."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import uuid6
from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from cashier_app.engine import automation
from cashier_app.engine.automation import AutoEvent, Profile
from cashier_app.engine.calendar import add_days
from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.events import EventKind
from cashier_app.engine.lots import Account, Movement
from cashier_app.engine.money import ZERO
from cashier_app.engine.postings import Posted, Standing
from cashier_app.engine.program import BonusProgram, Group, Program, parse_program
from cashier_app.storage import health
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database
from cashier_app.storage.prepared import Prepared, PreparedRead
from cashier_app.storage.queries import open_lots
from cashier_app.storage.rows import (
    ACCOUNT_VALUE_KEYS,
    LOT_ROW_KEYS,
    lot_from_row,
    lot_row,
    projection_values,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_moment(at: datetime | None) -> None:
    """A moment a till takes: between the years 2000 and 2100, so a mistyped year never
    reaches the calendar's arithmetic (expiry, birthdays) beyond what dates can hold."""
    if at is not None and not FIRST_YEAR <= at.year <= LAST_YEAR:
        raise LoyaltyError(
            "invalid_moment", f"a moment is between the years {FIRST_YEAR} and {LAST_YEAR}"
        )


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """Time-ordered UUIDv7, so ids sort by creation (docs/sync.md)."""
    return str(uuid6.uuid7())


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class CustomerState:
    """A customer's loyalty state as loaded inside one transaction."""

    id: str
    group: Group
    bonus: BonusProgram | None
    standing: Standing  # what events change (engine/postings.py)
    phone: str = ""
    name: str = ""
    cards: tuple[str, ...] = ()

    def after(self, posted: Posted) -> CustomerState:
        """This state with what an event posted (engine/postings.py)."""
        return replace(self, standing=posted.standing)


# Hot statements are built once: SQLAlchemy then reuses their compiled form and cache key
# instead of rebuilding both for every sale (docs/benchmarks.md: a durable sale in 3 ms).
_MAX_VERSION = PreparedRead(select(func.max(t.program_versions.c.version)))
_NEXT_SEQ = Prepared(
    update(t.device)
    .where(t.device.c.id == 1)
    .values(next_seq=t.device.c.next_seq + 1)
    .returning(t.device.c.next_seq, t.device.c.device_id),
    (),
)
_NEXT_RECEIPT = Prepared(
    update(t.device)
    .where(t.device.c.id == 1)
    .values(next_receipt=t.device.c.next_receipt + 1)
    .returning(t.device.c.next_receipt, t.device.c.card_prefix),
    (),
)
_EVENT_KEYS = (
    "id", "device_id", "device_seq", "kind", "at", "recorded_at", "customer_id", "actor",
    "program_version", "payload",
)  # fmt: skip
_INSERT_EVENT = Prepared(insert(t.events), _EVENT_KEYS)
_INSERT_OUTBOX = Prepared(insert(t.outbox), ("event_id", "device_seq"))
_INSERT_LOT = Prepared(insert(t.lots), LOT_ROW_KEYS)
_INSERT_MOVEMENT = Prepared(
    insert(t.lot_movements), ("customer_id", "lot_id", "event_id", "kind", "points", "at")
)
_INSERT_MESSAGE = Prepared(
    insert(t.customer_messages), ("customer_id", "kind", "at", "lot_id", "points")
)
_MESSAGE_RECORDED = PreparedRead(
    select(t.customer_messages.c.id).where(
        t.customer_messages.c.customer_id == bindparam("customer_id"),
        t.customer_messages.c.kind == bindparam("kind"),
        t.customer_messages.c.at == bindparam("at"),
    )
)
_UPDATE_LOT = Prepared(
    update(t.lots)
    .where(t.lots.c.id == bindparam("lot_id"))
    .values(
        remaining=bindparam("remaining"), settled=bindparam("settled"), warned=bindparam("warned")
    ),
    ("lot_id", "remaining", "settled", "warned"),
)
_UPDATE_ACCOUNT = Prepared(
    update(t.accounts).where(t.accounts.c.customer_id == bindparam("cid")),
    ("cid", *ACCOUNT_VALUE_KEYS),
)
_CARD_LIST = (
    select(func.group_concat(t.cards.c.number, " "))
    .where(t.cards.c.customer_id == t.customers.c.id, t.cards.c.active)
    .scalar_subquery()
)
_LOAD_CUSTOMER = PreparedRead(
    select(
        _CARD_LIST.label("card_list"),
        t.customers.c.id,
        t.customers.c.phone,
        t.customers.c.name,
        t.customers.c.group_id,
        t.customers.c.registered_at,
        t.customers.c.birthday,
        t.accounts,
    )
    .join(t.accounts, t.accounts.c.customer_id == t.customers.c.id)
    .where(t.customers.c.id == bindparam("cid"))
)
# open_lots() lets SQLite use the partial index of open lots.
_OPEN_LOTS = PreparedRead(
    select(t.lots).where(t.lots.c.customer_id == bindparam("cid"), open_lots())
)


class Ledger:
    """The shared plumbing of the service layer (one per open database)."""

    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock
        self._programs: dict[int, Program] = {}
        self._current: Program | None = None

    @contextmanager
    def write(self, at: datetime | None) -> Iterator[tuple[Connection, datetime]]:
        """One write transaction and the operation's moment: ``at`` when the caller gives
        one (scenarios, tests, ``--at``), else the clock read once the write lock is held.
        Read before the lock, writers queueing on it commit in another order than their
        moments, and the replay, which goes by moment, disagrees with the stored balances."""
        with self.db.write() as conn:
            yield conn, at or self.clock()

    # -- device ------------------------------------------------------------------------
    def ensure_device(self, name: str = "Till 1") -> None:
        with self.db.write() as conn:
            if conn.execute(select(t.device.c.id)).first() is None:
                conn.execute(
                    insert(t.device).values(
                        id=1,
                        device_id=new_id(),
                        name=name,
                        next_seq=1,
                        card_prefix=f"{secrets.randbelow(10_000):04d}",
                        next_card=1,
                        next_receipt=1,
                        created_at=self.clock(),
                    )
                )

    def device_row(self, conn: Connection) -> Row[Any]:
        row = conn.execute(select(t.device)).first()
        if row is None:
            raise RuntimeError("the database has no device row; call ensure_device() first")
        return row

    def take_counter(self, conn: Connection, column: str) -> int:
        """Take the next value of a device counter inside the caller's write transaction
        (BEGIN IMMEDIATE serialises writers, so the values are gapless)."""
        col = t.device.c[column]
        value = conn.execute(
            update(t.device).where(t.device.c.id == 1).values({col: col + 1}).returning(col)
        ).scalar_one()
        return int(value) - 1

    def next_receipt_number(self, conn: Connection) -> str:
        """This till's next receipt number: its card prefix and a gapless counter."""
        value, prefix = _device_counter(_NEXT_RECEIPT, conn)
        return f"{prefix}-{int(value) - 1:06d}"

    # -- program -----------------------------------------------------------------------
    def program(self, conn: Connection, *, fresh: bool = True) -> Program:
        """The program in force. Writes always check the installed version (a new one may
        have arrived from sync); quick reads may use the last one seen (``fresh=False``)."""
        if not fresh and self._current is not None:
            return self._current
        version = _MAX_VERSION.scalar(conn)
        if version is None:
            raise LoyaltyError("no_program", "no loyalty program is installed yet")
        program = self._programs.get(version)
        if program is None:
            doc = conn.execute(
                select(t.program_versions.c.document).where(t.program_versions.c.version == version)
            ).scalar_one()
            try:
                program = parse_program(json.loads(doc))
            except (ValueError, ProgramError) as exc:  # it was valid when installed
                raise health.damaged(
                    self.db.path, f"its program version {version} cannot be read: {exc}"
                ) from exc
            self._programs[version] = program
        self._current = program
        return program

    # -- events and outbox ---------------------------------------------------------------
    def take_sequence(self, conn: Connection) -> tuple[int, str]:
        """This till's next device sequence number (and its device id), taken for good in
        the caller's transaction: an event's, or a refused event's sent again."""
        next_seq, device_id = _device_counter(_NEXT_SEQ, conn)
        return int(next_seq) - 1, str(device_id)

    def append_event(
        self,
        conn: Connection,
        kind: EventKind,
        at: datetime,
        payload: Mapping[str, Any],
        *,
        customer_id: str | None = None,
        actor: str | None = None,
        program_version: int | None = None,
    ) -> str:
        """Record an immutable event and its outbox row in the caller's transaction."""
        seq, device_id = self.take_sequence(conn)
        event_id = new_id()
        _INSERT_EVENT.run(
            conn,
            {
                "id": event_id,
                "device_id": device_id,
                "device_seq": seq,
                "kind": kind,
                "at": at,
                "recorded_at": self.clock(),
                "customer_id": customer_id,
                "actor": actor,
                "program_version": program_version,
                "payload": json.dumps(to_json(payload), ensure_ascii=False, separators=(",", ":")),
            },
        )
        _INSERT_OUTBOX.run(conn, {"event_id": event_id, "device_seq": seq})
        return event_id

    def audit(
        self,
        conn: Connection,
        action: str,
        subject: str,
        actor: str | None,
        details: Mapping[str, Any],
        *,
        user_id: str | None = None,
    ) -> None:
        """One line of the audit log (append-only: the database refuses to change it),
        with the till's name as it is now, so a copied log still says where."""
        conn.execute(
            insert(t.audit_log).values(
                at=self.clock(),
                actor=actor,
                action=action,
                subject=subject,
                details=json.dumps(to_json(details), ensure_ascii=False),
                user_id=user_id,
                till=select(t.device.c.name).where(t.device.c.id == 1).scalar_subquery(),
            )
        )

    # -- customer state ------------------------------------------------------------------
    def load_state(self, conn: Connection, program: Program, customer_id: str) -> CustomerState:
        row = _LOAD_CUSTOMER.first(conn, {"cid": customer_id})
        if row is None:
            raise LoyaltyError("unknown_customer", "no such customer")
        group = program.group(row.group_id) or program.default_group
        lot_rows = _OPEN_LOTS.all(conn, {"cid": customer_id})
        cards = tuple(row.card_list.split()) if row.card_list else ()
        account = Account(tuple(lot_from_row(r) for r in lot_rows), row.debt)
        profile = Profile(
            customer=row.id,
            registered_at=row.registered_at,
            birthday=row.birthday,
            last_purchase_at=row.last_purchase_at,
            winback_stage=row.winback_stage,
            birthday_year_done=row.birthday_year_done,
            sales_count=row.sales_count,
            sales_net_total=row.sales_net_total,
        )
        return CustomerState(
            row.id,
            group,
            program.bonus_program_of(group),
            Standing(account, profile, row.tier_basis),
            row.phone,
            row.name,
            cards,
        )

    def bonus_basis(
        self, conn: Connection, program: Program, state: CustomerState, at: datetime
    ) -> Decimal:
        """The tier basis the bonus tiers read: all purchases, or the last N days."""
        window = state.bonus.tier_window_days if state.bonus else None
        if window is None:
            return state.standing.tier_basis
        since = add_days(at, -window, program.tz)
        total = conn.execute(
            select(func.coalesce(func.sum(t.receipts.c.basis_amount), 0)).where(
                t.receipts.c.customer_id == state.id, t.receipts.c.at > since
            )
        ).scalar_one()
        return Decimal(total)

    def catch_up(
        self, conn: Connection, program: Program, state: CustomerState, until: datetime
    ) -> tuple[CustomerState, list[AutoEvent]]:
        """Carry out the customer's automatic events due by ``until`` and store them."""
        s = state.standing
        account, profile, happened = automation.run_until(
            program, state.bonus, s.account, s.profile, until
        )
        if not happened:
            return state, []
        new = replace(state, standing=replace(s, account=account, profile=profile))
        for event, moves in happened:
            self._write_movements(conn, state.id, None, moves)
            if (
                event.message is not None
                and _MESSAGE_RECORDED.first(
                    conn, {"customer_id": state.id, "kind": event.message, "at": event.at}
                )
                is None
            ):
                # A till that pulls an account older than a bonus it credited credits it
                # again (the same lot): the customer is told once.
                _INSERT_MESSAGE.run(
                    conn,
                    {
                        "customer_id": state.id,
                        "kind": event.message,
                        "at": event.at,
                        "lot_id": event.lot,
                        "points": event.points,
                    },
                )
        self.save_state(conn, program, state, new, until)
        return new, [e for e, _ in happened]

    def post(
        self,
        conn: Connection,
        program: Program,
        state: CustomerState,
        posted: Posted,
        at: datetime,
        *,
        event_id: str,
    ) -> tuple[CustomerState, list[AutoEvent]]:
        """Store what an event posted (engine/postings.py) for the customer, then carry out
        what it made due at once (an accrual spendable the same day): the state after it."""
        after = state.after(posted)
        self.save_state(conn, program, state, after, at, event_id=event_id, moves=posted.moves)
        return self.catch_up(conn, program, after, at)

    def save_state(
        self,
        conn: Connection,
        program: Program,
        before: CustomerState,
        after: CustomerState,
        at: datetime,
        *,
        event_id: str | None = None,
        moves: Iterable[Movement] = (),
    ) -> None:
        """Write what changed in the account and refresh the customer's projection row."""
        s = after.standing
        self._write_movements(conn, after.id, event_id, moves)
        old = {lot.id: lot for lot in before.standing.account.lots}
        new_lots = []
        changed_lots = []
        for lot in after.standing.account.lots:
            prev = old.get(lot.id)
            if prev is None:
                new_lots.append(lot_row(after.id, lot, event_id))
            elif prev != lot:
                changed_lots.append(
                    {
                        "lot_id": lot.id,
                        "remaining": lot.remaining,
                        "settled": lot.settled,
                        "warned": lot.warned,
                    }
                )
        if new_lots:
            _INSERT_LOT.run_many(conn, new_lots)
        if changed_lots:
            _UPDATE_LOT.run_many(conn, changed_lots)
        due = automation.next_due(program, after.bonus, s.account, s.profile)
        values = projection_values(after.standing, due.at if due else None, at)
        _UPDATE_ACCOUNT.run(conn, {"cid": after.id, **values})

    def _write_movements(
        self, conn: Connection, customer_id: str, event_id: str | None, moves: Iterable[Movement]
    ) -> None:
        rows = [
            {
                "customer_id": customer_id,
                "lot_id": m.lot,
                "event_id": event_id,
                "kind": m.kind.value,
                "points": m.points,
                "at": m.at,
            }
            for m in moves
        ]
        if rows:
            _INSERT_MOVEMENT.run_many(conn, rows)


def _device_counter(statement: Prepared, conn: Connection) -> tuple[Any, ...]:
    row = statement.run(conn, {})
    if row is None:
        raise RuntimeError("the database has no device row; call ensure_device() first")
    return row


def zero_account_values(customer_id: str, at: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "balance": ZERO,
        "pending": ZERO,
        "debt": ZERO,
        "tier_basis": ZERO,
        "sales_count": 0,
        "sales_net_total": ZERO,
        "winback_stage": 0,
        "updated_at": at,
    }
