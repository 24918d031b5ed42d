"""Sorting by any column and reading the base in windows: the windows, laid end to end,
are the whole sorted list, each customer once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import customer_base as base
from cashier_app.service.customer_base import SORT_COLUMNS, CustomerFilter, Sort


@pytest.mark.parametrize("column", SORT_COLUMNS)
def test_every_column_sorts_both_ways(shop, column):
    up = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort(column), 0, 10)
    down = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort(column, True), 0, 10)
    assert len(up) == len(down) == 4
    assert {r.id for r in up} == {r.id for r in down}


def test_sorted_by_balance_the_richest_comes_first_descending(shop):
    rows = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort("balance", True), 0, 4)
    assert [r.balance for r in rows] == sorted((r.balance for r in rows), reverse=True)
    assert rows[0].id == shop.petr  # the 60,000 purchase


def test_sorted_by_last_purchase_who_never_bought_comes_last_either_way(shop):
    for descending in (False, True):
        rows = base.window(
            shop.ledger, shop.manager, CustomerFilter(), Sort("last_purchase", descending), 0, 4
        )
        assert rows[-1].id == shop.olga


def test_sorted_by_name_and_birthday(shop):
    rows = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort("name"), 0, 4)
    assert [r.name for r in rows] == sorted(r.name for r in rows)
    rows = base.window(shop.ledger, shop.manager, CustomerFilter(), Sort("birthday"), 0, 4)
    assert rows[0].id == shop.ivan and rows[-1].id == shop.petr  # no birthday: last


def test_windows_end_to_end_are_the_whole_sorted_list(ledger):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(57):
        service.register_customer(
            ledger, f"+7901000{i:04d}", name=f"Гость {i % 7}", at=start + timedelta(hours=i)
        )
    from cashier_app.service.users import OPERATOR

    f, sort = CustomerFilter(), Sort("name", True)
    assert base.count(ledger, OPERATOR, f) == 57
    pieces = [base.window(ledger, OPERATOR, f, sort, offset, 10) for offset in range(0, 60, 10)]
    assert [len(p) for p in pieces] == [10, 10, 10, 10, 10, 7]
    joined = [r.id for p in pieces for r in p]
    assert joined == [r.id for r in base.window(ledger, OPERATOR, f, sort, 0, 100)]
    assert len(set(joined)) == 57
    assert base.window(ledger, OPERATOR, f, sort, 57, 10) == []


def test_a_window_too_large_or_a_sort_unknown_is_refused(shop):
    with pytest.raises(LoyaltyError):
        base.window(shop.ledger, shop.manager, CustomerFilter(), Sort(), 0, 1_000_000)
    with pytest.raises(LoyaltyError) as exc:
        Sort.parse("shoe_size")
    assert exc.value.code == "invalid_sort"
    assert Sort.parse("balance:desc") == Sort("balance", True)


def test_account_events_show_every_movement_of_points(shop):
    events = base.account_events(shop.ledger, shop.manager, shop.anna)
    assert events, "the welcome bonus and the purchase moved points"
    assert {e.kind for e in events} <= {"credit", "spend", "expire", "repay", "debt", "take_back"}
    assert "sale" in {e.operation for e in events}
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
