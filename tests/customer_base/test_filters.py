"""Each filter of the customer base on the hand-made store, as a manager would ask it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import customer_base as base
from cashier_app.service.customer_base import CustomerFilter, Sort
from tests.conftest import MSK


def names(shop, **filters) -> set[str]:
    f = CustomerFilter(**filters)
    rows = base.window(shop.ledger, shop.manager, f, Sort("name"), 0, 200)
    assert base.count(shop.ledger, shop.manager, f) == len(rows)
    return {r.name.split()[0] for r in rows}


def test_no_filter_lists_everyone(shop):
    assert names(shop) == {"Анна", "Иван", "Ольга", "Пётр"}


@pytest.mark.parametrize(
    "text, who",
    [
        ("смирн", {"Анна"}),  # a name's beginning, any case
        ("анна смирнова", {"Анна"}),
        ("4567", {"Анна"}),  # the phone's last four digits
        ("8 900 111-22-33", {"Иван"}),  # a whole phone, as people write it
        ("555667", {"Ольга"}),  # a part of the phone
        ("nobody", set()),
    ],
)
def test_search_by_name_phone_or_card(shop, text, who):
    assert names(shop, search=text) == who


def test_search_by_card_number(shop):
    card = base.customer_row(shop.ledger, shop.manager, shop.petr).cards[0]
    assert names(shop, search=card) == {"Пётр"}
    assert names(shop, search=f"LOYAL:{card}") == {"Пётр"}


def test_not_seen_for_60_days_includes_those_who_never_bought_since_registering(shop):
    # Иван last bought on 1 November; Ольга registered 15 January and never bought (46 days).
    assert names(shop, not_seen_days=60) == {"Иван"}
    assert names(shop, not_seen_days=30) == {"Иван", "Ольга"}
    assert names(shop, not_seen_days=3) == {"Иван", "Ольга", "Анна"}


def test_birthday_range_wraps_over_the_new_year(shop):
    assert names(shop, birthday_from=(12, 20), birthday_to=(1, 10)) == {"Анна", "Иван"}
    assert names(shop, birthday_from=(6, 1), birthday_to=(6, 30)) == {"Ольга"}
    assert names(shop, birthday_from=(1, 6), birthday_to=(6, 14)) == set()


def test_group_tier_and_consent(shop):
    assert names(shop, group_ids=("staff", "vip")) == {"Ольга", "Пётр"}
    assert names(shop, tier="Silver") == {"Анна"}
    assert names(shop, tier="Start") == {"Иван"}
    assert names(shop, consent=False) == {"Иван"}
    assert names(shop, consent=True) == {"Анна", "Ольга", "Пётр"}


def test_balance_range(shop):
    rows = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort("balance"), 0, 10)
    balances = {r.name.split()[0]: r.balance for r in rows}
    assert all(isinstance(b, Decimal) for b in balances.values())
    richest = max(balances, key=lambda k: balances[k])
    assert names(shop, min_balance=balances[richest]) == {richest}
    assert names(shop, max_balance=Decimal("0")) == {k for k, b in balances.items() if b <= 0}


def test_registration_days_are_the_stores_days(shop):
    assert names(shop, registered_from=date(2025, 1, 1), registered_to=date(2025, 12, 31)) == {
        "Анна",
        "Иван",
    }
    # Registered on 15 January at noon Moscow time: the last day counts whole.
    assert names(shop, registered_from=date(2026, 1, 15), registered_to=date(2026, 1, 15)) == {
        "Ольга"
    }


def test_filters_combine(shop):
    assert names(shop, consent=True, not_seen_days=30) == {"Ольга"}


@pytest.mark.parametrize(
    "bad",
    [
        CustomerFilter(not_seen_days=-1),
        CustomerFilter(birthday_from=(12, 1)),
        CustomerFilter(min_balance=Decimal("10"), max_balance=Decimal("5")),
        CustomerFilter(registered_from=date(2026, 2, 1), registered_to=date(2026, 1, 1)),
    ],
)
def test_a_filter_that_makes_no_sense_is_refused_with_a_reason(shop, bad):
    with pytest.raises(LoyaltyError) as exc:
        base.count(shop.ledger, shop.manager, bad)
    assert exc.value.code == "invalid_filter"


def test_month_day_reads_leap_days_and_refuses_nonsense():
    assert base.month_day("02-29") == (2, 29)
    for text in ("13-01", "02-30", "1-5", "abc"):
        with pytest.raises(LoyaltyError):
            base.month_day(text)


def test_a_cashier_is_refused_the_base(shop):
    for read in (
        lambda: base.count(shop.ledger, shop.cashier, CustomerFilter()),
        lambda: base.window(shop.ledger, shop.cashier, CustomerFilter(), Sort(), 0, 10),
        lambda: base.account_events(shop.ledger, shop.cashier, shop.anna),
    ):
        with pytest.raises(LoyaltyError) as exc:
            read()
        assert exc.value.code == "not_allowed"


def test_a_manager_sees_whole_phone_numbers_and_the_store_moments(shop):
    row = base.customer_row(shop.ledger, shop.manager, shop.anna)
    assert row.phone == "+79001234567"
    assert row.last_purchase_at == datetime(2026, 2, 25, 12, tzinfo=MSK)
    assert row.group == "Покупатели" and row.tier == "Silver" and row.consent
