"""``cashier-app``: the catalogue's and the scanner's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cashier_app.cli import (
    EXIT_REFUSED,
    AddCommand,
    UsageError,
    acting,
    store_ledger,
)


def cmd_products_import(args: argparse.Namespace) -> int:
    from cashier_app.service import catalogue

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} products", end="", flush=True)

    ledger = store_ledger(args)
    actor = acting(args, ledger)
    report = catalogue.import_catalogue(
        ledger, Path(args.file), skip_invalid=args.skip_invalid, progress=progress, actor=actor
    )
    if report.imported:
        print()
    for problem in report.problems:
        column = f", {problem.column}" if problem.column else ""
        print(f"row {problem.row}{column}: {problem.message}", file=sys.stderr)
    print(f"{report.rows} rows read, {report.imported} products imported, "
          f"{len(report.problems)} problem(s)")  # fmt: skip
    if report.problems and not args.skip_invalid:
        print("nothing was imported; fix the rows or use --skip-invalid", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def cmd_products_find(args: argparse.Namespace) -> int:
    from cashier_app.service import catalogue

    ledger = store_ledger(args)
    found = catalogue.find_product(ledger, args.query)
    products = [found] if found else catalogue.search_products(ledger, args.query)
    for p in products:
        flags = " (no loyalty)" if p.no_loyalty else ""
        category = p.category or "-"
        print(f"{p.sku:<16} {p.barcode or '-':<14} {p.price:>10}  {p.name} [{category}]{flags}")
    if not products:
        print("no product found")
        return 1
    return 0


def cmd_scanner(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cashier_app.ui.scanner import ScannerSettings

    settings = ScannerSettings.load()
    asked = {
        "min_length": args.min_length,
        "prefix": args.prefix,
        "suffix": args.suffix,
        "max_interval_ms": args.max_interval_ms,
    }
    changes = {k: v for k, v in asked.items() if v is not None}
    if changes:
        from cashier_app.service.settings import record_workstation_change
        from cashier_app.service.users import Permission

        # The scanner's settings are this workstation's, not the ledger's, but changing
        # them is a manager's job (the window's Barcode scanner… screen is theirs too),
        # and the audit log says who changed them.
        ledger = store_ledger(args)
        actor = acting(args, ledger)
        actor.require(Permission.IMPORT_CATALOGUE)
        settings = replace(settings, **changes)
        if not (1 <= settings.min_length <= 64 and 5 <= settings.max_interval_ms <= 200):
            raise UsageError("--min-length is 1 to 64 and --max-interval-ms 5 to 200")
        settings.save()
        record_workstation_change(ledger, actor, "scanner", changes)
    s = settings
    print(
        f"scanner: at least {s.min_length} characters, keys at most {s.max_interval_ms} ms apart,"
    )
    print(f"         prefix {s.prefix!r}, suffix {s.suffix!r}")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add("products-import", cmd_products_import, "import the product catalogue from CSV or XLSX")
    p.add_argument("file")
    p.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, report the bad"
    )
    p = add("products-find", cmd_products_find, "find a product by barcode, SKU or name")
    p.add_argument("query")
    p = add("scanner", cmd_scanner, "show or set how the window recognises a barcode scanner")
    p.add_argument("--min-length", type=int, help="shortest code taken for a scan (default 6)")
    p.add_argument("--prefix", help="characters the scanner sends before each code")
    p.add_argument("--suffix", help="characters the scanner sends after each code")
    p.add_argument(
        "--max-interval-ms", type=int, help="longest gap between a scan's keys (default 75)"
    )
