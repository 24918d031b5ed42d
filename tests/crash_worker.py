"""Records sales as fast as it can and prints each receipt number once it is committed;
the crash test kills it with SIGKILL at a random moment."""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput


def main() -> None:
    folder, start = Path(sys.argv[1]), int(sys.argv[2])
    ledger = service.open_ledger(folder)
    rng = random.Random(start)
    customers = []
    for i in range(3):
        phone = f"+7900{start:03d}{i:04d}"
        try:
            customers.append(service.register_customer(ledger, phone).customer.id)
        except LoyaltyError:
            customers.append(service.find_by_phone(ledger, phone))
    n = 0
    while True:
        n += 1
        lines = [
            LineInput(f"sku{k}", Decimal(rng.randint(100, 99999)) / 100, Decimal(rng.randint(1, 3)))
            for k in range(rng.randint(1, 5))
        ]
        sale = service.record_sale(
            ledger, lines, customer_id=rng.choice(customers), redeem="max" if rng.random() < 0.3 else Decimal(0),
            number=f"c{start}-{n}",
        )  # fmt: skip
        if rng.random() < 0.1:
            from cashier_app.engine.returns import ReturnRequest

            service.record_return(
                ledger, sale.number, [ReturnRequest(None, sale.quote.lines[0].qty, 0)]
            )
        print(sale.number, flush=True)


if __name__ == "__main__":
    main()
