"""The server's settings, in one object: ``central-server serve`` fills it from its command
line and the environment, and hands it to its worker processes through the environment
(``environment``), where ``Settings.from_env`` reads it back; nothing else reads them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DB = "CENTRAL_SERVER_DB"
ADMIN_TOKEN = "CENTRAL_SERVER_ADMIN_TOKEN"
REPLAY_IN_WORKERS = "CENTRAL_SERVER_REPLAY_IN_WORKERS"
DEFAULT_DB = "central.sqlite3"
MIN_ADMIN_TOKEN = 16  # characters; an empty or short token would open the admin API


def check_admin_token(token: str | None) -> str:
    """The administrator token the server starts with, or ValueError saying what is wrong:
    a missing, empty, blank or short token (under ``MIN_ADMIN_TOKEN`` characters) is
    refused, since an empty token would equal an empty Authorization header."""
    if token is None or not token.strip():
        raise ValueError(
            f"{ADMIN_TOKEN} is empty: set it to a random string of at least "
            f"{MIN_ADMIN_TOKEN} characters"
        )
    if token != token.strip() or len(token) < MIN_ADMIN_TOKEN:
        raise ValueError(
            f"{ADMIN_TOKEN} must be at least {MIN_ADMIN_TOKEN} characters with no spaces around it"
        )
    return token


def db_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The command line's default database."""
    return environ.get(DB, DEFAULT_DB)


def admin_token_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """The administrator's token as set, unchecked; None when unset (``serve`` then
    generates one)."""
    return environ.get(ADMIN_TOKEN)


@dataclass(frozen=True)
class Settings:
    db: str  # postgresql://… or a SQLite file
    admin_token: str
    # Run the background replayer in the web process; with several workers it runs once,
    # in the process that supervises them, and not in each.
    replay: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        admin_token = check_admin_token(admin_token_from_env(environ))
        return cls(environ[DB], admin_token, environ.get(REPLAY_IN_WORKERS, "1") == "1")

    def environment(self) -> dict[str, str]:
        """These settings as ``from_env`` reads them, for the worker processes."""
        return {
            DB: self.db,
            ADMIN_TOKEN: self.admin_token,
            REPLAY_IN_WORKERS: "1" if self.replay else "0",
        }
