"""``cashier-app customer-group`` and ``cashier-app anonymise``: a manager moves customers to
another group, or erases a customer's personal data on their request, from the command
line (``--as NAME`` with the PIN in $CASHIER_APP_PIN). Both sync like any operation."""

from __future__ import annotations

import argparse

from cashier_app.cli import AddCommand, UsageError, acting, customer_arg, moment_arg, store_ledger
from cashier_app.service.customer_changes import anonymise_customer, move_to_group


def cmd_customer_group(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    ids = [customer_arg(ledger, query) for query in args.customers]
    moved = move_to_group(ledger, actor, ids, args.group, at=moment_arg(args.at))
    unchanged = len(set(ids)) - moved
    print(
        f"moved {moved} customer(s) to group {args.group}"
        + (f"; {unchanged} already in it" if unchanged else "")
    )
    return 0


def cmd_anonymise(args: argparse.Namespace) -> int:
    if not args.yes:
        raise UsageError(
            "this erases the customer's name, phone and birthday for good, on every till; "
            "add --yes to do it"
        )
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    customer_id = customer_arg(ledger, args.customer)
    anonymise_customer(ledger, actor, customer_id, at=moment_arg(args.at))
    print(f"customer {customer_id}: personal data erased, cards stopped; points and receipts kept")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add(
        "customer-group",
        cmd_customer_group,
        "move customers to another group from now on (their points stay)",
    )
    p.add_argument("customers", nargs="+", metavar="CUSTOMER", help="a phone, card or id")
    p.add_argument("--group", required=True, help="the group's id in the program")
    p.add_argument("--at", help="the moment, ISO 8601 (default: now)")
    p = add(
        "anonymise",
        cmd_anonymise,
        "erase a customer's personal data on their request (sums and receipts stay)",
    )
    p.add_argument("customer", metavar="CUSTOMER", help="a phone, card or id")
    p.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    p.add_argument("--at", help="the moment, ISO 8601 (default: now)")
