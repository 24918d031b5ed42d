"""The administrator's command line of the central server."""

from __future__ import annotations

import json

from central_server.cli import main
from tests.shop import samosale_program


def test_the_server_cli_from_first_run_to_the_report(tmp_path, capsys):
    db = str(tmp_path / "central.sqlite3")
    program = tmp_path / "program.json"
    program.write_text(json.dumps(samosale_program()), encoding="utf-8")
    assert main(["--db", db, "migrate"]) == 0
    assert main(["--db", db, "program", "set", str(program)]) == 0
    assert main(["--db", db, "program", "set", str(program)]) == 2  # not newer
    capsys.readouterr()
    assert main(["--db", db, "enrol-code"]) == 0
    assert len(capsys.readouterr().out.strip()) == 19  # XXXX-XXXX-XXXX-XXXX
    csv = tmp_path / "goods.csv"
    csv.write_text(
        "sku,barcode,name,price,category\nlatte,4600000000015,Латте,250.00,coffee\n",
        encoding="utf-8",
    )
    assert main(["--db", db, "catalogue", "import", str(csv)]) == 0
    csv.write_text("sku,name,price\nbad,Хлеб,двести\n", encoding="utf-8")
    assert main(["--db", db, "catalogue", "import", str(csv)]) == 2
    assert main(["--db", db, "user", "Мария", "--role", "manager", "--pin", "654321"]) == 0
    assert main(["--db", db, "user", "Пётр", "--role", "cashier"]) == 2  # a new user needs a PIN
    assert main(["--db", db, "user", "Пётр", "--role", "cashier", "--pin", "12"]) == 2
    assert main(["--db", db, "revoke-device", "nobody"]) == 2
    capsys.readouterr()
    assert main(["--db", db, "reconciliation-report"]) == 0
    assert capsys.readouterr().out == ""
