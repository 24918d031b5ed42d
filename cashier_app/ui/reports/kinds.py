"""The reports the window offers, in the order of its list: what each is called, whether it
covers a period or looks from one day, and the service function that computes it (which
checks the manager's permission itself).

The two lists of customers (who stopped coming, the coming birthdays) come without a chart;
the window draws one from the rows it shows: how many were lost by the month of their last
purchase, how many birthdays fall on each day of the week."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from PySide6.QtCore import QCoreApplication

from cashier_app.service import reports
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Chart, Column, Period, Report, Value
from cashier_app.service.users import Actor

Fetch = Callable[[Ledger, Actor, Period], Report]


@dataclass(frozen=True, slots=True)
class ReportKind:
    key: str
    label: str  # English source text; title() translates it (ru.reports.json holds it)
    on: Literal["period", "day"]  # a period picked, or one day the report looks from
    fetch: Fetch
    day: str = ""  # "day" reports: what the chosen day means
    chart_of: Callable[[Report], Report] | None = None  # a chart the service does not draw

    def title(self) -> str:
        return QCoreApplication.translate("Reports", self.label)

    def day_label(self) -> str:
        return QCoreApplication.translate("Reports", self.day) if self.day else ""


def moment_of(day: date) -> datetime:
    """The moment a one-day report looks from: now for today, else that day's noon on this
    till's clock (inside the day whatever daylight saving does to its midnight)."""
    now = datetime.now().astimezone()
    if day == now.date():
        return now
    return datetime.combine(day, time(12)).astimezone()


def counted_by_date(key: str, x_title: str, by_month: bool) -> Callable[[Report], Report]:
    """A chart's figures for a list of customers: the rows counted by the date in column
    ``key`` (by its month, or by the day itself). It counts the rows listed, and the
    service lists at most a thousand (its note says when there were more)."""

    def chart_of(report: Report) -> Report:
        at = report.column(key)
        days = [row[at] for row in report.rows]
        keys = Counter(
            d.strftime("%Y-%m") if by_month else d.isoformat() for d in days if isinstance(d, date)
        )
        rows: tuple[tuple[Value, ...], ...] = tuple((k, keys[k]) for k in sorted(keys))
        return Report(
            name=report.name,
            title=report.title,
            period=report.period,
            columns=(Column("when", x_title, "text"), Column("customers", "Customers", "int")),
            rows=rows,
            chart=Chart("bar", x="when", values=("customers",)),
        )

    return chart_of


def _winback(ledger: Ledger, actor: Actor, p: Period) -> Report:
    return reports.winback_report(ledger, actor, moment_of(p.end))


def _birthdays(ledger: Ledger, actor: Actor, p: Period) -> Report:
    return reports.birthdays_report(ledger, actor, moment_of(p.start))


KINDS: tuple[ReportKind, ...] = (
    ReportKind("sales", "Sales", "period", reports.sales_report),
    ReportKind("points", "Points", "period", reports.points_report),
    ReportKind("groups", "Customer groups", "period", reports.groups_report),
    ReportKind("tiers", "Tiers", "period", reports.tiers_report),
    ReportKind(
        "shift", "Shifts by cashier", "period",
        lambda ledger, actor, p: reports.shift_report(ledger, actor, p),
    ),
    ReportKind(
        "winback", "Customers who stopped coming", "day", _winback, "As of",
        counted_by_date("last_purchase", "Last purchase", by_month=True),
    ),
    ReportKind(
        "birthdays", "Birthdays of the coming week", "day", _birthdays, "Week from",
        counted_by_date("birthday", "Birthday", by_month=False),
    ),
)  # fmt: skip
