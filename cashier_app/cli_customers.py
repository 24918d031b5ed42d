"""``cashier-app customers``: the customer base as the back-office screen lists it, with the
same filters and sort, printed as a table or exported to CSV/XLSX (audited)."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cashier_app.cli import AddCommand


def _day(text: str | None, flag: str) -> date | None:
    from cashier_app.cli import UsageError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: give a day like 2026-03-08") from None


def _points(text: str | None, flag: str) -> Decimal | None:
    from cashier_app.cli import UsageError

    if text is None:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise UsageError(f"{flag} {text!r}: give a number of points like 500")
    return value


_TABLE = "{:<28.28} {:<16} {:<14} {:<14.14} {:<10.10} {:>10} {:<10} {}"


def cmd_customers(args: argparse.Namespace) -> int:
    from cashier_app.cli import UsageError, acting, store_ledger
    from cashier_app.service import customer_base
    from cashier_app.service.customer_base import CustomerFilter, Sort, month_day
    from cashier_app.service.customer_export import export
    from cashier_app.service.customer_filter import MAX_WINDOW

    if args.format in ("csv", "xlsx") and not args.output:
        raise UsageError(f"--format {args.format} writes a file: give --output FILE")
    if args.output and args.format == "table":
        args.format = "xlsx" if Path(args.output).suffix.lower() == ".xlsx" else "csv"
    if (args.birthday_from is None) != (args.birthday_to is None):
        raise UsageError("give both --birthday-from and --birthday-to (MM-DD)")
    if not 1 <= args.limit <= MAX_WINDOW:
        raise UsageError(f"--limit: give 1 to {MAX_WINDOW}")
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    groups = customer_base.groups(ledger, actor)
    group_ids = []
    for given in args.group:
        match = [gid for gid, name in groups if given in (gid, name)]
        if not match:
            known = ", ".join(f"{gid} ({name})" for gid, name in groups)
            raise UsageError(f"--group {given!r}: no such group; the program has {known}")
        group_ids.append(match[0])
    if args.tier is not None and args.tier not in (tiers := customer_base.tiers(ledger, actor)):
        known = ", ".join(tiers) or "no tiers"
        raise UsageError(f"--tier {args.tier!r}: no such tier; the program has {known}")
    f = CustomerFilter(
        search=args.search or "",
        not_seen_days=args.not_seen_days,
        birthday_from=month_day(args.birthday_from) if args.birthday_from else None,
        birthday_to=month_day(args.birthday_to) if args.birthday_to else None,
        group_ids=tuple(group_ids),
        tier=args.tier,
        min_balance=_points(args.min_balance, "--min-balance"),
        max_balance=_points(args.max_balance, "--max-balance"),
        registered_from=_day(args.registered_from, "--registered-from"),
        registered_to=_day(args.registered_to, "--registered-to"),
        consent={"yes": True, "no": False}.get(args.consent or ""),
    )
    sort = Sort.parse(args.sort)
    if args.format != "table":
        n = export(ledger, actor, f, sort, Path(args.output), args.format)
        print(
            f"{n} customer(s) written to {Path(args.output).resolve()} (recorded in the audit log)"
        )
        return 0
    total = customer_base.count(ledger, actor, f)
    rows = customer_base.window(ledger, actor, f, sort, 0, args.limit) if total else []
    if rows:
        with ledger.db.read() as conn:
            tz = ledger.program(conn, fresh=False).tz
        print(
            _TABLE.format(
                "Name", "Phone", "Cards", "Group", "Tier", "Balance", "Last buy", "Consent"
            )
        )
    for r in rows:
        # The day of the last purchase in the store's zone, as the window and the CSV say.
        last = r.last_purchase_at.astimezone(tz).date().isoformat() if r.last_purchase_at else "-"
        print(
            _TABLE.format(r.name or "(no name)", r.phone, " ".join(r.cards) or "-", r.group,
                          r.tier or "-", str(r.balance), last,
                          "consent" if r.consent else "no consent")
        )  # fmt: skip
    shown = f"{len(rows)} shown, " if len(rows) < total else ""
    print(f"{shown}{total} customer(s)")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add("customers", cmd_customers, "list or export the customer base, filtered and sorted")
    p.add_argument("--search", help="a name, phone (whole, last 4 digits or a part) or card")
    p.add_argument("--not-seen-days", type=int, metavar="N", help="no purchase for N days")
    p.add_argument("--birthday-from", metavar="MM-DD", help="birthdays from this day of the year")
    p.add_argument("--birthday-to", metavar="MM-DD", help="to this day (may wrap the new year)")
    p.add_argument("--group", action="append", default=[], help="group id or name (repeatable)")
    p.add_argument("--tier", help="a tier's name as the program has it")
    p.add_argument("--min-balance", metavar="POINTS")
    p.add_argument("--max-balance", metavar="POINTS")
    p.add_argument("--registered-from", metavar="YYYY-MM-DD")
    p.add_argument("--registered-to", metavar="YYYY-MM-DD")
    p.add_argument("--consent", choices=["yes", "no"])
    p.add_argument(
        "--sort", default="registered", metavar="COLUMN[:desc]",
        help="name, phone, cards, group, tier, balance, last_purchase, registered, birthday, "
        "consent",
    )  # fmt: skip
    p.add_argument("--format", choices=["table", "csv", "xlsx"], default="table")
    p.add_argument("--output", metavar="FILE", help="the file to export to (audited)")
    p.add_argument("--limit", type=int, default=100, help="rows a table shows (at most 1000)")
