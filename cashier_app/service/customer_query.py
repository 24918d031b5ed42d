"""The customer base's filter and sort spelt in SQLAlchemy Core over the customers and
their accounts, so SQLite filters, counts and sorts a million customers, not Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
)

from cashier_app.engine.calendar import add_days
from cashier_app.engine.program import Program, Tier
from cashier_app.service.cards import card_from_scan
from cashier_app.service.customer_filter import CustomerFilter, Sort
from cashier_app.service.phones import quick_candidates
from cashier_app.storage import queries
from cashier_app.storage import schema as t

_c, _a = t.customers.c, t.accounts.c
CARDS = (
    select(func.group_concat(t.cards.c.number, " "))
    .where(t.cards.c.customer_id == _c.id, t.cards.c.active)
    .scalar_subquery()
)


@dataclass(frozen=True, slots=True)
class _Shape:
    """The program's view of the base: tier expressions and group names."""

    tier: ColumnElement[Any]
    tier_ranges: dict[str, list[ColumnElement[bool]]] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)


def tiers_of(program: Program, group_id: str) -> tuple[tuple[Tier, ...], int | None]:
    group = program.group(group_id)
    if group is None:
        return (), None
    bonus = program.bonus_program_of(group)
    if bonus is not None and bonus.tiers:
        return bonus.tiers, bonus.tier_window_days
    discount = program.discount_program_of(group)
    if discount is not None and discount.kind == "cumulative" and discount.tiers:
        return discount.tiers, None
    return (), None


def shape_of(program: Program, at: datetime) -> _Shape:
    """The tier as the customer card shows it, computed by SQLite from the tier basis: the
    program's thresholds per group (a bonus program with a window of N days counts the
    receipts of those days, as the till does at the counter)."""
    whens: list[tuple[ColumnElement[bool], Any]] = []
    ranges: dict[str, list[ColumnElement[bool]]] = {}
    for group in program.groups:
        tiers, window = tiers_of(program, group.id)
        if not tiers:
            continue
        basis: ColumnElement[Any] = _a.tier_basis
        if window is not None:
            since = add_days(at, -window, program.tz)
            r = t.receipts.c
            basis = (
                select(func.coalesce(func.sum(r.basis_amount), Decimal(0)))
                .where(r.customer_id == _c.id, r.at > since)
                .scalar_subquery()
            )
        in_group = _c.group_id == group.id
        for i in reversed(range(len(tiers))):
            whens.append((and_(in_group, basis >= tiers[i].from_), tiers[i].title))
        for i, tier in enumerate(tiers):
            cond = and_(in_group, basis >= tier.from_)
            if i + 1 < len(tiers):
                cond = and_(cond, basis < tiers[i + 1].from_)
            ranges.setdefault(tier.title, []).append(cond)
    expr: ColumnElement[Any] = case(*whens, else_=null()) if whens else null()
    return _Shape(expr, ranges, {g.id: g.name for g in program.groups})


def _search(text: str, region: str) -> ColumnElement[bool]:
    """Words are a name's beginnings (the name index); digits are a card, a whole phone
    in any format, or any run of four digits or more anywhere in a phone (its beginning,
    its last digits, its middle: one rule, whatever the length typed)."""
    q = text.strip()
    found: list[ColumnElement[bool]] = []
    card = card_from_scan(q)
    if card is not None:
        found.append(_c.id.in_(select(t.cards.c.customer_id).where(t.cards.c.number == card)))
    digits = "".join(ch for ch in q if ch.isdigit())
    if all(ch.isdigit() or ch in " +-()." for ch in q):
        phones = quick_candidates(q, region) if len(digits) >= 10 else []
        if phones:
            # A whole phone typed as people write it (8 905 ..., +7 905 ...): found on the
            # phone's index; the same one a part of it would find, without reading them all.
            found.append(_c.phone.in_(phones))
        elif len(digits) >= 4:
            # A part of a phone, wherever it is: the one search that reads every phone
            # (a manager types what they remember of it). A run that is also a card's
            # number (eight digits make an EAN-8) still finds the phones that hold it.
            found.append(_c.phone.contains(digits, autoescape=True))
            national = _national_prefix(digits, region)
            if national is not None:  # 8 905 000...: the trunk prefix, not a digit of it
                found.append(_c.phone.startswith(national, autoescape=True))
    elif card is None:
        hits = queries.name_hits(t.customers, q)
        if hits is not None:
            found.append(queries.rowid(t.customers).in_(select(hits.c.rowid)))
    return or_(*found) if found else false()


def _national_prefix(digits: str, region: str) -> str | None:
    """The E.164 beginning of a phone typed from its national trunk prefix (Russia's and
    Kazakhstan's 8, Ukraine's 0), or None."""
    if region in ("RU", "KZ") and digits.startswith("8") and len(digits) >= 5:
        return "+7" + digits[1:]
    if region == "UA" and digits.startswith("0") and len(digits) >= 5:
        return "+38" + digits
    return None


def _birthday(first: tuple[int, int], last: tuple[int, int]) -> ColumnElement[bool]:
    # The birthday is stored as YYYY-MM-DD: its MM-DD part compares as text. 12-20 to
    # 01-10 wraps over the new year.
    # The numbers written into the statement, not bound: then SQLite sees the expression
    # of ix_customers_birthday_day (migration 0007) and reads the range from it.
    md = func.substr(
        _c.birthday, literal(6, literal_execute=True), literal(5, literal_execute=True)
    )
    a, b = f"{first[0]:02d}-{first[1]:02d}", f"{last[0]:02d}-{last[1]:02d}"
    within = and_(md >= a, md <= b) if a <= b else or_(md >= a, md <= b)
    return within  # no birthday: substr is NULL, which no comparison admits


