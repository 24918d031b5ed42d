"""Installing a program version: validated, versioned, groups kept in step."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import Program, parse_program
from cashier_app.service.ledger import Ledger, to_json
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import schema as t


def install_program(
    ledger: Ledger,
    document: Mapping[str, Any],
    *,
    at: datetime | None = None,
    actor: Actor = OPERATOR,
) -> Program:
    """Validate and install a new version; refuses a stale version or one that drops a
    group customers still belong to."""
    actor.require(Permission.INSTALL_PROGRAM)
    program = parse_program(document)  # also checks the default region
    with ledger.write(at) as (conn, at):
        install_in(conn, ledger, program, document, at, actor.name)
    return program


def install_in(
    conn: Connection,
    ledger: Ledger,
    program: Program,
    document: Mapping[str, Any],
    at: datetime,
    actor_name: str,
) -> None:
    """Install a validated program inside the caller's transaction (also used when a
    version arrives from the central server)."""
    current = conn.execute(select(func.max(t.program_versions.c.version))).scalar()
    if current is not None and program.version <= current:
        raise LoyaltyError(
            "stale_program",
            f"program version {program.version} is not newer than the installed {current}",
        )
    kept = {g.id for g in program.groups}
    in_use = (
        conn.execute(
            select(t.customers.c.group_id).where(t.customers.c.group_id.not_in(kept)).distinct()
        )
        .scalars()
        .all()
    )
    if in_use:
        raise LoyaltyError(
            "group_in_use",
            "the new version drops groups customers still belong to: " + ", ".join(sorted(in_use)),
        )
    conn.execute(
        insert(t.program_versions).values(
            version=program.version,
            document=json.dumps(to_json(dict(document)), ensure_ascii=False),
            installed_at=at,
        )
    )
    conn.execute(update(t.customer_groups).values(active=False))
    existing = set(conn.execute(select(t.customer_groups.c.id)).scalars())
    for g in program.groups:
        values = {"name": g.name, "loyalty": g.loyalty, "is_default": g.default, "active": True}
        if g.id in existing:
            conn.execute(
                update(t.customer_groups).where(t.customer_groups.c.id == g.id).values(values)
            )
        else:
            conn.execute(insert(t.customer_groups).values(id=g.id, **values))
    ledger.audit(
        conn, "install_program", str(program.version), actor_name, {"version": program.version}
    )


def program_in_force(ledger: Ledger) -> Program:
    """The installed version the till works by: its groups, region and time zone are what
    the window's forms offer and show."""
    with ledger.db.read() as conn:
        return ledger.program(conn)


def ensure_program(ledger: Ledger, default: Mapping[str, Any]) -> None:
    """Install ``default`` on a till that has no program yet (its first start)."""
    with ledger.db.read() as conn:
        installed = conn.execute(select(func.max(t.program_versions.c.version))).scalar()
    if installed is None:
        install_program(ledger, default)
