"""``central-server program set`` reads the document with the engine's own loader: a file
nested 100,000 deep, a number of 5,000 digits or an unknown default region is refused with
its reason and exit 2, never a traceback, and no program version is stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from central_server import schema as s
from central_server.cli import main
from central_server.db import make_engine
from tests.shop import samosale_program


def versions(db: str) -> list[int]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(s.program_versions.c.version)).scalars())
    finally:
        engine.dispose()


def _with(**changes: object) -> str:
    return json.dumps({**samosale_program(), **changes})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 32 levels"),
        ('{"version": 1, "points": ' + "9" * 5000 + "}", "a number has at most 18 digits"),
        (_with(version=10**30), "a number has at most 18 digits"),
        (_with(default_region="ZZ"), "unknown region 'ZZ'"),
    ],
    ids=["deep", "5000-digits", "30-digits", "region-ZZ"],
)
def test_a_hostile_program_file_is_refused_and_nothing_is_stored(tmp_path, capsys, text, words):
    db = str(tmp_path / "central.sqlite3")
    assert main(["--db", db, "migrate"]) == 0
    path = tmp_path / "program.json"
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", db, "program", "set", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[invalid_program]" in err and words in err and "Traceback" not in err
    assert versions(db) == []
    path.write_text(json.dumps(samosale_program()), encoding="utf-8")
    assert main(["--db", db, "program", "set", str(path)]) == 0
    assert versions(db) == [samosale_program()["version"]]


def test_a_program_file_that_is_not_json_in_utf8_is_refused(tmp_path, capsys):
    db = str(tmp_path / "central.sqlite3")
    assert main(["--db", db, "migrate"]) == 0
    path = tmp_path / "program.json"
    for content in (b"\xff\xfe{not utf-8", b"{not json"):
        path.write_bytes(content)
        assert main(["--db", db, "program", "set", str(path)]) == 2
        err = capsys.readouterr().err
        assert "is not JSON in UTF-8" in err and "Traceback" not in err
    assert main(["--db", db, "program", "set", str(tmp_path / "missing.json")]) == 2
    assert "No such file" in capsys.readouterr().err
    assert versions(db) == []
