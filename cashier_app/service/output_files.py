"""Files the back office writes for people (reports, customer lists, import reports):
where they may go, how they are written, and what a spreadsheet may see in them.

Every export, from the window or the command line, goes through here, so:
- no export lands on the ledger or anything beside it that the till needs (a report
  written over ``ledger.sqlite3`` once destroyed a store), nor over any SQLite database;
- a file is whole or absent: written under a temporary name in the same folder, flushed,
  then renamed; a full disk or a pulled stick leaves nothing that looks finished;
- a cell a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return: a customer called ``=HYPERLINK(...)``) is written as
  text, with the apostrophe Excel itself uses to mean "this is text".
Refusals name the path the person typed, never a temporary one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cashier_app.engine.errors import LoyaltyError

T = TypeVar("T")
_SQLITE_HEADER = b"SQLite format 3\x00"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a ledger folder holds that an export must never replace.
_LEDGER_FILES = (
    "ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm", "ledger.sqlite3-journal",
)  # fmt: skip


def check_output(path: Path | str, ledger_folder: Path | None = None) -> Path:
    """The file an export may write, or a refusal that says why, naming ``path``."""
    target = Path(path).expanduser()
    shown = str(path)
    if not target.name or target.is_dir():
        raise LoyaltyError("invalid_export_path", f"{shown} is a folder: name a file in it")
    folder = target.parent.resolve()
    if not folder.is_dir():
        raise LoyaltyError(
            "invalid_export_path", f"{shown}: the folder {target.parent} does not exist"
        )
    resolved = folder / target.name
    if resolved.is_symlink() or resolved.exists():
        resolved = resolved.resolve()
    if ledger_folder is not None:
        ledger_folder = Path(ledger_folder).resolve()
        if resolved.parent == ledger_folder and (
            resolved.name in _LEDGER_FILES or resolved.name.startswith("ledger.sqlite3")
        ):
            raise LoyaltyError(
                "invalid_export_path",
                f"{shown} is the till's ledger: an export never replaces it; name another file",
            )
    if resolved.is_file() and _is_database(resolved):
        raise LoyaltyError(
            "invalid_export_path",
            f"{shown} is a database (perhaps a ledger or a backup): an export never replaces "
            "it; name another file",
        )
    return resolved


def _is_database(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def write_whole(path: Path, write: Callable[[Path], T], shown: str | None = None) -> T:
    """``write(temporary)`` then the temporary renamed to ``path``: the whole file or
    nothing. An OS error is refused as ``export_failed`` naming ``path`` (or ``shown``)."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        result = write(temporary)
        with temporary.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
        return result
    except OSError as exc:
        raise LoyaltyError(
            "export_failed", f"cannot write {shown or path}: {exc.strerror or exc}"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet shows it, never as a formula it would run. For the cells
    people typed (names, reasons, product names), not for the amounts we write: "-750.00"
    is a number."""
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value
