"""``cashier-app simulate``: exit codes 0/1/2, readable differences, clear messages for a
bad file, and nothing run when the file is invalid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cashier_app.cli import main
from tests.shop import expect, register, sale, samosale_program


def write(tmp_path: Path, doc: Any, name: str = "s.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def scenario(*steps: dict[str, Any], program: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"program": program or samosale_program(), "steps": list(steps)}


def test_a_wrong_expect_fails_with_a_readable_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = scenario(
        register("2026-01-10T10:00:00", "anna", "+79001234567"),
        sale(
            "2026-01-10T10:05:00",
            "anna",
            "r1",
            {"sku": "latte", "category": "coffee", "price": "250.00", "qty": "2"},
        ),
        expect("2026-01-10T10:05:00", customer="anna", balance="99"),
    )
    assert main(["simulate", write(tmp_path, doc)]) == 1
    captured = capsys.readouterr()
    assert "step 2: expect anna: balance expected '99', got '15'" in captured.err
    last = json.loads(captured.out.splitlines()[-1])
    assert last["ok"] is False
    assert last["differences"] == [{"field": "balance", "expected": "99", "actual": "15"}]


def test_an_unexpected_refusal_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = scenario(
        sale("2026-01-10T10:05:00", "ghost", "r1", {"sku": "x", "price": "1.00", "qty": "1"})
    )
    assert main(["simulate", write(tmp_path, doc)]) == 1
    out = capsys.readouterr()
    assert '"error": "unknown_customer"' in out.out
    assert "unknown_customer" in out.err


def test_an_expected_refusal_passes(tmp_path: Path) -> None:
    doc = scenario(
        register("2026-01-10T10:00:00", "anna", "+79001234567"),
        register("2026-01-10T10:01:00", "anna2", "8 900 123-45-67", expect_error="duplicate_phone"),
        register("2026-01-10T10:02:00", "bob", "12345", expect_error="invalid_phone"),
    )
    assert main(["simulate", write(tmp_path, doc)]) == 0


def test_expecting_an_error_that_does_not_happen_fails(tmp_path: Path) -> None:
    doc = scenario(
        register("2026-01-10T10:00:00", "anna", "+79001234567", expect_error="invalid_phone")
    )
    assert main(["simulate", write(tmp_path, doc)]) == 1


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "a scenario is a JSON object"),
        ({"program": {}, "steps": []}, "invalid program"),
        ({"steps": []}, "program: Field required"),
        (
            scenario(dict(register("2026-01-10T10:00:00", "a", "+79001234567"), colour="red")),
            "steps[0].colour: unknown key",
        ),
        (scenario({"at": "2026-01-10T10:00:00", "op": "dance"}), "steps[0]"),
        (scenario({"at": "yesterday", "op": "advance"}), "steps[0].at"),
        (
            scenario(
                {"at": "2026-01-10T10:00:00", "op": "advance"},
                {"at": "2026-01-09T10:00:00", "op": "advance"},
            ),
            "steps must not go back in time",
        ),
        (
            scenario(
                sale("2026-01-10T10:00:00", None, "r", {"sku": "x", "price": 1.5, "qty": "1"})
            ),
            "steps[0].lines[0].price",
        ),
        (
            scenario(
                sale("2026-01-10T10:00:00", None, "r", {"sku": "x", "price": "1.00", "qty": "-1"})
            ),
            "steps[0].lines[0].qty",
        ),
        (
            scenario(expect("2026-01-10T10:00:00", customer="a", total="1.00")),
            "total cannot be checked on a customer",
        ),
        (
            scenario(expect("2026-01-10T10:00:00", balance="1")),
            "names either a customer or a receipt",
        ),
    ],
)
def test_a_bad_scenario_file_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: Any, message: str
) -> None:
    assert main(["simulate", write(tmp_path, doc)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""  # nothing ran


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_invalid_program_in_scenario_names_the_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = samosale_program()
    program["bonus_programs"][0]["accrual"]["tiers"][2]["from"] = "5000"
    assert main(["simulate", write(tmp_path, scenario(program=program))]) == 2
    assert "program.bonus_programs[0].accrual.tiers[2].from" in capsys.readouterr().err
