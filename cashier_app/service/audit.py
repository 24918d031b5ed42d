"""Reading the audit log: who did what, at which till and when (a manager's view).

The log itself is written by each operation in its own transaction (``Ledger.audit``) and
is append-only: the database refuses to change or delete a line (migration 0005's
triggers), so what is read here is what happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from cashier_app.service.ledger import Ledger
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

MAX_PAGE = 1000  # lines in one read: the window reads a page at a time


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which lines: from ``since`` (inclusive) to ``until`` (exclusive), by one user's
    name, of one action; None means any."""

    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    user: str | None  # the user's name as it was then
    till: str | None  # the till's name as it was then
    action: str
    subject: str | None
    details: dict[str, Any]


def _query(wanted: AuditFilter) -> Select[Any]:
    c = t.audit_log.c
    query = select(c.at, c.actor, c.till, c.action, c.subject, c.details)
    if wanted.since is not None:
        query = query.where(c.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(c.at < wanted.until)
    if wanted.user:
        query = query.where(c.actor == wanted.user)
    if wanted.action:
        query = query.where(c.action == wanted.action)
    return query.order_by(c.at.desc(), c.id.desc())  # newest first


def _entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"text": row.details}  # an older line's free text
    if not isinstance(details, dict):
        details = {"value": details}
    return AuditEntry(row.at, row.actor, row.till, row.action, row.subject, details)


def audit_entries(
    ledger: Ledger,
    actor: Actor,
    wanted: AuditFilter = AuditFilter(),
    offset: int = 0,
    limit: int = 200,
) -> list[AuditEntry]:
    """One page of the log, newest first."""
    actor.require(Permission.VIEW_AUDIT_LOG)
    limit = max(1, min(limit, MAX_PAGE))
    with ledger.db.read() as conn:
        rows = conn.execute(_query(wanted).offset(max(0, offset)).limit(limit)).all()
    return [_entry(r) for r in rows]


def all_audit_entries(
    ledger: Ledger, actor: Actor, wanted: AuditFilter = AuditFilter()
) -> Iterator[AuditEntry]:
    """Every line the filter takes, page by page (for an export)."""
    offset = 0
    while page := audit_entries(ledger, actor, wanted, offset, MAX_PAGE):
        yield from page
        offset += len(page)


def audit_choices(ledger: Ledger, actor: Actor) -> tuple[list[str], list[str]]:
    """The users and the actions the log holds, for the filters' lists."""
    actor.require(Permission.VIEW_AUDIT_LOG)
    c = t.audit_log.c
    with ledger.db.read() as conn:
        names = conn.execute(select(c.actor).distinct().where(c.actor.is_not(None))).scalars()
        user_names = sorted(names)
        actions = sorted(conn.execute(select(c.action).distinct()).scalars())
    return user_names, actions


def details_text(details: dict[str, Any]) -> str:
    """The details as one line: ``key: value`` pairs."""
    return ", ".join(f"{k}: {v}" for k, v in details.items())
