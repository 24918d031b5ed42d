"""The till at the counter: a real X server (Xvfb) with a window manager, the real
application started as its own process on a copy of the demo store, real key events sent
through XTest, and every case judged from the ledger file the till wrote.

One Xvfb serves the whole session, and one logged-in till per keyboard layout serves every
case that asks for it (``@pytest.mark.parametrize("till", ["ru"], indirect=True)``): the
cases count receipts relative to before. A till that died is started again for the next
case; cases that need a till of their own (the login screen) get one from ``fresh_till``.
Without Xvfb the suite is skipped, except under CI (``CI=true``), where it fails.

A failed case's report carries the till's output and two screenshots (now, and as F9 was
pressed), kept in ``$CASHIER_X11_ARTIFACTS`` (default: ``cashier-app-x11`` in the system's
temporary folder).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from select import select as fd_select
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, Row, create_engine, func, select
from sqlalchemy.pool import NullPool

from cashier_app.storage import schema as t

if TYPE_CHECKING:
    from tests.x11.xkeys import Keyboard

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
SCREEN = (1366, 768)
TOOLS = ("Xvfb", "openbox", "setxkbmap", "xkbcomp", "xdotool")
# The language a cashier with that keyboard layout uses.
LANG_OF_LAYOUT = {"us": "en", "ru": "ru", "ua": "uk"}


def _demo_user(role: str) -> tuple[str, str]:
    from cashier_app.demo import DEMO_USERS

    user = next(u for u in DEMO_USERS if u.role.value == role)
    return user.name, user.pin


CASHIER, CASHIER_PIN = _demo_user("cashier")  # Анна, 1111
SENIOR, SENIOR_PIN = _demo_user("senior_cashier")  # Ольга, 2222
SCAN_SETTLE = 0.25  # a scan is identified off the UI thread, then the quote; let both land
_USED: list[Till] = []  # tills the running case drives: their output goes into its report
ARTIFACTS = Path(
    os.environ.get("CASHIER_X11_ARTIFACTS") or Path(tempfile.gettempdir()) / "cashier-app-x11"
) / time.strftime("%Y%m%d-%H%M%S")


def poll(probe: Callable[[], Any], timeout: float = 8.0, every: float = 0.1) -> Any:
    """``probe()`` once it gives something true, else its last answer after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


# -- the X server ---------------------------------------------------------------------------
def _missing_tools() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    try:
        import Xlib  # noqa: F401
    except ImportError:
        missing.append("python-xlib (pip install -e .[dev])")
    return missing


def _die_with_us() -> None:
    """In a child before exec: SIGTERM when the test process dies, however it dies, so no
    X server or till outlives a killed test run (Linux; elsewhere nothing happens)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _terminate(proc: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """Stop a process we started, and its children (it leads its own process group)."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


@dataclass
class XServer:
    display: str
    xvfb: subprocess.Popen[bytes]
    wm: subprocess.Popen[bytes]
    keyboard: Keyboard
    log_dir: Path
    layout: str = "us"
    _query: Any = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display}

    @property
    def query(self) -> Any:
        """A connection of our own for looking at windows (the keyboard has its own)."""
        if self._query is None:
            from Xlib.display import Display

            self._query = Display(self.display)
        return self._query

    def close(self) -> None:
        if self._query is not None:
            self._query.close()
            self._query = None

    def atom(self, name: str) -> int:
        return int(self.query.intern_atom(name))

    def active_window(self) -> int | None:
        from Xlib import Xatom

        root = self.query.screen().root
        active = root.get_full_property(self.atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW)
        return int(active.value[0]) if active is not None and len(active.value) else None

    def use_layout(self, layout: str) -> None:
        from tests.x11.xkeys import set_layout

        set_layout(self.display, layout)  # checked: the A key now makes what it should
        self.layout = layout

    def grab(self) -> tuple[int, int, bytes]:
        """The screen as raw pixels (cheap: turned into a PNG only when a case fails)."""
        from Xlib import X

        root = self.query.screen().root
        geo = root.get_geometry()
        raw = root.get_image(0, 0, geo.width, geo.height, X.ZPixmap, 0xFFFFFFFF)
        return geo.width, geo.height, bytes(raw.data)

    def screenshot(self, path: Path, pixels: tuple[int, int, bytes] | None = None) -> Path:
        """The screen (or pixels grabbed earlier) as a PNG, through Pillow."""
        return _png(path, pixels or self.grab())


