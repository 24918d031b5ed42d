"""The manager brings the old system's customers over from the Back office menu: a file
with bad rows is read, its columns matched, the report lists the bad rows and is saved,
the import runs with a moving progress bar while the window keeps painting. Judged by
what the ledger holds afterwards."""

from __future__ import annotations

import time
from decimal import Decimal

from PySide6.QtCore import QTimer
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.storage import schema as t
from cashier_app.ui.customer_import.dialog import COLUMNS, IMPORT, REPORT, CustomerImportDialog
from tests.customer_import.conftest import write_csv
from tests.ui.conftest import when_modal

LINES = [
    "Телефон;ФИО;Дата рождения;Группа;Бонусы",
    "8 900 111-22-33;Анна Смирнова;12.03.1985;;150",
    "12345;Пётр;;;",
    "89004445566;Вера;31.02.1990;;",
    "89005556677;Глеб;;Золотые;",
] + [f"8 901 {i // 10000:03d}-{(i // 100) % 100:02d}-{i % 100:02d};Клиент {i};;;{i % 7}" for i in range(3000)]  # fmt: skip


def _customers(ledger) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.customers)).scalar_one())


def test_the_manager_imports_a_file_with_bad_rows(qtbot, open_window, store, tmp_path):
    ledger, _ = store
    path = write_csv(tmp_path / "old.csv", LINES, "cp1251")
    window = open_window("manager")
    action = window.findChild(type(window.menuBar().actions()[0]), "customer_import_action")
    assert action is not None and action.isVisible()
    seen: dict[str, object] = {}

    def steps(dialog: CustomerImportDialog) -> None:
        dialog.path.setText(str(path))
        dialog.read_button.click()
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == COLUMNS, timeout=10_000)
        table = dialog.mapping_table
        assert [c.currentData() for c in table.combos] == [
            "phone", "name", "birthday", "group", "balance",
        ]  # fmt: skip
        assert table.item(1, 1).text() == "Анна Смирнова"  # Windows-1251 read right
        assert table.rowCount() == 21  # the choices and the first 20 rows
        # Choosing "Name" for another column lets the first one go.
        table.combos[2].setCurrentIndex(table.combos[2].findData("name"))
        assert table.combos[1].currentData() == ""
        table.combos[1].setCurrentIndex(table.combos[1].findData("name"))
        assert table.combos[2].currentData() == ""  # birthday no longer read
        table.combos[2].setCurrentIndex(table.combos[2].findData("birthday"))
        dialog.check_button.click()
        qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REPORT, timeout=20_000)
        rows = {dialog.problems.text(r, 0) for r in range(dialog.problems.rowCount())}
        assert rows == {"3", "4", "5"}
        assert "3,001 to import" in dialog.summary.text()
        dialog.save_report_to(tmp_path / "report.csv")
        qtbot.waitUntil(lambda: "report is saved" in dialog.error.text(), timeout=5000)
        values: list[int] = []
        dialog.progress.valueChanged.connect(values.append)
        gaps: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        heartbeat = QTimer()
        heartbeat.timeout.connect(beat)
        heartbeat.start(10)
        dialog.import_button.click()
        assert dialog.pages.currentIndex() == IMPORT
        qtbot.waitUntil(lambda: dialog.import_result is not None, timeout=60_000)
        heartbeat.stop()
        seen.update(values=values, gaps=gaps, outcome=dialog.outcome.text())
        dialog.close_button.click()

    when_modal(CustomerImportDialog, steps)
    action.trigger()
    values = seen["values"]
    assert len(values) >= 3 and values[-1] == 100 and sorted(values) == values
    assert max(seen["gaps"]) < 0.5  # painted throughout (the benchmark holds it to 50 ms)
    assert "3,001 customers imported" in seen["outcome"]
    assert "bad_date" in (tmp_path / "report.csv").read_text("utf-8-sig")
    assert _customers(ledger) == 3001
    anna = service.get_customer(ledger, service.find_by_phone(ledger, "89001112233"))
    assert anna.balance == Decimal("150")


