"""``cashier-app customers-import FILE``: customers from the system the shop is leaving,
checked row by row and the valid ones brought over (service/customer_import*.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashier_app.cli import AddCommand, UsageError, acting, moment_arg, store_ledger
from cashier_app.engine.money import format_points
from cashier_app.service.customer_import import (
    FIELDS,
    ColumnMap,
    CustomerFile,
    ValidationReport,
    guess_mapping,
    read_customer_file,
    save_report,
    validate,
)
from cashier_app.service.customer_import_columns import not_kept
from cashier_app.service.output_files import check_output
from cashier_app.service.users import Permission

EXIT_NOTHING_VALID = 2


def add_commands(add: AddCommand) -> None:
    p = add(
        "customers-import",
        cmd_customers_import,
        "import customers from the old system's CSV or XLSX (valid rows; a re-import changes "
        "nothing)",
    )
    p.add_argument("file")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=f"take the file's COLUMN (its header or number, from 1) as FIELD: {', '.join(FIELDS)}"
        " or 'none'; the headers are guessed otherwise",
    )
    p.add_argument("--report", help="save the rows' problems to this .csv or .xlsx file")
    p.add_argument("--dry-run", action="store_true", help="check the file, import nothing")
    p.add_argument("--at", help="the moment of the import (default: now)")


def column_map(file: CustomerFile, overrides: list[str]) -> ColumnMap:
    """The guessed mapping with the ``--map`` overrides applied."""
    mapping = guess_mapping(file.headers)
    for item in overrides:
        column, sep, name = item.partition("=")
        column, name = column.strip(), name.strip().lower()
        if not sep or (name not in FIELDS and name != "none"):
            raise UsageError(f"--map {item!r}: say COLUMN=FIELD, FIELD one of {', '.join(FIELDS)}")
        if column.isdigit() and 1 <= int(column) <= len(file.headers):
            index = int(column) - 1
        elif column in file.headers:
            index = file.headers.index(column)
        else:
            raise UsageError(f"--map {item!r}: the file has no column {column!r}")
        mapping = {f: i for f, i in mapping.items() if i != index and f != name}
        if name != "none":
            mapping[name] = index
    return mapping


def summary(report: ValidationReport) -> str:
    points = format_points(report.balances, report.points_rounding)
    return (
        f"{report.rows} rows: {report.importable} to import, {len(report.unchanged)} already in "
        f"the base (unchanged), {report.bad_rows} with problems ({len(report.problems)} in all); "
        f"opening balances {points} points"
    )


def left_out_note(report: ValidationReport) -> str:
    """The columns nothing is taken from, so that none is dropped without a word."""
    named = [
        f"{header!r} (the ledger keeps no {what})" if (what := not_kept(header)) else repr(header)
        for header in report.left_out
    ]
    return f"not imported: {', '.join(named)}" if named else ""


def cmd_customers_import(args: argparse.Namespace) -> int:
    from cashier_app.service.customer_import_write import import_customers

    ledger = store_ledger(args)
    actor = acting(args, ledger)
    # Refused before the file is read: a cashier learns nothing of it, not even its columns.
    actor.require(Permission.IMPORT_CUSTOMERS)
    at = moment_arg(args.at)
    if args.report:  # a report path that would be refused is refused before the import
        check_output(args.report, ledger.db.path.parent)
    file = read_customer_file(Path(args.file))
    mapping = column_map(file, args.map)
    shown = ", ".join(
        f"{file.headers[i]!r} -> {f}" for f, i in sorted(mapping.items(), key=lambda x: x[1])
    )
    print(f"columns: {shown}")
    report = validate(ledger, actor, file, mapping, at)
    if note := left_out_note(report):
        print(note)
    for p in report.problems[:50]:
        print(f"row {p.row}, {p.column}: {p.message} [{p.problem}]", file=sys.stderr)
    if len(report.problems) > 50:
        print(f"... and {len(report.problems) - 50} more problems", file=sys.stderr)
    if args.report:
        save_report(report, args.report, ledger.db.path.parent)
        print(f"report saved to {args.report}")
    print(summary(report))
    if not report.importable:
        if report.unchanged:  # the file was imported before: nothing new, and no failure
            print("nothing new to import: the base already has every valid row")
            return 0
        print("nothing to import: no row is valid", file=sys.stderr)
        return EXIT_NOTHING_VALID
    if args.dry_run:
        print("dry run: nothing was imported")
        return 0

    def progress(done: int, total: int) -> None:
        if sys.stdout.isatty():
            print(f"\r{done * 100 // max(1, total)} %", end="", flush=True)

    result = import_customers(
        ledger, actor, file, mapping, at=at, progress=progress, checked=report
    )
    if sys.stdout.isatty():
        print()
    print(
        f"imported {result.imported} customers "
        f"({format_points(result.balances, report.points_rounding)} points of opening balances); "
        f"{result.unchanged} already in the base left unchanged"
    )
    return 0
