"""Customers: registration at the till and finding them."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError

from cashier_app.engine import postings
from cashier_app.engine.anonymise import is_anonymised_phone
from cashier_app.engine.automation import run_until
from cashier_app.engine.calendar import local_date
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.events import EventKind
from cashier_app.engine.money import ZERO
from cashier_app.engine.program import Program
from cashier_app.engine.receipt import bonus_percent_for, discount_percent_for
from cashier_app.engine.tiers import tier_progress
from cashier_app.service.cards import card_from_scan, card_number, is_valid_ean13
from cashier_app.service.ledger import (
    CustomerState,
    Ledger,
    check_moment,
    new_id,
    zero_account_values,
)
from cashier_app.service.phones import normalise_phone, quick_candidates
from cashier_app.service.results import CustomerView, Registration
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import queries
from cashier_app.storage import schema as t

MAX_NAME = 120
SEARCH_LIMIT = 50


def register_customer(
    ledger: Ledger,
    phone: str,
    *,
    name: str = "",
    birthday: date | None = None,
    group: str | None = None,
    consent: bool = False,
    referrer: str | None = None,
    card: str | None = None,
    at: datetime | None = None,
    actor: Actor = OPERATOR,
) -> Registration:
    """Register a customer, issue a card and credit the welcome bonus, in one transaction."""
    actor.require(Permission.REGISTER_CUSTOMER)
    check_moment(at)
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME:
        raise LoyaltyError("invalid_name", f"a name may have at most {MAX_NAME} characters")
    with ledger.write(at) as (conn, at):
        program = ledger.program(conn)
        e164 = normalise_phone(phone, program.default_region)
        if birthday is not None and birthday > local_date(at, program.tz):
            raise LoyaltyError("invalid_birthday", "a birthday cannot be in the future")
        grp = program.group(group) if group else program.default_group
        if grp is None:
            raise LoyaltyError("unknown_group", f"there is no customer group {group!r}")
        if conn.execute(select(exists().where(t.customers.c.phone == e164))).scalar():
            raise LoyaltyError(
                "duplicate_phone", "a customer with this phone is already registered"
            )
        referrer_id = _resolve_referrer(conn, program, referrer) if referrer else None
        number = _issue_card(ledger, conn, card)

        customer_id = new_id()
        event_id = ledger.append_event(
            conn,
            EventKind.CUSTOMER_REGISTERED,
            at,
            {
                "customer_id": customer_id,
                "phone": e164,
                "name": name,
                "birthday": birthday,
                "group": grp.id,
                "consent_at": at if consent else None,
                "referrer_id": referrer_id,
                "card": number,
            },
            customer_id=customer_id,
            actor=actor.name,
            program_version=program.version,
        )
        try:
            conn.execute(
                insert(t.customers).values(
                    id=customer_id,
                    phone=e164,
                    phone_last4=e164[-4:],
                    name=name,
                    birthday=birthday,
                    group_id=grp.id,
                    registered_at=at,
                    consent_at=at if consent else None,
                    referrer_id=referrer_id,
                    event_id=event_id,
                )
            )
        except IntegrityError:
            raise LoyaltyError(
                "duplicate_phone", "a customer with this phone is already registered"
            ) from None
        conn.execute(insert(t.cards).values(number=number, customer_id=customer_id, issued_at=at))
        conn.execute(insert(t.accounts).values(zero_account_values(customer_id, at)))
        conn.execute(
            insert(t.customer_messages).values(customer_id=customer_id, kind="welcome", at=at)
        )

        state = ledger.load_state(conn, program, customer_id)
        posted = postings.registration(state.standing, state.bonus, event_id, at, program.tz)
        welcome = sum((lot.points for lot in posted.credited), ZERO)
        _, autos = ledger.post(conn, program, state, posted, at, event_id=event_id)
        view = customer_view(ledger, conn, program, customer_id, at)
    return Registration(view, number, event_id, welcome, tuple(autos))


def _issue_card(ledger: Ledger, conn: Connection, given: str | None) -> str:
    if given is not None:
        number = given.strip()
        if not (number.isdigit() and 8 <= len(number) <= 20) or (
            len(number) == 13 and not is_valid_ean13(number)
        ):
            raise LoyaltyError("invalid_card", f"{given!r} is not a valid card number")
        if conn.execute(select(exists().where(t.cards.c.number == number))).scalar():
            raise LoyaltyError("duplicate_card", "this card already belongs to a customer")
        product = t.products.c
        if conn.execute(
            select(exists().where((product.barcode == number) | (product.sku == number)))
        ).scalar():
            # A product's barcode scanned into the card field would make every later scan
            # of that product a customer instead of a line on the receipt.
            raise LoyaltyError(
                "card_is_product", f"{number} is a product's barcode in the catalogue, not a card"
            )
        return number
    prefix = ledger.device_row(conn).card_prefix
    while True:  # a pre-printed card may already hold a generated number: skip it
        number = card_number(prefix, ledger.take_counter(conn, "next_card"))
        if not conn.execute(select(exists().where(t.cards.c.number == number))).scalar():
            return number


def _resolve_referrer(conn: Connection, program: Program, referrer: str) -> str:
    found = _by_card(conn, referrer)
    if found is None:
        try:
            found = _by_phone(conn, normalise_phone(referrer, program.default_region))
        except LoyaltyError:
            found = None
    if found is None:
        raise LoyaltyError("unknown_referrer", "no customer with that phone or card to refer")
    return found


_BY_PHONE = select(t.customers.c.id).where(t.customers.c.phone == bindparam("phone"))
_BY_CARD = select(t.cards.c.customer_id).where(
    t.cards.c.number == bindparam("number"), t.cards.c.active
)


def _by_phone(conn: Connection, e164: str) -> str | None:
    found: str | None = conn.execute(_BY_PHONE, {"phone": e164}).scalar()
    return found


def _by_card(conn: Connection, scan: str) -> str | None:
    number = card_from_scan(scan)
    if number is None:
        return None
    found: str | None = conn.execute(_BY_CARD, {"number": number}).scalar()
    return found


def find_by_phone(ledger: Ledger, phone: str) -> str | None:
    """The customer id for a phone in any format; raises invalid_phone for a non-phone."""
    with ledger.db.read() as conn:
        region = ledger.program(conn, fresh=False).default_region
        for candidate in quick_candidates(phone, region):
            found = _by_phone(conn, candidate)
            if found is not None:
                return found
        return _by_phone(conn, normalise_phone(phone, region))


def find_by_card(ledger: Ledger, scan: str) -> str | None:
    """The customer id for a scanned card barcode or QR payload."""
    if card_from_scan(scan) is None:
        raise LoyaltyError("invalid_card", "this is not a loyalty card code")
    with ledger.db.read() as conn:
        return _by_card(conn, scan)


def search_customers(
    ledger: Ledger, query: str, *, at: datetime | None = None
) -> list[CustomerView]:
    """Pick-list search: 4 digits are the phone's last four, anything else a name."""
    q = query.strip()
    at = at or ledger.clock()
    with ledger.db.read() as conn:
        program = ledger.program(conn)
        if re.fullmatch(r"\d{4}", q):
            ids = conn.execute(
                select(t.customers.c.id).where(t.customers.c.phone_last4 == q).limit(SEARCH_LIMIT)
            ).scalars()
        else:
            by_name = queries.by_name(t.customers, q, t.customers.c.id)  # words as prefixes
            if by_name is None:
                return []
            ids = conn.execute(by_name.limit(SEARCH_LIMIT)).scalars()
        return [customer_view(ledger, conn, program, cid, at) for cid in list(ids)]


