"""What a till takes at most: a mistyped price or quantity is refused with a reason, never a
traceback, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.service import catalogue
from tests.conftest import receipt_count, run_cli

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

AT = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


run = run_cli
receipts = receipt_count


def test_a_price_typed_into_the_quantity_field_is_refused_at_the_cli(tmp_path, capsys):
    run(tmp_path, capsys, "init")
    for extra in ([], ["--quote"]):
        code, _, err = run(tmp_path, capsys, "sale", *extra,
                           "--line", "sku=a,price=999999999999.99,qty=999999999")  # fmt: skip
        assert code == 2 and "[amount_too_large]" in err and "Traceback" not in err
    code, _, err = run(tmp_path, capsys, "sale", "--line", "sku=a,price=99999999.99,qty=99999.999")
    assert code == 2 and "total is at most" in err
    code, out, _ = run(tmp_path, capsys, "sale", "--line", "sku=a,price=99999999.99,qty=100")
    assert code == 0 and "9999999999.00" in out


def test_the_service_refuses_a_huge_line_and_writes_nothing(ledger):
    huge = LineInput("tv", Decimal("100000000.00"), Decimal("1"))
    many = LineInput("nails", Decimal("1.00"), Decimal("100000"))
    for line in (huge, many):
        with pytest.raises(LoyaltyError) as err:
            service.record_sale(ledger, [line], at=AT)
        assert err.value.code == "amount_too_large"
        with pytest.raises(LoyaltyError):
            service.quote_sale(ledger, [line], at=AT)
    assert receipts(ledger) == 0


def test_a_huge_adjustment_is_refused(ledger):
    reg = service.register_customer(ledger, "+79001234567", consent=True, at=AT)
    with pytest.raises(LoyaltyError) as err:
        service.adjust_balance(ledger, reg.customer.id, Decimal("999999999999"), "typo", at=AT)
    assert err.value.code == "amount_too_large"


def test_a_catalogue_price_beyond_the_till_is_a_row_problem(ledger, tmp_path):
    path = tmp_path / "goods.csv"
    path.write_text("sku,barcode,name,price\nyacht,,Яхта,999999999999.99\n", encoding="utf-8")
    report = catalogue.import_catalogue(ledger, path)
    assert not report.ok and [(p.row, p.column) for p in report.problems] == [(2, "price")]


def test_an_argument_that_is_no_text_is_refused_without_a_traceback(tmp_path):
    """A name typed in another code page reaches the command as bytes that are not text."""
    import os
    import subprocess
    import sys

    run = [sys.executable, "-m", "cashier_app", "--data-dir", str(tmp_path)]
    subprocess.run([*run, "init"], check=True, capture_output=True)
    done = subprocess.run(
        [*run.copy(), "register", "--phone", "+79001112233", "--name", "Bad"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )
    assert done.returncode == 0
    bad = [os.fsencode(a) for a in run] + [b"register", b"--phone", b"+79001112234"]
    bad += [b"--name", b"Bad\xffName"]
    done = subprocess.run(bad, capture_output=True, check=False)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"not valid text" in done.stderr
