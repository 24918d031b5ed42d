"""The program document is refused, with the key path named, whenever it is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.errors import LoyaltyError, ProgramError
from cashier_app.engine.program import parse_program
from tests.shop import samosale_program


def broken(change) -> dict[str, Any]:
    doc = samosale_program()
    change(doc)
    return doc


def issues(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProgramError) as err:
        parse_program(doc)
    return err.value.issues


CASES = [
    (lambda d: d["bonus_programs"][0]["accrual"]["tiers"][2].update({"from": "5000"}), "bonus_programs[0].accrual.tiers[2].from", "ascending"),
    (lambda d: d["bonus_programs"][0].update({"colour": "red"}), "bonus_programs[0].colour", "unknown key"),
    (lambda d: d.update({"extra": 1}), "extra", "unknown key"),
    (lambda d: d["bonus_programs"][0].update({"max_redeem_percent": "-5"}), "bonus_programs[0].max_redeem_percent", "negative"),
    (lambda d: d["bonus_programs"][0].update({"max_redeem_percent": "130"}), "bonus_programs[0].max_redeem_percent", "between 0 and 100"),
    (lambda d: d["bonus_programs"][0].update({"max_redeem_percent": 30}), "bonus_programs[0].max_redeem_percent", "decimal string"),
    (lambda d: d["bonus_programs"][0].update({"expiry_days": "60"}), "bonus_programs[0].expiry_days", "integer"),
    (lambda d: d["bonus_programs"][0].update({"expiry_days": -1}), "bonus_programs[0].expiry_days", "greater than or equal"),
    (lambda d: d["bonus_programs"][0].update({"accrue_when_redeeming": "yes"}), "bonus_programs[0].accrue_when_redeeming", "boolean"),
    (lambda d: d["bonus_programs"][0]["accrual"].update({"kind": "lottery"}), "bonus_programs[0].accrual", "tag"),
    (lambda d: d["bonus_programs"][0]["accrual"]["tiers"][0].update({"percent": "1.234"}), "bonus_programs[0].accrual.tiers[0].percent", "at most 2"),
    (lambda d: d["bonus_programs"][0]["accrual"]["tiers"][0].update({"from": "100"}), "bonus_programs[0].accrual.tiers[0].from", "start from"),
    (lambda d: d["groups"][0].update({"bonus_program": "nope"}), "groups[0].bonus_program", "no bonus program"),
    (lambda d: d["groups"][1].update({"default": True}), "groups", "exactly one"),
    (lambda d: d["groups"][1].update({"id": "regular"}), "groups[1].id", "duplicate"),
    (lambda d: d["groups"][3].update({"bonus_program": "cashback"}), "groups[3].bonus_program", "not used"),
    (lambda d: d["discount_programs"][0].pop("percent"), "discount_programs[0].percent", "required"),
    (lambda d: d["discount_programs"][1].pop("tiers"), "discount_programs[1].tiers", "required"),
    (lambda d: d.update({"timezone": "Mars/Olympus"}), "timezone", "unknown time zone"),
    (lambda d: d.update({"currency": "rubles"}), "currency", "pattern"),
    (lambda d: d.update({"version": 0}), "version", "greater than or equal"),
    (lambda d: d.pop("groups"), "groups", "required key is missing"),
    (lambda d: d["bonus_programs"][0].update({"categories": {"only": ["a"], "exclude": ["b"]}}), "bonus_programs[0].categories", "exactly one"),
    (lambda d: d["bonus_programs"][0].update({"winback": {"first_after_days": 45, "second_after_days": 30}}), "bonus_programs[0].winback.second_after_days", "later than"),
    (lambda d: d["bonus_programs"][0].update({"winback": {"first_after_days": 45, "second_after_days": 75, "second_points": "5", "second_points_percent_of_avg_check": "5"}}), "bonus_programs[0].winback", "not both"),
    (lambda d: d["bonus_programs"][0].update({"accrual": {"kind": "per_step", "step": "0", "points": "100"}}), "bonus_programs[0].accrual.step", "greater than zero"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "path", "words"), CASES, ids=[c[1] + ":" + c[2] for c in CASES])
def test_a_bad_program_names_the_key_path(change, path, words):
    found = issues(broken(change))
    assert any(p == path and words in m for p, m in found), found


def test_not_an_object():
    assert issues([1, 2]) == [("", "the program document must be a JSON object")]


def test_every_problem_is_reported_at_once():
    def change(d):
        d["bonus_programs"][0]["colour"] = "red"
        d["groups"][0]["loyalty"] = "lots"

    assert len(issues(broken(change))) == 2


def test_all_shared_scenario_programs_are_valid():
    for path in sorted((Path(__file__).parent / "scenarios").glob("*.json")):
        parse_program(json.loads(path.read_text())["program"])


def test_installing_an_invalid_program_changes_nothing(ledger):
    bad = broken(lambda d: d.update({"version": 2, "bonus_value": "0"}))
    with pytest.raises(ProgramError):
        service.install_program(ledger, bad)
    with ledger.db.read() as conn:
        assert ledger.program(conn).version == 1


def test_a_program_version_must_grow_and_keep_groups_in_use(ledger):
    with pytest.raises(LoyaltyError) as err:
        service.install_program(ledger, samosale_program())
    assert err.value.code == "stale_program"
    service.register_customer(ledger, "+79001234567", group="vip")
    doc = samosale_program()
    doc["version"] = 2
    doc["groups"] = [g for g in doc["groups"] if g["id"] != "vip"]
    with pytest.raises(LoyaltyError) as err:
        service.install_program(ledger, doc)
    assert err.value.code == "group_in_use"
    doc = copy.deepcopy(samosale_program())
    doc["version"] = 2
    doc["bonus_programs"][0]["max_redeem_percent"] = "10"
    assert service.install_program(ledger, doc).version == 2


def test_unknown_region_is_refused(ledger):
    doc = samosale_program()
    doc["version"] = 2
    doc["default_region"] = "QQ"
    with pytest.raises(ProgramError, match="default_region"):
        service.install_program(ledger, doc)


def test_cli_program_check_exits_2_with_paths(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(broken(lambda d: d["bonus_programs"][0].update({"colour": 1}))))
    assert main(["program-check", str(path)]) == 2
    assert "bonus_programs[0].colour: unknown key" in capsys.readouterr().err
    path.write_text(json.dumps(samosale_program()))
    assert main(["program-check", str(path)]) == 0
