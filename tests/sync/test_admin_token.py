"""The administrator token: an empty, blank or short one is refused at start (it would
open the admin API), an empty Authorization never passes, and a generated one is written
to an owner-only file, never printed."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request

import pytest

from central_server import app as server_app
from central_server import cli
from central_server.app import create_app
from central_server.db import make_engine, migrate
from central_server.ledger import CentralLedger
from central_server.settings import MIN_ADMIN_TOKEN


@pytest.fixture
def store(tmp_path):
    engine = make_engine(str(tmp_path / "central.sqlite3"))
    migrate(engine)
    yield CentralLedger(engine)
    engine.dispose()


@pytest.mark.parametrize("token", ["", "   ", "\t\n", "short-token", " " + "x" * 20])
def test_an_empty_blank_or_short_admin_token_is_refused_at_start(store, token):
    with pytest.raises(ValueError, match="CENTRAL_SERVER_ADMIN_TOKEN"):
        create_app(store, token, replay=False)


@pytest.mark.parametrize("token", ["", "   ", None])
def test_the_uvicorn_factory_refuses_an_empty_admin_token(tmp_path, monkeypatch, token):
    monkeypatch.setenv("CENTRAL_SERVER_DB", str(tmp_path / "central.sqlite3"))
    if token is None:
        monkeypatch.delenv("CENTRAL_SERVER_ADMIN_TOKEN", raising=False)
    else:
        monkeypatch.setenv("CENTRAL_SERVER_ADMIN_TOKEN", token)
    with pytest.raises(ValueError, match="CENTRAL_SERVER_ADMIN_TOKEN"):
        server_app.app_from_env()


@pytest.mark.parametrize("header", [None, "", "Bearer ", "Bearer    "])
def test_an_empty_authorization_never_reaches_the_admin_api(server, header):
    request = urllib.request.Request(server.url + "/v1/admin/enrol-codes", method="POST")
    if header is not None:
        request.add_header("Authorization", header)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["code"] == "not_admin"


def test_serve_writes_a_generated_token_to_an_owner_only_file(tmp_path, monkeypatch, capsys):
    import uvicorn

    ran: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: ran.append(app))
    monkeypatch.delenv("CENTRAL_SERVER_ADMIN_TOKEN", raising=False)
    token_file = tmp_path / "admin-token"
    token_file.write_text("old\n")
    token_file.chmod(0o644)
    db = str(tmp_path / "central.sqlite3")
    assert cli.main(["--db", db, "serve", "--admin-token-file", str(token_file)]) == 0
    assert ran
    token = token_file.read_text().strip()
    assert len(token) >= MIN_ADMIN_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    out = capsys.readouterr()
    assert token not in out.out + out.err
    assert str(token_file) in out.out


def test_serve_refuses_an_empty_admin_token(tmp_path, monkeypatch, capsys):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("served"))
    monkeypatch.setenv("CENTRAL_SERVER_ADMIN_TOKEN", "")
    assert cli.main(["--db", str(tmp_path / "c.sqlite3"), "serve"]) == 2
    assert "CENTRAL_SERVER_ADMIN_TOKEN" in capsys.readouterr().err
