"""``cashier-app user-role|user-pin|user-deactivate|user-activate`` and ``audit``: staff
changes and the audit log from the command line, by a user who says who they are
(``--as NAME`` with the PIN in $CASHIER_APP_PIN). On an enrolled till a staff change goes
through the central server (sync/staff.py)."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from cashier_app.cli import AddCommand, UsageError, acting, acting_with_pin, new_pin, store_ledger
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.protocol import ROLES, Role
from cashier_app.service.audit import AuditFilter, all_audit_entries, details_text
from cashier_app.service.ledger import Ledger


def cmd_user_role(args: argparse.Namespace) -> int:
    from cashier_app.sync import staff

    ledger = store_ledger(args)
    actor, pin = acting_with_pin(args, ledger)
    role = Role(args.role)
    promoted = None  # a promotion to manager or administrator needs a new, longer PIN
    asks = role in (Role.MANAGER, Role.ADMINISTRATOR) and sys.stdin.isatty()
    if args.pin or "CASHIER_APP_NEW_PIN" in os.environ or asks:
        promoted = new_pin(args, args.name)
    staff.set_role(ledger, actor, args.name, role, new_pin=promoted, actor_pin=pin)
    print(f"{args.name} is now {role.value.replace('_', ' ')}")
    return 0


def cmd_user_pin(args: argparse.Namespace) -> int:
    from cashier_app.sync import staff

    ledger = store_ledger(args)
    actor, pin = acting_with_pin(args, ledger)
    staff.reset_pin(ledger, actor, args.name, new_pin(args, args.name), actor_pin=pin)
    print(f"{args.name} has a new PIN (and is no longer locked)")
    return 0


def _set_active(args: argparse.Namespace, active: bool) -> int:
    from cashier_app.sync import staff

    ledger = store_ledger(args)
    actor, pin = acting_with_pin(args, ledger)
    staff.set_active(ledger, actor, args.name, active, actor_pin=pin)
    print(f"{args.name} is {'active again' if active else 'deactivated'}")
    return 0


def _store_zone(ledger: Ledger) -> tzinfo:
    with ledger.db.read() as conn:
        try:
            return ledger.program(conn, fresh=False).tz
        except LoyaltyError:
            return UTC  # no program yet


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--{what} {text!r} is not a date like 2026-03-01") from None


def cmd_audit(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    tz = _store_zone(ledger)
    first, last = _day(args.since, "from"), _day(args.until, "to")
    if first and last and last < first:
        raise UsageError("--to is before --from")
    # Whole days in the store's zone, --to included.
    since = datetime.combine(first, time(), tz).astimezone(UTC) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC) if last else None
    wanted = AuditFilter(since, until, args.user, args.action)
    columns = ["time", "user", "till", "action", "subject", "details"]
    out = csv.writer(sys.stdout) if args.format == "csv" else None
    if out:
        out.writerow(columns)
    count = 0
    for e in all_audit_entries(ledger, actor, wanted):
        row = [
            e.at.astimezone(tz).isoformat(" ", "seconds"),
            e.user or "",
            e.till or "",
            e.action,
            e.subject or "",
            details_text(e.details),
        ]
        count += 1
        if out:
            out.writerow(row)
        else:
            print("  ".join(row[:5]) + (f"  ({row[5]})" if row[5] else ""))
    if not out:
        print(f"{count} line(s)")
    return 0


def permission_table() -> str:
    """Which role may do what, as the Markdown table the README holds (a test keeps the
    two the same)."""
    from cashier_app.service.users import PERMISSION_WORDS, ROLE_PERMISSIONS

    roles = list(Role)
    lines = [
        "| may | " + " | ".join(r.value.replace("_", " ") for r in roles) + " |",
        "| --- |" + " :---: |" * len(roles),
    ]
    for permission, words in PERMISSION_WORDS.items():
        marks = ["✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles]
        lines.append(f"| {words} | " + " | ".join(marks) + " |")
    return "\n".join(re.sub(r"\|\s+(?=\|)", "| ", line) for line in lines)


def cmd_permissions(args: argparse.Namespace) -> int:
    print(permission_table())
    return 0


def add_commands(add: AddCommand) -> None:
    add("permissions", cmd_permissions, "which role may do what (the README's table)")
    p = add("user-role", cmd_user_role, "give a user another role (a manager or above)")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    p.add_argument(
        "--pin",
        help="the new PIN a promotion to manager or administrator needs (or $CASHIER_APP_NEW_PIN)",
    )
    p = add("user-pin", cmd_user_pin, "give a user a new PIN (lifts a lock)")
    p.add_argument("name")
    p = add("user-deactivate", cmd_user_deactivate, "stop a user from logging in")
    p.add_argument("name")
    p = add("user-activate", cmd_user_activate, "let a deactivated user log in again")
    p.add_argument("name")
    p = add("audit", cmd_audit, "the audit log, newest first (a manager or above)")
    p.add_argument("--from", dest="since", metavar="YYYY-MM-DD", help="from this day")
    p.add_argument("--to", dest="until", metavar="YYYY-MM-DD", help="up to this day, included")
    p.add_argument("--user", help="only this user's lines")
    p.add_argument("--action", help="only this action (login, wrong_pin, adjust_balance…)")
    p.add_argument("--format", choices=["table", "csv"], default="table")


def cmd_user_deactivate(args: argparse.Namespace) -> int:
    return _set_active(args, False)


def cmd_user_activate(args: argparse.Namespace) -> int:
    return _set_active(args, True)
