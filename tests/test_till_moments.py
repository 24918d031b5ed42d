"""A mistyped year (9999 for 2026) is refused with a reason, never a traceback, and nothing
is written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from tests.conftest import receipt_count, run_cli

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

run = run_cli
receipts = receipt_count


@pytest.mark.parametrize(
    "args",
    [
        ["register", "--phone", "+79001234567", "--consent"],
        ["sale", "--line", "sku=a,price=10"],
        ["automations", "--until"],
    ],
)
def test_a_year_9999_is_refused_at_the_cli(tmp_path, capsys, args):
    run(tmp_path, capsys, "init")
    flag = [] if args[-1] == "--until" else ["--at"]
    code, _, err = run(tmp_path, capsys, *args, *flag, "9999-12-31T23:59:59+00:00")
    assert code == 2 and "between the years 2000 and 2100" in err and "Traceback" not in err


def test_the_service_refuses_a_moment_outside_2000_to_2100(ledger):
    far = datetime(9999, 12, 31, tzinfo=UTC)
    with pytest.raises(LoyaltyError) as err:
        service.register_customer(ledger, "+79001234567", consent=True, at=far)
    assert err.value.code == "invalid_moment"
    with pytest.raises(LoyaltyError):
        service.record_sale(ledger, [LineInput("a", Decimal(1), Decimal(1))], at=far)
    with pytest.raises(LoyaltyError):
        service.run_automations(ledger, datetime(1999, 12, 31, tzinfo=UTC))
    assert receipts(ledger) == 0