def test_a_file_that_cannot_be_read_is_explained(qtbot, store, tmp_path):
    from cashier_app.ui.tasks import TaskManager
    from cashier_app.ui.workstation import Workstation

    ledger, staff = store
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 4)
    tasks = TaskManager()
    dialog = CustomerImportDialog(Workstation(ledger, staff["manager"]), tasks, path)
    qtbot.addWidget(dialog)
    dialog.read_button.click()
    qtbot.waitUntil(lambda: "photo.csv" in dialog.error.text(), timeout=5000)
    assert dialog.pages.currentIndex() == 0
    assert _customers(ledger) == 0
    tasks.shutdown()


def test_a_cashier_does_not_see_the_import(qtbot, open_window):
    window = open_window("cashier")
    action = window.findChild(type(window.menuBar().actions()[0]), "customer_import_action")
    assert action is not None and not action.isVisible()


SHOP_FILE = [
    "Телефон;ФИО;Дата рождения;Группа;Бонусы;Карта;Согласие",
    "8 (900) 111-22-33;Анна Смирнова;12.03.1985;Покупатели;150;;да",
    "+7 900 222-33-44;Иван Петров;1990-07-01;VIP;1 200;;нет",
    "89003334455;Ольга Иванова;;;0;;да",
    "12345;Пётр Сидоров;;;;;",
    "8 900 444-55-66;Вера Кузнецова;31.02.1990;;50;;да",
    "89005556677;Глеб Орлов;;Золотые;;;нет",
    "89006667788;Дина Волкова;05.11.1979;;10.5;;да",
    "89007778899;Егор Морозов;;;;12345;",
    "8 900 333-44-56;Жанна Белова;;;300;;да",
    "89008889900;Зоя Новикова;24.12.1995;VIP;75;2000000000015;да",
    "+79003334455;Ольга И.;;;;;",
]


def test_screenshots_of_the_mapping_and_the_report(qtbot, qapp, store, tmp_path):
    """docs/screenshots/customer_import_*.png: CASHIER_SCREENSHOTS=docs/screenshots."""
    import os
    from pathlib import Path

    from cashier_app.ui import theme
    from cashier_app.ui.tasks import TaskManager
    from cashier_app.ui.workstation import Workstation

    theme.apply(qapp)
    out = Path(os.environ.get("CASHIER_SCREENSHOTS") or tmp_path)
    ledger, staff = store
    path = write_csv(tmp_path / "old_base.csv", SHOP_FILE, "cp1251")
    tasks = TaskManager()
    dialog = CustomerImportDialog(Workstation(ledger, staff["manager"]), tasks, path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.read_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == COLUMNS, timeout=10_000)
    qtbot.wait(50)
    dialog.grab().save(str(out / "customer_import_mapping.png"))
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REPORT, timeout=10_000)
    qtbot.wait(50)
    dialog.grab().save(str(out / "customer_import_report.png"))
    assert dialog.problems.rowCount() == 7
    tasks.shutdown()
    for name in ("customer_import_mapping.png", "customer_import_report.png"):
        assert (out / name).stat().st_size > 10_000


def test_return_takes_every_step_by_keyboard(qtbot, store, tmp_path):
    """The path typed, then Return at each step: read, check, import, close."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cashier_app.ui.tasks import TaskManager
    from cashier_app.ui.workstation import Workstation

    ledger, staff = store
    path = write_csv(tmp_path / "old.csv", SHOP_FILE, "cp1251")
    tasks = TaskManager()
    dialog = CustomerImportDialog(Workstation(ledger, staff["manager"]), tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.path)
    QTest.keyClicks(dialog.path, str(path))

    def enter() -> None:
        QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)

    enter()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == COLUMNS, timeout=10_000)
    enter()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REPORT, timeout=10_000)
    enter()
    qtbot.waitUntil(lambda: dialog.import_result is not None, timeout=10_000)
    enter()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert _customers(ledger) == 4
    tasks.shutdown()
