"""A damaged, lost or unusable ledger ends in a clear message, never a traceback, and is
never written to: each case is made from a real ledger with sales, and the commands run on
it in-process through cashier_app.cli.main (one case, and the read-only ones, in a
process of their own). A write asked of such a ledger exits non-zero and leaves the file's
bytes as they were; a missing ledger where one was is not rebuilt as a new till."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.receipt import LineInput
from cashier_app.service.ledger_file import DB_NAME
from cashier_app.storage import health
from tests.conftest import add_cli_admin
from tests.shop import samosale_program

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

ROOT = Path(__file__).resolve().parents[1]
LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]
PHONE = "+79001234567"
SALE = ["sale", "--line", "sku=latte,price=250,category=coffee", "--customer", PHONE]
WRITES = [SALE, ["register", "--phone", "+79007654321"], ["automations"], ["sync"]]
READS = [["status"], ["find", PHONE], ["users"], ["products-find", "latte"]]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A till's ledger with a customer and three sales, closed (WAL checkpointed)."""
    folder = tmp_path_factory.mktemp("good") / "till"
    ledger = service.open_ledger(folder)
    service.install_program(ledger, samosale_program())
    # The command line's administrator: a read-only ledger still checks who acts (without
    # counting the PIN), so a write is refused as read-only, not for an unknown user.
    add_cli_admin(ledger)
    anna = service.register_customer(ledger, PHONE, name="Анна")
    for _ in range(3):
        service.record_sale(ledger, LATTE, customer_id=anna.customer.id)
    ledger.db.close()
    assert not (folder / f"{DB_NAME}-wal").exists()
    return folder


# -- the cases: each turns a copy of the good till's folder into a damaged one -------------
def _page_size(path: Path) -> int:
    (raw,) = struct.unpack(">H", path.read_bytes()[16:18])
    return 65536 if raw == 1 else raw


def truncated(folder: Path) -> None:
    path = folder / DB_NAME
    os.truncate(path, path.stat().st_size // 2 + 100)


def truncated_at_a_page(folder: Path) -> None:
    path = folder / DB_NAME
    page = _page_size(path)
    os.truncate(path, (path.stat().st_size // page // 2) * page)


def zeroed(folder: Path) -> None:
    path = folder / DB_NAME
    path.write_bytes(bytes(path.stat().st_size))


def empty(folder: Path) -> None:
    (folder / DB_NAME).write_bytes(b"")


def deleted(folder: Path) -> None:
    (folder / DB_NAME).unlink()


def text_file(folder: Path) -> None:
    (folder / DB_NAME).write_text("date,amount\n2026-03-01,250.00\n", encoding="utf-8")


def broken_header(folder: Path) -> None:
    path = folder / DB_NAME
    data = bytearray(path.read_bytes())
    data[16:18] = b"\x03\x07"  # a page size that is no power of two
    path.write_bytes(bytes(data))


def garbage_first_page(folder: Path) -> None:
    path = folder / DB_NAME
    data = bytearray(path.read_bytes())
    data[:4096] = random.Random(7).randbytes(4096)
    path.write_bytes(bytes(data))


def broken_table_page(folder: Path) -> None:
    """The receipts table's root page says it is of a kind no b-tree page is."""
    path = folder / DB_NAME
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'receipts'"
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * _page_size(path)] = 0x7F
    path.write_bytes(bytes(data))


def flipped_bits(folder: Path) -> None:
    """20 random bits flipped after the header, in a file SQLite then finds damaged."""
    path = folder / DB_NAME
    good = path.read_bytes()
    for seed in range(200):
        data = bytearray(good)
        rng = random.Random(seed)
        for _ in range(20):
            data[rng.randrange(100, len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        if health.check(path):  # integrity_check sees it: a damaged ledger
            return
    raise AssertionError("no seed damaged the ledger")


def unknown_revision(folder: Path) -> None:
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.close()


def not_a_ledger(folder: Path) -> None:
    (folder / DB_NAME).unlink()
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, data BLOB)")
        conn.execute("INSERT INTO photos (data) VALUES (x'00')")
    conn.close()


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncated, "ledger_damaged"),
    "truncated at a page": (truncated_at_a_page, "ledger_damaged"),
    "zeroed": (zeroed, "ledger_damaged"),
    "empty (0 bytes)": (empty, "ledger_missing"),
    "deleted": (deleted, "ledger_missing"),
    "text file": (text_file, "ledger_damaged"),
    "broken header": (broken_header, "ledger_damaged"),
    "garbage first page": (garbage_first_page, "ledger_damaged"),
    "broken table page": (broken_table_page, "ledger_damaged"),
    "20 bits flipped": (flipped_bits, "ledger_damaged"),
    "unknown schema revision": (unknown_revision, "ledger_too_new"),
    "another program's SQLite file": (not_a_ledger, "ledger_damaged"),
}


def _digest(folder: Path) -> dict[str, str]:
    """Every file of the ledger and its bytes' hash: the ledger, its marker, a write-ahead
    log with anything in it (a read-only look may leave an empty one; the shared-memory
    index is no data)."""
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.iterdir())
        if f.name.startswith(DB_NAME)
        and not f.name.endswith("-shm")
        and not (f.name.endswith("-wal") and f.stat().st_size == 0)
    }


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest, good: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    make, code = CASES[request.param]
    folder = tmp_path / "till"
    shutil.copytree(good, folder)
    make(folder)
    yield folder, code


