"""What the administrator publishes to every till: program versions, the catalogue, and
the staff of each store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.pins import check_pin
from cashier_app.engine.program import Program, parse_program
from cashier_app.engine.protocol import ALL_STORES, DEFAULT_STORE, MAX_USER_NAME
from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import CONTROL_CHARACTERS, ServerError, among, store_name


class CatalogueAndStaff(StoreBase):
    def publish_program(self, document: Mapping[str, Any]) -> Program:
        try:
            program = parse_program(document)
        except ProgramError as exc:
            raise ServerError(422, "invalid_program", exc.message) from None
        with self.engine.begin() as conn:
            current = conn.execute(select(func.max(s.program_versions.c.version))).scalar()
            if current is not None and program.version <= current:
                raise ServerError(
                    409, "stale_program", f"version {program.version} is not newer than {current}"
                )
            text = json.dumps(dict(document), ensure_ascii=False)
            conn.execute(
                insert(s.program_versions).values(
                    version=program.version, document=text, published_at=self.clock()
                )
            )
            self._change(conn, "program", str(program.version), dict(document))
        return program

    def put_products(self, products: list[dict[str, Any]]) -> int:
        now = self.clock()
        with self.engine.begin() as conn:
            for p in products:
                conn.execute(delete(s.products).where(s.products.c.sku == p["sku"]))
                conn.execute(
                    insert(s.products).values(
                        sku=p["sku"], data=json.dumps(p, ensure_ascii=False), updated_at=now
                    )
                )
            self._changes(conn, [("product", p["sku"], p) for p in products])
        return len(products)

    def put_user(
        self,
        name: str,
        role: str,
        pin: str | None,
        active: bool = True,
        store: str | None = None,
    ) -> None:
        """Add or change a member of staff; the PIN is hashed here and only the hash travels,
        to the tills of the user's store only.

        ``pin`` None keeps the user's PIN (a new user needs one; so does a user made manager
        or administrator: cashier_app/engine/pins.py, the till's rule too). ``store`` is a
        store's name or ALL_STORES; None keeps the user's store (a new user's is
        DEFAULT_STORE). A user moved away from a store is deactivated on its tills by a
        change for them alone, which carries no PIN hash; the user's earlier changes are
        taken out of the feed, so a till pulling from the start never receives a hash
        meant for another store, nor an older hash of this user."""
        from argon2 import PasswordHasher

        if not name.strip() or len(name) > MAX_USER_NAME or CONTROL_CHARACTERS.search(name):
            raise ServerError(
                422,
                "invalid_name",
                f"a user's name is 1 to {MAX_USER_NAME} characters, with no control characters",
            )
        wanted = None if store is None or store == ALL_STORES else store_name(store)
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.users).where(s.users.c.name == name).with_for_update()
            ).first()
            if pin is None and row is None:
                raise ServerError(422, "pin_required", "a new user needs a PIN")
            try:
                check_pin(pin, role, previous_role=row.role if row is not None else None)
            except LoyaltyError as exc:
                raise ServerError(422, exc.code, exc.message) from None
            pin_hash = PasswordHasher().hash(pin) if pin is not None else row.pin_hash  # type: ignore[union-attr]
            if store is None:
                wanted = row.store if row is not None else DEFAULT_STORE
            conn.execute(delete(s.users).where(s.users.c.name == name))
            conn.execute(
                insert(s.users).values(
                    name=name,
                    role=role,
                    pin_hash=pin_hash,
                    active=active,
                    updated_at=now,
                    store=wanted,
                )
            )
            self._drop_user_changes(conn, name)
            if row is not None and wanted is not None and row.store != wanted:
                gone = [_user_gone(name, row.role)]
                if row.store is None:  # from every store to one: off the others' tills
                    self._changes(conn, gone, not_store=wanted)
                else:  # from one store to another: off the first one's tills
                    self._changes(conn, gone, store=row.store)
            user = {"name": name, "role": role, "pin_hash": pin_hash, "active": active}
            self._changes(conn, [("user", name, user)], store=wanted)

    def _drop_user_changes(self, conn: Connection, name: str) -> None:
        """Take the user's earlier changes that carry a PIN hash out of the feed: the new
        change (and the deactivations, kept) reach every till those reached."""
        c = s.changes.c
        stale = [
            r.cursor
            for r in conn.execute(
                select(c.cursor, c.payload).where(c.kind == "user", c.key == name)
            )
            if json.loads(r.payload).get("pin_hash")
        ]
        if stale:
            conn.execute(delete(s.changes).where(among(conn, c.cursor, stale)))


def _user_gone(name: str, role: str) -> tuple[str, str, Mapping[str, Any]]:
    """A user's change for tills that must no longer have them: inactive, and no PIN hash
    (the one they held is overwritten)."""
    return ("user", name, {"name": name, "role": role, "pin_hash": "", "active": False})
