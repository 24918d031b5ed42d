"""One customer's replay: from their stored state or from the start, checked to leave a
state a till can load; and, when it fails, again event by event, quarantining each event
that cannot be applied."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, exists, insert, select

from cashier_app.engine.automation import next_due
from cashier_app.engine.event_check import FUTURE_TOLERANCE
from cashier_app.engine.postings import standing_to_json
from cashier_app.engine.program import Program
from cashier_app.engine.replay import (
    CustomerReplay,
    Overdraft,
    RecordedEvent,
    advance,
    apply,
    last_order,
    replay_customer,
    resume,
    start,
    state_to_dict,
)
from central_server import schema as s
from central_server.ledger.common import among, aware, dumps, iso
from central_server.ledger.snapshot_lines import customer_line

# The stored state to resume from, the snapshot for the tills, the next due moment and
# the new overdrafts.
Replayed = tuple[str, str, datetime | None, list[Overdraft]]


def replay_one(
    customer_id: str,
    recorded: list[RecordedEvent],
    resumed: tuple[CustomerReplay, tuple[datetime, str, int] | None, str] | None,
    versions: Callable[[int | None], Program],
    now: datetime,
) -> Replayed | None:
    """One customer's replay: the stored state to resume from later, the snapshot as of
    now (checked to be one a till can load), the next due moment and new overdrafts.
    None while their registration has not arrived."""
    _not_ahead(recorded, now)
    if resumed is not None:
        state, previous, _ = resumed
        resume(recorded, state, versions)
        last = last_order(recorded) or previous
    elif any(e.kind == "customer_registered" for e in recorded):
        state = replay_customer(recorded, versions)
        last = last_order(recorded)
    else:
        return None
    replay = dumps(state_to_dict(state, last))
    advance(state, versions(None), now)  # what tills are told: the state as of now
    snap = dumps(_snapshot(customer_id, state, now))
    customer_line(customer_id, "", "{}", snap)  # raises if a till could not load it
    return replay, snap, _next_due(versions(None), state), list(state.overdrafts)


def isolate(
    conn: Connection,
    customer_id: str,
    versions: Callable[[int | None], Program],
    now: datetime,
    failure: Exception,
) -> Replayed | None:
    """A customer whose replay failed: their whole history again, one event at a time,
    and each event that cannot be applied (or leaves a state that cannot be sent) is
    quarantined and left out. Logged without personal data: ids and the kind of fault."""
    log = logging.getLogger(__name__)
    log.warning(
        "replay of customer %s failed (%s); replaying event by event",
        customer_id,
        type(failure).__name__,
    )
    try:
        aliases = set(
            conn.execute(
                select(s.customer_aliases.c.alias).where(
                    s.customer_aliases.c.customer_id == customer_id
                )
            ).scalars()
        )
        history = [
            recorded_event(r)
            for r in conn.execute(
                select(s.events).where(
                    among(conn, s.events.c.customer_id, [customer_id, *aliases]),
                    not_quarantined(),
                )
            )
            if not (r.kind == "customer_registered" and r.customer_id != customer_id)
        ]
        state: CustomerReplay | None = None
        last = None
        for event in sorted(history, key=lambda e: (e.kind != "customer_registered", e.order)):
            try:
                _not_ahead([event], now)
                if state is None:
                    if event.kind != "customer_registered":
                        break  # no registration to start from: the events wait
                    trial = start(event, versions(event.program_version))
                else:
                    trial = copy.deepcopy(state)
                    apply(trial, event, versions(event.program_version))
                probe = (copy.deepcopy(trial), event.order, "")
                replay_one(customer_id, [], probe, versions, now)  # a state tills can load
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "event %s of customer %s quarantined (%s)",
                    event.id,
                    customer_id,
                    type(exc).__name__,
                )
                conn.execute(delete(s.quarantine).where(s.quarantine.c.event_id == event.id))
                conn.execute(
                    insert(s.quarantine).values(
                        event_id=event.id, customer_id=customer_id, reason=reason, at=now
                    )
                )
                continue
            state, last = trial, event.order
        if state is None:
            return None
        return replay_one(customer_id, [], (state, last, ""), versions, now)
    except Exception as exc:
        log.error(
            "customer %s left as it was: their replay cannot be repaired (%s)",
            customer_id,
            type(exc).__name__,
        )
        return None


def _not_ahead(events: Iterable[RecordedEvent], now: datetime) -> None:
    """An event dated after the server's clock (past the checks on arrival by some fault)
    would expire every lot before it: it is not replayed."""
    if any(e.at > now + FUTURE_TOLERANCE for e in events):
        raise ValueError("an event dated after the server's clock")


def recorded_event(r: Any) -> RecordedEvent:
    return RecordedEvent(
        r.id,
        r.device_id,
        int(r.device_seq),
        r.kind,
        aware(r.at),
        r.program_version,
        orjson.loads(r.payload),
    )


def not_quarantined() -> Any:
    q = s.quarantine.c
    return ~exists().where(q.event_id == s.events.c.id, q.state != "released")


def _next_due(program: Program, state: CustomerReplay) -> datetime | None:
    """In UTC, as the server's clock: SQLite keeps a moment's wall time without its zone,
    and the engine's moments are in the shop's (a birthday at its local midnight)."""
    group = program.group(state.group) or program.default_group
    s = state.standing
    due = next_due(program, program.bonus_program_of(group), s.account, s.profile)
    return due.at.astimezone(UTC) if due is not None else None


def _snapshot(customer_id: str, state: CustomerReplay, now: datetime) -> dict[str, Any]:
    """The account as tills are told it: the standing in the engine's one JSON form (the
    registration moment and birthday they hold with the customer), with the balance and
    pending points as of now."""
    account = state.standing.account
    return {
        "customer_id": customer_id,
        "as_of": iso(now),
        "balance": str(account.balance(now)),
        "pending": str(account.pending(now)),
        **standing_to_json(state.standing, identity=False),
    }