def _png(path: Path, pixels: tuple[int, int, bytes]) -> Path:
    from PIL import Image

    width, height, data = pixels
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", (width, height), data, "raw", "BGRX").save(path)
    return path


def screenshot(display: str, path: Path) -> Path:
    """The whole screen of ``display`` as a PNG (python-xlib's get_image and Pillow)."""
    from Xlib import X
    from Xlib.display import Display

    conn = Display(display)
    try:
        root = conn.screen().root
        geo = root.get_geometry()
        raw = root.get_image(0, 0, geo.width, geo.height, X.ZPixmap, 0xFFFFFFFF)
        pixels = (geo.width, geo.height, bytes(raw.data))
    finally:
        conn.close()
    return _png(path, pixels)


def _start_xvfb(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a display number it picks itself (-displayfd), so parallel runs never clash."""
    read_end, write_end = os.pipe()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
             "-noreset", "-nolisten", "tcp"],
            pass_fds=(write_end,), stdout=out, stderr=out, start_new_session=True,
            preexec_fn=_die_with_us,
        )  # fmt: skip
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 20
    try:
        while not number.endswith(b"\n"):
            ready, _, _ = fd_select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                _terminate(proc)
                raise RuntimeError(f"Xvfb did not start: {log.read_text(errors='replace')}")
            number += chunk
    finally:
        os.close(read_end)
    return proc, f":{int(number)}"


def _wait_for_wm(display: str, wm: subprocess.Popen[bytes], log: Path) -> None:
    from Xlib.display import Display

    conn = Display(display)
    try:
        check = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
        deadline = time.monotonic() + 20
        while conn.screen().root.get_full_property(check, 0) is None:
            if wm.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"openbox did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def xserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XServer]:
    missing = _missing_tools()
    if missing:
        message = (
            f"the real-X tests need {', '.join(missing)} "
            "(apt-get install xvfb openbox x11-xkb-utils xdotool; .ci/run installs them)"
        )
        if CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from tests.x11.xkeys import Keyboard

    log_dir = tmp_path_factory.mktemp("x11")
    xvfb, display = _start_xvfb(log_dir / "xvfb.log")
    wm = None
    keyboard = None
    server = None
    try:
        with (log_dir / "openbox.log").open("ab") as out:
            home = log_dir / "wm-home"  # openbox keeps its session files here, not in ~
            wm = subprocess.Popen(
                ["openbox", "--sm-disable"],
                env={**os.environ, "DISPLAY": display, "HOME": str(home),
                     "XDG_CONFIG_HOME": str(home / ".config"),
                     "XDG_CACHE_HOME": str(home / ".cache")},
                stdout=out, stderr=out, start_new_session=True, preexec_fn=_die_with_us,
            )  # fmt: skip
        _wait_for_wm(display, wm, log_dir / "openbox.log")
        keyboard = Keyboard(display)
        server = XServer(display, xvfb, wm, keyboard, log_dir)
        server.use_layout("us")
        yield server
    finally:
        if server is not None:
            server.close()
        if keyboard is not None:
            keyboard.close()
        _terminate(wm)
        _terminate(xvfb)


# -- the ledger, read the way the application reads it ---------------------------------------
class LedgerReader:
    """The till's SQLite file opened read-only through the project's typed tables, so money
    comes back as Decimal and moments as datetimes (no raw SQL)."""

    def __init__(self, path: Path, output: Callable[[], str] = lambda: "") -> None:
        self.path = path
        self._output = output
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(
                f"sqlite+pysqlite:///file:{self.path}?mode=ro&uri=true",
                connect_args={"uri": True, "timeout": 5},
                poolclass=NullPool,  # a fresh snapshot every time
            )
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def rows(self, statement: Any) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(statement).all())

    def receipts(self) -> list[Row[Any]]:
        return self.rows(select(t.receipts).order_by(t.receipts.c.at, t.receipts.c.number))

    def count_receipts(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.receipts)).scalar_one())

    def wait_for_receipts(self, n: int, timeout: float = 8.0) -> list[Row[Any]]:
        """Every receipt, oldest first, once the ledger holds at least ``n``."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.count_receipts()
            if found >= n:
                return self.receipts()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the ledger holds {found} receipt(s), {n} expected after {timeout:.0f} s"
                    f"\n--- the till's output ---\n{self._output()}"
                )
            time.sleep(0.05)

    def lines(self, receipt_id: str) -> list[Row[Any]]:
        return self.rows(
            select(t.receipt_lines)
            .where(t.receipt_lines.c.receipt_id == receipt_id)
            .order_by(t.receipt_lines.c.line_no)
        )

    def product(self, sku: str) -> Row[Any]:
        return self.rows(select(t.products).where(t.products.c.sku == sku))[0]

    def customer(self, customer_id: str) -> Row[Any]:
        return self.rows(select(t.customers).where(t.customers.c.id == customer_id))[0]

    def customer_by_phone(self, phone: str) -> Row[Any] | None:
        found = self.rows(select(t.customers).where(t.customers.c.phone == phone))
        return found[0] if found else None

    def users(self) -> dict[str, Row[Any]]:
        return {u.name: u for u in self.rows(select(t.users))}

    def shifts(self, user_id: str) -> list[Row[Any]]:
        return self.rows(
            select(t.shifts).where(t.shifts.c.user_id == user_id).order_by(t.shifts.c.opened_at)
        )

    def card_holders(self, min_balance: Decimal = Decimal(0)) -> list[Row[Any]]:
        """(number, customer_id, balance) of active cards whose customer collects points
        and has at least ``min_balance`` to spend, by card number."""
        query = (
            select(t.cards.c.number, t.cards.c.customer_id, t.accounts.c.balance)
            .join(t.customers, t.customers.c.id == t.cards.c.customer_id)
            .join(t.customer_groups, t.customer_groups.c.id == t.customers.c.group_id)
            .join(t.accounts, t.accounts.c.customer_id == t.cards.c.customer_id)
            .where(t.cards.c.active, t.customer_groups.c.loyalty.in_(["bonus", "both"]))
            .where(t.accounts.c.balance >= min_balance)
            .order_by(t.cards.c.number)
        )
        return self.rows(query)

    def backup(self, dest: Path) -> Path:
        """A consistent copy of the ledger (SQLite's online backup), to ask the engine what a
        receipt should come to without touching the till's own file."""
        src = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return dest


