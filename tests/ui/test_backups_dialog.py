"""Back office → Backups…: a manager backs up now, sees the copy in the list, and sets how
often and how many; the status bar says when the last backup was made; a cashier has no
such line in the menu. Set CASHIER_SCREENSHOTS=DIR to save the dialog."""

from __future__ import annotations

import os
from pathlib import Path

from cashier_app.service import backups, settings
from cashier_app.ui.backups.dialog import BackupsDialog
from tests.ui.conftest import when_modal


def test_a_manager_backs_up_now_and_sets_the_schedule(qtbot, open_window, store, tmp_path):
    ledger, _ = store
    window = open_window("manager")
    action = window.back_office.actions["backups_action"]
    assert action.isVisible()
    qtbot.waitUntil(lambda: window.backup_label.text() == "No backup yet")

    def use(dialog: BackupsDialog) -> None:
        qtbot.waitUntil(lambda: dialog.folder.text() != "")
        assert dialog.folder.text() == str(ledger.db.path.parent / "backups")
        assert (dialog.every.value(), dialog.keep.value()) == (24, 14)
        dialog.now_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
        qtbot.waitUntil(lambda: "Backed up" in dialog.message.text())
        assert dialog.table.item(0, 1).text() == "by hand"
        assert dialog.table.item(0, 3).text() == "good"
        dialog.every.setValue(12)
        dialog.keep.setValue(30)
        dialog.save_button.click()
        qtbot.waitUntil(lambda: dialog.message.text() == "Saved.")
        if shots := os.environ.get("CASHIER_SCREENSHOTS"):
            dialog.grab().save(str(Path(shots) / "backups.png"))
        dialog.accept()

    seen = when_modal(BackupsDialog, use)
    action.trigger()
    assert seen
    config = settings.backup_settings(ledger)
    assert (config.every_hours, config.keep, config.last_error) == (12, 30, "")
    assert len(backups.backups_of(ledger)) == 1
    window.backup_label.refresh()
    qtbot.waitUntil(lambda: window.backup_label.text().startswith("Backup: "))


def test_a_failed_backup_shows_in_the_dialog_and_the_status_bar(
    qtbot, open_window, store, tmp_path
):
    ledger, staff = store
    stick = tmp_path / "stick"
    stick.mkdir()
    backups.save_settings(ledger, staff["manager"], folder=stick)
    stick.rmdir()
    window = open_window("manager")

    def fail(dialog: BackupsDialog) -> None:
        qtbot.waitUntil(lambda: dialog.folder.text() == str(stick))
        dialog.now_button.click()
        qtbot.waitUntil(lambda: "cannot be written" in dialog.message.text())
        assert dialog.now_button.isEnabled()
        dialog.accept()

    when_modal(BackupsDialog, fail)
    window.back_office.actions["backups_action"].trigger()
    window.backup_label.refresh()
    qtbot.waitUntil(lambda: window.backup_label.text() == "Backup failed!")
    assert "cannot be written" in window.backup_label.toolTip()


def test_a_cashier_has_no_backups_line(open_window):
    window = open_window("cashier")
    assert not window.back_office.actions["backups_action"].isVisible()
    assert not hasattr(window, "backup_label")


def test_the_schedule_makes_a_backup_off_the_gui_thread_when_one_is_due(qtbot, store):
    from cashier_app.ui.backups.schedule import BackupTimer
    from cashier_app.ui.tasks import TaskManager

    ledger, _ = store
    tasks = TaskManager()
    made = []
    try:
        timer = BackupTimer(ledger, tasks, every=3600, first=0, on_done=made.append)
        qtbot.waitUntil(lambda: timer.runs == 1, timeout=10_000)
        timer.run_now()  # not due again for 24 hours
        qtbot.waitUntil(lambda: timer.runs == 2, timeout=10_000)
        timer.stop()
    finally:
        tasks.shutdown()
    assert made[0] is not None and made[0].reason == "scheduled" and made[1] is None
