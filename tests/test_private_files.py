"""The ledger holds the till's token for the central server and the customers' phones:
its folder and files are readable by their owner only, whatever the umask made them."""

from __future__ import annotations

import os
import stat
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.service.ledger_file import DB_NAME
from tests.shop import samosale_program

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_is_the_owners_alone(tmp_path):
    folder = tmp_path / "store"
    old = os.umask(0o022)
    try:
        ledger = service.open_ledger(folder)
        service.install_program(ledger, samosale_program())
        service.record_sale(ledger, [LineInput("latte", Decimal("250.00"), Decimal("1"))])
    finally:
        os.umask(old)
    try:
        assert mode(folder) == 0o700
        files = [p for p in folder.iterdir() if p.name.startswith(DB_NAME)]
        assert {p.name for p in files} >= {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}.device"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        ledger.db.close()


def test_a_ledger_left_readable_by_an_older_version_is_closed_at_the_next_start(tmp_path):
    folder = tmp_path / "store"
    service.open_ledger(folder).db.close()
    folder.chmod(0o755)
    (folder / DB_NAME).chmod(0o644)

    service.open_ledger(folder).db.close()

    assert mode(folder) == 0o700
    assert mode(folder / DB_NAME) == 0o600
