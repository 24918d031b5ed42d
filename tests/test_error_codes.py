"""Every error code the till raises is documented in docs/errors.md and explained in the
window's table (cashier_app/ui/messages.py MESSAGES) in every language; a message that
counts something reads naturally for any number (1 try, 2 tries; 1 попытка, 2 попытки,
5 попыток)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cashier_app.engine.errors import LoyaltyError
from cashier_app.ui import i18n
from cashier_app.ui.messages import MESSAGES, PLURAL_COUNT, PLURAL_SEPARATOR, explain, plural

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cashier_app"
BASE = "LoyaltyError"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _code_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """LoyaltyError and every class deriving from it, however deep."""
    classes = {BASE}
    while True:
        found = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and any(_name(b) in classes for b in node.bases)
        }
        if found <= classes:
            return classes
        classes |= found


def raised_codes() -> tuple[dict[str, list[str]], list[str]]:
    """Codes given to LoyaltyError(...) directly, and by its subclasses through
    super().__init__(...), with where; and the places whose code is not a string literal."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in PACKAGE.rglob("*.py")}
    subclasses = _error_classes(trees) - {BASE}
    codes: dict[str, list[str]] = {}
    unreadable: list[str] = []

    def note(call: ast.Call, where: str) -> None:
        arg = _code_arg(call)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            codes.setdefault(arg.value, []).append(where)
        else:
            unreadable.append(f"{where}: {ast.unparse(call)}")

    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == BASE:
                note(node, f"{rel}:{node.lineno}")
            if isinstance(node, ast.ClassDef) and node.name in subclasses:
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr == "__init__"
                        and isinstance(inner.func.value, ast.Call)
                        and _name(inner.func.value.func) == "super"
                    ):
                        note(inner, f"{rel}:{inner.lineno} ({node.name})")
    return codes, unreadable


def documented_codes() -> set[str]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))


CODES, UNREADABLE = raised_codes()


def test_the_scan_finds_the_codes_it_should():
    # a few from each way of raising, so a scan that finds nothing cannot pass
    assert {"invalid_phone", "wrong_pin", "ledger_busy", "duplicate_customer"} <= set(CODES)
    assert "invalid_program" in CODES  # ProgramError passes it to LoyaltyError.__init__
    assert len(CODES) >= 40


def test_every_code_is_a_literal_the_scan_can_read():
    assert not UNREADABLE, f"a code that is not a string literal: {UNREADABLE}"


def test_every_raised_code_is_documented():
    missing = sorted(set(CODES) - documented_codes())
    assert not missing, (
        f"not in docs/errors.md: {missing} (raised at {[CODES[c] for c in missing]})"
    )


def test_every_documented_code_is_raised():
    assert not sorted(documented_codes() - set(CODES))


def test_every_raised_code_has_a_message_in_the_window():
    missing = sorted(set(CODES) - set(MESSAGES))
    assert not missing, f"not in cashier_app/ui/messages.py MESSAGES: {missing}"
    assert not sorted(set(MESSAGES) - set(CODES)), "a message for a code nothing raises"


def _table(lang: str) -> dict[str, str]:
    return i18n.load_table(lang)  # LANG.json and every LANG.<screens>.json, as the window


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_every_message_is_translated_with_its_plural_forms(lang):
    table = _table(lang)
    missing = sorted(m for m in MESSAGES.values() if m not in table)
    assert not missing, f"{lang}: no translation for {missing}"
    for code, source in MESSAGES.items():
        if PLURAL_SEPARATOR in source:
            assert code in PLURAL_COUNT
            assert len(source.split(PLURAL_SEPARATOR)) == 2  # English: one, other
            forms = table[source].split(PLURAL_SEPARATOR)
            assert len(forms) == 3, f"{lang}: {code} needs one, few and many"
            assert all(f.count("%n") == 1 for f in [*forms, *source.split(PLURAL_SEPARATOR)])


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 попытка"), (2, "2 попытки"), (4, "4 попытки"), (5, "5 попыток"), (11, "11 попыток"),
     (12, "12 попыток"), (14, "14 попыток"), (21, "21 попытка"), (22, "22 попытки"),
     (25, "25 попыток"), (101, "101 попытка"), (111, "111 попыток"), (0, "0 попыток")],
)  # fmt: skip
def test_plural_picks_the_russian_form(n, expected):
    assert plural(n, ["%n попытка", "%n попытки", "%n попыток"]) == expected


@pytest.mark.parametrize(("n", "expected"), [(1, "1 try"), (2, "2 tries"), (0, "0 tries")])
def test_plural_picks_the_english_form(n, expected):
    assert plural(n, ["%n try", "%n tries"]) == expected


def _wrong_pin(left: int) -> LoyaltyError:
    return LoyaltyError("wrong_pin", f"wrong PIN ({left} tries left)", tries_left=left)


@pytest.mark.parametrize(
    ("lang", "left", "expected"),
    [
        ("en", 1, "Wrong PIN: 1 try left."),
        ("en", 3, "Wrong PIN: 3 tries left."),
        ("ru", 1, "Неверный PIN: осталась 1 попытка."),
        ("ru", 2, "Неверный PIN: осталось 2 попытки."),
        ("ru", 5, "Неверный PIN: осталось 5 попыток."),
        ("uk", 1, "Невірний PIN: залишилася 1 спроба."),
        ("uk", 3, "Невірний PIN: залишилося 3 спроби."),
        ("uk", 5, "Невірний PIN: залишилося 5 спроб."),
    ],
)
def test_wrong_pin_counts_the_tries_left_naturally(qapp, lang, left, expected):
    i18n.install(qapp, lang)
    try:
        assert explain(_wrong_pin(left)) == expected
    finally:
        i18n.install(qapp, "en")


def test_a_counted_message_without_its_count_falls_back_to_the_service(qapp):
    assert explain(LoyaltyError("wrong_pin", "wrong PIN")) == "wrong PIN"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_explained_in_russian(qapp, code):
    i18n.install(qapp, "ru")
    try:
        error = LoyaltyError(code, "service text", tries_left=2)
        text = explain(error)
        assert text != "service text" and text != MESSAGES[code]
        assert "%n" not in text and "{" not in text and PLURAL_SEPARATOR not in text
    finally:
        i18n.install(qapp, "en")
