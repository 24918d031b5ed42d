"""A program whose default region is no country ("ZZ") is refused the same way by
program-check, program-install and the central server: they share one check."""

from __future__ import annotations

import json

import phonenumbers
import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.errors import ProgramError
from cashier_app.engine.program import KNOWN_REGIONS
from tests.shop import samosale_program

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")


def zz_program():
    return {**samosale_program(), "version": 2, "default_region": "ZZ"}


def test_the_engine_knows_the_regions_the_phone_library_reads():
    assert KNOWN_REGIONS == phonenumbers.SUPPORTED_REGIONS


def test_program_check_and_program_install_both_refuse_zz(tmp_path, capsys):
    path = tmp_path / "zz.json"
    path.write_text(json.dumps(zz_program()))
    assert main(["--data-dir", str(tmp_path), "init"]) == 0
    for command in ("program-check", "program-install"):
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), command, str(path)]) == 2
        assert "default_region: unknown region 'ZZ'" in capsys.readouterr().err


def test_the_service_refuses_zz_and_keeps_the_installed_program(ledger):
    with pytest.raises(ProgramError) as err:
        service.install_program(ledger, zz_program())
    assert err.value.issues == [("default_region", "unknown region 'ZZ'")]


def test_the_central_server_does_not_publish_zz(tmp_path):
    from central_server.db import make_engine, migrate
    from central_server.ledger import CentralLedger, ServerError

    engine = make_engine(str(tmp_path / "central.sqlite3"))
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(samosale_program())
    with pytest.raises(ServerError) as err:
        store.publish_program(zz_program())
    assert "unknown region 'ZZ'" in str(err.value)
