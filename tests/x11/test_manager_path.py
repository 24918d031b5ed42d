"""A store manager's path through the back office, on the real X server with the real
keyboard layouts: log in, open a report and export it, filter the customer base and export
it, import an old system's file with bad rows; and a cashier, who finds no back office.

Every case is judged by what the ledger and the written files recorded (the audit log, the
customers, the CSV files), never by what a widget shows. The file dialogs are Qt's own
(openbox offers no native one): the path is typed into the file name field, then Return.
"""

from __future__ import annotations

import ast
import calendar
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cashier_app.storage import schema as t
from tests.x11.conftest import CASHIER, CASHIER_PIN, ROOT, Till, Window, poll

pytestmark = pytest.mark.x11


def _manager() -> tuple[str, str]:
    from cashier_app.demo import DEMO_USERS

    user = next(u for u in DEMO_USERS if u.role.value == "manager")
    return user.name, user.pin


MANAGER, MANAGER_PIN = _manager()  # Мария, 333333
# Alt + the underlined letter of "&Back office" / "&Бэк-офис": Б is the comma key under ЙЦУКЕН.
BACK_OFFICE_KEY = {"us": "Alt+b", "ru": "Alt+,"}
# "&Export CSV…" in the reports, "&Export…" in the customer base, and their translations.
EXPORT_KEY = {
    ("reports", "en"): "Alt+e",
    ("reports", "ru"): "Alt+'",  # &Экспорт: Э is the quote key under ЙЦУКЕН
    ("customers", "en"): "Alt+e",
    ("customers", "ru"): "Alt+d",  # &Выгрузить: В is the D key
}


# -- what the back office menu holds for a role -----------------------------------------------
def menu_entries(role: str) -> list[str]:
    """The object names of the Back office menu's entries this role sees, in their order:
    read from ui/back_office.py's list (other screens land there while this suite lives)."""
    from cashier_app.service.users import ROLE_PERMISSIONS, Permission, Role

    tree = ast.parse((ROOT / "cashier_app" / "ui" / "back_office.py").read_text("utf-8"))
    allowed = ROLE_PERMISSIONS[Role(role)]
    entries = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 4
            and isinstance(node.elts[0], ast.Constant)
            and isinstance(node.elts[2], ast.Attribute)
            and Permission[node.elts[2].attr] in allowed
        ):
            entries.append(str(node.elts[0].value))
    return entries


def translated(lang: str, text: str) -> str:
    if lang == "en":
        return text
    from cashier_app.ui import i18n

    return i18n.load_table(lang).get(text, text)


def open_back_office(till: Till, entry: str, title: str) -> Window:
    """Alt + the menu's letter, Down to the entry, Return: the screen's window, active."""
    steps = menu_entries("manager").index(entry)
    before = {w.wid for w in till.windows()}
    till.activate(till.main or till.wait_window("normal").wid)
    till.key(BACK_OFFICE_KEY[till.layout], pause=0.4)
    till.key(*["Down"] * steps, pause=0.12)
    till.key("Return", pause=0.3)
    wanted = translated(till.lang, title)
    found = poll(
        lambda: [w for w in till.windows() if w.wid not in before and w.title == wanted],
        timeout=15,
    )
    assert found, (
        f"Back office → {entry} by keyboard under {till.layout} opened no “{wanted}” window "
        f"(its windows: {till.windows()})\n{till.output()}"
    )
    till.activate(found[-1].wid)
    return found[-1]


def save_through_file_dialog(
    till: Till, key: str, path: Path, title: str, shot: str | None = None
) -> None:
    """``key`` (a button's mnemonic) opens Qt's save dialog; the whole path is typed into
    its file name field (under the US layout: a path has Latin letters and slashes), then
    Return. The button may still be disabled while its screen reads: pressed again."""
    before = {w.wid for w in till.windows()}
    wanted = translated(till.lang, title)
    dialog: list[Window] = []
    for _ in range(10):
        till.key(key, pause=0.2)
        dialog = poll(
            lambda: [w for w in till.windows() if w.wid not in before and w.title == wanted],
            timeout=1.5,
        )
        if dialog:
            break
    assert dialog, (
        f"{key} under {till.layout} opened no “{wanted}” file dialog "
        f"(windows: {till.windows()})\n{till.output()}"
    )
    time.sleep(0.8)  # Qt's dialog puts its suggested name in once it has read the folder
    give_keyboard(till, dialog[-1].wid)
    type_latin(till, str(path), select_all=True)
    # The name field's completer reads each folder of the path on a thread of its own and
    # pops its list up when the answer comes: a Return pressed before then goes to that
    # list, not to the dialog. A person looks at what they typed first; so does this.
    time.sleep(1.2)
    if shot:
        picture(till, shot)
    for _ in range(3):
        till.key("Return", pause=0.3)
        if poll(lambda: dialog[-1].wid not in {w.wid for w in till.windows()}, timeout=3):
            return
    raise AssertionError(f"Return did not close the file dialog for {path}\n{till.output()}")


