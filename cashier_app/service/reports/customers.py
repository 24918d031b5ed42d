"""Lists of customers to call: those who stopped coming (win-back candidates) and those
whose birthday falls in the coming days. Erased (anonymised) customers are never listed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, case, func, literal, select

from cashier_app.engine.anonymise import ANONYMISED_PREFIX
from cashier_app.engine.calendar import add_days, birthday_in_year, local_date
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger, check_moment
from cashier_app.service.phones import mask_phone
from cashier_app.service.report_model import Column, Period, Report, Value
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

# A list longer than this is not called through by hand; the note says how many more.
MAX_LISTED = 1000

WINBACK_COLUMNS = (
    Column("customer", "Customer", "text"),
    Column("phone", "Phone", "text"),
    Column("last_purchase", "Last purchase", "date"),
    Column("balance", "Points", "points"),
)
BIRTHDAY_COLUMNS = (
    Column("customer", "Customer", "text"),
    Column("phone", "Phone", "text"),
    Column("birthday", "Birthday", "date"),
    Column("balance", "Points", "points"),
)


# A birthday is stored as ISO text (YYYY-MM-DD): its month and day are its last five, as
# ix_customers_birthday_day (migration 0007) holds them. The numbers are written into the
# statement, not bound, or SQLite would not see that expression as the index's.
_BIRTHDAY_DAY = func.substr(
    t.customers.c.birthday, literal(6, literal_execute=True), literal(5, literal_execute=True)
)


def _days(value: int, what: str, most: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise LoyaltyError("invalid_period", f"{what} is a whole number from 1 to {most}")


def winback_report(ledger: Ledger, actor: Actor, at: datetime, not_seen_days: int = 60) -> Report:
    """Customers whose last purchase is more than ``not_seen_days`` days before ``at``,
    the most recently lost first (the likeliest to come back)."""
    actor.require(Permission.VIEW_REPORTS)
    check_moment(at)
    _days(not_seen_days, "the days without a purchase", 3650)
    c, a = t.customers.c, t.accounts.c
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        since = add_days(at, -not_seen_days, program.tz)
        lost = (a.last_purchase_at < since, c.anonymised_at.is_(None))
        found = conn.execute(
            select(c.name, c.phone, a.last_purchase_at, a.balance)
            .select_from(t.accounts.join(t.customers, c.id == a.customer_id))
            .where(*lost)
            .order_by(a.last_purchase_at.desc())
            .limit(MAX_LISTED)
        ).all()
        total = len(found)
        if total == MAX_LISTED:
            # Counted from the last purchase's index alone, less the erased customers
            # (their phone is the placeholder, found by its prefix in the phone's index):
            # joining every lapsed customer's row to ask would take seconds at a million.
            lapsed = conn.execute(
                select(func.count()).where(a.last_purchase_at < since)
            ).scalar_one()
            erased = conn.execute(
                select(func.count())
                .select_from(t.customers.join(t.accounts, a.customer_id == c.id))
                .where(
                    c.phone >= ANONYMISED_PREFIX,
                    c.phone < _after_prefix(ANONYMISED_PREFIX),
                    c.anonymised_at.is_not(None),
                    a.last_purchase_at < since,
                )
            ).scalar_one()
            total = int(lapsed) - int(erased)
    today = local_date(at, program.tz)
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (r.name, mask_phone(r.phone), local_date(r.last_purchase_at, program.tz), r.balance)
        for r in found
    )
    notes = [f"No purchase for more than {not_seen_days} days before {today}."]
    if total > len(rows):
        notes.append(f"{len(rows)} of {total} shown: the most recently lost first.")
    return Report(
        name="winback",
        title="Customers who stopped coming",
        period=Period(today - timedelta(days=not_seen_days), today),
        columns=WINBACK_COLUMNS,
        rows=rows,
        notes=tuple(notes),
    )


def _after_prefix(prefix: str) -> str:
    """The first text after every text that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _month_days(first: date, days: int) -> dict[str, list[date]]:
    """'MM-DD' as stored in a birthday -> the days it is celebrated on in the window."""
    out: dict[str, list[date]] = {}
    for n in range(days):
        day = first + timedelta(days=n)
        out.setdefault(day.strftime("%m-%d"), []).append(day)
        if (day.month, day.day) == (2, 28) and birthday_in_year(date(2000, 2, 29), day.year) == day:
            out.setdefault("02-29", []).append(day)  # 29 February is the 28th in other years
    return out


def _birthdays_count(conn: Connection, keys: list[str], wanted: dict[str, list[date]]) -> int:
    """How many birthdays fall in the window, from the birthday index alone, less the
    erased customers' (found by their placeholder phone's prefix)."""
    c = t.customers.c
    per_key: dict[str, int] = dict(
        conn.execute(
            select(_BIRTHDAY_DAY, func.count())
            .where(_BIRTHDAY_DAY.in_(keys))
            .group_by(_BIRTHDAY_DAY)
        ).all()
    )
    erased = conn.execute(
        select(_BIRTHDAY_DAY).where(
            c.phone >= ANONYMISED_PREFIX,
            c.phone < _after_prefix(ANONYMISED_PREFIX),
            c.anonymised_at.is_not(None),
        )
    ).scalars()
    for key in erased:
        if key in per_key:
            per_key[key] -= 1
    return sum(len(wanted[key]) * int(n) for key, n in per_key.items())


def birthdays_report(ledger: Ledger, actor: Actor, at: datetime, days: int = 7) -> Report:
    """Customers whose birthday falls in the ``days`` days from ``at``'s day, in date order."""
    actor.require(Permission.VIEW_REPORTS)
    check_moment(at)
    _days(days, "the days ahead", 366)
    c, a = t.customers.c, t.accounts.c
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        today = local_date(at, program.tz)
        wanted = _month_days(today, days)
        keys = list(wanted)
        # Within one year the days' keys ascend as the index holds them, so SQLite reads
        # the first ones in index order and stops; across New Year it orders them itself.
        order = (
            _BIRTHDAY_DAY
            if keys == sorted(keys)
            else case({key: i for i, key in enumerate(keys)}, value=_BIRTHDAY_DAY)
        )
        found = conn.execute(
            select(c.name, c.phone, c.birthday, a.balance)
            .select_from(t.customers.join(t.accounts, a.customer_id == c.id))
            .where(_BIRTHDAY_DAY.in_(keys), c.anonymised_at.is_(None))
            .order_by(order)
            .limit(MAX_LISTED)
        ).all()
        total = sum(len(wanted[r.birthday.strftime("%m-%d")]) for r in found)
        if len(found) == MAX_LISTED:
            total = _birthdays_count(conn, keys, wanted)
    listed = sorted(
        (
            (day, r.name, r.phone, r.balance)
            for r in found
            for day in wanted[r.birthday.strftime("%m-%d")]
        ),
        key=lambda x: (x[0], x[1]),
    )
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (name, mask_phone(phone), day, balance) for day, name, phone, balance in listed[:MAX_LISTED]
    )
    notes = [f"Birthdays from {today} to {today + timedelta(days=days - 1)}."]
    if total > len(rows):
        notes.append(f"{len(rows)} of {total} shown.")
    return Report(
        name="birthdays",
        title="Birthdays",
        period=Period(today, today + timedelta(days=days - 1)),
        columns=BIRTHDAY_COLUMNS,
        rows=rows,
        notes=tuple(notes),
    )
