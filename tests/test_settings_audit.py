"""The barcode scanner's settings live in the workstation's own settings, not the ledger;
changing them still leaves a line in the audit log, as every settings change does."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cashier_app import service
from cashier_app.storage import schema as t
from cashier_app.ui.scanner import ScannerSettings
from tests.conftest import CLI_ADMIN, run_cli

pytestmark = pytest.mark.usefixtures("cli_admin")


@pytest.fixture
def scanner_settings_kept():
    before = ScannerSettings.load()
    yield before
    before.save()


def test_a_scanner_change_on_the_command_line_is_in_the_audit_log(
    tmp_path, capsys, scanner_settings_kept
):
    assert run_cli(tmp_path, capsys, "init")[0] == 0
    wanted = 8 if scanner_settings_kept.min_length != 8 else 9
    code, _out, err = run_cli(tmp_path, capsys, "scanner", "--min-length", str(wanted))
    assert code == 0, err
    ledger = service.open_ledger(tmp_path)
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "settings_changed")
        ).all()
    assert [(r.actor, r.subject, json.loads(r.details)) for r in rows] == [
        (CLI_ADMIN, "scanner", {"min_length": wanted})
    ]


def test_only_looking_at_the_scanner_settings_writes_nothing(
    tmp_path, capsys, scanner_settings_kept
):
    assert run_cli(tmp_path, capsys, "init")[0] == 0
    assert run_cli(tmp_path, capsys, "scanner")[0] == 0
    ledger = service.open_ledger(tmp_path)
    with ledger.db.read() as conn:
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert "settings_changed" not in actions
