"""Every visible string has its Russian and Ukrainian translation, with the same
placeholders; the window really speaks them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cashier_app.ui import i18n
from cashier_app.ui.receipt_model import ReceiptModel

UI = Path(__file__).resolve().parents[2] / "cashier_app" / "ui"


def sources() -> set[str]:
    from cashier_app.ui.messages import MESSAGES

    found = set(ReceiptModel.HEADERS) | set(MESSAGES.values())
    for path in UI.rglob("*.py"):  # the dialogs/ package too
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_every_string_is_translated_with_the_same_placeholders(lang):
    table = i18n.load_table(lang)
    missing = sorted(sources() - set(table))
    assert not missing, f"{lang}: no translation for {missing}"
    wrong = [k for k, v in table.items() if i18n.placeholders(k) != i18n.placeholders(v)]
    assert not wrong, f"{lang}: placeholders differ in {wrong}"


def test_a_translation_with_other_placeholders_is_refused():
    t = i18n.JsonTranslator("ru", {"Receipt {number}": "Чек {nomer}", "Total": "Итого"})
    assert t.translate("CheckoutScreen", "Receipt {number}") is None  # falls back to English
    assert t.translate("CheckoutScreen", "Total") == "Итого"


def test_the_window_speaks_russian(qapp, open_window):
    i18n.install(qapp, "ru")
    try:
        window = open_window()
        assert window.checkout.cash_button.text() == "F9 Наличные"
        assert window.checkout.customer_name.text() == "Без клиента"
    finally:
        i18n.install(qapp, "en")


def test_refusals_are_explained_in_the_cashiers_language(qapp):
    from decimal import Decimal

    from cashier_app.engine.errors import LoyaltyError
    from cashier_app.ui.messages import explain

    error = LoyaltyError("redeem_above_max", "at most 430 points", max_redeem=Decimal("430"))
    assert explain(error) == "At most 430 points can be paid on this receipt."
    i18n.install(qapp, "ru")
    try:
        assert explain(error) == "Баллами можно оплатить не больше 430 в этом чеке."
        assert (
            explain(LoyaltyError("something_new", "as the service said")) == "as the service said"
        )
    finally:
        i18n.install(qapp, "en")