def picture(till: Till, name: str) -> None:
    """The screen as the manager sees it now, into ``$CASHIER_SCREENSHOTS`` when set (the
    README shows docs/screenshots/x11-manager-*.png); otherwise nothing."""
    folder = os.environ.get("CASHIER_SCREENSHOTS")
    if folder:
        time.sleep(0.5)  # what was typed is painted
        till.x.screenshot(
            (ROOT / folder if not Path(folder).is_absolute() else Path(folder)) / name
        )


def focused(till: Till) -> int:
    """The X input focus: where the X server sends the next key (the window manager's
    active window may say otherwise for a moment while the application moves the focus)."""
    return int(till.x.query.get_input_focus().focus.id)


def give_keyboard(till: Till, wid: int) -> None:
    """The window gets the X input focus, checked, whatever the window manager believes is
    active: a modal dialog opened by a mnemonic may be "active" while the keys still go to
    the window under it, which Qt then drops as blocked."""
    for _ in range(3):
        if focused(till) == wid:
            return
        subprocess.run(
            ["xdotool", "windowactivate", str(wid), "windowfocus", str(wid)],
            env=till.x.env, capture_output=True, timeout=10,
        )  # fmt: skip
        if poll(lambda: focused(till) == wid, timeout=3, every=0.03):
            time.sleep(0.1)  # Qt gets its FocusIn
            return
    raise AssertionError(f"window {wid:#x} did not get the keyboard\n{till.output()}")


def type_latin(till: Till, text: str, select_all: bool = False) -> None:
    """Text with Latin letters and slashes typed under the US layout, switched on for the
    moment as a manager with a second layout would, at a person's pace: keys evenly 30-50
    ms apart are a barcode scanner's burst to the till (ui/scanner.py), not typing."""
    if till.x.layout != "us":
        till.x.use_layout("us")
        time.sleep(0.2)
    try:
        if select_all:
            till.key("Ctrl+a")
        till.kb.type(text, "us", gaps_ms=(90, 200), rng=till.rng)
    finally:
        if till.x.layout != till.layout:
            till.x.use_layout(till.layout)
            time.sleep(0.2)


# -- the ledger, read in the test -------------------------------------------------------------
def audit_lines(till: Till, action: str) -> list[Any]:
    return till.ledger.rows(
        select(t.audit_log).where(t.audit_log.c.action == action).order_by(t.audit_log.c.id)
    )


def till_name(till: Till) -> str:
    return str(till.ledger.rows(select(t.device.c.name))[0].name)


def wait_audit(till: Till, action: str, before: int, timeout: float = 10) -> list[Any]:
    lines = poll(lambda: audit_lines(till, action)[before:], timeout=timeout)
    assert lines, f"no {action} line in the audit log\n{till.output()}"
    return list(lines)


