"""A week or a month the period cuts short is labelled with the days it really holds, in
the CSV and the window alike (a defect the store-manager tester found: "2026-W44" held
only 1 November)."""

from __future__ import annotations

from datetime import date

from cashier_app import service
from cashier_app.service.report_export import csv_text
from cashier_app.service.report_model import Period
from cashier_app.service.reports import points_report, sales_report
from cashier_app.service.users import OPERATOR
from tests.reports.store import goods, msk


def test_weeks_cut_short_by_the_period_show_their_days(ledger):
    service.record_sale(ledger, goods("100.00"), number="N-1", at=msk(11, 1))
    report = sales_report(ledger, OPERATOR, Period(date(2026, 11, 1), date(2026, 11, 30), "week"))
    labels = list(dict.fromkeys(r[0] for r in report.rows))
    assert labels == [
        "2026-11-01..2026-11-01",  # Sunday 1 November, the end of week 44
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
        "2026-11-30..2026-11-30",  # Monday 30 November, the start of week 49
    ]
    lines = csv_text(report).splitlines()
    assert lines[0] == "period,segment,receipts,revenue,average_check"
    assert lines[3] == "2026-11-01..2026-11-01,other,1,100.00,100.00"


def test_months_cut_short_show_their_days_and_whole_ones_their_name(ledger):
    report = points_report(
        ledger, OPERATOR, Period(date(2026, 10, 15), date(2026, 12, 31), "month")
    )
    assert [r[0] for r in report.rows] == ["2026-10-15..2026-10-31", "2026-11", "2026-12"]


def test_the_sales_notes_explain_a_low_average_check_after_returns(ledger):
    report = sales_report(ledger, OPERATOR, Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert any("low or negative average check" in note for note in report.notes)
