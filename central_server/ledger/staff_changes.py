"""Staff changes a till asks for (PUT /v1/staff/{name}): the till's own manager or
administrator changes the staff of the till's store from the window or the command line.

The server decides by its own staff list, not by what the till says: the acting user must
be active on this store's staff (or every store's), their PIN must match the hash held
here, and their role must allow the change, by the till's rules (service/users.py and
service/staff.py): managers manage cashiers and senior cashiers, only an administrator
makes or changes a manager or an administrator, nobody raises their own role or
deactivates themselves, and a store keeps an active administrator. The change itself is
``put_user``'s, so it reaches every till of the store through the feed like any other."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, or_, select

from cashier_app.engine.protocol import Role, StaffAnswer, StaffChange
from central_server import schema as s
from central_server.ledger.catalogue import CatalogueAndStaff
from central_server.ledger.common import Device, ServerError

_MANAGE_USERS = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
_PRIVILEGED = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
_RANK = {Role.CASHIER: 0, Role.SENIOR_CASHIER: 1, Role.MANAGER: 2, Role.ADMINISTRATOR: 3}


def _on_staff_of(store: str) -> Any:
    return or_(s.users.c.store == store, s.users.c.store.is_(None))


class TillStaffChanges(CatalogueAndStaff):
    def change_staff_from_till(self, device: Device, name: str, change: StaffChange) -> StaffAnswer:
        with self.engine.connect() as conn:
            acting = self._acting(conn, device, change)
            row = conn.execute(select(s.users).where(s.users.c.name == name)).first()
        if row is not None and row.store not in (device.store, None):
            raise ServerError(404, "unknown_user", f"{name} is not on this store's staff")
        if row is None and (change.role is None or change.pin is None):
            raise ServerError(404, "unknown_user", f"there is no user called {name}")
        old = Role(row.role) if row is not None else None
        new = change.role or old
        assert new is not None
        if (
            row is not None
            and row.name == acting.name
            and (_RANK[new] > _RANK[old] if old is not None else False)
        ):
            raise ServerError(403, "own_role", "nobody raises their own role")
        if change.active is False and row is not None and row.name == acting.name:
            raise ServerError(403, "own_account", "nobody deactivates themselves")
        if Role(acting.role) not in _MANAGE_USERS:
            raise ServerError(403, "not_allowed", f"a {acting.role} may not manage users")
        if {new, old} & _PRIVILEGED and acting.role != Role.ADMINISTRATOR:
            raise ServerError(
                403, "not_allowed", "only an administrator manages managers and administrators"
            )
        if row is None and change.active is False:
            raise ServerError(422, "invalid_change", "a new user starts active")
        active = row.active if change.active is None and row is not None else change.active
        active = True if active is None else active
        leaves = new is not Role.ADMINISTRATOR or not active
        if row is not None and old is Role.ADMINISTRATOR and row.active and leaves:
            self._keep_an_administrator(device, name)
        # The store stays the user's own (every store's stays every store's); a new user
        # is this till's store's.
        self.put_user(name, new.value, change.pin, active, None if row else device.store)
        with self.engine.connect() as conn:
            now = conn.execute(select(s.users).where(s.users.c.name == name)).one()
        return StaffAnswer(name=now.name, role=now.role, pin_hash=now.pin_hash, active=now.active)

    def _acting(self, conn: Connection, device: Device, change: StaffChange) -> Any:
        acting = conn.execute(
            select(s.users).where(
                s.users.c.name == change.acting_user, s.users.c.active, _on_staff_of(device.store)
            )
        ).first()
        try:
            ok = acting is not None and PasswordHasher().verify(acting.pin_hash, change.acting_pin)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            # One answer for an unknown user and a wrong PIN: the server's staff list is
            # not to be probed through a till.
            raise ServerError(403, "wrong_pin", "the acting user's name or PIN is not right")
        return acting

    def _keep_an_administrator(self, device: Device, name: str) -> None:
        with self.engine.connect() as conn:
            others = conn.execute(
                select(func.count())
                .select_from(s.users)
                .where(
                    s.users.c.role == Role.ADMINISTRATOR.value,
                    s.users.c.active,
                    s.users.c.name != name,
                    _on_staff_of(device.store),
                )
            ).scalar_one()
        if not others:
            raise ServerError(
                409,
                "last_administrator",
                f"{name} is the store's last active administrator: make another one first",
            )
