"""``cashier-app customers`` as our store-manager tester found it: the last purchase's day
in UTC, no header row, an unknown tier answered with no customers, a --limit 0 answered in
the service's words."""

from __future__ import annotations

import pytest

from cashier_app.cli import main

pytestmark = pytest.mark.usefixtures("cli_admin")


def run(folder, capsys, *args):
    code = main(["--data-dir", str(folder), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def till(tmp_path, capsys):
    assert run(tmp_path, capsys, "init")[0] == 0
    assert run(tmp_path, capsys, "register", "--phone", "+79001234567", "--name", "Анна",
               "--at", "2026-11-01T10:00:00+03:00")[0] == 0  # fmt: skip
    return tmp_path


def test_a_purchase_after_midnight_in_moscow_is_that_day_in_the_table(till, capsys):
    # 00:30 in Moscow on 9 November is still 8 November in UTC.
    code, _, err = run(till, capsys, "sale", "--customer", "+79001234567", "--line",
                       "sku=latte,price=250", "--at", "2026-11-09T00:30:00+03:00")  # fmt: skip
    assert code == 0, err
    code, out, _ = run(till, capsys, "customers")
    header, row, total = out.strip().splitlines()
    assert header.split() == ["Name", "Phone", "Cards", "Group", "Tier", "Balance", "Last",
                              "buy", "Consent"]  # fmt: skip
    assert "2026-11-09" in row and "2026-11-08" not in row
    assert total == "1 customer(s)"


def test_an_unknown_tier_is_refused_with_the_programs_tiers(till, capsys):
    code, out, err = run(till, capsys, "customers", "--tier", "Gold")
    assert code == 2 and out == ""
    assert "--tier 'Gold': no such tier; the program has" in err
    assert "Silver" in err or "Серебро" in err or "," in err


def test_a_known_tier_is_listed(till, capsys):
    code, out, err = run(till, capsys, "customers", "--tier", "Gold")
    tiers = err.split("the program has ", 1)[1].strip().split(", ")
    code, out, err = run(till, capsys, "customers", "--tier", tiers[0])
    assert code == 0 and out.strip().endswith("customer(s)"), err


@pytest.mark.parametrize("limit", ["0", "1001", "-5"])
def test_a_limit_outside_1_to_1000_names_the_option(till, capsys, limit):
    code, _, err = run(till, capsys, "customers", "--limit", limit)
    assert code == 2 and "--limit: give 1 to 1000" in err and "invalid_window" not in err
