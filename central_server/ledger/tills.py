"""The tills: enrolment codes, enrolment with a card prefix, device tokens, revocation,
and freeing a revoked till's card prefix."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from cashier_app.engine.protocol import DEFAULT_STORE
from central_server import schema as s
from central_server.ledger.base import StoreBase
from central_server.ledger.common import (
    Device,
    ServerError,
    aware,
    new_id,
    store_name,
    token_hash,
)

CODE_LIFETIME = timedelta(hours=24)

# A till's card numbers are "2" + its 4-digit card prefix + a 7-digit sequence + the
# EAN-13 check digit (cashier_app/service/cards.py), so there are 9,999 prefixes (0001 to
# 9999). Widening them would change the form of the numbers already printed on cards and
# the tills' own checks, so a revoked till's prefix is reused instead, once an
# administrator has freed it (release_prefix): that is their statement that the till's
# cards are accounted for (it had sent everything, or what it never sent is written
# off). Never-used prefixes go first; a freed one is reused only when none is left.
CARD_PREFIXES = [f"{n:04d}" for n in range(1, 10000)]


class Tills(StoreBase):
    def issue_code(self, store: str = DEFAULT_STORE) -> str:
        """A one-time code that enrols a till of ``store``."""
        store = store_name(store)
        code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.enrol_codes).values(
                    code_hash=token_hash(code),
                    created_at=now,
                    expires_at=now + CODE_LIFETIME,
                    store=store,
                )
            )
        return code

    def enrol(self, code: str, name: str) -> tuple[Device, str]:
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.enrol_codes)
                .where(s.enrol_codes.c.code_hash == token_hash(code.strip().upper()))
                .with_for_update()
            ).first()
            if row is None or row.used_by is not None or aware(row.expires_at) < now:
                raise ServerError(403, "bad_code", "the enrolment code is unknown, used or expired")
            token = secrets.token_urlsafe(32)
            device_id = new_id()
            prefix = self._free_prefix(conn)
            conn.execute(
                insert(s.devices).values(
                    id=device_id,
                    name=name[:80],
                    token_hash=token_hash(token),
                    card_prefix=prefix,
                    enrolled_at=now,
                    last_seq=0,
                    store=row.store,
                )
            )
            conn.execute(
                update(s.enrol_codes)
                .where(s.enrol_codes.c.code_hash == row.code_hash)
                .values(used_by=device_id)
            )
        return Device(device_id, name, prefix, 0, row.store), token

    def _free_prefix(self, conn: Connection) -> str:
        """A card prefix no till holds: a never-used one, else the longest-freed one (see
        CARD_PREFIXES); a 409 when every one is held. Nothing is written before this, so
        the refused code stays unused."""
        d = s.devices.c
        held = set(conn.execute(select(d.card_prefix).where(d.card_prefix.is_not(None))).scalars())
        freed = conn.execute(
            select(d.released_prefix)
            .where(d.released_prefix.is_not(None))
            .order_by(d.revoked_at, d.id)
        ).scalars()
        freed_order = list(dict.fromkeys(freed))
        used = held | set(freed_order)
        fresh = next((p for p in CARD_PREFIXES if p not in used), None)
        if fresh is not None:
            return fresh
        again = next((p for p in freed_order if p not in held), None)
        if again is None:
            raise ServerError(
                409,
                "no_card_prefix",
                f"all {len(CARD_PREFIXES)} card prefixes are held by enrolled tills: revoke a "
                "till no longer in use and, once its cards are accounted for, free its "
                "prefix (central-server release-prefix DEVICE_ID)",
            )
        return str(again)

    def release_prefix(self, device_id: str) -> str:
        """Free a revoked till's card prefix for a till enrolled later. The administrator
        says so once the revoked till's cards are accounted for: its events can never
        arrive any more (a revoked till's pushes are refused), and the cards the server
        knows are in every till's ledger, where a till's next number skips them; cards it
        issued but never sent would be handed out again. Returns the prefix."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.devices).where(s.devices.c.id == device_id).with_for_update()
            ).first()
            if row is None:
                raise ServerError(404, "unknown_device", "no such device")
            if row.revoked_at is None:
                raise ServerError(
                    409,
                    "device_not_revoked",
                    "only a revoked till's card prefix can be freed: revoke the till first",
                )
            if row.card_prefix is None:
                return str(row.released_prefix)  # freed already
            conn.execute(
                update(s.devices)
                .where(s.devices.c.id == device_id)
                .values(card_prefix=None, released_prefix=row.card_prefix)
            )
        return str(row.card_prefix)

    def device_for(self, token: str | None, cached: bool = False) -> Device:
        """The device a token belongs to. ``cached``: a device seen before is answered
        from memory (a token never changes hands), for callers that check revocation
        themselves under a lock, as a push does."""
        if not token:
            raise ServerError(401, "no_token", "a device token is required")
        if cached and (known := self._tokens.get(token_hash(token))) is not None:
            return known
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.devices).where(s.devices.c.token_hash == token_hash(token))
            ).first()
        if row is None:
            raise ServerError(401, "bad_token", "unknown device token")
        if row.revoked_at is not None:
            raise ServerError(
                403, "revoked", "this device was revoked; its unsent events stay on it"
            )
        device = Device(row.id, row.name, row.card_prefix, row.last_seq, row.store)
        self._tokens[row.token_hash] = device
        return device

    def revoke(self, device_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(s.devices).where(s.devices.c.id == device_id).values(revoked_at=self.clock())
            )
        if not done.rowcount:
            raise ServerError(404, "unknown_device", "no such device")