def identify(ledger: Ledger, code: str) -> str | None:
    """A card scan or a typed phone, whichever it is."""
    if card_from_scan(code) is not None:
        with ledger.db.read() as conn:
            found = _by_card(conn, code)
        if found is not None:
            return found
    try:
        return find_by_phone(ledger, code)
    except LoyaltyError:
        return None


def get_customer(ledger: Ledger, customer_id: str, *, at: datetime | None = None) -> CustomerView:
    at = at or ledger.clock()
    with ledger.db.read() as conn:
        return customer_view(ledger, conn, ledger.program(conn), customer_id, at)


def customer_view(
    ledger: Ledger, conn: Connection, program: Program, customer_id: str, at: datetime
) -> CustomerView:
    state = ledger.load_state(conn, program, customer_id)
    return view_of_state(ledger, conn, program, state, at)


def view_of_state(
    ledger: Ledger, conn: Connection, program: Program, state: CustomerState, at: datetime
) -> CustomerView:
    """The customer as the cashier sees them at ``at``, automations due by then included
    (computed in memory: a read never writes)."""
    standing = state.standing
    account, _, _ = run_until(program, state.bonus, standing.account, standing.profile, at)
    basis = ledger.bonus_basis(conn, program, state, at)
    tiers = state.bonus.tiers if state.bonus else ()
    discount = program.discount_program_of(state.group)
    if tiers:
        progress = tier_progress(tiers, basis)
        tier = progress.current.title if progress.current else None
        next_tier = progress.next.title if progress.next else None
        missing = progress.missing
    elif discount is not None and discount.tiers:
        progress = tier_progress(discount.tiers, standing.tier_basis)
        tier = progress.current.title if progress.current else None
        next_tier = progress.next.title if progress.next else None
        missing = progress.missing
        basis = standing.tier_basis
    else:
        tier, next_tier, missing = None, None, Decimal("0")
    if state.bonus is not None and tier is None:
        tier = bonus_percent_for(state.bonus, basis)[1]
    return CustomerView(
        id=state.id,
        # An anonymised customer's placeholder is no phone: nothing to show or mask.
        phone="" if is_anonymised_phone(state.phone) else state.phone,
        name=state.name,
        birthday=standing.profile.birthday,
        group_id=state.group.id,
        group_name=state.group.name,
        loyalty=state.group.loyalty,
        cards=state.cards,
        balance=account.balance(at),
        pending=account.pending(at),
        tier=tier,
        tier_basis=basis,
        next_tier=next_tier,
        to_next_tier=missing,
        discount_percent=discount_percent_for(discount, standing.tier_basis),
        registered_at=standing.profile.registered_at,
    )