def run(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str) -> tuple[int, str]:
    code = main(["--data-dir", str(folder), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("command", WRITES + READS, ids=lambda c: c[0])
def test_every_command_on_a_damaged_ledger_says_why_and_writes_nothing(
    case: tuple[Path, str], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, code = case
    before = _digest(folder)
    exit_code, said = run(capsys, folder, *command)
    assert exit_code != 0
    assert "Traceback" not in said
    assert f"[{code}]" in said
    assert str(folder / DB_NAME) in said  # the file is named
    if code == "ledger_damaged":
        assert "restore the last good copy" in said and "salvage" in said
    if code == "ledger_missing":
        assert "cashier-app init" in said
    assert _digest(folder) == before  # not a byte written, no new ledger made


def test_check_tells_a_damaged_ledger_from_a_sound_one(
    case: tuple[Path, str], good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, code = case
    assert run(capsys, good, "check") == (0, f"{good / DB_NAME}: ok (integrity_check found "
                                              "nothing wrong)\n")  # fmt: skip
    exit_code, said = run(capsys, folder, "check")
    if code == "ledger_too_new":  # a sound file, from a newer version
        assert exit_code == 0
        return
    assert exit_code == 1 and "Traceback" not in said
    if code == "ledger_damaged":
        assert "is damaged" in said and "restore the last good copy" in said


def test_salvage_exports_what_can_be_read_without_a_traceback(
    case: tuple[Path, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder, code = case
    before = _digest(folder)
    exit_code, said = run(capsys, folder, "salvage", "--output", str(tmp_path / "out"))
    assert "Traceback" not in said
    assert _digest(folder) == before
    if code == "ledger_missing":
        assert exit_code == 2 and "no ledger here" in said
    elif exit_code in (0, 1):
        assert (tmp_path / "out" / "receipts.csv").exists()
        assert ("everything was read" in said) == (exit_code == 0)


def test_salvage_of_a_broken_table_keeps_every_other_table(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "till"
    shutil.copytree(good, folder)
    broken_table_page(folder)
    exit_code, said = run(capsys, folder, "salvage", "--output", str(tmp_path / "out"))
    assert exit_code == 1
    assert "receipts" in said and "not read" in said
    lines = (tmp_path / "out" / "receipt_lines.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 3  # the header and the three sales' lines
    customers = (tmp_path / "out" / "customers.csv").read_text(encoding="utf-8")
    assert PHONE in customers and "Анна" in customers


def test_salvage_of_a_sound_ledger_reads_everything(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, said = run(capsys, good, "salvage", "--output", str(tmp_path / "out"))
    assert exit_code == 0, said
    receipts = (tmp_path / "out" / "receipts.csv").read_text(encoding="utf-8").splitlines()
    assert len(receipts) == 1 + 3


def test_a_lost_ledger_is_started_afresh_only_by_init_and_the_old_files_are_kept(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "till"
    shutil.copytree(good, folder)
    old_device = health._read_marker(health.marker_path(folder / DB_NAME))
    empty(folder)
    assert run(capsys, folder, "status")[0] == 2
    assert run(capsys, folder, "init")[0] == 0
    code, said = run(capsys, folder, "status")
    assert code == 0 and old_device not in said  # a new till, on purpose
    kept = [f.name for f in folder.iterdir() if ".replaced-" in f.name]
    assert any(n.startswith(f"{DB_NAME}.replaced-") for n in kept)
    assert any(n.startswith(f"{DB_NAME}{health.MARKER_SUFFIX}.replaced-") for n in kept)


def test_a_brand_new_folder_still_makes_a_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new" / "till"
    # Only init makes one: a mistyped --data-dir is refused and nothing is made.
    code, said = run(capsys, folder, "status")
    assert code == 2 and "[no_ledger]" in said and not (tmp_path / "new").exists()
    code, said = run(capsys, folder, "init")
    assert code == 0, said
    assert health.marker_path(folder / DB_NAME).exists()


def test_data_dir_naming_a_file(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in [SALE, ["status"], ["check"], ["salvage", "--output", "x"]]:
        code, said = run(capsys, good / DB_NAME, *command)
        assert code != 0 and "Traceback" not in said, said
        if command[0] not in ("check", "salvage"):
            assert "[ledger_unavailable]" in said and "is a file, not a folder" in said


def _cli(folder: Path, *argv: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(folder.parent)}

    def demote() -> None:
        if user is not None:
            os.setgid(user)
            os.setuid(user)

    return subprocess.run(
        [sys.executable, "-m", "cashier_app", "--data-dir", str(folder), *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder.parent,
        preexec_fn=demote if user is not None else None,
        timeout=120,
    )


def test_a_truncated_ledger_in_a_process_of_its_own(good: Path, tmp_path: Path) -> None:
    folder = tmp_path / "till"
    shutil.copytree(good, folder)
    truncated(folder)
    before = _digest(folder)
    for argv in (SALE, ["status"]):
        done = _cli(folder, *argv)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr + done.stdout
        assert "[ledger_damaged]" in done.stderr and str(folder / DB_NAME) in done.stderr
    assert _digest(folder) == before


NOBODY = 65534


@pytest.fixture
def read_only_till(good: Path) -> Iterator[Path]:
    """A copy of the till another user may read but not write (root ignores permissions,
    so the commands run as that user)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run the commands as a user without write permission")
    base = Path(tempfile.mkdtemp(prefix="ro-till-"))
    os.chmod(base, 0o755)
    folder = base / "till"
    shutil.copytree(good, folder)
    os.chmod(folder, 0o755)
    for f in folder.iterdir():
        os.chmod(f, 0o644)
    yield folder
    shutil.rmtree(base)


@pytest.mark.parametrize("what", ["file", "folder and file"])
def test_a_read_only_ledger_reads_and_refuses_every_write(read_only_till: Path, what: str) -> None:
    folder = read_only_till
    if what == "file":  # the folder is the user's, the file is not writable
        os.chown(folder, NOBODY, NOBODY)
    before = _digest(folder)
    status = _cli(folder, "status", user=NOBODY)
    assert status.returncode == 0, status.stderr
    assert "customers  1, receipts 3" in status.stdout
    assert _cli(folder, "find", PHONE, user=NOBODY).returncode == 0
    checked = _cli(folder, "check", "--accounts", user=NOBODY)  # a sound ledger, only read-only
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok" in checked.stdout and "damaged" not in checked.stdout
    for argv in WRITES:
        if argv == ["sync"]:
            continue  # a till never enrolled has nothing to send: that is what it says
        done = _cli(folder, *argv, user=NOBODY)
        said = done.stdout + done.stderr
        assert done.returncode != 0 and "Traceback" not in said, said
        assert "[ledger_read_only]" in said and str(folder / DB_NAME) in said
    assert _digest(folder) == before


def test_the_window_says_why_it_cannot_start(
    case: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QLabel

    from cashier_app.ui import app
    from cashier_app.ui.backups.restore_dialog import RESTORABLE, RestoreDialog
    from cashier_app.ui.messages import MESSAGES

    shown: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    # A damaged or lost ledger brings up the restore dialog (tests/ui/test_restore_dialog.py);
    # quitting it leaves everything as it was.
    offered: list[str] = []

    def quit_restore(dialog: RestoreDialog) -> int:
        offered.append(dialog.findChild(QLabel, "restore_problem").text())
        return 0

    monkeypatch.setattr(RestoreDialog, "exec", quit_restore)
    folder, code = case
    before = _digest(folder)
    assert app.run(folder, "en") == 2
    if code in RESTORABLE:
        assert not shown and len(offered) == 1
        assert str(folder / DB_NAME) in offered[0] and "Traceback" not in offered[0]
    else:
        assert len(shown) == 1 and not offered
        assert MESSAGES[code] in shown[0]  # the reason and the way out, in the cashier's words
        assert str(folder / DB_NAME) in shown[0] and "Traceback" not in shown[0]
    assert _digest(folder) == before
