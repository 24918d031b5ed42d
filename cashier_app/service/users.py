"""Users, roles and PIN login; shifts (till sessions) per cashier.

Permissions are checked here, in the service layer: the window only hides what a role
cannot do, so a cashier's session asking the service for a manager's action is refused.
PINs are stored as argon2 hashes; five wrong PINs lock the user for five minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.pins import check_pin
from cashier_app.engine.protocol import Role as Role  # the one declaration, for the till too
from cashier_app.service.ledger import Ledger, new_id
from cashier_app.storage import schema as t

MAX_FAILED_PINS = 5
LOCK_FOR = timedelta(minutes=5)
_hasher = PasswordHasher()


class Permission(StrEnum):
    SELL = "sell"
    REGISTER_CUSTOMER = "register_customer"
    RETURN = "return"
    ADJUST_BALANCE = "adjust_balance"
    SEE_FULL_PHONE = "see_full_phone"
    IMPORT_CATALOGUE = "import_catalogue"
    INSTALL_PROGRAM = "install_program"
    MANAGE_USERS = "manage_users"
    MANAGE_ADMINISTRATORS = "manage_administrators"
    ENROL_DEVICE = "enrol_device"
    REVIEW_REFUSED_EVENTS = "review_refused_events"  # what the server would not take
    # The back office.
    VIEW_REPORTS = "view_reports"
    VIEW_CUSTOMER_BASE = "view_customer_base"
    EXPORT_CUSTOMERS = "export_customers"
    IMPORT_CUSTOMERS = "import_customers"
    MOVE_CUSTOMER_GROUP = "move_customer_group"
    ANONYMISE_CUSTOMER = "anonymise_customer"
    VIEW_AUDIT_LOG = "view_audit_log"
    MAKE_BACKUP = "make_backup"
    RESTORE_BACKUP = "restore_backup"
    # A moment other than now on an operation (--at): a sale dated in 2020 moves tiers,
    # expiry and reports, so it is a manager's call, never a cashier's.
    BACKDATE_OPERATIONS = "backdate_operations"


_CASHIER = {Permission.SELL, Permission.REGISTER_CUSTOMER}
_SENIOR = _CASHIER | {Permission.RETURN}
_MANAGER = _SENIOR | {
    Permission.ADJUST_BALANCE,
    Permission.SEE_FULL_PHONE,
    Permission.IMPORT_CATALOGUE,
    Permission.INSTALL_PROGRAM,
    Permission.MANAGE_USERS,
    Permission.REVIEW_REFUSED_EVENTS,
    Permission.VIEW_REPORTS,
    Permission.VIEW_CUSTOMER_BASE,
    Permission.EXPORT_CUSTOMERS,
    Permission.IMPORT_CUSTOMERS,
    Permission.MOVE_CUSTOMER_GROUP,
    Permission.ANONYMISE_CUSTOMER,
    Permission.VIEW_AUDIT_LOG,
    Permission.MAKE_BACKUP,
    Permission.BACKDATE_OPERATIONS,
}
# Each permission in the shop's words (the README's table and ``cashier-app permissions``).
PERMISSION_WORDS: dict[Permission, str] = {
    Permission.SELL: "sell, open and close a shift",
    Permission.REGISTER_CUSTOMER: "register a customer",
    Permission.RETURN: "take a return",
    Permission.ADJUST_BALANCE: "adjust a customer's points by hand",
    Permission.SEE_FULL_PHONE: "see whole phone numbers",
    Permission.IMPORT_CATALOGUE: "import the catalogue, set up the scanner",
    Permission.INSTALL_PROGRAM: "install a loyalty program",
    Permission.MANAGE_USERS: "add and change cashiers and senior cashiers",
    Permission.MANAGE_ADMINISTRATORS: "add and change managers and administrators",
    Permission.ENROL_DEVICE: "enrol the till with the central server",
    Permission.REVIEW_REFUSED_EVENTS: "send again or settle what the server refused",
    Permission.VIEW_REPORTS: "see reports",
    Permission.VIEW_CUSTOMER_BASE: "browse the customer base",
    Permission.EXPORT_CUSTOMERS: "export customers",
    Permission.IMPORT_CUSTOMERS: "import customers",
    Permission.MOVE_CUSTOMER_GROUP: "move a customer to another group",
    Permission.ANONYMISE_CUSTOMER: "erase a customer's personal data",
    Permission.VIEW_AUDIT_LOG: "read the audit log",
    Permission.MAKE_BACKUP: "make a backup, set the backups up",
    Permission.RESTORE_BACKUP: "restore a backup",
    Permission.BACKDATE_OPERATIONS: "date an operation at another moment than now (--at)",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset(_CASHIER),
    Role.SENIOR_CASHIER: frozenset(_SENIOR),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMINISTRATOR: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a logged-in user, or the store's own operator tools."""

    id: str | None
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            role, action = self.role.value.replace("_", " "), permission.value.replace("_", " ")
            raise LoyaltyError(
                "not_allowed", f"a {role} may not {action}", permission=permission.value
            )


