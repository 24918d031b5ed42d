"""Refusals a person can cause, each with a stable code (documented in docs/errors.md)."""

from __future__ import annotations

from typing import Any


class LoyaltyError(Exception):
    """A refused operation: nothing was changed.

    ``code`` is a stable identifier the UI, the CLI and scenarios match on; ``message`` is
    the human sentence (English source text, translated at the edge).
    """

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


class ProgramError(LoyaltyError):
    """An invalid program document; ``issues`` lists every problem with its key path."""

    def __init__(self, issues: list[tuple[str, str]]) -> None:
        self.issues = issues
        lines = "; ".join(f"{path}: {msg}" if path else msg for path, msg in issues)
        super().__init__("invalid_program", f"invalid program document: {lines}")
