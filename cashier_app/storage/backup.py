"""Copies of the ledger file, made with SQLite's online backup API.

``sqlite3.Connection.backup`` copies the pages of one read snapshot, so a copy taken while
the till sells holds every sale committed before it began and none half-written. The copy
goes to a temporary name in the target folder, is flushed to the disk (fsync), checked with
``quick_check`` and only then renamed to its final name: a stick pulled out half-way leaves
a ``.partial`` file, never a backup that looks whole and is not. Copies are the owner's
alone (0600), like the ledger (health.keep_private): they hold the same phones and token.

Nothing here reads a table's rows: what a copy holds is read through storage.schema's typed
tables (service/backups.py), so amounts and moments are converted the one way.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from cashier_app.engine.errors import LoyaltyError
from cashier_app.storage import health

PARTIAL = ".partial"


def folder_problem(folder: Path) -> LoyaltyError:
    return LoyaltyError(
        "backup_folder_unavailable",
        f"the backup folder {folder} cannot be written (missing, read-only, or a removed "
        "stick or network folder): no backup was made and the ledger was not touched; "
        "plug the stick back in or choose another folder",
        folder=str(folder),
    )


def copy_ledger(source: Path, target: Path) -> None:
    """Copy the ledger ``source`` to the file ``target`` (not yet existing) with the online
    backup API; raises ``backup_folder_unavailable`` when the folder cannot take it and
    ``backup_failed`` when the copy is not sound. The source is only read."""
    folder = target.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise folder_problem(folder)
    partial = target.with_name(target.name + PARTIAL)
    try:
        src = sqlite3.connect(
            health.readonly_uri(source, health.must_read_immutable(source)), uri=True
        )
    except sqlite3.Error as exc:
        raise health.damaged(source, f"it cannot be opened to copy: {exc}") from exc
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one step: one read snapshot, consistent while others write
            # A copy is one self-contained file: no write-ahead log beside it.
            dst.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        _drop(partial)
        if "malformed" in str(exc) or "corrupt" in str(exc):
            raise health.damaged(source, str(exc)) from exc
        raise folder_problem(folder) from exc
    except OSError as exc:
        _drop(partial)
        raise folder_problem(folder) from exc
    finally:
        src.close()
    try:
        _private_and_durable(partial)
        problems = health.check(partial, full=False)
        if problems:
            raise LoyaltyError(
                "backup_failed",
                f"the copy written to {folder} did not pass its check ({problems[0]}): it "
                "was removed; try again or choose another folder",
            )
        partial.replace(target)
        _sync_folder(folder)
    except OSError as exc:
        _drop(partial)
        raise folder_problem(folder) from exc
    except LoyaltyError:
        _drop(partial)
        raise


def _private_and_durable(path: Path) -> None:
    if os.name == "posix":
        path.chmod(0o600)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """The rename itself reaches the disk (POSIX; Windows has no folder handle for it)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):  # some network file systems refuse it: best effort
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _drop(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def sound(path: Path) -> list[str]:
    """[] when the copy passes ``quick_check`` (header first: a truncated file is seen
    without SQLite), else what is wrong."""
    try:
        size = path.stat().st_size
        problem = health.header_problem(path, size) if size else "the file is empty"
    except OSError as exc:
        return [f"it cannot be read: {exc.strerror or exc}"]
    if problem:
        return [problem]
    return health.check(path, full=False, immutable=health.must_read_immutable(path))
