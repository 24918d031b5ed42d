"""Where things live: the store's data directory and the bundled resources."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "cashier-app"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def default_data_dir() -> Path:
    """``$CASHIER_APP_DATA`` if set, else the platform's user data directory
    (``~/.local/share/cashier-app`` on Linux, ``%LOCALAPPDATA%\\cashier-app`` on Windows)."""
    override = os.environ.get("CASHIER_APP_DATA")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def resource(*parts: str) -> Path:
    path = RESOURCES.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"bundled resource {path} is missing; reinstall the application")
    return path
