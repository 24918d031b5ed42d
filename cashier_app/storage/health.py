"""The ledger file's health, looked at before it is used: a damaged ledger is never
written to, a lost one is never silently replaced by a new till.

Before the ledger is opened for writing, ``inspect`` reads the file's header (a text file,
a zeroed or truncated file is seen there without SQLite) and has SQLite check the file on a
read-only connection, so a damaged file is refused before anything could write to it.
The checks read every page; measured on ledgers made by bench/generate.py:

    ledger                                    quick_check          integrity_check
    7.8 MiB (500 customers, 5,000 events)     10 ms                24 ms
    61 MiB (4,000 customers, 40,000 events)   70 ms (0.74 s cold)  0.21 s
    1.5 GiB (100,000 customers, 1M events)    2.0 s (19 s cold)    7.8 s

("cold": the file not in the page cache.) So a ledger up to INTEGRITY_CHECK_MAX_BYTES gets
``integrity_check`` (which also sees an index that disagrees with its table), one up to
QUICK_CHECK_MAX_BYTES ``quick_check``, and a bigger one a probe (the schema and both ends
of every table's b-tree: 3 ms, 11 ms cold, on the 1.5 GiB ledger); SQLite's own checks in
use refuse a write that meets a damaged page (storage/db.py), and ``cashier-app check``
runs the full ``integrity_check`` on demand.

Creating a ledger writes a marker beside it (``ledger.sqlite3.device``, the device id): a
folder with the marker, a write-ahead log or an empty ledger file once held a till's
ledger, and a missing or empty ledger there is refused (``ledger_missing``) instead of
being rebuilt as a new till with a new device id; ``cashier-app init`` starts a new one
on purpose, keeping the old files aside.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cashier_app.engine.errors import LoyaltyError

MAGIC = b"SQLite format 3\x00"
MARKER_SUFFIX = ".device"
INTEGRITY_CHECK_MAX_BYTES = 16 << 20
QUICK_CHECK_MAX_BYTES = 64 << 20
WAY_OUT = (
    "restore the last good copy of the file, or export what can still be read with "
    "cashier-app salvage --output FOLDER"
)


@dataclass(frozen=True)
class Found:
    """What the folder holds: ``new`` (nothing yet: create the ledger), else an existing
    ledger, ``writable`` or not (a read-only file, folder or file system)."""

    new: bool
    writable: bool
    immutable: bool  # read-only folder without the shared-memory file: read it as is
    revision: str | None = None  # the schema revision stored in the file (Alembic's)
    tables: frozenset[str] = frozenset()


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + MARKER_SUFFIX)


def sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def damaged(path: Path, what: str) -> LoyaltyError:
    return LoyaltyError(
        "ledger_damaged",
        f"the ledger {path} is damaged ({what}); it was not used, so nothing more is lost: "
        f"{WAY_OUT}",
        path=str(path),
    )


def unavailable(path: Path, what: str) -> LoyaltyError:
    return LoyaltyError(
        "ledger_unavailable",
        f"the ledger {path} cannot be used: {what}; give --data-dir a folder this user can "
        "read and write",
        path=str(path),
    )


def read_only(path: Path, what: str = "the file or its folder is read-only") -> LoyaltyError:
    return LoyaltyError(
        "ledger_read_only",
        f"the ledger {path} can only be read ({what}): nothing was recorded; make the file "
        "and its folder writable, or copy them to a writable disk",
        path=str(path),
    )


# Where each run of the window or a command marks itself (service/runs.py): its presence
# also says a till has worked in this folder.
RUNS_FOLDER = "runs"


def _traces(path: Path) -> list[str]:
    """Signs that this folder held a ledger: the marker, a non-empty write-ahead log or
    journal, an empty ledger file, the folder of run marks."""
    signs = []
    if (path.parent / RUNS_FOLDER).is_dir():
        signs.append(f"{RUNS_FOLDER}/ is left by the runs of a till")
    marker = marker_path(path)
    if marker.exists():
        signs.append(f"{marker.name} names device {_read_marker(marker) or '?'}")
    for side in sidecars(path):
        if side.exists() and side.stat().st_size > 0:
            signs.append(f"{side.name} is left")
    if path.exists():
        signs.append(f"{path.name} is empty")
    return signs


def _read_marker(marker: Path) -> str:
    try:
        return marker.read_text(encoding="utf-8").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return ""


def keep_private(path: Path) -> None:
    """The ledger holds the till's token for the central server and customers' phones: its
    folder is the owner's alone (0700) and its files too (0600; SQLite gives the -wal and
    -shm files the ledger's own mode). Only what this user owns is changed, and only on
    POSIX systems; on Windows the user's profile folder already keeps others out."""
    if os.name != "posix":
        return
    files = [path, *sidecars(path), marker_path(path)]
    for item, mode in [(path.parent, 0o700), *((f, 0o600) for f in files)]:
        try:
            st = item.stat()
            if st.st_uid == os.geteuid() and st.st_mode & 0o777 != mode:
                item.chmod(mode)
        except OSError:
            continue  # absent, or a read-only file system: nothing to tighten


