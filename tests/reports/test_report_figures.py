"""Every figure of the reports against the numbers worked out by hand in tests/reports/store.py
(the shop's own example), through a real ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.report_model import Period
from cashier_app.service.reports import (
    birthdays_report,
    groups_report,
    points_report,
    sales_report,
    tiers_report,
    winback_report,
)
from cashier_app.service.users import OPERATOR
from tests.reports.store import build_shop, msk

WEEKS = Period(date(2026, 3, 2), date(2026, 3, 15), "week")


@pytest.fixture
def ids(ledger):
    """The shop's customers' ids by name."""
    return build_shop(ledger)


@pytest.fixture
def shop(ledger, ids):
    return ledger


def test_sales_split_new_loyal_and_other_per_week(shop):
    report = sales_report(shop, OPERATOR, WEEKS)
    assert [c.key for c in report.columns] == [
        "period", "segment", "receipts", "revenue", "average_check"
    ]  # fmt: skip
    assert report.rows == (
        # Anna's 1000 (00:10 on the week's first day) and 500, Gleb's 1000 less 10 %
        ("2026-W10", "new", 3, D("2400.00"), D("800.00")),
        # Boris's 300, 60 of it paid with points: revenue counts money and points
        ("2026-W10", "loyal", 1, D("300.00"), D("300.00")),
        ("2026-W10", "other", 1, D("150.00"), D("150.00")),  # 23:30 local on Sunday
        ("2026-W11", "new", 0, D("0.00"), D("0.00")),
        # Anna's 9800, less her return of 500 and Boris's of 100, both in W11
        ("2026-W11", "loyal", 1, D("9200.00"), D("9200.00")),
        ("2026-W11", "other", 1, D("250.00"), D("250.00")),  # 00:30 local on Monday
    )
    assert report.chart is not None and report.chart.split == "segment"


def test_sales_over_the_whole_range_is_one_period(shop):
    report = sales_report(shop, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 15)))
    assert report.rows == (
        ("2026-03-02..2026-03-15", "new", 4, D("11700.00"), D("2925.00")),  # Anna 1000+500+9800-500, Gleb 900
        ("2026-03-02..2026-03-15", "loyal", 1, D("200.00"), D("200.00")),  # Boris 300-100
        ("2026-03-02..2026-03-15", "other", 2, D("400.00"), D("200.00")),
    )  # fmt: skip


def test_a_customer_is_new_in_the_day_of_the_first_purchase_in_store_time(shop):
    report = sales_report(shop, OPERATOR, Period(date(2026, 3, 1), date(2026, 3, 2), "day"))
    # Anna's first purchase, 21:10 UTC on 1 March, is 00:10 on 2 March in Moscow.
    assert report.rows == (
        ("2026-03-01", "new", 0, D("0.00"), D("0.00")),
        ("2026-03-01", "loyal", 0, D("0.00"), D("0.00")),
        ("2026-03-01", "other", 0, D("0.00"), D("0.00")),
        ("2026-03-02", "new", 1, D("1000.00"), D("1000.00")),
        ("2026-03-02", "loyal", 0, D("0.00"), D("0.00")),
        ("2026-03-02", "other", 0, D("0.00"), D("0.00")),
    )


def test_sales_by_month_cut_at_the_period_are_labelled_with_their_days(shop):
    report = sales_report(shop, OPERATOR, Period(date(2026, 2, 10), date(2026, 3, 4), "month"))
    assert [r[:4] for r in report.rows] == [
        ("2026-02-10..2026-02-28", "new", 1, D("2000.00")),  # Boris's first purchase, 10 February
        ("2026-02-10..2026-02-28", "loyal", 0, D("0.00")),
        ("2026-02-10..2026-02-28", "other", 0, D("0.00")),
        ("2026-03-01..2026-03-04", "new", 2, D("1900.00")),  # Anna 1000, Gleb 900
        ("2026-03-01..2026-03-04", "loyal", 1, D("300.00")),
        ("2026-03-01..2026-03-04", "other", 0, D("0.00")),
    ]


def test_points_flows_and_the_liability_at_each_weeks_end(shop):
    report = points_report(shop, OPERATOR, WEEKS)
    assert report.rows == (
        # accrued 30 + 15 (Anna) + 7 (Boris); Boris redeemed 60; Vera's 30 expired.
        # Owed at the end: Boris 7, Anna 45, Vera 0.
        (
            "2026-W10",
            D("52"),
            D("60"),
            D("30"),
            D("0"),
            D("0"),
            D("0"),
            D("52"),
            D("52.00"),
            D("0"),
        ),
        # accrued 294 (Anna) less 15 and 3 taken back by the returns; 20 given back to
        # Boris; adjusted +50 (Boris) -20 (Anna). Owed: Boris 74, Anna 304.
        (
            "2026-W11",
            D("276"),
            D("0"),
            D("0"),
            D("20"),
            D("30"),
            D("0"),
            D("378"),
            D("378.00"),
            D("0"),
        ),
    )


def test_points_liability_before_the_shop_had_sales_is_walked_back_to_zero(shop):
    report = points_report(shop, OPERATOR, Period(date(2026, 1, 1), date(2026, 3, 31), "month"))
    assert [(r[0], r[1], r[3], r[7]) for r in report.rows] == [
        ("2026-01", D("30"), D("0"), D("30")),  # Vera's 30
        ("2026-02", D("60"), D("0"), D("90")),  # Boris's 60
        ("2026-03", D("328"), D("30"), D("378")),
    ]


def test_groups_count_customers_and_their_average_check(shop):
    report = groups_report(shop, OPERATOR, WEEKS)
    assert report.rows == (
        # Anna 1000+500+9800, Boris 300; less the returns of 500 and 100
        ("Покупатели", 3, 4, D("11000.00"), D("2750.00")),
        ("Сотрудники", 1, 1, D("900.00"), D("900.00")),
        ("VIP", 0, 0, D("0.00"), D("0.00")),
        ("Только рассылки", 0, 0, D("0.00"), D("0.00")),
    )


def test_tiers_count_customers_and_the_moves_over_the_period(shop):
    report = tiers_report(shop, OPERATOR, WEEKS)
    # Vera (1000) and Boris (2200) stay at Start; Anna goes from Start to Silver (10800).
    assert report.rows == (("Start", 2, 0, 0, 1), ("Silver", 1, 0, 1, 0), ("Gold", 0, 0, 0, 0))


def test_tiers_at_a_period_before_annas_big_purchase_show_no_move(shop):
    report = tiers_report(shop, OPERATOR, Period(date(2026, 3, 2), date(2026, 3, 8)))
    assert report.rows == (("Start", 3, 0, 0, 0), ("Silver", 0, 0, 0, 0), ("Gold", 0, 0, 0, 0))


def test_winback_lists_who_has_not_bought_for_the_given_days(shop):
    report = winback_report(shop, OPERATOR, msk(3, 15), not_seen_days=30)
    assert report.rows == (("Vera", "+7 *** ***-00-01", date(2026, 1, 6), D("0.00")),)
    assert winback_report(shop, OPERATOR, msk(3, 15), not_seen_days=90).rows == ()


def test_birthdays_of_the_coming_week(shop):
    report = birthdays_report(shop, OPERATOR, msk(3, 15))
    assert report.rows == (("Anna", "+7 *** ***-00-03", date(2026, 3, 16), D("304.00")),)
    longer = birthdays_report(shop, OPERATOR, msk(3, 15), days=11)
    assert [r[0] for r in longer.rows] == ["Anna", "Boris"]  # Boris on 25 March


@pytest.mark.parametrize("report", [sales_report, points_report, groups_report, tiers_report])
def test_a_period_that_ends_before_it_starts_is_refused(ledger, report):
    with pytest.raises(LoyaltyError) as refused:
        report(ledger, OPERATOR, Period(date(2026, 3, 5), date(2026, 3, 1)))
    assert refused.value.code == "invalid_period"
    assert "2026-03-05" in refused.value.message


def test_too_many_days_are_refused_with_a_longer_step_suggested(ledger):
    with pytest.raises(LoyaltyError, match="longer step"):
        sales_report(ledger, OPERATOR, Period(date(2020, 1, 1), date(2026, 1, 1), "day"))


def test_winback_leaves_out_erased_customers_and_counts_what_is_not_shown(shop, ids, monkeypatch):
    from cashier_app.service.customer_changes import anonymise_customer
    from cashier_app.service.reports import customers

    anonymise_customer(shop, OPERATOR, ids["gleb"], at=msk(3, 14))
    monkeypatch.setattr(customers, "MAX_LISTED", 2)
    report = winback_report(shop, OPERATOR, msk(3, 15), not_seen_days=1)
    # Not seen since 14 March: Anna (10 March), Gleb (erased), Boris (3 March), Vera.
    assert [r[0] for r in report.rows] == ["Anna", "Boris"]
    assert report.notes[-1] == "2 of 3 shown: the most recently lost first."


def test_a_29_february_birthday_is_on_the_28th_in_other_years(ledger):
    from cashier_app import service

    service.register_customer(
        ledger, "+79160000009", name="Lev", birthday=date(1992, 2, 29), at=msk(1, 5)
    )
    report = birthdays_report(ledger, OPERATOR, msk(2, 27), days=3)
    assert [(r[0], r[2]) for r in report.rows] == [("Lev", date(2026, 2, 28))]
    assert birthdays_report(ledger, OPERATOR, msk(3, 1), days=3).rows == ()


def test_birthdays_beyond_the_list_are_counted_and_erased_ones_never(shop, ids, monkeypatch):
    from cashier_app.service.customer_changes import anonymise_customer
    from cashier_app.service.reports import customers

    monkeypatch.setattr(customers, "MAX_LISTED", 1)
    report = birthdays_report(shop, OPERATOR, msk(3, 15), days=11)
    assert [r[0] for r in report.rows] == ["Anna"]
    assert report.notes[-1] == "1 of 2 shown."  # Boris on 25 March is not listed
    anonymise_customer(shop, OPERATOR, ids["boris"], at=msk(3, 15))
    report = birthdays_report(shop, OPERATOR, msk(3, 15), days=11)
    assert [r[0] for r in report.rows] == ["Anna"]
    assert report.notes == ("Birthdays from 2026-03-15 to 2026-03-25.",)


def test_birthdays_across_new_year_in_date_order(ledger):
    from cashier_app import service

    for n, (name, born) in enumerate([("Jan", date(1990, 1, 2)), ("Dec", date(1980, 12, 30))]):
        service.register_customer(ledger, f"+7916000001{n}", name=name, birthday=born, at=msk(1, 5))
    report = birthdays_report(ledger, OPERATOR, msk(12, 29), days=7)
    assert [(r[0], r[2]) for r in report.rows] == [
        ("Dec", date(2026, 12, 30)),
        ("Jan", date(2027, 1, 2)),
    ]
