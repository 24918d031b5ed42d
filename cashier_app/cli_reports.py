"""``cashier-app report``: the back office's reports from the command line, with the same
figures as the window (both call service/reports), by a user who says who they are
(``--as NAME`` with the PIN in $CASHIER_APP_PIN) and may view reports.

    cashier-app --as Мария report sales --from 2026-03-01 --to 2026-03-31 --by week
    cashier-app --as Мария report points --from 2026-01-01 --to 2026-12-31 --by month \\
        --format xlsx --output points-2026.xlsx
    cashier-app --as Мария report winback --days 60
    cashier-app --as Мария report birthdays --days 7

Dates are the store's days (its program's time zone), both included."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from cashier_app.cli import AddCommand, UsageError, acting, moment_arg, store_ledger
from cashier_app.service import report_export
from cashier_app.service.report_model import Grouping, Period, Report

PERIOD_REPORTS = ("sales", "points", "groups", "tiers", "shift")
LISTS = ("winback", "birthdays")
FORMATS = ("table", "csv", "xlsx")


def _day(text: str | None, option: str) -> date:
    if text is None:
        raise UsageError(f"say the period: {option} YYYY-MM-DD")
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a day like 2026-03-01") from None


def _period(args: argparse.Namespace) -> Period:
    start, end = _day(args.from_, "--from"), _day(args.to, "--to")
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}: the period would be empty")
    by: Grouping | None = args.by
    return Period(start, end, by)


def _compute(args: argparse.Namespace) -> Report:
    from cashier_app.service import reports

    ledger = store_ledger(args)
    kind = args.kind
    if kind in LISTS:
        if args.from_ or args.to or args.by:
            raise UsageError(f"report {kind} takes --at and --days, not a period")
        actor = acting(args, ledger)
        at = moment_arg(args.at) or ledger.clock()
        if kind == "winback":
            return reports.winback_report(ledger, actor, at, 60 if args.days is None else args.days)
        return reports.birthdays_report(ledger, actor, at, 7 if args.days is None else args.days)
    if args.at or args.days is not None:
        raise UsageError(f"report {kind} takes a period (--from, --to), not --at or --days")
    if args.shift is not None and kind != "shift":
        raise UsageError("--shift goes with report shift")
    if kind == "shift" and args.shift is not None and not (args.from_ or args.to):
        today = ledger.clock().date()
        period = Period(today, today)
    else:
        period = _period(args)
    actor = acting(args, ledger)
    if kind == "sales":
        return reports.sales_report(ledger, actor, period)
    if kind == "points":
        return reports.points_report(ledger, actor, period)
    if kind == "groups":
        return reports.groups_report(ledger, actor, period)
    if kind == "tiers":
        return reports.tiers_report(ledger, actor, period)
    return reports.shift_report(ledger, actor, period, args.shift)


def cmd_report(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and not args.output:
        raise UsageError("an XLSX report goes to a file: add --output FILE.xlsx")
    report = _compute(args)
    output = Path(args.output) if args.output else None
    if args.format == "xlsx" and output is not None:
        report_export.write_xlsx(report, output)
    elif args.format == "csv":
        if output is None:
            sys.stdout.write(report_export.csv_text(report))
            return 0
        report_export.write_csv(report, output)
    elif output is None:
        sys.stdout.write(report_export.table_text(report))
        return 0
    else:
        output.write_text(report_export.table_text(report), encoding="utf-8")
    print(f"{report.title}: {len(report.rows)} rows written to {output}")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add(
        "report",
        cmd_report,
        "a back-office report (sales, points, groups, tiers, shift, winback, birthdays) as a "
        "table, CSV or XLSX; needs --as a user who may view reports",
    )
    p.add_argument("kind", choices=PERIOD_REPORTS + LISTS)
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="the first day, included")
    p.add_argument("--to", metavar="YYYY-MM-DD", help="the last day, included")
    p.add_argument("--by", choices=("day", "week", "month"), help="one row per day, week or month")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")
    p.add_argument("--shift", metavar="SHIFT_ID", help="report shift: this one shift")
    p.add_argument("--at", help="winback, birthdays: as of this moment (default: now)")
    p.add_argument(
        "--days",
        type=int,
        help="winback: days without a purchase (60); birthdays: days ahead (7)",
    )
