"""A small shop built through the real service, whose every report figure the tests work out
by hand (Europe/Moscow, UTC+3 all year; the Samosale program: 3 % cashback from 0, 5 %
from 10,000, points expire after 60 days, staff get 10 % off and no points).

Two weeks are reported: 2026-W10 (Monday 2 March to Sunday 8 March) and 2026-W11 (9 to
15 March).

- Vera: registered 5 January, bought 1000.00 on 6 January (30 points); nothing since, so
  her 30 points expire on 7 March (W10).
- Boris: registered 1 February, bought 2000.00 on 10 February (60 points). On 3 March
  (W10) buys 200.00 + 100.00 and pays 60.00 of it with all his points: paid 240.00, accrues
  3 % of 240 = 7.2 -> 7. On 12 March (W11) returns the 100.00 line: 20 of the redeemed
  points come back (60 x 20/60), 3 accrued ones are taken back (7 x 80/240 = 2.33, up),
  80.00 refunded. A manager adds 50 points to him on 12 March.
- Anna: registered 20 February. Her first purchase ever is 1000.00 at 00:10 on Monday 2
  March (21:10 on 1 March in UTC): the first day of W10, in which she is new (30 points);
  500.00 on 5 March (15 points). In W11 she is loyal: 9800.00 on 10 March (3 %: her basis
  before it is 1500, so 294 points), and on 11 March she returns the whole 5 March receipt
  (500.00 off W11's revenue, 15 points taken back). A manager takes 20 points off her on
  13 March. Her tier basis ends at 1000 + 500 + 9800 - 500 = 10800: Silver.
- Gleb (staff group): 1000.00 with 10 % off on 4 March: 900.00, his first purchase (new).
- Receipts without a card: 150.00 at 23:30 on Sunday 8 March (20:30 UTC, W10) and 250.00
  at 00:30 on Monday 9 March (21:30 UTC on the 8th, W11).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.ledger import Ledger

MSK = ZoneInfo("Europe/Moscow")


def msk(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def goods(*prices: str) -> list[LineInput]:
    return [
        LineInput(f"sku{i}", Decimal(p), Decimal("1"), category="goods")
        for i, p in enumerate(prices)
    ]


def build_shop(ledger: Ledger) -> dict[str, str]:
    """The shop above; returns the customers' ids by name."""

    def register(phone: str, name: str, at: datetime, **extra: object) -> str:
        return service.register_customer(ledger, phone, name=name, at=at, **extra).customer.id  # type: ignore[arg-type]

    vera = register("+79160000001", "Vera", msk(1, 5), birthday=date(1980, 1, 9))
    service.record_sale(ledger, goods("1000.00"), customer_id=vera, number="V-1", at=msk(1, 6))
    boris = register("+79160000002", "Boris", msk(2, 1), birthday=date(1985, 3, 25))
    service.record_sale(ledger, goods("2000.00"), customer_id=boris, number="B-1", at=msk(2, 10))
    anna = register("+79160000003", "Anna", msk(2, 20), birthday=date(1990, 3, 16))
    gleb = register("+79160000004", "Gleb", msk(2, 21), group="staff")

    service.record_sale(
        ledger, goods("1000.00"), customer_id=anna, number="A-1", at=msk(3, 2, 0, 10)
    )
    service.record_sale(
        ledger,
        goods("200.00", "100.00"),
        customer_id=boris,
        number="B-2",
        redeem=Decimal("60"),
        at=msk(3, 3),
    )
    service.record_sale(ledger, goods("1000.00"), customer_id=gleb, number="G-1", at=msk(3, 4))
    service.record_sale(ledger, goods("500.00"), customer_id=anna, number="A-2", at=msk(3, 5))
    service.run_automations(ledger, until=msk(3, 7, 13))  # Vera's 30 points expire
    service.record_sale(ledger, goods("150.00"), number="N-1", at=msk(3, 8, 23, 30))
    service.record_sale(ledger, goods("250.00"), number="N-2", at=msk(3, 9, 0, 30))
    service.record_sale(ledger, goods("9800.00"), customer_id=anna, number="A-3", at=msk(3, 10))
    service.record_return(ledger, "A-2", [ReturnRequest("sku0", Decimal("1"))], at=msk(3, 11))
    service.record_return(ledger, "B-2", [ReturnRequest("sku1", Decimal("1"))], at=msk(3, 12))
    service.adjust_balance(ledger, boris, Decimal("50"), "apology for a queue", at=msk(3, 12, 13))
    service.adjust_balance(ledger, anna, Decimal("-20"), "double accrual", at=msk(3, 13))
    return {"vera": vera, "boris": boris, "anna": anna, "gleb": gleb}
