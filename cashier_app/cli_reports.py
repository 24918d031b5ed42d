"""``cashier-app report``: the back office's reports from the command line, with the same
figures as the window (both call service/reports), by a user who says who they are
(``--as NAME`` with the PIN in $CASHIER_APP_PIN) and may view reports.

    cashier-app --as Мария report sales --from 2026-03-01 --to 2026-03-31 --by week
    cashier-app --as Мария report points --from 2026-01-01 --to 2026-12-31 --by month \\
        --format xlsx --output points-2026.xlsx
    cashier-app --as Мария report winback --days 60
    cashier-app --as Мария report birthdays --days 7

Dates are the store's days (its program's time zone), both included. The automatic events
due by now (points expiring, birthday bonuses) are carried out before the report is read,
as the window does when it starts, so both show the same figures."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from cashier_app import service
from cashier_app.cli import AddCommand, UsageError, acting, moment_arg, store_ledger
from cashier_app.service import report_export, report_files
from cashier_app.service.ledger import Ledger
from cashier_app.service.output_files import check_output
from cashier_app.service.report_files import FileFormat
from cashier_app.service.report_model import Grouping, Period, Report
from cashier_app.service.users import Actor

PERIOD_REPORTS = ("sales", "points", "groups", "tiers", "shift")
LISTS = ("winback", "birthdays")
FORMATS = ("table", "csv", "xlsx")
# Reports that are one figure per group, tier or shift over the whole period: no --by.
WHOLE_PERIOD = {"groups": "group", "tiers": "tier", "shift": "shift"}


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


def _compute(args: argparse.Namespace, ledger: Ledger, actor: Actor) -> Report:
    from cashier_app.service import reports

    kind = args.kind
    if kind in LISTS:
        at = moment_arg(args.at) or ledger.clock()
        if kind == "winback":
            return reports.winback_report(ledger, actor, at, 60 if args.days is None else args.days)
        return reports.birthdays_report(ledger, actor, at, 7 if args.days is None else args.days)
    if kind == "shift" and args.shift is not None and not (args.from_ or args.to):
        today = ledger.clock().date()
        period = Period(today, today)
    else:
        period = _period(args)
    if kind == "sales":
        return reports.sales_report(ledger, actor, period)
    if kind == "points":
        return reports.points_report(ledger, actor, period)
    if kind == "groups":
        return reports.groups_report(ledger, actor, period)
    if kind == "tiers":
        return reports.tiers_report(ledger, actor, period)
    return reports.shift_report(ledger, actor, period, args.shift)


def _check_options(args: argparse.Namespace) -> None:
    """Options that do not go with the report asked for are refused, not ignored."""
    kind = args.kind
    if kind in LISTS:
        if args.from_ or args.to or args.by:
            raise UsageError(f"report {kind} takes --at and --days, not a period")
    elif args.at or args.days is not None:
        raise UsageError(f"report {kind} takes a period (--from, --to), not --at or --days")
    if args.shift is not None and kind != "shift":
        raise UsageError("--shift goes with report shift")
    if args.by and kind in WHOLE_PERIOD:
        raise UsageError(
            f"report {kind} is one figure per {WHOLE_PERIOD[kind]} over the whole period: "
            "--by splits only sales and points"
        )


def _format(args: argparse.Namespace) -> str:
    """The format asked for, or else the one the output file's name says (.csv, .xlsx),
    or else the table; a --format that contradicts the file's name is refused."""
    suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    named = suffix if suffix in ("csv", "xlsx") else None
    if args.format is None:
        return named or "table"
    if args.output and named is not None and named != args.format:
        raise UsageError(
            f"--format {args.format} does not go with --output {args.output}: "
            f"name a .{'txt' if args.format == 'table' else args.format} file, "
            "or leave --format out"
        )
    return str(args.format)


def cmd_report(args: argparse.Namespace) -> int:
    _check_options(args)
    fmt = _format(args)
    if fmt == "xlsx" and not args.output:
        raise UsageError("an XLSX report goes to a file: add --output FILE.xlsx")
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    # As the window does at its start: expiries and birthday bonuses due by now are carried
    # out first, so the command and the window show the same figures. A read-only ledger
    # (a copy on a locked disk) can record nothing: its figures are reported as they stand.
    if not ledger.db.read_only:
        service.run_automations(ledger)
    if args.output:
        # Refused before the report is read: never over the ledger or a database.
        check_output(args.output, ledger.db.path.parent)
    report = _compute(args, ledger, actor)
    if not args.output:
        text = report_export.csv_text(report) if fmt == "csv" else report_export.table_text(report)
        sys.stdout.write(text)
        return 0
    # Through the audited writer, as the window's exports: the file is in the audit log.
    file_format: FileFormat = "csv" if fmt == "csv" else "xlsx" if fmt == "xlsx" else "table"
    report_files.save_report(ledger, report, args.output, file_format, actor=actor)
    print(f"{report.title}: {len(report.rows)} rows written to {args.output}")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add(
        "report",
        cmd_report,
        "a back-office report (sales, points, groups, tiers, shift, winback, birthdays) as a "
        "table, CSV or XLSX; needs --as a user who may view reports; first carries out the "
        "automatic events due by now (expiries, birthday bonuses), as the window does at its "
        "start, so both show the same figures",
    )
    p.add_argument("kind", choices=PERIOD_REPORTS + LISTS)
    p.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="the first day, included")
    p.add_argument("--to", metavar="YYYY-MM-DD", help="the last day, included")
    p.add_argument(
        "--by",
        choices=("day", "week", "month"),
        help="sales, points: one row per day, week or month",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default), csv or xlsx; with --output, taken from the file's name "
        "(.csv, .xlsx) when not given",
    )
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE instead of the screen (recorded in the audit log; never the "
        "ledger or any database; an existing other file is replaced)",
    )
    p.add_argument("--shift", metavar="SHIFT_ID", help="report shift: this one shift")
    p.add_argument("--at", help="winback, birthdays: as of this moment (default: now)")
    p.add_argument(
        "--days",
        type=int,
        help="winback: days without a purchase (60); birthdays: days ahead (7)",
    )
