"""A return names receipt lines as a person counts them, from 1, in every message: the
second line over its quantity is "line 2" (it said "line 1")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from tests.shop import line, register, ret, sale, samosale_program
from tests.test_service_customers import counts

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")


@pytest.fixture
def two_lines(ledger):
    service.record_sale(
        ledger,
        [
            LineInput("latte", Decimal("250.00"), Decimal(1)),
            LineInput("cake", Decimal("90.00"), Decimal(2)),
        ],
        number="R-1",
    )
    return ledger


def test_the_second_line_over_its_quantity_is_line_2(two_lines):
    before = counts(two_lines)
    with pytest.raises(LoyaltyError) as err:
        service.record_return(two_lines, "R-1", [ReturnRequest(None, Decimal(3), 1)])
    assert err.value.code == "return_exceeds_sale"
    assert "of line 2:" in err.value.message
    assert counts(two_lines) == before


def test_the_first_line_is_line_1_and_a_missing_one_counts_from_1_too(two_lines):
    with pytest.raises(LoyaltyError) as err:
        service.record_return(two_lines, "R-1", [ReturnRequest(None, Decimal(2), 0)])
    assert "of line 1:" in err.value.message
    with pytest.raises(LoyaltyError) as err:
        service.record_return(two_lines, "R-1", [ReturnRequest(None, Decimal(1), 2)])
    assert err.value.code == "unknown_line" and "no line 3" in err.value.message


def test_an_sku_is_named_by_its_sku(two_lines):
    with pytest.raises(LoyaltyError) as err:
        service.record_return(two_lines, "R-1", [ReturnRequest("cake", Decimal(3))])
    assert "cannot return 3 of cake:" in err.value.message


def test_the_command_line_and_its_message_agree_on_line_2(tmp_path, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = main(["--data-dir", str(tmp_path), *args])
        return code, capsys.readouterr().err

    assert run("init")[0] == 0
    assert run("sale", "--number", "A-1", "--line", "sku=latte,price=250",
               "--line", "sku=cake,price=90,qty=2")[0] == 0  # fmt: skip
    code, err = run("return", "A-1", "--line", "line=2,qty=3")
    assert code == 2 and "[return_exceeds_sale]" in err and "line 2" in err
    assert "line 1" not in err


def test_a_scenario_names_its_1_based_line_back(simulate):
    run = simulate(samosale_program(), [
        register("2026-01-10T10:00:00", "anna", "+79001234567"),
        sale("2026-01-10T10:05:00", "anna", "r1", line("a", "100.00"), line("b", "100.00", qty="2")),
        ret("2026-01-11T10:00:00", "r1", {"line": 2, "qty": "3"}),
    ])  # fmt: skip
    assert run.code != 0
    assert "of line 2:" in run.err and "line 1" not in run.err
