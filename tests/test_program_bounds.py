"""A program document a person could send by mistake or on purpose (nested 100,000 deep, a
5,000-digit version) is an invalid program with a reason, never a crash."""

from __future__ import annotations

import copy
import json

import pytest

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.errors import ProgramError
from cashier_app.engine.program import load_program_text, parse_program
from tests.shop import samosale_program

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")


def deep_list(levels):
    return "[" * levels + "]" * levels


def test_a_document_nested_100000_deep_is_refused_by_program_check(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text(deep_list(100_000))
    assert main(["program-check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested deeper than 32 levels" in err and "Traceback" not in err


def test_a_5000_digit_version_is_refused_by_program_check_and_install(tmp_path, capsys):
    text = json.dumps(samosale_program()).replace('"version": 1', '"version": ' + "9" * 5000)
    path = tmp_path / "big.json"
    path.write_text(text)
    assert main(["--data-dir", str(tmp_path), "init"]) == 0
    for command in ("program-check", "program-install"):
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), command, str(path)]) == 2
        err = capsys.readouterr().err
        assert "a number has at most 18 digits" in err and "Traceback" not in err


def test_an_already_parsed_document_is_bounded_too(ledger):
    doc = copy.deepcopy(samosale_program())
    doc["version"] = 10**30  # the server hands its parsed documents to the same check
    with pytest.raises(ProgramError) as err:
        parse_program(doc)
    assert err.value.issues == [("version", "a number has at most 18 digits")]
    nested: list = []
    inner = nested
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    doc = copy.deepcopy(samosale_program())
    doc["groups"][0]["name"] = nested
    with pytest.raises(ProgramError) as err:
        service.install_program(ledger, doc)
    assert "nested deeper than 32 levels" in err.value.issues[0][1]


def test_a_real_program_still_reads():
    text = json.dumps(samosale_program())
    assert parse_program(load_program_text(text)).version == 1
