"""Russian, Ukrainian and English through Qt's own translation: every visible string
goes through ``self.tr()``; a QTranslator answers from ``resources/translations/LANG.json``
(source text → translation). A translation whose ``{placeholders}`` differ from the source
is refused (tests/ui/test_translations.py checks every one, as Electrum's i18n does)."""

from __future__ import annotations

import json
import os
import re

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from cashier_app.paths import resource

LANGUAGES = ("en", "ru", "uk")
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def load_table(lang: str) -> dict[str, str]:
    """``LANG.json`` and every ``LANG.<screen>.json`` beside it (one file per group of
    screens, so the back office's strings live apart from the counter's)."""
    folder = resource("translations", f"{lang}.json").parent
    table: dict[str, str] = {}
    for path in sorted(folder.glob(f"{lang}.json")) + sorted(folder.glob(f"{lang}.*.json")):
        table.update(json.loads(path.read_text(encoding="utf-8")))
    return table


class JsonTranslator(QTranslator):
    def __init__(self, lang: str, table: dict[str, str] | None = None) -> None:
        super().__init__()
        self.lang = lang
        if table is None:
            table = load_table(lang)
        self.table = {k: v for k, v in table.items() if placeholders(k) == placeholders(v)}

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        # None (a null QString) lets Qt fall back to the source text; "" would blank it.
        return self.table.get(source)  # type: ignore[return-value]

    def isEmpty(self) -> bool:
        return not self.table


def pick_language(explicit: str | None = None) -> str:
    """``--lang``, else ``$CASHIER_APP_LANG``, else the system's language if we have it."""
    for lang in (explicit, os.environ.get("CASHIER_APP_LANG"), QLocale.system().name()[:2]):
        if lang in LANGUAGES:
            return lang
    return "en"


_installed: JsonTranslator | None = None


def current_language() -> str:
    """The language the window speaks now (the reports write numbers in its locale)."""
    return _installed.lang if _installed is not None else "en"


def install(app: QCoreApplication, lang: str) -> None:
    global _installed
    if _installed is not None:
        app.removeTranslator(_installed)
        _installed = None
    if lang != "en":
        _installed = JsonTranslator(lang)
        app.installTranslator(_installed)
