"""Staff changes: a new role, a new PIN, a user deactivated or taken back; the staff
list the staff screen shows. The rules: managers manage cashiers and senior cashiers, only
an administrator makes or changes a manager or an administrator (as ``create_user``),
nobody demotes or deactivates the last active administrator, nobody raises their own role
or deactivates themselves. Each change is a line of the audit log. On an enrolled till the
change is the central server's to make (sync/staff.py sends it there and applies the
server's answer here with ``from_server=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.pins import check_pin
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import (
    STAFF_VIA_SERVER,
    Actor,
    Permission,
    Role,
    enrolled,
    hash_pin,
)
from cashier_app.storage import schema as t

# The order of the roles, for "a user cannot raise their own role".
_RANK = {Role.CASHIER: 0, Role.SENIOR_CASHIER: 1, Role.MANAGER: 2, Role.ADMINISTRATOR: 3}
_PRIVILEGED = frozenset({Role.MANAGER, Role.ADMINISTRATOR})


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A user as the staff screen lists them."""

    id: str
    name: str
    role: Role
    active: bool
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def list_staff(ledger: Ledger, *, actor: Actor) -> list[StaffMember]:
    """Every user, the deactivated ones too (a manager's or an administrator's view)."""
    actor.require(Permission.MANAGE_USERS)
    u = t.users.c
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(u.id, u.name, u.role, u.active, u.locked_until).order_by(u.name)
        ).all()
    return [StaffMember(r.id, r.name, Role(r.role), r.active, r.locked_until) for r in rows]


def _may_manage(actor: Actor, *roles: Role) -> None:
    """Managers manage cashiers and senior cashiers; only an administrator makes, changes
    or unmakes a manager or an administrator (as create_user)."""
    actor.require(Permission.MANAGE_USERS)
    if any(role in _PRIVILEGED for role in roles):
        actor.require(Permission.MANAGE_ADMINISTRATORS)


def _staff_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
    if row is None:
        raise LoyaltyError("unknown_user", f"there is no user called {name}")
    return row


def _last_administrator(conn: Connection, row: Any) -> None:
    others = conn.execute(
        select(func.count())
        .select_from(t.users)
        .where(t.users.c.role == Role.ADMINISTRATOR.value, t.users.c.active, t.users.c.id != row.id)
    ).scalar_one()
    if row.role == Role.ADMINISTRATOR.value and row.active and not others:
        raise LoyaltyError(
            "last_administrator",
            f"{row.name} is the last active administrator: make another administrator first",
        )


def set_role(
    ledger: Ledger,
    actor: Actor,
    user_name: str,
    role: Role,
    *,
    new_pin: str | None = None,
    at: datetime | None = None,
    from_server: bool = False,
) -> None:
    """Give a user another role. A promotion to manager or administrator needs a new PIN
    of 6 digits at least (engine/pins.py); nobody demotes the last active administrator,
    and nobody raises their own role."""
    pin_hash = None
    if new_pin is not None:
        check_pin(new_pin, role.value)
        pin_hash = hash_pin(new_pin)
    with ledger.write(at) as (conn, at):
        row = _staff_row(conn, user_name)
        old = Role(row.role)
        # Before the permission check, so a manager asking for more hears why not.
        if row.id == actor.id and _RANK[role] > _RANK[old]:
            raise LoyaltyError("own_role", "nobody raises their own role")
        _may_manage(actor, old, role)
        if not from_server and enrolled(conn):
            raise LoyaltyError("staff_via_server", STAFF_VIA_SERVER)
        if role is not Role.ADMINISTRATOR:
            _last_administrator(conn, row)
        if pin_hash is None:
            if role is old:
                return  # the role it has: nothing to change, nothing to audit
            check_pin(None, role.value, previous_role=old.value)
        changes: dict[str, Any] = {"role": role.value}
        if pin_hash is not None:
            changes.update(pin_hash=pin_hash, failed_pins=0, locked_until=None)
        conn.execute(update(t.users).where(t.users.c.id == row.id).values(changes))
        details = {"from": old.value, "to": role.value, "new_pin": pin_hash is not None}
        ledger.audit(conn, "user_role_changed", row.name, actor.name, details, user_id=actor.id)


def reset_pin(
    ledger: Ledger,
    actor: Actor,
    user_name: str,
    new_pin: str,
    *,
    at: datetime | None = None,
    from_server: bool = False,
) -> None:
    """A new PIN for a user who forgot theirs (it also lifts a lock). Anyone may change
    their own PIN; someone else's is a manager's job, a manager's or administrator's PIN
    an administrator's."""
    with ledger.db.read() as conn:
        role = Role(_staff_row(conn, user_name).role)
    check_pin(new_pin or "", role.value)
    pin_hash = hash_pin(new_pin)
    with ledger.write(at) as (conn, at):
        row = _staff_row(conn, user_name)
        if row.id != actor.id:
            _may_manage(actor, Role(row.role))
        if not from_server and enrolled(conn):
            raise LoyaltyError("staff_via_server", STAFF_VIA_SERVER)
        check_pin(new_pin, row.role)  # the role may have changed since it was read
        conn.execute(
            update(t.users)
            .where(t.users.c.id == row.id)
            .values(pin_hash=pin_hash, failed_pins=0, locked_until=None)
        )
        ledger.audit(conn, "user_pin_reset", row.name, actor.name, {}, user_id=actor.id)


def set_active(
    ledger: Ledger,
    actor: Actor,
    user_name: str,
    active: bool,
    *,
    at: datetime | None = None,
    from_server: bool = False,
) -> None:
    """Deactivate a user (they can no longer log in; their receipts and audit lines stay)
    or take them back. Nobody deactivates themselves or the last active administrator."""
    with ledger.write(at) as (conn, at):
        row = _staff_row(conn, user_name)
        if not active and row.id == actor.id:
            raise LoyaltyError("own_account", "nobody deactivates themselves")
        _may_manage(actor, Role(row.role))
        if not from_server and enrolled(conn):
            raise LoyaltyError("staff_via_server", STAFF_VIA_SERVER)
        if row.active == active:
            return  # already so: nothing to change, nothing to audit
        if not active:
            _last_administrator(conn, row)
        conn.execute(update(t.users).where(t.users.c.id == row.id).values(active=active))
        action = "user_activated" if active else "user_deactivated"
        ledger.audit(conn, action, row.name, actor.name, {}, user_id=actor.id)


def deactivate_user(ledger: Ledger, actor: Actor, user_name: str, **kw: Any) -> None:
    set_active(ledger, actor, user_name, False, **kw)


def activate_user(ledger: Ledger, actor: Actor, user_name: str, **kw: Any) -> None:
    set_active(ledger, actor, user_name, True, **kw)
