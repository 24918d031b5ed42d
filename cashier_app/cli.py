"""``cashier-app``: the workstation's command line.

Every command works on the store's ledger in ``--data-dir`` (default: the platform's data
directory, or ``$CASHIER_APP_DATA``) through the same service layer the window uses.
Refusals print the reason and the stable error code and exit 2, changing nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DatabaseError

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.money import format_money, parse_amount, parse_quantity
from cashier_app.engine.program import load_program_text
from cashier_app.engine.receipt import LineInput, ReceiptQuote, RedeemRequest
from cashier_app.engine.returns import ReturnRequest
from cashier_app.paths import default_data_dir, resource
from cashier_app.scenario import ScenarioError, load_scenario
from cashier_app.service.ledger import FIRST_YEAR, LAST_YEAR, Ledger
from cashier_app.service.phones import mask_phone
from cashier_app.service.results import CustomerView
from cashier_app.service.runs import Run, begin_run, describe
from cashier_app.service.users import Actor
from cashier_app.simulate import EXIT_INVALID, run_scenario
from cashier_app.slips import render

EXIT_REFUSED = 2

# ``add(name, func, help)``: declares one command; back-office modules get it.
AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


class UsageError(Exception):
    pass


# -- helpers -----------------------------------------------------------------------------
# This process's marks in the ledgers' folders, removed when main() ends (service/runs.py).
_RUNS: list[Run] = []
# The store's time zone, once store_ledger has opened the ledger: a moment typed without
# an offset (--at 2026-03-01T10:00) is the store's time, not the machine's.
_STORE_ZONE: list[tzinfo] = []


def store_ledger(args: argparse.Namespace) -> Ledger:
    # Only init and demo make a ledger: any other command on a folder without one is a
    # mistyped --data-dir, refused before anything is made.
    ledger = service.open_ledger(Path(args.data_dir), must_exist=True)
    run, stops = begin_run(ledger)
    if run is not None:
        _RUNS.append(run)
    tz: tzinfo = UTC
    with ledger.db.read() as conn, contextlib.suppress(LoyaltyError):
        tz = ledger.program(conn, fresh=False).tz  # no program yet: UTC
    _STORE_ZONE[:] = [tz]
    if stops:
        for stop in stops:
            print(f"cashier-app: warning: {describe(stop, tz)}", file=sys.stderr)
    return ledger


def acting(args: argparse.Namespace, ledger: Ledger) -> Actor:
    """Who runs this command: ``--as NAME`` (or ``$CASHIER_APP_USER``) with that user's
    PIN from ``$CASHIER_APP_PIN``, or typed when asked on a terminal. The PIN is checked
    like the window's login: wrong ones are counted and lock the user, and the attempt is
    in the audit log. The service layer then checks what the role may do."""
    return acting_with_pin(args, ledger)[0]


def acting_with_pin(args: argparse.Namespace, ledger: Ledger) -> tuple[Actor, str]:
    """``acting``, and the PIN it was given: an enrolled till's staff change carries it to
    the central server, which checks it against its own staff list (docs/security.md)."""
    from cashier_app.service import users

    name = args.acting_as or os.environ.get("CASHIER_APP_USER")
    if not name:
        raise UsageError(
            "say who is acting: --as NAME, with the PIN in $CASHIER_APP_PIN or typed when asked"
        )
    pin = os.environ.get("CASHIER_APP_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no PIN for {name}: set $CASHIER_APP_PIN or run on a terminal")
        pin = getpass.getpass(f"PIN for {name}: ")
    return users.login(ledger, name, pin, via="command line"), pin


def new_pin(args: argparse.Namespace, whose: str) -> str:
    """A new PIN: ``--pin`` where the command has one, else $CASHIER_APP_NEW_PIN, else
    typed twice on a terminal (never echoed)."""
    pin = getattr(args, "pin", None) or os.environ.get("CASHIER_APP_NEW_PIN")
    if pin is not None:
        return str(pin)
    if not sys.stdin.isatty():
        raise UsageError(f"no new PIN for {whose}: set $CASHIER_APP_NEW_PIN or run on a terminal")
    pin = getpass.getpass(f"new PIN for {whose}: ")
    if getpass.getpass("the same PIN again: ") != pin:
        raise UsageError("the two PINs differ; nothing was changed")
    return pin


def moment_arg(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a time like 2026-03-01T10:00:00+03:00") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise UsageError(f"{text!r}: a moment is between the years {FIRST_YEAR} and {LAST_YEAR}")
    if moment.tzinfo is None:
        # The store's zone (the program's); before a ledger is open, the machine's.
        moment = moment.replace(tzinfo=_STORE_ZONE[0]) if _STORE_ZONE else moment.astimezone()
    return moment.astimezone(UTC)


def dated_arg(args: argparse.Namespace, actor: Actor) -> datetime | None:
    """``--at`` on a command that records: a manager's or administrator's right (a
    cashier's sale dated 2020 would move tiers, expiry and reports); without it, now."""
    from cashier_app.service import users

    return users.dated(actor, moment_arg(args.at))


def _kv(text: str, what: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise UsageError(f"{what} {text!r}: write key=value pairs separated by commas")
        out[key.strip()] = value.strip()
    return out


def _sale_line(text: str) -> LineInput:
    kv = _kv(text, "line")
    unknown = set(kv) - {"sku", "price", "qty", "category", "brand", "name", "no_loyalty"}
    if unknown or "sku" not in kv or "price" not in kv:
        raise UsageError(
            f"line {text!r}: give sku=...,price=...[,qty=...,category=...,brand=...,no_loyalty=1]"
        )
    try:
        return LineInput(
            sku=kv["sku"],
            price=parse_amount(kv["price"]),
            qty=parse_quantity(kv.get("qty", "1")),
            category=kv.get("category") or None,
            brand=kv.get("brand") or None,
            name=kv.get("name") or None,
            no_loyalty=kv.get("no_loyalty", "0").lower() in ("1", "yes", "true"),
        )
    except ValueError as exc:
        raise UsageError(f"line {text!r}: {exc}") from None


def _product_lines(ledger: Ledger, codes: list[str]) -> list[LineInput]:
    from cashier_app.service import catalogue

    picked = []
    for text in codes:
        code, _, qty = text.partition("*")
        product = catalogue.find_product(ledger, code)
        if product is None:
            raise UsageError(f"no product with barcode or SKU {code!r}")
        try:
            picked.append((product, parse_quantity(qty or "1")))
        except ValueError as exc:
            raise UsageError(f"--product {text!r}: {exc}") from None
    return catalogue.product_lines(picked)


def customer_arg(ledger: Ledger, query: str) -> str:
    """A customer by phone, card scan or id."""
    found = service.identify(ledger, query)
    if found is None:
        try:
            service.get_customer(ledger, query)
            found = query
        except LoyaltyError:
            raise LoyaltyError("unknown_customer", f"no customer for {query!r}") from None
    return found


def _pts(value: Decimal) -> str:
    return str(value.quantize(Decimal(1)) if value == value.to_integral_value() else value)


def _show_customer(view: CustomerView, full_phone: bool = False) -> None:
    phone = view.phone if full_phone else mask_phone(view.phone)
    print(f"{view.name or '(no name)'}  {phone}  card {', '.join(view.cards) or '-'}")
    print(f"  id {view.id}, group {view.group_name} ({view.loyalty})")
    print(f"  balance {_pts(view.balance)}, pending {_pts(view.pending)}", end="")
    print(f", tier {view.tier or '-'}", end="")
    if view.next_tier:
        print(f", {view.to_next_tier} more to reach {view.next_tier}", end="")
    if view.discount_percent:
        print(f", discount {view.discount_percent}%", end="")
    print()


def _print_quote(q: ReceiptQuote) -> None:
    for ln in q.lines:
        print(f"  {ln.sku:<20} {ln.qty:>8} x {ln.price:>10} = {ln.amount:>10}")
    print(f"  total {format_money(q.total)}, discount {format_money(q.discount)}, "
          f"points {q.redeemed} (at most {q.max_redeem}), to pay {format_money(q.paid)}, "
          f"points earned {q.accrued}")  # fmt: skip


# -- commands ----------------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(Path(args.file))
    except ScenarioError as exc:
        print(f"cashier-app simulate: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return run_scenario(scenario)


def cmd_window(args: argparse.Namespace) -> int:
    from cashier_app.ui.app import run

    return run(Path(args.data_dir), args.lang)


def cmd_demo(args: argparse.Namespace) -> int:
    from cashier_app.demo import DEMO_USERS, demo_dir, seed_demo

    folder = Path(args.folder) if args.folder else demo_dir()
    print(f"demo store in {folder} (delete the folder to start afresh)")
    ledger = service.open_ledger(folder)
    seed_demo(ledger)
    ledger.db.close()
    print("log in as:")
    for user in DEMO_USERS:
        print(f"  {user.name:<26} PIN {user.pin}")
    from cashier_app.ui.app import run

    return run(folder, args.lang)


def cmd_demo_day(args: argparse.Namespace) -> int:
    scenario = load_scenario(resource("demo_store.json"))
    print("Demo store: the Samosale default program (3% / 5% / 7% cashback, up to 30% of a")
    print("receipt payable with points, welcome and birthday bonuses), on a temporary ledger.\n")
    return run_scenario(scenario, render=render)


def cmd_init(args: argparse.Namespace) -> int:
    # The one command that starts a new till where a ledger was lost (its remains are
    # kept aside); everywhere else a missing ledger is refused (ledger_missing).
    from cashier_app.service import users

    ledger = service.open_ledger(Path(args.data_dir), new_till=True)
    path = Path(args.program) if args.program else resource("programs", "samosale_default.json")
    admin = args.admin or os.environ.get("CASHIER_APP_USER")
    actor = users.OPERATOR  # a new ledger's first program is installed before anyone works
    if not users.has_users(ledger):
        if admin:
            # The PIN this administrator will act with from now on ($CASHIER_APP_PIN).
            pin = os.environ.get("CASHIER_APP_NEW_PIN") or os.environ.get("CASHIER_APP_PIN")
            pin = pin or new_pin(args, admin)
            actor = users.create_user(ledger, admin, users.Role.ADMINISTRATOR, pin, actor=actor)
            print(f"first administrator {actor.name} added")
        else:
            print("no users yet: add the first administrator with cashier-app init --admin NAME")
    with ledger.db.read() as conn:
        try:
            ledger.program(conn)
            installed = True
        except LoyaltyError:
            installed = False
    if not installed:
        if actor is users.OPERATOR and users.has_users(ledger):
            actor = acting(args, ledger)  # a store with staff: one of them installs it
        program = service.install_program(ledger, _read_program(path), actor=actor)
        print(f"installed program version {program.version} from {path}")
    print(f"ledger ready at {ledger.db.path}")
    return 0


def _read_program(path: Path) -> Any:
    try:
        return load_program_text(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None


def cmd_program_install(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    document = _read_program(Path(args.file))
    program = service.install_program(ledger, document, actor=acting(args, ledger))
    print(f"installed program version {program.version}")
    return 0


def cmd_program_check(args: argparse.Namespace) -> int:
    from cashier_app.engine.program import parse_program

    program = parse_program(_read_program(Path(args.file)))
    print(f"program version {program.version} is valid: {len(program.groups)} groups")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    birthday = None
    if args.birthday:
        try:
            birthday = date.fromisoformat(args.birthday)
        except ValueError:
            raise UsageError(f"birthday {args.birthday!r} is not a date like 1990-01-20") from None
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    reg = service.register_customer(
        ledger,
        args.phone,
        name=args.name or "",
        birthday=birthday,
        group=args.group,
        consent=args.consent,
        referrer=args.referrer,
        card=args.card,
        at=dated_arg(args, actor),
        actor=actor,
    )
    print(f"registered, card {reg.card}, welcome bonus {reg.welcome_points}")
    _show_customer(reg.customer)
    return 0


def cmd_find(args: argparse.Namespace) -> int:
    from cashier_app.service.users import Permission

    ledger = store_ledger(args)
    if args.full_phone:  # whole phone numbers are a manager's to see
        acting(args, ledger).require(Permission.SEE_FULL_PHONE)
    found = service.identify(ledger, args.query)
    views = (
        [service.get_customer(ledger, found)]
        if found
        else service.search_customers(ledger, args.query)
    )
    if not views:
        print("no customer found")
        return 1
    for view in views:
        _show_customer(view, full_phone=args.full_phone)
    return 0


def _redeem(text: str) -> RedeemRequest:
    if text == "max":
        return "max"
    try:
        return parse_amount(text)
    except ValueError:
        raise UsageError(f"--redeem {text!r}: give a number of points or 'max'") from None


def cmd_sale(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    lines = [_sale_line(x) for x in args.line] + _product_lines(ledger, args.product)
    if not lines:
        raise UsageError("give at least one --line or --product")
    customer = customer_arg(ledger, args.customer) if args.customer else None
    redeem = _redeem(args.redeem)
    if args.quote:
        _print_quote(service.quote_sale(ledger, lines, customer_id=customer, redeem=redeem,
                                        at=moment_arg(args.at)))  # fmt: skip
        return 0
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    with _shift(ledger, actor, at):
        sale = service.record_sale(
            ledger, lines, customer_id=customer, redeem=redeem, number=args.number,
            payment=args.payment, at=at, actor=actor,
        )  # fmt: skip
    print(f"receipt {sale.number} recorded")
    _print_quote(sale.quote)
    if sale.customer:
        _show_customer(sale.customer)
    return 0


@contextlib.contextmanager
def _shift(ledger: Ledger, actor: Actor, at: datetime | None) -> Any:
    """A sale belongs to its cashier's shift: the one open at the window, or else one
    opened for this command and closed after it (so no shift is left open by a script)."""
    from cashier_app.service import users

    if users.current_shift(ledger, actor) is not None:
        yield
        return
    users.open_shift(ledger, actor=actor, at=at)
    try:
        yield
    finally:
        users.close_shift(ledger, actor=actor, at=at)


def cmd_return(args: argparse.Namespace) -> int:
    items = []
    for text in args.line:
        kv = _kv(text, "line")
        try:
            qty = parse_quantity(kv.get("qty", "1"))
            line = int(kv["line"]) - 1 if "line" in kv else None
        except (ValueError, InvalidOperation):
            raise UsageError(f"line {text!r}: give sku=...[,qty=...] or line=N[,qty=...]") from None
        items.append(ReturnRequest(kv.get("sku"), qty, line))
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    res = service.record_return(ledger, args.receipt, items, at=at, actor=actor)
    print(f"returned on {res.receipt_number}: refund {res.refunded}, points taken back "
          f"{res.points_taken_back}, points given back {res.points_given_back}")  # fmt: skip
    if res.customer:
        _show_customer(res.customer)
    return 0


def cmd_adjust(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    try:
        points = parse_amount(args.points, allow_negative=True)
    except ValueError:
        raise UsageError(f"points {args.points!r}: give a number like 100 or -50") from None
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    customer = customer_arg(ledger, args.customer)
    res = service.adjust_balance(ledger, customer, points, args.reason, at=at, actor=actor)
    print(f"adjusted by {res.points}")
    _show_customer(res.customer)
    return 0


def cmd_automations(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    until = moment_arg(args.until)
    acting(args, ledger)  # any user: the window runs them for whoever is logged in
    events = service.run_automations(ledger, until)
    for e in events:
        print(f"{e.at.isoformat()}  {e.kind}  customer {e.customer}  {e.points} points")
    print(f"{len(events)} automatic event(s)")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from cashier_app.service import users
    from cashier_app.sync import staff

    ledger = store_ledger(args)
    role = users.Role(args.role)
    if not users.has_users(ledger):
        # The very first user of a ledger is its first administrator: nobody to act as yet.
        pin = new_pin(args, args.name)
        first = users.create_user(ledger, args.name, role, pin, actor=users.OPERATOR)
        print(f"user {first.name} ({first.role.value}) added")
        return 0
    actor, own_pin = acting_with_pin(args, ledger)
    # On an enrolled till through the central server (sync/staff.py).
    staff.add_user(ledger, actor, args.name, role, new_pin(args, args.name), actor_pin=own_pin)
    print(f"user {' '.join(args.name.split())} ({role.value}) added")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from cashier_app.service import users

    for user in users.list_users(store_ledger(args)):
        print(f"{user.name:<30} {user.role.value}")
    return 0


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


def _ledger_path(args: argparse.Namespace) -> Path:
    from cashier_app.service.ledger_file import DB_NAME

    return Path(args.data_dir) / DB_NAME


def cmd_check(args: argparse.Namespace) -> int:
    """The ledger's full integrity check and, with ``--accounts``, every customer's stored
    balance and lots against the replay of their events; changes nothing."""
    from cashier_app.service.consistency import check_accounts
    from cashier_app.service.ledger import Ledger
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
        _name_backup(args, sys.stdout)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cashier-app",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir", default=str(default_data_dir()), help="the store's ledger folder"
    )
    parser.add_argument(
        "--lang", choices=["en", "ru", "uk"], help="the window's language (default: the system's)"
    )
    parser.add_argument(
        "--as",
        dest="acting_as",
        metavar="NAME",
        help="the user running a command that needs one (PIN from $CASHIER_APP_PIN, or asked)",
    )
    parser.set_defaults(func=cmd_window)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add(
        "simulate", cmd_simulate, "run a scenario file on a temporary ledger (docs/scenarios.md)"
    )
    p.add_argument("file")
    add("window", cmd_window, "open the cashier window on the store's ledger (the default)")
    p = add("demo", cmd_demo, "open the cashier window on a demo store (made on first use)")
    p.add_argument("--folder", help="where the demo store lives")
    add("demo-day", cmd_demo_day, "run the demo store's day on a temporary ledger, print receipts")
    p = add(
        "init",
        cmd_init,
        "create the ledger, its first administrator and a program (default: Samosale's)",
    )
    p.add_argument("--program", help="program document JSON")
    p.add_argument(
        "--admin",
        metavar="NAME",
        help="the first administrator (default: $CASHIER_APP_USER); PIN from "
        "$CASHIER_APP_NEW_PIN or $CASHIER_APP_PIN, or typed twice",
    )
    p = add("program-install", cmd_program_install, "install a new program version")
    p.add_argument("file")
    p = add("program-check", cmd_program_check, "validate a program document, change nothing")
    p.add_argument("file")
    p = add("register", cmd_register, "register a customer and issue a card")
    p.add_argument("--phone", required=True)
    p.add_argument("--name")
    p.add_argument("--birthday", help="YYYY-MM-DD")
    p.add_argument("--group")
    p.add_argument("--card", help="a pre-printed card number (default: issue one)")
    p.add_argument("--referrer", help="the referring customer's phone or card")
    p.add_argument("--consent", action="store_true", help="consent to the privacy policy given")
    p.add_argument("--at", help="when (default: now)")
    p = add("find", cmd_find, "find customers by phone, card, last 4 digits or name")
    p.add_argument("query")
    p.add_argument("--full-phone", action="store_true", help="show whole phone numbers")
    p = add("sale", cmd_sale, "quote or record a sale")
    p.add_argument(
        "--line",
        action="append",
        default=[],
        help="a free line: sku=...,price=...[,qty=...,category=...,brand=...,no_loyalty=1]",
    )
    p.add_argument(
        "--product", action="append", default=[], help="a catalogue product: BARCODE or SKU[*QTY]"
    )
    p.add_argument("--customer", help="phone, card or customer id")
    p.add_argument("--redeem", default="0", help="points to pay with, or 'max'")
    p.add_argument("--payment", default="cash", choices=["cash", "card", "other"])
    p.add_argument("--number", help="receipt number (default: next of this till)")
    p.add_argument("--quote", action="store_true", help="only compute, record nothing")
    p.add_argument("--at")
    p = add("return", cmd_return, "return lines of a receipt")
    p.add_argument("receipt")
    p.add_argument(
        "--line", action="append", required=True, help="sku=...[,qty=...] or line=N[,qty=...]"
    )
    p.add_argument("--at")
    p = add("adjust", cmd_adjust, "adjust a customer's points (manager), with a reason")
    p.add_argument("customer")
    p.add_argument("points")
    p.add_argument("--reason", required=True)
    p.add_argument("--at")
    p = add("user-add", cmd_user_add, "add a user (the first must be an administrator)")
    p.add_argument("name")
    p.add_argument(
        "--role", required=True, choices=["cashier", "senior_cashier", "manager", "administrator"]
    )
    p.add_argument(
        "--pin",
        help="4 to 8 digits; 6 to 8 for a manager or administrator "
        "(default: $CASHIER_APP_NEW_PIN, or typed twice)",
    )
    add("users", cmd_users, "list the store's users and their roles")
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
    p = add("automations", cmd_automations, "run expiry, birthdays, win-back up to a moment")
    p.add_argument("--until")
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
    for module in _BACK_OFFICE_COMMANDS:
        importlib.import_module(module).add_commands(add)
    return parser


# Modules adding the back office's commands; each has ``add_commands(add)``, and takes
# this module's helpers (store_ledger, acting, moment_arg, UsageError).
_BACK_OFFICE_COMMANDS: tuple[str, ...] = (
    "cashier_app.cli_staff",
    "cashier_app.cli_reports",
    "cashier_app.cli_backups",
    "cashier_app.cli_customer_import",
    "cashier_app.cli_customer_changes",
    "cashier_app.cli_customers",
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # The reader went away (``| head``): what the command did is done; say nothing more
        # (and let nothing complain when the interpreter flushes the dead pipe at exit).
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        # What the cashier is told ("recorded") leaves the process before the run counts
        # as stopped cleanly: a kill in between then still warns the next run.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        while _RUNS:
            _RUNS.pop().close()


def _name_backup(args: argparse.Namespace, out: Any = None) -> None:
    """A damaged or lost ledger's refusal names the backup that would replace it."""
    from cashier_app.cli_backups import way_out

    if hint := way_out(Path(args.data_dir)):
        print(f"cashier-app: {hint}", file=out or sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except ProgramError as exc:
        print("cashier-app: invalid program document:", file=sys.stderr)
        for path, msg in exc.issues:
            print(f"  {path or '(document)'}: {msg}", file=sys.stderr)
        return EXIT_REFUSED
    except LoyaltyError as exc:
        print(f"cashier-app: {exc.message} [{exc.code}]", file=sys.stderr)
        if exc.code in ("ledger_damaged", "ledger_missing"):
            _name_backup(args)
        return EXIT_REFUSED
    except UsageError as exc:
        print(f"cashier-app: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (DatabaseError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # The last line of defence (storage/health.py refuses the known cases first): the
        # ledger failed in a way nobody foresaw, or holds text SQLite cannot know is
        # damaged (a stored payload that no longer decodes); say so, with the way out.
        first = (str(exc).splitlines() or [""])[0][:300]
        print(
            f"cashier-app: the ledger in {args.data_dir} cannot be used ({first}); nothing "
            "more was recorded. Run cashier-app check; if the ledger is damaged, restore the "
            "last good copy or export what can be read with cashier-app salvage --output DIR",
            file=sys.stderr,
        )
        _name_backup(args)
        return EXIT_REFUSED
    except BrokenPipeError:
        raise  # not the ledger's fault: main() handles it
    except UnicodeEncodeError:
        # An argument with bytes that are no text in this system's encoding (a name typed
        # in another code page): refused before anything was written.
        print(
            "cashier-app: an argument is not valid text (its bytes are not in this "
            "system's encoding); nothing was recorded",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"cashier-app: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