def expected_quote(
    ledger: LedgerReader, workdir: Path, skus: list[str], customer_id: str | None, redeem: Any
) -> Any:
    """What the loyalty engine says these products come to for this customer, now."""
    from cashier_app import service
    from cashier_app.service import catalogue

    folder = workdir / f"quote-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    ledger.backup(folder / "ledger.sqlite3")
    copy = service.open_ledger(folder)
    try:
        products = {p.sku: p for p in catalogue.list_products(copy)}
        lines = catalogue.product_lines((products[s], Decimal(1)) for s in skus)
        return service.quote_sale(copy, lines, customer_id=customer_id, redeem=redeem)
    finally:
        copy.db.close()


# -- the demo store, made once ---------------------------------------------------------------
@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (``cashier-app demo`` seeds the same) in a folder copied for each till."""
    from cashier_app import service
    from cashier_app.demo import seed_demo

    folder = tmp_path_factory.mktemp("demo-store")
    ledger = service.open_ledger(folder)
    seed_demo(ledger)
    ledger.db.close()  # the last connection checkpoints the WAL into the file
    return folder


# -- a till: the application as its own process ------------------------------------------------
@dataclass
class Window:
    wid: int
    kind: str  # "dialog" or "normal"
    title: str


class Till:
    """``cashier-app demo --folder DATA`` on the test X server, with its own HOME (the
    workstation's QSettings live there), driven by the keyboard."""

    def __init__(
        self, xserver: XServer, folder: Path, store: Path, layout: str, lang: str | None = None
    ) -> None:
        self.x = xserver
        self.kb = xserver.keyboard
        self.folder = folder
        self.layout = layout
        self.lang = lang or LANG_OF_LAYOUT[layout]
        self.data = folder / "data"
        self.home = folder / "home"
        self.log = folder / "app.log"
        if not self.data.exists():
            shutil.copytree(store, self.data)
        self.home.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ledger = LedgerReader(self.data / "ledger.sqlite3", self.output)
        self.rng = random.Random(zlib.crc32(folder.name.encode()))  # the same gaps every run
        self._log_mark = 0
        self.main: int | None = None
        self.before_pay: tuple[int, int, bytes] | None = None  # the screen as F9 was pressed

    # process
    def start(self) -> Till:
        self.x.use_layout(self.layout)
        script = Path(sys.executable).with_name("cashier-app")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "cashier_app"]
        env = {
            **self.x.env,
            "QT_QPA_PLATFORM": "xcb",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "CASHIER_APP_LANG": self.lang,
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",
        }
        env.pop("CASHIER_APP_DATA", None)
        with self.log.open("ab") as out:
            out.write(f"=== {' '.join(command)} demo --folder {self.data}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [*command, "demo", "--folder", str(self.data)],
                env=env,
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_us,
            )
        self.main = None
        self.used()
        return self

    def stop(self) -> None:
        _terminate(self.proc)
        self.ledger.close()

    def used(self) -> None:
        if self not in _USED:
            _USED.append(self)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self, lines: int = 60, since_mark: bool = False) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        if since_mark:
            text = text[self._log_mark :]
        tail = text.splitlines()[-lines:]
        state = "is running" if self.alive() else f"exited with {self.proc and self.proc.poll()}"
        return "\n".join([*tail, f"(the till {state})"])

    def mark_log(self) -> None:
        try:
            self._log_mark = len(self.log.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            self._log_mark = 0

    # windows
    def windows(self) -> list[Window]:
        """This till's mapped top-level windows, as the window manager lists them."""
        if self.proc is None:
            return []
        from Xlib import X, Xatom
        from Xlib.error import XError

        conn, atom = self.x.query, self.x.atom
        clients = conn.screen().root.get_full_property(atom("_NET_CLIENT_LIST"), Xatom.WINDOW)
        found = []
        for wid in clients.value if clients else []:
            try:
                win = conn.create_resource_object("window", wid)
                pid = win.get_full_property(atom("_NET_WM_PID"), Xatom.CARDINAL)
                if pid is None or pid.value[0] != self.proc.pid:
                    continue
                if win.get_attributes().map_state != X.IsViewable:
                    continue
                kinds = win.get_full_property(atom("_NET_WM_WINDOW_TYPE"), Xatom.ATOM)
                name = win.get_full_property(atom("_NET_WM_NAME"), atom("UTF8_STRING"))
                title = name.value.decode("utf-8", "replace") if name else ""
                is_dialog = kinds is not None and atom("_NET_WM_WINDOW_TYPE_DIALOG") in kinds.value
                found.append(Window(int(wid), "dialog" if is_dialog else "normal", title))
            except XError:
                continue  # gone while we looked
        return found

    def wait_window(self, kind: str, timeout: float = 20.0, absent: bool = False) -> Window:
        deadline = time.monotonic() + timeout
        while True:
            wins = [w for w in self.windows() if w.kind == kind]
            if absent and not wins:
                return Window(0, kind, "")
            if wins and not absent:
                return wins[-1]
            if not self.alive():
                raise AssertionError(f"the till exited\n{self.output()}")
            if time.monotonic() > deadline:
                state = "is still open" if absent else "did not appear"
                raise AssertionError(
                    f"a {kind} window of the till {state} within {timeout:.0f} s "
                    f"(its windows: {self.windows()})\n--- the till's output ---\n{self.output()}"
                )
            time.sleep(0.1)

    def dialogs(self) -> list[Window]:
        return [w for w in self.windows() if w.kind == "dialog"]

    def activate(self, wid: int) -> None:
        """Give the window the keyboard (the window manager's active window)."""
        if self.x.active_window() == wid:
            return
        for _ in range(3):
            subprocess.run(
                ["xdotool", "windowactivate", str(wid)],
                env=self.x.env,
                capture_output=True,
                timeout=10,
            )
            if poll(lambda: self.x.active_window() == wid, timeout=3, every=0.03):
                time.sleep(0.1)  # Qt gets its FocusIn
                return
        raise AssertionError(f"window {wid:#x} did not become active\n{self.output()}")

    # the cashier's hands
    def scan(self, code: str, gap_ms: float = 10, settle: float = SCAN_SETTLE) -> None:
        self.kb.scan(code, gap_ms)
        time.sleep(settle)

    def type(self, text: str, enter: bool = False, gaps_ms: tuple[int, int] = (120, 250)) -> None:
        self.kb.type(text, self.layout, enter=enter, gaps_ms=gaps_ms, rng=self.rng)

    def key(self, *combos: str, pause: float = 0.08) -> None:
        self.kb.keys(*combos, pause=pause)

    # login
    def choose_user(self, name: str) -> None:
        """With the login list focused, type the start of ``name`` as a person would: the list
        jumps to it (Qt's keyboard search), whatever order the list has. A name the till's
        layout cannot type (Cyrillic on the US layout) is typed under the Russian layout,
        switched on for the moment, as a cashier would with a second layout."""
        from tests.x11.xkeys import keys_for

        prefix = name.split()[0]
        layout = self.layout
        try:
            keys_for(prefix, layout)
        except ValueError:
            layout = "ru"
        if layout != self.x.layout:
            self.x.use_layout(layout)
            time.sleep(0.2)
        try:
            self.kb.type(prefix, layout, gaps_ms=(100, 160), rng=self.rng)
        finally:
            if self.x.layout != self.layout:
                self.x.use_layout(self.layout)
                time.sleep(0.2)

    def login(self, user: str | None = CASHIER, pin: str = CASHIER_PIN) -> None:
        """At the login dialog: choose ``user`` in the list (Shift+Tab from the PIN field, the
        name typed; None leaves the list as it starts), type the PIN, Enter; then wait for
        the main window, give it the keyboard and check the ledger opened a shift for them."""
        dialog = self.wait_window("dialog", timeout=30)
        self.activate(dialog.wid)
        if user is not None:
            self.key("Shift+Tab")
            self.choose_user(user)
            self.key("Tab")
        self.type(pin, gaps_ms=(100, 160))
        self.key("Return")
        main = self.wait_window("normal", timeout=20)
        self.main = main.wid
        self.activate(main.wid)
        if user is not None:
            account = self.ledger.users()[user]
            assert poll(lambda: [s for s in self.ledger.shifts(account.id) if not s.closed_at]), (
                f"logged in, but {user} has no open shift: somebody else was chosen "
                f"(wrong PINs: { {n: u.failed_pins for n, u in self.ledger.users().items()} })"
            )

    def close_dialogs(self) -> None:
        for _ in range(5):
            dialogs = self.dialogs()
            if not dialogs:
                return
            self.activate(dialogs[-1].wid)
            self.key("Escape", pause=0.3)
        raise AssertionError(f"dialogs stay open: {self.dialogs()}\n{self.output()}")

    def ready(self) -> Till:
        """Before a case: the till runs, its layout is active, no dialog is open, the main
        window has the keyboard, and an empty receipt is open (F12, Esc)."""
        if not self.alive():
            self.stop()
            self.start()
            self.login()
        if self.x.layout != self.layout:
            self.x.use_layout(self.layout)
        self.close_dialogs()
        main = self.wait_window("normal", timeout=10)
        self.main = main.wid
        self.activate(main.wid)
        self.key("F12", "Escape", pause=0.1)
        self.mark_log()
        self.before_pay = None
        self.used()
        return self

    # payment
    def pay_cash(self, before: int, expect: int = 1, timeout: float = 6.0) -> list[Row[Any]]:
        """F9, then the receipts recorded since ``before`` (F9 is pressed again while none
        came: the quote may still have been on its way)."""
        self.before_pay = self.x.grab()
        started = time.monotonic()
        presses = 0
        while time.monotonic() - started < timeout:
            self.key("F9", pause=0.05)
            presses += 1
            press_deadline = min(started + timeout, time.monotonic() + 1.5)
            while time.monotonic() < press_deadline:
                if self.ledger.count_receipts() >= before + expect:
                    time.sleep(0.1)  # a second receipt for one sale would be here by now
                    return self.ledger.receipts()[before:]
                time.sleep(0.05)
        raise AssertionError(
            f"F9 pressed {presses} times over {timeout:.0f} s recorded "
            f"{self.ledger.count_receipts() - before} of the {expect} receipt(s) expected"
            f"\n--- the till's output ---\n{self.output(since_mark=True)}"
        )


@pytest.fixture(scope="session")
def till(
    request: pytest.FixtureRequest,
    xserver: XServer,
    demo_store: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Till]:
    """A logged-in till (the cashier Анна) for this keyboard layout, shared by the cases of
    every module (pytest runs the cases of one layout together)."""
    layout = getattr(request, "param", "us")
    app = Till(xserver, tmp_path_factory.mktemp(f"till-{layout}"), demo_store, layout)
    try:
        app.start()
        app.login()
        yield app
    finally:
        app.stop()


@pytest.fixture
def counter(till: Till) -> Till:
    """The shared till, made ready for a new case."""
    return till.ready()


@pytest.fixture
def fresh_till(xserver: XServer, demo_store: Path, tmp_path: Path) -> Iterator[Callable[..., Till]]:
    """Tills of this case alone (own ledger copy and HOME), stopped when it ends."""
    made: list[Till] = []

    def make(layout: str = "us", lang: str | None = None, folder: str = "till") -> Till:
        app = Till(xserver, tmp_path / folder, demo_store, layout, lang)
        made.append(app)
        return app

    try:
        yield make
    finally:
        for app in made:
            app.stop()


@pytest.fixture(autouse=True)
def _x11_case() -> Iterator[None]:
    _USED.clear()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed case shows what the till printed and where its screenshot is."""
    report = yield
    if report.failed and call.when in ("call", "setup") and _USED:
        for app in _USED:
            report.sections.append(
                (f"till output ({app.folder.name})", app.output(80, since_mark=True))
            )
        server = _USED[0].x
        name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in item.name)[:120]
        try:
            shot = server.screenshot(ARTIFACTS / f"{name}.png")
            report.sections.append(("screenshot", str(shot)))
            for app in _USED:
                if app.before_pay is not None:
                    path = ARTIFACTS / f"{name}-before-F9.png"
                    report.sections.append(
                        ("screenshot as F9 was pressed", str(_png(path, app.before_pay)))
                    )
        except Exception as exc:  # a screenshot must never hide the real failure
            report.sections.append(("screenshot", f"not taken: {exc!r}"))
    return report
