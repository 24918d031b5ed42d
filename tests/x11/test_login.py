"""The login screen and the end of a shift, on tills of their own (fresh ledger, fresh
workstation settings): the user list starts on whoever last worked at this till, a scan at
the login screen costs no PIN tries, one Enter with a wrong PIN is one try, and "Close
shift and log out" gives the till to the next cashier instead of quitting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.x11.conftest import CASHIER, SENIOR, SENIOR_PIN, Till, poll

pytestmark = pytest.mark.x11

LATTE_BARCODE = "4600000000015"


def pin_tries(till: Till) -> dict[str, tuple[int, object]]:
    """Each user's wrong PIN count and lock, as the ledger has them."""
    return {name: (u.failed_pins, u.locked_until) for name, u in till.ledger.users().items()}


def test_the_login_list_starts_on_the_last_user_of_this_till(fresh_till: Callable[..., Till]):
    """Ольга (senior cashier: neither the administrator nor the first cashier) logs in,
    choosing her name. The till is started again: her PIN and Enter, nothing chosen, log
    her in, and her sale records her as the cashier."""
    till = fresh_till("us")
    till.start()
    till.login(SENIOR, SENIOR_PIN)
    olga = till.ledger.users()[SENIOR]
    till.stop()

    till.start()
    dialog = till.wait_window("dialog", timeout=30)
    till.activate(dialog.wid)
    till.type(SENIOR_PIN)
    till.key("Return")
    main = poll(lambda: [w for w in till.windows() if w.kind == "normal"], timeout=10)
    tries = pin_tries(till)
    assert main, (
        f"PIN {SENIOR_PIN} with the list as it started did not log in: the list did not start "
        f"on {SENIOR}, the last user of this till (wrong PINs: {tries})\n{till.output()}"
    )
    assert all(n == 0 for n, _ in tries.values()), tries
    till.activate(main[-1].wid)
    before = till.ledger.count_receipts()
    till.scan(LATTE_BARCODE)
    [receipt] = till.pay_cash(before)
    assert receipt.cashier_id == olga.id, f"the sale is not recorded as {SENIOR}'s"


@pytest.mark.parametrize(
    ("layout", "kind", "gap_ms"),
    [("us", "card", 10), ("ru", "qr", 10), ("ua", "qr", 50)],
)
def test_a_scan_at_the_login_screen_is_no_pin_try(
    fresh_till: Callable[..., Till], layout: str, kind: str, gap_ms: int
):
    """A card scanned while the login screen is up (its Enter included) counts as no wrong
    PIN and locks nobody; then one Enter after a wrong PIN counts exactly one try."""
    till = fresh_till(layout)
    till.start()
    dialog = till.wait_window("dialog", timeout=30)
    till.activate(dialog.wid)
    card = till.ledger.card_holders()[3].number
    till.scan(card if kind == "card" else f"LOYAL:{card}", gap_ms, settle=1.0)
    tries = pin_tries(till)
    assert all(n == 0 and lock is None for n, lock in tries.values()), (
        f"a {kind} scan at {gap_ms} ms/key under {layout} at the login screen counted as "
        f"wrong PINs: {tries}"
    )
    assert till.alive(), till.output()
    till.activate(till.wait_window("dialog", timeout=5).wid)
    till.type("9999")
    till.key("Return")
    poll(lambda: sum(n for n, _ in pin_tries(till).values()), timeout=5)
    time.sleep(0.7)  # a second try, if one Enter made two, lands by now
    tries = pin_tries(till)
    assert sum(n for n, _ in tries.values()) == 1, (
        f"one Enter after a wrong PIN under {layout} counted {tries}"
    )


@pytest.mark.parametrize(
    ("layout", "lang", "menu_key"),
    [("us", "en", "t"), ("ru", "ru", "r")],
    ids=["us-en", "ru-ru"],
)
def test_close_shift_and_log_out_returns_to_the_login_screen(
    fresh_till: Callable[..., Till], layout: str, lang: str, menu_key: str
):
    """Till menu (Alt + its underlined letter: T of "Till", К of "Касса"/"Каса", which is the
    R key under ЙЦУКЕН), "Close shift and log out": the shift is closed, the process goes
    on, and the login screen takes the next cashier."""
    till = fresh_till(layout, lang)
    till.start()
    till.login(CASHIER)
    anna = till.ledger.users()[CASHIER]
    till.key(f"Alt+{menu_key}", pause=0.4)
    till.key("Down", "Return", pause=0.3)
    closed = poll(lambda: [s for s in till.ledger.shifts(anna.id) if s.closed_at], timeout=5)
    assert closed, f"the menu under {layout}/{lang} did not close Анна's shift\n{till.output()}"
    # The closed shift's report comes first, its "Log out" the default button: Enter.
    report = poll(lambda: [w for w in till.dialogs() if w.title], timeout=8)
    assert report, f"no shift report after the shift closed: windows {till.windows()}"
    till.key("Return", pause=0.4)
    login = poll(
        lambda: (
            till.alive()
            and not [w for w in till.windows() if w.kind == "normal"]
            and till.dialogs()
        ),
        timeout=8,
    )
    assert till.alive(), (
        f"“Close shift and log out” quit the application (exit {till.proc and till.proc.poll()})"
        f"\n{till.output()}"
    )
    assert login, f"no login screen after the shift closed: windows {till.windows()}"
    till.login(CASHIER)
    shifts = till.ledger.shifts(anna.id)
    assert len(shifts) == 2 and shifts[-1].closed_at is None, shifts
