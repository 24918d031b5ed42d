"""``cashier-app``: the central server's commands: enrol, sync now, status and the refused
operations."""

from __future__ import annotations

import argparse
import sys

from cashier_app.cli import (
    EXIT_REFUSED,
    AddCommand,
    acting,
    store_ledger,
)


def cmd_enrol(args: argparse.Namespace) -> int:
    from cashier_app.sync.client import SyncError
    from cashier_app.sync.worker import enrol

    ledger = store_ledger(args)
    actor = acting(args, ledger)
    try:
        device_id = enrol(ledger, args.server, args.code, args.name, actor=actor)
    except SyncError as exc:
        print(f"cashier-app: enrolment failed: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"enrolled as device {device_id}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from cashier_app.sync import worker
    from cashier_app.sync.client import SyncError

    ledger = store_ledger(args)
    client = worker.client_for(ledger)
    if client is None:
        print(
            "cashier-app: this till is not enrolled; run cashier-app enrol first", file=sys.stderr
        )
        return EXIT_REFUSED
    try:
        done = worker.sync_once(
            ledger, client, pull_progress=lambda n: print(f"\rpulled {n}", end="")
        )
    except SyncError as exc:
        print(f"\ncashier-app: sync failed, everything stays queued: {exc}", file=sys.stderr)
        return 1
    print(f"\npushed {done.pushed}, pulled {done.pulled}, {done.queued} queued")
    if done.clock_warning:
        print(f"warning: this till's clock is off by {done.clock_skew_seconds} s", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from cashier_app.storage import schema as t
    from cashier_app.sync.outbox import queued_count, refused_count
    from cashier_app.sync.worker import CLOCK_WARNING_SECONDS

    ledger = store_ledger(args)
    with ledger.db.read() as conn:
        device = ledger.device_row(conn)
        version = conn.execute(select(func.max(t.program_versions.c.version))).scalar()
        customers = conn.execute(select(func.count()).select_from(t.customers)).scalar_one()
        receipts = conn.execute(select(func.count()).select_from(t.receipts)).scalar_one()
        enrolment = conn.execute(select(t.sync_state)).first()  # none: never enrolled
        tz = ledger.program(conn, fresh=False).tz if version is not None else None
    queued = queued_count(ledger)
    print(f"ledger     {ledger.db.path}")
    print(f"device     {device.name} ({device.device_id}), card prefix {device.card_prefix}")
    print(f"program    version {version if version is not None else '- (run init)'}")
    print(f"customers  {customers}, receipts {receipts}")
    if enrolment is None:
        print("sync       standalone: no central server enrolled, this till works on its own")
        print(f"           and keeps every sale here; {queued} event(s) kept to send if enrolled")
        return 0
    last = enrolment.last_success
    print(f"sync       enrolled with {enrolment.server_url} as device {enrolment.device_id}")
    print(f"last sync  {last.astimezone(tz).isoformat(' ', 'seconds') if last else 'never'}")
    print(f"queued     {queued} event(s) waiting to be sent")
    if enrolment.last_error:
        print(f"last error {enrolment.last_error}")
    if waiting := refused_count(ledger):
        print(f"refused    {waiting} operation(s) refused by the server; see cashier-app refused")
    skew = enrolment.clock_skew_seconds
    if skew is not None and abs(skew) > CLOCK_WARNING_SECONDS:
        print(f"clock      this till's clock is off by {skew} s")
    return 0


def cmd_refused(args: argparse.Namespace) -> int:
    from cashier_app.service import refused

    ledger = store_ledger(args)
    actor = acting(args, ledger)
    if args.send_again:
        refused.send_again(ledger, args.send_again, actor=actor)
        print(f"{args.send_again} is queued again; the next sync sends it")
        return 0
    if args.reviewed:
        refused.mark_reviewed(ledger, args.reviewed, actor=actor)
        print(f"{args.reviewed} is marked reviewed")
        return 0
    operations = refused.refused_operations(ledger, include_reviewed=args.all, actor=actor)
    if not operations:
        print("no refused operations" + ("" if args.all else " wait for review"))
        return 0
    with ledger.db.read() as conn:
        tz = ledger.program(conn, fresh=False).tz
    for op in operations:
        when = op.at.astimezone(tz).isoformat(" ", "seconds")
        what = op.kind + (f" receipt {op.receipt_number}" if op.receipt_number else "")
        who = f", {op.customer}" if op.customer else ""
        seen = f" (reviewed by {op.reviewed_by})" if op.reviewed_by else ""
        print(f"{op.event_id}  {when}  {what}{who}{seen}")
        print(f"    refused: {op.reason}")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add("enrol", cmd_enrol, "enrol this till with the central server (one-time code)")
    p.add_argument("server", help="the server's address, e.g. https://loyalty.example.com")
    p.add_argument("code", help="the one-time code from central-server enrol-code")
    p.add_argument("--name", default="Till", help="this till's name at the server")
    add("sync", cmd_sync, "push queued operations and pull changes now")
    add("status", cmd_status, "the ledger, device, program version and events waiting to sync")
    p = add(
        "refused",
        cmd_refused,
        "operations the central server refused for good (recorded here, not sent): list them, "
        "send one again or mark it reviewed",
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument("--send-again", metavar="EVENT_ID", help="queue it again for the server")
    action.add_argument("--reviewed", metavar="EVENT_ID", help="mark it seen and settled")
    action.add_argument("--all", action="store_true", help="list reviewed ones too")
