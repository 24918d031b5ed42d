"""Someone guessing Иван's PIN from many windows at once (40 attempts together) gets no more
than the five tries a cashier at the keyboard gets; then even the right PIN waits out the
lock."""

from __future__ import annotations

import threading
from collections import Counter

from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import users
from cashier_app.service.users import OPERATOR, Role


def test_forty_wrong_pins_at_once_check_five_and_lock(ledger, clock, monkeypatch):
    admin = users.create_user(ledger, "Admin", Role.ADMINISTRATOR, "999999", actor=OPERATOR)
    users.create_user(ledger, "Иван", Role.CASHIER, "3333", actor=admin)
    checked = []
    real = users._hasher

    class CountingHasher:
        def verify(self, hashed, pin):
            checked.append(pin)
            return real.verify(hashed, pin)

    monkeypatch.setattr(users, "_hasher", CountingHasher())
    start = threading.Barrier(40)
    codes: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        try:
            users.login(ledger, "Иван", f"{1000 + n}")
            codes.append("logged_in")
        except LoyaltyError as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(checked) == 5
    assert Counter(codes) == {"wrong_pin": 4, "user_locked": 36}
    try:
        users.login(ledger, "Иван", "3333")
        raise AssertionError("the right PIN was let in while the user is locked")
    except LoyaltyError as exc:
        assert exc.code == "user_locked"
