"""After a power cut, a crash or a killed command, the next run says the last one did not
stop cleanly and names the last receipt this till recorded, so a sale whose "recorded"
the cashier never saw is checked, not rung twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from cashier_app import service
from tests.conftest import CLI_ADMIN, CLI_ADMIN_PIN, run_cli
from tests.shop import samosale_program

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

# A command that records its sale and is then killed before it can stop cleanly.
KILLED_AFTER_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from cashier_app import cli

    recorded = cli._run

    def record_then_die(args):
        recorded(args)
        os.kill(os.getpid(), signal.SIGKILL)

    cli._run = record_then_die
    cli.main(sys.argv[1:])
    """
)
# A command still at work: its mark is held, so nobody may call it stopped.
STILL_WORKING = textwrap.dedent(
    """
    import sys, time
    from cashier_app import cli
    cli._run = lambda args: (cli.store_ledger(args), print("working", flush=True), time.sleep(60))
    cli.main(sys.argv[1:])
    """
)


def a_store(tmp_path):
    from cashier_app.service import users

    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    users.create_user(
        ledger, CLI_ADMIN, users.Role.ADMINISTRATOR, CLI_ADMIN_PIN, actor=users.OPERATOR
    )
    ledger.db.close()


def killed_sale(tmp_path, number: str) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_AFTER_COMMIT,
            "--data-dir",
            str(tmp_path),
            "sale",
            "--line",
            "sku=latte,price=250.00",
            "--number",
            number,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr


def test_a_sale_killed_after_its_commit_is_named_by_the_next_command(tmp_path, capsys):
    a_store(tmp_path)
    killed_sale(tmp_path, "K-1")

    code, _, err = run_cli(tmp_path, capsys, "status")

    assert code == 0
    assert "did not stop cleanly" in err
    assert "receipt K-1" in err and "paid 250.00" in err
    assert "check it before ringing that sale again" in err
    # told once: the next command is quiet
    _, _, err = run_cli(tmp_path, capsys, "status")
    assert "did not stop cleanly" not in err


def test_a_command_that_is_still_working_is_not_called_stopped(tmp_path, capsys):
    a_store(tmp_path)
    working = subprocess.Popen(
        [sys.executable, "-c", STILL_WORKING, "--data-dir", str(tmp_path), "status"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert working.stdout.readline().strip() == "working"
        _, _, err = run_cli(tmp_path, capsys, "status")
        assert "did not stop cleanly" not in err
    finally:
        working.kill()
        working.wait()
    # killed now: the next command says so, and that it recorded no receipt
    _, _, err = run_cli(tmp_path, capsys, "status")
    assert "did not stop cleanly" in err and "has recorded no receipt" in err


def test_the_window_names_the_last_receipt_after_an_unclean_stop(tmp_path, qtbot, qapp):
    from PySide6.QtWidgets import QApplication, QMessageBox

    from cashier_app.service import users
    from cashier_app.service.runs import begin_run
    from cashier_app.ui.main_window import MainWindow
    from cashier_app.ui.scanner import ScannerFilter
    from cashier_app.ui.tasks import TaskManager
    from cashier_app.ui.workstation import Workstation

    a_store(tmp_path)
    killed_sale(tmp_path, "K-7")
    ledger = service.open_ledger(tmp_path)
    mark, stops = begin_run(ledger)
    admin = users.login(ledger, CLI_ADMIN, CLI_ADMIN_PIN)
    tasks = TaskManager()
    window = MainWindow(Workstation(ledger, admin), tasks, ScannerFilter())
    qtbot.addWidget(window)
    try:
        window.show()
        window.show_unclean_stops(stops)
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox))
        box = QApplication.activeModalWidget()
        assert "K-7" in box.text() and "250.00" in box.text()
        box.accept()
    finally:
        tasks.shutdown()
        mark.close()
        ledger.db.close()


def test_a_folder_where_a_till_ran_is_not_taken_for_a_new_one(tmp_path, capsys):
    """The ledger and its marker deleted, the run marks left: a lost till, not a new one."""
    from cashier_app.service.ledger_file import DB_NAME

    a_store(tmp_path)
    run_cli(tmp_path, capsys, "status")
    for f in tmp_path.iterdir():
        if f.name.startswith(DB_NAME):
            f.unlink()
    code, _, err = run_cli(tmp_path, capsys, "status")
    assert code == 2 and "ledger_missing" in err and "runs/" in err
    assert not (tmp_path / DB_NAME).exists()


def test_a_run_killed_before_it_wrote_its_start_is_not_said_to_have_recorded_a_sale(
    tmp_path, capsys
):
    """Killed between making its mark and writing its start, a run recorded nothing: the
    next command does not name an older receipt as if that run had recorded it."""
    a_store(tmp_path)
    run_cli(tmp_path, capsys, "sale", "--line", "sku=latte,price=250.00", "--number", "K-9")
    (tmp_path / "runs" / "cut-short.run").write_text("")
    _, _, err = run_cli(tmp_path, capsys, "status")
    assert "did not stop cleanly" not in err
    assert not (tmp_path / "runs" / "cut-short.run").exists()
