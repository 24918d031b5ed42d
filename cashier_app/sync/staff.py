"""Staff changes from the window or the command line, wherever they belong: a
standalone till makes them in its own ledger (service/staff.py); an enrolled till's staff
are the central server's (its feed would undo a change made here alone), so the change is
sent to the server (PUT /v1/staff/{name}, docs/sync.md), which checks the acting user's
PIN and role against its own staff list for this till's store, and the server's answer
is applied here in one transaction with the audit line. Offline, nothing changes.
"""

from __future__ import annotations

from sqlalchemy import select

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.pins import check_pin
from cashier_app.engine.protocol import Role, StaffChange
from cashier_app.service import staff, users
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t
from cashier_app.sync.client import SyncError
from cashier_app.sync.worker import client_for

UNREACHABLE = "staff changes need the central server: it is not reachable"


def is_enrolled(ledger: Ledger) -> bool:
    with ledger.db.read() as conn:
        return users.enrolled(conn)


def add_user(
    ledger: Ledger, actor: Actor, name: str, role: Role, pin: str, *, actor_pin: str | None
) -> None:
    if not is_enrolled(ledger):
        users.create_user(ledger, name, role, pin, actor=actor)
        return
    name = " ".join((name or "").split())
    if not name:
        raise LoyaltyError("invalid_name", "a user's name has 1 to 64 characters")
    check_pin(pin or "", role.value)
    _through_server(ledger, actor, name, "create_user", actor_pin, role=role, pin=pin)


def set_role(
    ledger: Ledger,
    actor: Actor,
    name: str,
    role: Role,
    *,
    new_pin: str | None = None,
    actor_pin: str | None,
) -> None:
    if not is_enrolled(ledger):
        staff.set_role(ledger, actor, name, role, new_pin=new_pin)
        return
    _through_server(ledger, actor, name, "user_role_changed", actor_pin, role=role, pin=new_pin)


def reset_pin(
    ledger: Ledger, actor: Actor, name: str, new_pin: str, *, actor_pin: str | None
) -> None:
    if not is_enrolled(ledger):
        staff.reset_pin(ledger, actor, name, new_pin)
        return
    _through_server(ledger, actor, name, "user_pin_reset", actor_pin, pin=new_pin)


def set_active(
    ledger: Ledger, actor: Actor, name: str, active: bool, *, actor_pin: str | None
) -> None:
    if not is_enrolled(ledger):
        staff.set_active(ledger, actor, name, active)
        return
    action = "user_activated" if active else "user_deactivated"
    _through_server(ledger, actor, name, action, actor_pin, active=active)


def _through_server(
    ledger: Ledger,
    actor: Actor,
    name: str,
    action: str,
    actor_pin: str | None,
    *,
    role: Role | None = None,
    pin: str | None = None,
    active: bool | None = None,
) -> None:
    # The till's own check first, so a cashier is refused here too, offline or not; the
    # server decides the rest (the last administrator, roles) against its staff list.
    actor.require(Permission.MANAGE_USERS)
    if role in (Role.MANAGER, Role.ADMINISTRATOR):
        actor.require(Permission.MANAGE_ADMINISTRATORS)
    if not actor_pin:
        raise LoyaltyError("pin_required", "confirm the change with your own PIN")
    client = client_for(ledger)
    assert client is not None  # enrolled: checked by the caller
    change = StaffChange(
        acting_user=actor.name, acting_pin=actor_pin, role=role, pin=pin, active=active
    )
    try:
        answer = client.put_staff(name, change)
    except SyncError as exc:
        if exc.status is None or exc.status >= 500:
            raise LoyaltyError("server_unreachable", UNREACHABLE) from None
        raise LoyaltyError("refused_by_server", f"the central server refused: {exc}") from None
    with ledger.write(None) as (conn, at):
        before = conn.execute(select(t.users.c.role).where(t.users.c.name == name)).first()
        users.user_from_server(conn, answer.name, answer.role, answer.pin_hash, answer.active, at)
        details: dict[str, object] = {"via": "central server", "role": answer.role.value}
        if before is not None and before.role != answer.role.value:
            details["from"] = before.role
        ledger.audit(conn, action, answer.name, actor.name, details, user_id=actor.id)
