"""A scenario may carry a ``"comment"`` string at the top and in each step: people document
their scenarios, and ``cashier-app simulate`` runs them as if the comments were not there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cashier_app.cli import main
from cashier_app.scenario import ScenarioError, parse_scenario
from tests.shop import adjust, advance, expect, line, register, ret, sale, samosale_program


def steps() -> list[dict[str, Any]]:
    return [
        register("2026-01-10T10:00:00", "anna", "+79001234567"),
        sale("2026-01-10T10:05:00", "anna", "r1", line("latte", "250.00", qty="2")),
        ret("2026-01-11T10:00:00", "r1", {"sku": "latte", "qty": "1"}),
        adjust("2026-01-11T10:01:00", "anna", "5"),
        advance("2026-01-12T10:00:00"),
        expect("2026-01-12T10:00:00", customer="anna", balance="12"),
        expect("2026-01-12T10:00:00", receipt="r1", total="500.00"),
    ]


def commented() -> dict[str, Any]:
    return {
        "comment": "Anna buys two lattes, returns one; a manager adds 5 points.",
        "program": samosale_program(),
        "steps": [{**step, "comment": f"step {i}: {step['op']}"} for i, step in enumerate(steps())],
    }


def simulate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: Any, name: str
) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code = main(["simulate", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_comments_at_the_top_and_in_every_step_are_ignored(tmp_path, capsys):
    plain = {"program": samosale_program(), "steps": steps()}
    code, out, err = simulate(tmp_path, capsys, commented(), "commented.json")
    assert code == 0, err
    assert out.count("\n") == len(steps()) + out.count('"op": "auto"')
    assert "comment" not in out and "step 0:" not in out
    again = simulate(tmp_path, capsys, plain, "plain.json")
    assert (again[0], without_cards(again[1]), again[2]) == (code, without_cards(out), err)


def without_cards(out: str) -> list[dict[str, Any]]:
    """The output lines less the card number (each run's till draws its own prefix)."""
    return [{k: v for k, v in json.loads(x).items() if k != "card"} for x in out.splitlines()]


def test_a_comment_is_not_checked_as_an_expected_value(simulate):  # the fixture runs in-process
    run = simulate(samosale_program(), [
        register("2026-01-10T10:00:00", "anna", "+79001234567", comment="welcome: none"),
        expect("2026-01-10T10:00:00", customer="anna", balance="0", comment="nothing yet"),
    ])  # fmt: skip
    assert run.code == 0, run.err
    assert run.step(1)["ok"] is True


@pytest.mark.parametrize("value", [1, None, ["a"], {"text": "a"}, True])
def test_a_comment_that_is_not_text_makes_the_file_invalid_and_nothing_runs(
    tmp_path, capsys, value
):
    doc = commented()
    doc["steps"][3]["comment"] = value
    code, out, err = simulate(tmp_path, capsys, doc, "bad.json")
    assert code == 2 and out == ""
    assert "steps[3].comment: a comment is a string" in err
    doc = {**commented(), "comment": value}
    with pytest.raises(ScenarioError, match=r"invalid scenario: comment: a comment is a string"):
        parse_scenario(doc)


def test_every_problem_is_named_together_and_other_keys_are_still_refused():
    doc = commented()
    doc["steps"][0]["comment"] = 7
    doc["steps"][1]["colour"] = "red"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(doc)
    assert "steps[0].comment: a comment is a string" in str(err.value)
    assert "steps[1].colour: unknown key" in str(err.value)
