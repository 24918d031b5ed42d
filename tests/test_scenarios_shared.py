"""The reference scenarios in tests/scenarios (the shops' own worked examples) and our own
scenario files pass through the real ``cashier-app simulate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cashier_app.cli import main

HERE = Path(__file__).parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.json"))
REPO = HERE.parent


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes_through_simulate(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(path)]) == 0, capsys.readouterr().err
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all("op" in x for x in lines)
    assert [x["step"] for x in lines if "step" in x] == list(
        range(len(json.loads(path.read_text())["steps"]))
    )


def test_the_demo_store_day_passes() -> None:
    assert main(["simulate", str(REPO / "resources" / "demo_store.json")]) == 0


def test_rules_example_prints_what_rules_md_promises(capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", str(HERE / "scenarios" / "rules_example.json")])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    sale = next(x for x in lines if x["op"] == "sale")
    assert (sale["total"], sale["accrued"], sale["balance"]) == ("500.00", "15", "215")
    ret = next(x for x in lines if x["op"] == "return")
    assert (ret["refunded"], ret["points_taken"]) == ("250.00", "8")
    autos = [(x["kind"], x["at"], x["points"]) for x in lines if x["op"] == "auto"]
    assert autos == [
        ("birthday", "2026-01-15T00:00:00", "500"),
        ("expiry", "2026-01-29T00:00:00", "500"),
        ("expiry", "2026-02-09T10:00:00", "150"),
        ("winback_first", "2026-02-24T10:05:00", "0"),
    ]


def test_simulate_as_a_real_command_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cashier_app", "simulate", str(SCENARIOS[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") >= 6
