"""``central-server``: serve the API and run the administrator's operations."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.process
import os
import secrets
import sys
from pathlib import Path

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import load_program_text
from cashier_app.engine.protocol import ROLES
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger, ServerError
from central_server.settings import Settings, admin_token_from_env, check_admin_token, db_from_env


def _ledger(args: argparse.Namespace) -> CentralLedger:
    engine = make_engine(args.db)
    migrate(engine)
    return CentralLedger(engine)


def _write_private(path: Path, text: str) -> None:
    """``text`` into ``path``, readable and writable by the owner only (0600), also when
    the file was there before with wider permissions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _start_replayer(db: str) -> multiprocessing.process.BaseProcess:
    """The background replayer in its own process (``background.replay_process``): not a
    thread beside the web workers' supervisor or inside a web worker, whose interpreter
    lock it would hold while pushes wait."""
    from central_server.background import replay_process

    process = multiprocessing.get_context("spawn").Process(
        target=replay_process, args=(db, os.getpid()), name="replayer", daemon=True
    )
    process.start()
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="central-server", description=__doc__)
    parser.add_argument(
        "--db",
        default=db_from_env(),
        help="postgresql://… or a SQLite file (default: central.sqlite3, or $CENTRAL_SERVER_DB)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--admin-token-file",
        default="central-server-admin-token",
        help="without CENTRAL_SERVER_ADMIN_TOKEN, a token is generated for this run and "
        "written here, readable by the owner only (default: %(default)s); it is never printed",
    )
    sub.add_parser("migrate", help="create or upgrade the database")
    ec = sub.add_parser("enrol-code", help="issue a one-time enrolment code for a workstation")
    ec.add_argument(
        "--store", default="main", help="the store (shop) of the workstation (default: main)"
    )
    rv = sub.add_parser("revoke-device", help="revoke a workstation's token")
    rv.add_argument("device_id")
    rp = sub.add_parser(
        "release-prefix",
        help="free a revoked workstation's card prefix for a new one, once its cards are "
        "accounted for (it had sent everything, or what it never sent is written off)",
    )
    rp.add_argument("device_id")
    prog = sub.add_parser("program", help="program versions")
    prog_sub = prog.add_subparsers(dest="action", required=True)
    ps = prog_sub.add_parser("set", help="publish a new program version")
    ps.add_argument("file")
    cat = sub.add_parser("catalogue", help="the product catalogue every till gets")
    cat_sub = cat.add_subparsers(dest="action", required=True)
    ci = cat_sub.add_parser(
        "import", help="import products from CSV or XLSX (as cashier-app products-import)"
    )
    ci.add_argument("file")
    us = sub.add_parser("user", help="staff the tills of their store get, with PINs hashed")
    us.add_argument("name")
    us.add_argument("--role", required=True, choices=ROLES)
    us.add_argument(
        "--pin",
        help="4 to 8 digits, 6 to 8 for a manager or administrator (required for a new user, "
        "and to make a user manager or administrator)",
    )
    us.add_argument(
        "--store",
        help="the store whose tills get the user, or '*' for every store (default: the "
        "user's store as it was; main for a new user)",
    )
    us.add_argument("--inactive", action="store_true", help="the user may no longer log in")
    sub.add_parser(
        "reconciliation-report",
        help="overdrafts, merged customers and quarantined events, as JSON lines",
    )
    qu = sub.add_parser("quarantine", help="events held out of the replay, for a decision")
    qu_sub = qu.add_subparsers(dest="action", required=True)
    ql = qu_sub.add_parser("list", help="the quarantined events, as JSON lines")
    ql.add_argument("--state", choices=["held", "released", "rejected", "all"], default="held")
    for action, text in (
        ("release", "apply a held event: the customer is replayed with it"),
        ("reject", "leave a held event out for good"),
    ):
        qu_sub.add_parser(action, help=text).add_argument("event_id")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            import uvicorn

            from central_server.app import create_app

            admin = admin_token_from_env()
            if admin is None:
                admin = secrets.token_urlsafe(32)
                _write_private(Path(args.admin_token_file), admin + "\n")
                print(f"admin token for this run written to {args.admin_token_file}")
            try:
                # The replayer runs in a process of its own (background.replay_process),
                # never in a web worker.
                settings = Settings(args.db, check_admin_token(admin), replay=False)
            except ValueError as exc:
                print(f"central-server: {exc}", file=sys.stderr)
                return 2
            ledger = _ledger(args)  # migrates once, before any worker starts
            replaying = _start_replayer(args.db)
            try:
                if args.workers > 1:
                    os.environ.update(settings.environment())  # the workers' Settings.from_env
                    uvicorn.run(
                        "central_server.app:app_from_env",
                        factory=True,
                        host=args.host,
                        port=args.port,
                        workers=args.workers,
                        log_level="warning",
                    )
                else:
                    uvicorn.run(
                        create_app(ledger, settings.admin_token, replay=settings.replay),
                        host=args.host,
                        port=args.port,
                        log_level="warning",
                    )
            finally:
                replaying.terminate()
                replaying.join(5)
        elif args.command == "migrate":
            _ledger(args)
            print("database is up to date")
        elif args.command == "enrol-code":
            print(_ledger(args).issue_code(args.store))
        elif args.command == "revoke-device":
            _ledger(args).revoke(args.device_id)
            print("revoked")
        elif args.command == "release-prefix":
            print(f"card prefix {_ledger(args).release_prefix(args.device_id)} freed")
        elif args.command == "program":
            # The engine's loader: a document nested 100,000 deep or holding a number of
            # thousands of digits is an invalid program, as on a till, not a traceback.
            try:
                document = load_program_text(Path(args.file).read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                print(f"central-server: {args.file} is not JSON in UTF-8: {exc}", file=sys.stderr)
                return 2
            version = _ledger(args).publish_program(document).version
            print(f"published program version {version}")
        elif args.command == "catalogue":
            from cashier_app.product_file import parse_rows, read_table

            products, problems = parse_rows(read_table(Path(args.file)))
            for p in problems:
                print(f"row {p.row}, {p.column}: {p.message}", file=sys.stderr)
            if problems:
                print("nothing was imported", file=sys.stderr)
                return 2
            rows = [{**p._asdict(), "price": str(p.price)} for p in products]
            print(f"{_ledger(args).put_products(rows)} products published")
        elif args.command == "user":
            _ledger(args).put_user(
                args.name, args.role, args.pin, active=not args.inactive, store=args.store
            )
            print(f"user {args.name} published")
        elif args.command == "quarantine":
            ledger = _ledger(args)
            if args.action == "list":
                for line in ledger.quarantined(None if args.state == "all" else args.state):
                    print(json.dumps(line, ensure_ascii=False))
            else:
                ledger.decide(args.event_id, release=args.action == "release")
                done = "released" if args.action == "release" else "rejected"
                print(f"event {args.event_id} {done}")
        elif args.command == "reconciliation-report":
            for line in _ledger(args).reconciliation():
                print(json.dumps(line, ensure_ascii=False))
    except ServerError as exc:
        print(f"central-server: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    except LoyaltyError as exc:
        print(f"central-server: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError) as exc:
        print(f"central-server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
