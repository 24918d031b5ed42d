"""``cashier-app backup``, ``backups``, ``backup-settings`` and ``restore`` (service/backups.py,
service/restore.py), and the way out every command names when the ledger is damaged."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path

from cashier_app.cli import AddCommand


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def way_out(data_dir: Path) -> str:
    """For a damaged or lost ledger: the newest good backup and the command restoring it."""
    from cashier_app.service.backups import newest_good

    try:
        best = newest_good(data_dir)
    except Exception:  # the hint never hides the refusal it explains
        return ""
    if best is None:
        return "no good backup of this till was found in its backup folders"
    return (
        f"the newest good backup is {best.path} (made {_when(best.taken_at)}); restore it "
        f'with: cashier-app --data-dir "{data_dir}" --as ADMINISTRATOR restore "{best.path}"'
    )


def cmd_backup(args: argparse.Namespace) -> int:
    from cashier_app.cli import acting, store_ledger
    from cashier_app.service.backups import make_backup

    ledger = store_ledger(args)
    actor = acting(args, ledger)
    made = make_backup(ledger, actor, Path(args.to).absolute() if args.to else None, "manual")
    print(f"backup {made.path} ({made.size // 1024} KiB, {made.events} event(s)): checked, ok")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from cashier_app.cli import store_ledger
    from cashier_app.service.backups import list_backups
    from cashier_app.service.settings import backup_settings

    folder = Path(args.folder) if args.folder else backup_settings(store_ledger(args)).folder
    found = list_backups(folder)
    print(f"backups in {folder}: {len(found)}")
    for b in found:
        state = "good" if b.good else f"NOT USABLE: {b.problems[0] if b.problems else '?'}"
        held = f"{b.events} event(s), {b.receipts} receipt(s)" if b.good else ""
        print(f"  {_when(b.taken_at)}  {b.reason:<16} {b.size // 1024:>8} KiB  {state}  {held}")
        print(f"      {b.path}")
    return 0


def cmd_backup_settings(args: argparse.Namespace) -> int:
    from cashier_app.cli import acting, store_ledger
    from cashier_app.service.backups import backup_health, save_settings
    from cashier_app.service.settings import backup_settings

    ledger = store_ledger(args)
    if args.folder or args.every_hours is not None or args.keep is not None:
        save_settings(
            ledger,
            acting(args, ledger),
            folder=Path(args.folder) if args.folder else None,
            every_hours=args.every_hours,
            keep=args.keep,
        )
    config = backup_settings(ledger)
    state = backup_health(ledger)
    print(f"folder       {config.folder}{'' if config.chosen else ' (default)'}")
    print(f"every        {config.every_hours} hour(s)")
    print(f"keep         {config.keep} newest, and one of each of the 3 months before")
    last = _when(config.last_at) if config.last_at else "never"
    print(f"last backup  {last}{' (too old)' if state.stale else ''}")
    if config.last_error:
        print(f"last failure {config.last_error}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from cashier_app.cli import UsageError
    from cashier_app.service.restore import check_loss, plan_restore, restore_backup

    data_dir = Path(args.data_dir)
    backup = Path(args.file).absolute()
    if not backup.is_file():
        raise UsageError(f"{backup}: no such backup file")
    plan = plan_restore(data_dir, backup)
    loss = plan.loss
    print(f"backup       {backup} (made {_when(plan.backup.taken_at)})")
    print(f"ledger       {'damaged' if plan.damaged else 'sound'}: it is kept aside, not deleted")
    if loss.unreadable:
        print(f"cannot read  {loss.unreadable}")
    print(
        f"since then   {loss.receipts} receipt(s) and {loss.other} other operation(s)"
        f"{' readable' if loss.unreadable else ''}; {loss.unsent} not sent to the central "
        "server: carried over into the restored ledger (and sent)"
    )
    check_loss(plan, args.accept_losing_unsent)  # refused before anyone is asked
    name = args.acting_as or os.environ.get("CASHIER_APP_USER")
    if not name:
        raise UsageError("say which administrator restores: --as NAME (the backup's staff)")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("nothing was changed: confirm the restore with --yes")
        if input("Restore this backup? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing was changed")
            return 1
    pin = os.environ.get("CASHIER_APP_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no PIN for {name}: set $CASHIER_APP_PIN or run on a terminal")
        pin = getpass.getpass(f"PIN for {name}: ")
    done = restore_backup(
        data_dir, backup, name=name, pin=pin, accept_losing_unsent=args.accept_losing_unsent
    )
    for kept in done.kept_aside:
        print(f"kept aside   {kept}")
    print(
        f"restored     {done.ledger_path}: {done.carried} operation(s) carried over, "
        f"{done.unsent} queued to send; run cashier-app check --accounts to see it whole"
    )
    return 0


def add_commands(add: AddCommand) -> None:
    p = add("backup", cmd_backup, "copy the ledger now into the backup folder (or --to DIR)")
    p.add_argument("--to", metavar="DIR", help="this folder instead of the chosen one")
    p = add("backups", cmd_backups, "list the backups: when, why, size, and whether each is good")
    p.add_argument("--folder", metavar="DIR", help="another folder than the chosen one")
    p = add(
        "backup-settings",
        cmd_backup_settings,
        "show, or change with --as, where backups go, how often and how many are kept",
    )
    p.add_argument("--folder", metavar="DIR", help="a USB stick or network folder")
    p.add_argument("--every-hours", type=int, metavar="N")
    p.add_argument("--keep", type=int, metavar="N")
    p = add(
        "restore",
        cmd_restore,
        "put a backup in place of the ledger, carrying over what was recorded since",
    )
    p.add_argument("file", help="the backup file (see cashier-app backups)")
    p.add_argument(
        "--accept-losing-unsent",
        action="store_true",
        help="restore although operations since the backup cannot be read (they are lost)",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