# The command line and simulate act as the machine's operator: whoever can run them owns
# the ledger file anyway. The window always acts as the logged-in user.
OPERATOR = Actor(None, "operator", Role.ADMINISTRATOR)


def enrolled(conn: Connection) -> bool:
    """An enrolled till takes its staff from the central server (the feed would undo a
    change made here alone), so its staff changes go through the server (sync/staff.py)."""
    return conn.execute(select(t.sync_state.c.id)).first() is not None


STAFF_VIA_SERVER = "staff changes on this till are made at the central server"


def has_users(ledger: Ledger) -> bool:
    with ledger.db.read() as conn:
        return bool(conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def create_user(
    ledger: Ledger,
    name: str,
    role: Role,
    pin: str,
    *,
    actor: Actor,
    at: datetime | None = None,
    from_server: bool = False,
) -> Actor:
    """Add a user. The very first user of a store must be an administrator and needs no
    one's permission (first run); after that, managers add staff and administrators add
    anyone."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise LoyaltyError("invalid_name", "a user's name has 1 to 80 characters")
    check_pin(pin or "", role.value)  # managers and administrators: 6 digits at least
    pin_hash = _hasher.hash(pin)  # slow on purpose; done before the write lock is taken
    with ledger.write(at) as (conn, at):
        first = not conn.execute(select(func.count()).select_from(t.users)).scalar_one()
        if first and role is not Role.ADMINISTRATOR:
            raise LoyaltyError("first_user_admin", "the first user must be an administrator")
        if not first:
            actor.require(Permission.MANAGE_USERS)
            if not from_server and enrolled(conn):
                raise LoyaltyError("staff_via_server", STAFF_VIA_SERVER)
            if role is Role.ADMINISTRATOR or (
                role is Role.MANAGER and actor.role is not Role.ADMINISTRATOR
            ):
                actor.require(Permission.MANAGE_ADMINISTRATORS)
        user_id = new_id()
        try:
            conn.execute(
                insert(t.users).values(
                    id=user_id, name=name, role=role.value, pin_hash=pin_hash, created_at=at
                )
            )
        except IntegrityError:
            raise LoyaltyError("duplicate_user", f"there is already a user called {name}") from None
        ledger.audit(conn, "create_user", name, actor.name, {"role": role.value}, user_id=actor.id)
    return Actor(user_id, name, role)


def list_users(ledger: Ledger, *, include_inactive: bool = False) -> list[Actor]:
    with ledger.db.read() as conn:
        query = select(t.users.c.id, t.users.c.name, t.users.c.role).order_by(t.users.c.name)
        rows = conn.execute(query if include_inactive else query.where(t.users.c.active)).all()
    return [Actor(r.id, r.name, Role(r.role)) for r in rows]


def login(
    ledger: Ledger, name: str, pin: str, *, at: datetime | None = None, via: str = "window"
) -> Actor:
    """Check a PIN. Wrong PINs are counted; the fifth in a row locks the user for a while.

    The attempt is counted in a write transaction before the hash is checked, so attempts
    made at once queue on the ledger's write lock: the fifth locks the user before its PIN
    is even checked, and a sixth is refused unchecked however many arrive together. A right
    PIN then clears the count (and the lock its own attempt set). Each outcome is a line of
    the audit log (``login``, ``wrong_pin``, ``user_locked``), with ``via`` (the window or
    the command line)."""
    if ledger.db.read_only:
        return _login_read_only(ledger, name, pin, at)
    users = t.users.c
    with ledger.write(at) as (conn, at):
        row = conn.execute(select(t.users).where(users.name == name, users.active)).first()
        if row is None:
            raise LoyaltyError("unknown_user", "no such user")
        if row.locked_until is not None and at < row.locked_until:
            minutes = max(1, int((row.locked_until - at).total_seconds() // 60) + 1)
            raise LoyaltyError("user_locked", f"too many wrong PINs: try again in {minutes} min")
        attempt = row.failed_pins + 1
        lock = {"failed_pins": 0, "locked_until": at + LOCK_FOR}
        counted = lock if attempt >= MAX_FAILED_PINS else {"failed_pins": attempt}
        conn.execute(update(t.users).where(users.id == row.id).values(counted))
    try:
        ok: bool = _hasher.verify(row.pin_hash, pin or "")
    except (VerificationError, InvalidHashError):
        ok = False
    # The outcome's audit line goes with the write that settles the attempt, so a login
    # and its line are one commit; the hash check itself is outside any lock (slow).
    with ledger.db.write() as conn:
        if ok:
            conn.execute(
                update(t.users).where(users.id == row.id).values(failed_pins=0, locked_until=None)
            )
            action = "login"
        else:
            action = "user_locked" if attempt >= MAX_FAILED_PINS else "wrong_pin"
        details = {"via": via} if ok else {"via": via, "failed_pins": attempt}
        ledger.audit(conn, action, row.name, row.name, details, user_id=row.id)
    if ok:
        return Actor(row.id, row.name, Role(row.role))
    if attempt >= MAX_FAILED_PINS:
        raise LoyaltyError("user_locked", "too many wrong PINs: the user is locked for 5 minutes")
    left = MAX_FAILED_PINS - attempt
    tries = "1 try" if left == 1 else f"{left} tries"
    raise LoyaltyError("wrong_pin", f"wrong PIN ({tries} left)", tries_left=left)


def dated(actor: Actor, at: datetime | None) -> datetime | None:
    """``at`` for an operation the acting user dates by hand (the command line's --at):
    only a manager or an administrator may; None (now) is everyone's."""
    if at is not None:
        actor.require(Permission.BACKDATE_OPERATIONS)
    return at


def _login_read_only(ledger: Ledger, name: str, pin: str, at: datetime | None) -> Actor:
    """A ledger that can only be read (a read-only file, folder or disk): the PIN is
    checked without counting or auditing it, since nothing can be written; a lock already
    set still holds. Reading commands then run; every write is refused by the ledger."""
    users = t.users.c
    with ledger.db.read() as conn:
        row = conn.execute(select(t.users).where(users.name == name, users.active)).first()
    if row is None:
        raise LoyaltyError("unknown_user", "no such user")
    at = at or ledger.clock()
    if row.locked_until is not None and at < row.locked_until:
        raise LoyaltyError("user_locked", "too many wrong PINs: the user is locked for a while")
    try:
        ok: bool = _hasher.verify(row.pin_hash, pin or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        left = MAX_FAILED_PINS - row.failed_pins
        raise LoyaltyError("wrong_pin", "wrong PIN (the ledger can only be read)", tries_left=left)
    return Actor(row.id, row.name, Role(row.role))


@dataclass(frozen=True, slots=True)
class Shift:
    id: str
    user_id: str
    opened_at: datetime
    closed_at: datetime | None


def current_shift(ledger: Ledger, actor: Actor) -> Shift | None:
    with ledger.db.read() as conn:
        row = conn.execute(
            select(t.shifts).where(t.shifts.c.user_id == actor.id, t.shifts.c.closed_at.is_(None))
        ).first()
    return Shift(row.id, row.user_id, row.opened_at, row.closed_at) if row else None


def open_shift(ledger: Ledger, *, actor: Actor, at: datetime | None = None) -> Shift:
    actor.require(Permission.SELL)
    if actor.id is None:
        raise LoyaltyError("not_allowed", "a shift belongs to a logged-in user")
    with ledger.write(at) as (conn, at):
        shift_id = new_id()
        try:
            conn.execute(insert(t.shifts).values(id=shift_id, user_id=actor.id, opened_at=at))
        except IntegrityError:
            raise LoyaltyError("shift_already_open", "this user's shift is already open") from None
        ledger.append_event(
            conn,
            EventKind.SHIFT_OPENED,
            at,
            {"shift_id": shift_id, "user": actor.name},
            actor=actor.name,
        )
    return Shift(shift_id, actor.id, at, None)


def close_shift(ledger: Ledger, *, actor: Actor, at: datetime | None = None) -> Shift:
    with ledger.write(at) as (conn, at):
        row = conn.execute(
            select(t.shifts).where(t.shifts.c.user_id == actor.id, t.shifts.c.closed_at.is_(None))
        ).first()
        if row is None:
            raise LoyaltyError("no_open_shift", "this user has no open shift")
        conn.execute(update(t.shifts).where(t.shifts.c.id == row.id).values(closed_at=at))
        ledger.append_event(
            conn,
            EventKind.SHIFT_CLOSED,
            at,
            {"shift_id": row.id, "user": actor.name},
            actor=actor.name,
        )
    return Shift(row.id, row.user_id, row.opened_at, at)


def user_from_server(
    conn: Connection, name: str, role: str, pin_hash: str, active: bool, at: datetime
) -> None:
    """A member of staff as the central server distributes them (only the PIN's hash)."""
    Role(role)  # refuses an unknown role before anything is written
    row = conn.execute(select(t.users.c.id).where(t.users.c.name == name)).first()
    if row is None:
        conn.execute(
            insert(t.users).values(
                id=new_id(), name=name, role=role, pin_hash=pin_hash, active=active, created_at=at
            )
        )
    else:
        conn.execute(
            update(t.users)
            .where(t.users.c.id == row.id)
            .values(role=role, pin_hash=pin_hash, active=active)
        )


def hash_pin(pin: str) -> str:
    """A PIN's argon2 hash (slow on purpose: take it before the write lock)."""
    return _hasher.hash(pin)