def snapshot(path: Path) -> list[str]:
    """Every row of every table of the ledger, as SQL text (read-only, a fresh snapshot)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def csv_rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def this_month(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


@pytest.fixture
def short_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a short path: every character of it is a key pressed in a dialog."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def manager_till(fresh_till: Callable[..., Till], layout: str = "us") -> Till:
    till = fresh_till(layout)
    till.start()
    till.login(MANAGER, MANAGER_PIN)
    return till


# -- the cases --------------------------------------------------------------------------------
def test_a_manager_exports_the_sales_report_the_cli_prints(
    fresh_till: Callable[..., Till], short_dir: Path, tmp_path: Path
):
    """Мария logs in (US layout), Back office → Reports… by keyboard, the sales report of
    the month (the window's default), Alt+E (Export CSV…), the path typed in the file
    dialog: the file's rows are the ones `cashier-app report sales` prints for the month,
    and the audit log has the export with her name and the till's."""
    till = manager_till(fresh_till, "us")
    exports = len(audit_lines(till, "export_report"))
    today = datetime.now().astimezone().date()  # the window's default: the till's own day
    first, last = this_month(today)
    open_back_office(till, "reports_action", "Reports")
    # Return on the report list (Sales, where the keyboard is) must leave the period alone.
    till.key("Return", pause=0.5)
    target = short_dir / "sales.csv"
    save_through_file_dialog(
        till, EXPORT_KEY[("reports", "en")], target, "Save the report", "x11-manager-report-en.png"
    )
    [line] = wait_audit(till, "export_report", exports)
    assert poll(target.exists, timeout=5), f"no {target} written\n{till.output()}"

    copy = tmp_path / "copy"
    copy.mkdir()
    till.ledger.backup(copy / "ledger.sqlite3")
    cli = subprocess.run(
        [sys.executable, "-m", "cashier_app", "--data-dir", str(copy), "--as", MANAGER,
         "report", "sales", "--from", first.isoformat(), "--to", last.isoformat(),
         "--by", "day", "--format", "csv"],
        env={**os.environ, "CASHIER_APP_PIN": MANAGER_PIN}, capture_output=True, text=True,
        timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    window_rows = csv_rows(target.read_text("utf-8"))
    cli_rows = csv_rows(cli.stdout)
    assert len(window_rows) > 1, f"the month's sales report is empty: {window_rows}"
    differ = [(a, b) for a, b in zip(window_rows, cli_rows, strict=False) if a != b]
    assert window_rows == cli_rows, (
        f"the window's CSV differs from `cashier-app report sales` for {first}..{last}: the "
        f"window's runs {window_rows[1][0]}..{window_rows[-1][0]} ({len(window_rows)} rows), "
        f"the command line's {cli_rows[1][0]}..{cli_rows[-1][0]} ({len(cli_rows)} rows); "
        f"first difference: {differ[:1]}"
    )
    manager = till.ledger.users()[MANAGER]
    details = json.loads(line.details)
    assert (line.actor, line.user_id, line.till) == (MANAGER, manager.id, till_name(till))
    assert details["report"] == "sales" and details["format"] == "csv"
    assert (details["start"], details["end"]) == (first.isoformat(), last.isoformat())
    assert details["file"] == target.name and details["rows"] == len(window_rows) - 1


def test_a_manager_exports_the_customers_a_phone_search_finds(
    fresh_till: Callable[..., Till], short_dir: Path
):
    """Мария at a till with the Russian layout and the Russian window: Back office →
    Клиенты… (Alt+Б, the comma key), part of a phone typed into the search, Alt+В
    (Выгрузить…): the file holds exactly the customers whose phone has those digits, and
    the audit log has the export."""
    till = manager_till(fresh_till, "ru")
    exports = len(audit_lines(till, "export_customers"))
    part = "000015"  # the demo phones are +7916 and seven digits: 15 and 150-159
    expected = {
        c.phone
        for c in till.ledger.rows(select(t.customers).where(t.customers.c.phone.contains(part)))
    }
    assert len(expected) > 1, f"the demo store has no phone with {part}"
    open_back_office(till, "customer_base_action", "Customer base")
    windows = till.windows()
    till.type(part, enter=True)  # the search field has the keyboard when the screen opens
    time.sleep(1.0)  # the base answers the filter
    assert till.windows() == windows, f"Return in the search opened {till.windows()}"
    picture(till, "x11-manager-customers-ru.png")
    target = short_dir / "base.csv"
    save_through_file_dialog(till, EXPORT_KEY[("customers", "ru")], target, "Export customers")
    [line] = wait_audit(till, "export_customers", exports)
    rows = csv_rows(target.read_text("utf-8-sig"), delimiter=";")
    header, body = rows[0], rows[1:]
    phones = [r[header.index("Phone")] for r in body]
    assert sorted(phones) == sorted(expected), (
        f"“{part}” typed in the search under ru exported {sorted(phones)}, the ledger's "
        f"phones with those digits are {sorted(expected)}"
    )
    details = json.loads(line.details)
    manager = till.ledger.users()[MANAGER]
    assert (line.actor, line.user_id, line.till) == (MANAGER, manager.id, till_name(till))
    assert details["rows"] == len(expected) and details["format"] == "csv"
    assert details["filter"] == {"search": part}, details


BAD_FILE = """Телефон;Имя;Дата рождения;Группа
+7 (903) 111-22-33;Good One;01.02.1990;Покупатели
8 903 111 22 44;Good Two;;
+79031112255;Good Three;15.06.1985;Сотрудники
12345;Bad Phone;01.01.1990;
+79031112266;Duplicate A;;
+7 903 111 22 66;Duplicate B;;
+79031112277;Bad Date;31.02.1990;
+79031112288;Unknown Group;;Платиновые
"""
GOOD = {"+79031112233": "Good One", "+79031112244": "Good Two", "+79031112255": "Good Three"}
BAD = ("+79031112266", "+79031112277", "+79031112288")


def import_by_keyboard(till: Till, path: Path, expect_import: bool = True) -> None:
    """Back office → Import customers…, the path typed into the file field, and Return at
    every step: read the file, check the rows (the columns as guessed from the header),
    import, close. A file with nothing left to import stops at the check (its Import
    button disabled): Escape closes the dialog there."""
    dialog = open_back_office(till, "customer_import_action", "Import customers")
    type_latin(till, str(path))
    imports = len(audit_lines(till, "import_customers"))
    till.key("Return", pause=1.5)  # Next: columns (the file is read on a worker)
    till.key("Return", pause=1.5)  # Next: check the rows
    if expect_import:
        picture(till, "x11-manager-import-check-en.png")
    till.key("Return", pause=0.3)  # Import N customers
    if expect_import:
        wait_audit(till, "import_customers", imports, timeout=15)
    else:
        time.sleep(1.0)
        till.key("Escape", pause=0.3)
    for _ in range(10):
        if poll(lambda: dialog.wid not in {w.wid for w in till.windows()}, timeout=1):
            return
        # Close is enabled once the import's answer reaches the window, a moment after the
        # ledger has it: Return again (on a disabled button it does nothing).
        till.key("Return", pause=0.3)
    raise AssertionError(f"the import dialog stays open\n{till.output()}")


def test_an_import_with_bad_rows_brings_in_the_good_ones_once(
    fresh_till: Callable[..., Till], short_dir: Path
):
    """The old system's CSV with three good rows and five bad ones (a phone too short, one
    phone twice, 31 February, a group the program lacks), imported by keyboard: the base
    gains the three good customers (phones in E.164), none of the bad; importing the same
    file again adds nobody."""
    till = manager_till(fresh_till, "us")
    source = short_dir / "old.csv"
    source.write_text(BAD_FILE, encoding="utf-8")
    count = lambda: len(till.ledger.rows(select(t.customers.c.id)))  # noqa: E731
    before = count()
    import_by_keyboard(till, source)
    for phone, name in GOOD.items():
        customer = till.ledger.customer_by_phone(phone)
        assert customer is not None and customer.name == name, (phone, customer)
    for phone in BAD:
        assert till.ledger.customer_by_phone(phone) is None, f"{phone} (a bad row) imported"
    bad_names = ("Bad Phone", "Duplicate A", "Duplicate B", "Bad Date", "Unknown Group")
    assert not till.ledger.rows(select(t.customers).where(t.customers.c.name.in_(bad_names)))
    assert count() == before + len(GOOD)
    [line] = audit_lines(till, "import_customers")
    manager = till.ledger.users()[MANAGER]
    assert (line.actor, line.user_id, line.till) == (MANAGER, manager.id, till_name(till))

    import_by_keyboard(till, source, expect_import=False)
    assert count() == before + len(GOOD), "the same file imported twice added customers"
    assert len(audit_lines(till, "import_customers")) == 1


def schedules_own(line: str) -> bool:
    """A row the backup schedule writes whoever is logged in: its audit line and its
    status in local_settings."""
    return ("'system','make_backup'" in line) or line.startswith(
        'INSERT INTO "local_settings" VALUES(\'backup_'
    )


def files_under(folder: Path) -> set[Path]:
    """The files a till made, its ledger and log aside."""
    return {
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not {"data", "backups"} & set(p.relative_to(folder).parts)
        and p.name != "app.log"
    }


@pytest.mark.parametrize("layout", ["us", "ru"])
def test_a_cashier_finds_no_back_office(fresh_till: Callable[..., Till], layout: str):
    """Анна (cashier) logs in and presses the manager's keys: Alt + the Back office letter,
    Down, Return. No window opens, no file is written, and the ledger is row for row what
    it was after her login."""
    till = fresh_till(layout)
    till.start()
    till.login(CASHIER, CASHIER_PIN)
    # The till's own backup schedule takes a first backup soon after it starts (the status
    # bar says "No backup yet" until then): its lines are the till's, not the cashier's.
    poll(lambda: audit_lines(till, "make_backup"), timeout=10)
    time.sleep(0.5)
    ledger_before = snapshot(till.ledger.path)
    files_before = files_under(till.folder)
    windows_before = till.windows()
    till.key(BACK_OFFICE_KEY[layout], pause=0.5)
    till.key("Down", pause=0.2)
    till.key("Return", pause=0.5)
    assert not poll(lambda: till.windows() != windows_before, timeout=2.0), (
        f"{BACK_OFFICE_KEY[layout]}, Down, Return under {layout} opened a window for a "
        f"cashier: {till.windows()} (before: {windows_before})"
    )
    assert till.alive(), till.output()
    assert files_under(till.folder) == files_before
    after = snapshot(till.ledger.path)
    changed = sorted(ln for ln in set(after) ^ set(ledger_before) if not schedules_own(ln))
    assert not changed, f"the cashier's keys changed the ledger: {changed[:10]}"
