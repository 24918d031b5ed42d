"""``cashier-app``: the ledger file's own commands: check it, and salvage what a damaged one
still holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashier_app.cli import AddCommand, UsageError, name_backup
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.ledger import Ledger


def _ledger_path(args: argparse.Namespace) -> Path:
    from cashier_app.service.ledger_file import DB_NAME

    return Path(args.data_dir) / DB_NAME


def cmd_check(args: argparse.Namespace) -> int:
    """The ledger's full integrity check and, with ``--accounts``, every customer's stored
    balance and lots against the replay of their events; changes nothing."""
    from cashier_app.service.consistency import check_accounts
    from cashier_app.storage import health, migrate
    from cashier_app.storage.db import Database

    path = _ledger_path(args)
    if not path.is_file() or path.stat().st_size == 0:
        print(f"{path}: no ledger here (missing or empty)")
        return 1
    try:
        problems = [p] if (p := health.header_problem(path, path.stat().st_size)) else []
    except OSError as exc:
        problems = [f"it cannot be read: {exc.strerror or exc}"]
    immutable = health.must_read_immutable(path)  # a read-only ledger is read, not judged
    problems = problems or health.check(path, full=True, immutable=immutable)
    if not problems:
        try:
            revision, _ = health.schema_of(path, immutable)
        except LoyaltyError as exc:
            problems = [exc.message]
        else:
            if revision is None:
                problems = ["it is a SQLite file but not a cashier-app ledger"]
            elif revision not in migrate.known_revisions():
                print(f"{path}: schema revision {revision} is unknown to this version")
    if problems:
        print(f"{path} is damaged:")
        for problem in problems:
            print(f"  {problem}")
        print(f"way out: {health.WAY_OUT}")
        name_backup(args, sys.stdout)
        return 1
    print(f"{path}: ok (integrity_check found nothing wrong)")
    if not args.accounts:
        return 0
    db = Database(path, read_only=True, immutable=immutable)
    try:
        report = check_accounts(Ledger(db))
    finally:
        db.close()
    for problem in report.problems:
        print(f"  {problem}")
    if report.enrolled:
        print("accounts: this till is enrolled, its accounts are the server's; order checked")
    verdict = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    print(f"accounts: {verdict} ({report.customers} customer(s), {report.events} event(s))")
    return 1 if report.problems else 0


def cmd_salvage(args: argparse.Namespace) -> int:
    """Copy what can be read out of a (damaged) ledger into CSV files."""
    from cashier_app.storage import health
    from cashier_app.storage.salvage import salvage

    path = _ledger_path(args)
    try:
        if not path.is_file() or path.stat().st_size == 0:
            raise UsageError(f"{path}: no ledger here (missing or empty), nothing to export")
        problem = health.header_problem(path, path.stat().st_size)
        if problem and "truncated" not in problem:
            raise UsageError(f"{path} cannot be read at all: {problem}")
        report = salvage(path, Path(args.output))
    except OSError as exc:
        raise UsageError(f"cannot export {path} to {args.output}: {exc}") from None
    for table in report.tables:
        print(f"{table.table:<20} {table.rows} row(s)")
        for p in table.problems:
            print(f"  not read: {p}")
    where = Path(args.output).resolve()
    if report.complete:
        print(f"everything was read; the CSV files are in {where}")
        return 0
    print(f"some rows could not be read (above); what could is in {where}")
    return 1


def add_commands(add: AddCommand) -> None:
    p = add(
        "check", cmd_check, "check the ledger file's integrity (changes nothing); exit 1 if damaged"
    )
    p.add_argument(
        "--accounts",
        action="store_true",
        help="also replay every customer's events and compare with the stored balances and lots",
    )
    p = add("salvage", cmd_salvage, "export what can be read from a damaged ledger to CSV files")
    p.add_argument("--output", required=True, help="the folder for the CSV files")