def not_seen_cutoff(program: Program, f: CustomerFilter, at: datetime) -> datetime | None:
    if f.not_seen_days is None:
        return None
    return add_days(at, -f.not_seen_days, program.tz)


def conditions(
    program: Program, shape: _Shape, f: CustomerFilter, at: datetime
) -> tuple[list[ColumnElement[bool]], bool]:
    """The filter's conditions, and whether they need the account row."""
    conds: list[ColumnElement[bool]] = []
    account = False
    if f.search.strip():
        conds.append(_search(f.search, program.default_region))
    if f.not_seen_days is not None:
        cutoff = add_days(at, -f.not_seen_days, program.tz)
        # Not seen since the last purchase, or since registering for who never bought.
        # One expression no index answers: SQLite walks the base in the sort's order and
        # stops at a window's end, instead of sorting the 80 % who match (the count is
        # taken from the last purchase's index alone: customer_base.count).
        conds.append(func.coalesce(_a.last_purchase_at, _c.registered_at) < cutoff)
        account = True
    if f.birthday_from is not None and f.birthday_to is not None:
        conds.append(_birthday(f.birthday_from, f.birthday_to))
    if f.group_ids:
        conds.append(_c.group_id.in_(f.group_ids))
    if f.tier is not None:
        conds.append(or_(*shape.tier_ranges.get(f.tier, [false()])))
        account = True
    if f.min_balance is not None:
        conds.append(_a.balance >= f.min_balance)
        account = True
    if f.max_balance is not None:
        conds.append(_a.balance <= f.max_balance)
        account = True
    tz = program.tz
    if f.registered_from is not None:
        conds.append(_c.registered_at >= datetime.combine(f.registered_from, time(), tz))
    if f.registered_to is not None:
        end = datetime.combine(f.registered_to + timedelta(days=1), time(), tz)
        conds.append(_c.registered_at < end)
    if f.consent is not None:
        conds.append(_c.consent_at.is_not(None) if f.consent else _c.consent_at.is_(None))
    return conds, account


# Sorted by these, the page is found on the accounts' own rows (their index on the last
# purchase, read without touching the customers it skips).
ACCOUNT_SORTS = ("balance", "last_purchase")


def _order(shape: _Shape, sort: Sort, sparse: bool = False) -> list[ColumnElement[Any]]:
    group_name = case(shape.group_names, value=_c.group_id, else_=_c.group_id)
    keys: dict[str, ColumnElement[Any]] = {
        "name": _c.name,
        "phone": _c.phone,
        "cards": CARDS,
        "group": group_name,
        "tier": shape.tier,
        "balance": _a.balance,
        "last_purchase": _a.last_purchase_at,
        "registered": _c.registered_at,
        "birthday": _c.birthday,
        "consent": _c.consent_at.is_not(None),
    }
    key = keys[sort.column]
    if sparse:
        # Wrapped, the key is no index's: SQLite then finds the few matching rows by the
        # filter's own index and sorts them, instead of walking the whole base in order.
        key = func.coalesce(key, null())
    # A unique tie-break, so a row keeps its place between windows.
    tie = queries.rowid(t.accounts if sort.column in ACCOUNT_SORTS else t.customers)
    if sort.descending:
        return [key.desc().nulls_last(), tie.desc()]
    return [key.asc().nulls_last(), tie.asc()]


_BOTH = t.customers.join(t.accounts, _a.customer_id == _c.id)


def rows_query(
    program: Program,
    f: CustomerFilter,
    sort: Sort,
    at: datetime,
    offset: int | None = None,
    limit: int | None = None,
    sparse: bool = False,
) -> Select[Any]:
    shape = shape_of(program, at)
    conds, account = conditions(program, shape, f, at)
    order = _order(shape, sort)
    query = (
        select(
            _c.id,
            _c.name,
            _c.phone,
            _c.group_id,
            _c.registered_at,
            _c.birthday,
            (_c.consent_at.is_not(None)).label("consent"),
            (_c.anonymised_at.is_not(None)).label("anonymised"),
            CARDS.label("cards"),
            shape.tier.label("tier"),
            _a.balance,
            _a.last_purchase_at,
        )
        .select_from(_BOTH)
        .order_by(*order)
    )
    if limit is None:
        return query.where(*conds)
    # A deep window (rows 999,800 on) is found first on the narrowest rows that can find
    # it, keys and ids only; only its own rows are then read whole, with their cards and
    # tier. Read whole all along, SQLite would join and skip a million rows each time.
    if sort.column in ACCOUNT_SORTS:
        customer_side = any(
            (f.search.strip(), f.birthday_from, f.group_ids, f.tier, f.registered_from,
             f.registered_to, f.consent is not None, f.not_seen_days is not None)
        )  # fmt: skip
        inner = select(_a.customer_id.label("key")).select_from(
            _BOTH if customer_side else t.accounts
        )
        match: ColumnElement[Any] = _c.id
    else:
        needs_accounts = account or sort.column == "tier"
        inner = select(queries.rowid(t.customers).label("key")).select_from(
            _BOTH if needs_accounts else t.customers
        )
        match = queries.rowid(t.customers)
    page = (
        inner.where(*conds)
        .order_by(*_order(shape, sort, sparse))
        .limit(limit)
        .offset(offset or 0)
        .subquery("page")
    )
    return query.join(page, match == page.c.key)
