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
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DatabaseError

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.program import load_program_text
from cashier_app.paths import default_data_dir, resource
from cashier_app.scenario import ScenarioError, load_scenario
from cashier_app.service.ledger import FIRST_YEAR, LAST_YEAR, Ledger
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
    for module in _COMMANDS:
        importlib.import_module(module).add_commands(add)
    return parser


# Modules adding commands, in the order of the help: the counter's, the catalogue's, the
# central server's, the ledger file's and the back office's. Each has
# ``add_commands(add)`` and takes this module's helpers (store_ledger, acting, UsageError...).
_COMMANDS: tuple[str, ...] = (
    "cashier_app.cli_counter",
    "cashier_app.cli_catalogue",
    "cashier_app.cli_sync",
    "cashier_app.cli_ledger_check",
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


def name_backup(args: argparse.Namespace, out: Any = None) -> None:
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
            name_backup(args)
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
        name_backup(args)
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