def write_marker(path: Path, device_id: str) -> None:
    """Written once the ledger is made (or first opened by a version that writes it)."""
    marker = marker_path(path)
    if not marker.exists():
        marker.write_text(f"{device_id}\n", encoding="utf-8")


def set_aside(path: Path) -> list[Path]:
    """``cashier-app init`` over a lost ledger: its remains are renamed, never deleted."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for f in [path, marker_path(path), *sidecars(path), path.parent / RUNS_FOLDER]:
        if f.exists():
            target = f.with_name(f"{f.name}.replaced-{stamp}")
            f.rename(target)
            moved.append(target)
    return moved


def header_problem(path: Path, size: int) -> str | None:
    """What the first 100 bytes and the size say, without SQLite: None when they fit."""
    with path.open("rb") as f:
        head = f.read(100)
    if not head.startswith(MAGIC[:15]):
        if not head.strip(b"\x00"):
            return "the file is zeroed"
        return "it is not a SQLite database: its header is missing or broken"
    if len(head) < 100 or head[15] != 0:
        return "its header is broken"
    (raw_page,) = struct.unpack(">H", head[16:18])
    page = 65536 if raw_page == 1 else raw_page
    if page < 512 or page & (page - 1):
        return "its header is broken (page size)"
    if size % page:
        return f"the file is truncated ({size} bytes, not whole pages of {page})"
    (pages,) = struct.unpack(">I", head[28:32])
    header_valid = head[24:28] == head[92:96]
    if header_valid and pages * page > size:
        return f"the file is truncated ({size // page} of {pages} pages)"
    return None


def inspect(data_dir: Path, path: Path, *, new_till: bool = False) -> Found:
    """Look at the folder and the file before SQLite opens it for writing. Raises
    LoyaltyError: ``ledger_unavailable`` (not a folder, no permission), ``ledger_missing``
    (a lost or emptied ledger), ``ledger_damaged`` (header, size or quick_check)."""
    if data_dir.exists() and not data_dir.is_dir():
        raise unavailable(path, f"{data_dir} is a file, not a folder")
    if not data_dir.exists():
        try:
            data_dir.mkdir(parents=True)
        except OSError as exc:
            raise unavailable(path, f"the folder cannot be created ({exc.strerror})") from exc
    if path.is_dir():
        raise unavailable(path, "it is a folder, not a file")
    size = path.stat().st_size if path.exists() else 0
    if size == 0:
        signs = _traces(path)
        if signs and not new_till:
            raise LoyaltyError(
                "ledger_missing",
                f"the ledger {path} is missing or empty, but this folder held one "
                f"({'; '.join(signs)}): a new till is not made in its place; restore the "
                "last good copy of the file, or run cashier-app init to start a new till "
                "here (the old files are kept aside)",
                path=str(path),
            )
        if signs:
            set_aside(path)
        if not os.access(data_dir, os.W_OK):
            raise read_only(path, "its folder is read-only, so no ledger can be made there")
        return Found(new=True, writable=True, immutable=False)
    if not os.access(path, os.R_OK):
        raise unavailable(path, "this user may not read it")
    try:
        problem = header_problem(path, size)
    except OSError as exc:
        raise unavailable(path, exc.strerror or str(exc)) from exc
    if problem:
        raise damaged(path, problem)
    writable = os.access(path, os.W_OK) and os.access(data_dir, os.W_OK)
    writable = writable and all(os.access(f, os.W_OK) for f in sidecars(path) if f.exists())
    immutable = must_read_immutable(path)
    if size <= QUICK_CHECK_MAX_BYTES:
        full = size <= INTEGRITY_CHECK_MAX_BYTES
        problems = check(path, full=full, immutable=immutable)
    else:
        problems = probe(path, immutable=immutable)
    if problems:
        raise damaged(path, problems[0])
    revision, tables = schema_of(path, immutable)
    if revision is None and tables:
        raise damaged(path, "it is a SQLite file but not a cashier-app ledger")
    return Found(False, writable, immutable, revision, frozenset(tables))


def schema_of(path: Path, immutable: bool = False) -> tuple[str | None, set[str]]:
    """The Alembic revision stored in the file and its tables, read without writing (the
    read-write connection's first act, switching to WAL, writes to a file not yet in WAL)."""
    try:
        conn = _connect(path, immutable)
    except sqlite3.Error as exc:
        raise damaged(path, f"it cannot be opened: {exc}") from exc
    try:
        tables = {
            str(r[0])
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not str(r[0]).startswith("sqlite_")
        }
        row = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise damaged(path, str(exc)) from exc
    finally:
        conn.close()
    return (str(row[0]) if row else None), tables


def _connect(path: Path, immutable: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(readonly_uri(path, immutable), uri=True)
    # a damaged page may hold bytes that are no UTF-8, in a report or a name
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    return conn


def must_read_immutable(path: Path) -> bool:
    """Whether even reading must tell SQLite the file cannot change: in a folder this user
    may not write, SQLite cannot make or use the write-ahead log's index (-shm), and a
    read-only connection then fails with "attempt to write a readonly database"."""
    shm = path.with_name(path.name + "-shm")
    if shm.exists():
        return not os.access(shm, os.W_OK)
    return not os.access(path.parent, os.W_OK)


def readonly_uri(path: Path, immutable: bool = False) -> str:
    return f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")


def check(path: Path, *, full: bool = True, immutable: bool = False) -> list[str]:
    """``integrity_check`` (or ``quick_check``) on a read-only connection: [] when the
    ledger is sound, else what SQLite found (the first problems)."""
    pragma = "integrity_check(20)" if full else "quick_check(20)"
    try:
        conn = _connect(path, immutable)
    except sqlite3.Error as exc:
        return [f"it cannot be opened: {exc}"]
    try:
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def probe(path: Path, *, immutable: bool = False) -> list[str]:
    """What a ledger too big for quick_check at every opening gets: the schema parsed and
    the first and last row of every table read (a few pages each)."""
    try:
        conn = _connect(path, immutable)
    except sqlite3.Error as exc:
        return [f"it cannot be opened: {exc}"]
    try:
        tables = conn.execute(
            "SELECT name, upper(sql) FROM sqlite_master WHERE type = 'table'"
        ).fetchall()
        for name, sql in tables:
            if str(sql or "").startswith("CREATE VIRTUAL"):
                continue  # its shadow tables are probed themselves
            if "WITHOUT ROWID" in str(sql or ""):
                conn.execute(f'SELECT * FROM "{name}" LIMIT 1').fetchall()
                continue
            for order in ("", " DESC"):
                conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid{order} LIMIT 1').fetchall()
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        conn.close()
    return []
