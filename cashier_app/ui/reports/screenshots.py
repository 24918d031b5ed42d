"""``python -m cashier_app.ui.reports.screenshots DIR``: every report with its chart, drawn
from a demo store with a few weeks of sales at two cashiers' shifts and some customers
who stopped coming months ago, for the README and for looking at what the reports show."""

from __future__ import annotations

import os
import random
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from cashier_app import service
from cashier_app.demo import DEMO_USERS, seed_demo
from cashier_app.paths import resource
from cashier_app.service import catalogue, users
from cashier_app.service.ledger import Ledger
from cashier_app.service.report_model import Grouping, Period
from cashier_app.service.reports import shift_report
from cashier_app.ui.app import make_app
from cashier_app.ui.reports.shift_dialog import ShiftReportDialog
from cashier_app.ui.reports.window import ReportsDialog
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.workstation import Workstation

WEEKS = 5


def _settle(app: QApplication, until: object = None, seconds: float = 8.0) -> None:
    import time as clock

    end = clock.monotonic() + seconds
    while clock.monotonic() < end:
        app.processEvents()
        if callable(until) and until():
            break
        clock.sleep(0.01)
    for _ in range(20):
        app.processEvents()


def seed_weeks(ledger: Ledger, seed: int = 11) -> str:
    """The demo store, then: customers who bought last spring and never again, and
    ``WEEKS`` weeks of days, each a shift of Анна or Ольга with 15 to 45 sales, more on
    Fridays and Saturdays. Gives the last shift's id."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    doc = resource("programs", "samosale_default.json").read_text(encoding="utf-8")
    import json

    service.install_program(ledger, json.loads(doc), at=now - timedelta(days=200))
    seed_demo(ledger, customers=120)
    products = catalogue.list_products(ledger)
    staff = {u.name: users.login(ledger, u.name, u.pin) for u in DEMO_USERS}
    regulars = [service.find_by_phone(ledger, f"+7916{n:07d}") for n in range(120)]
    for n in range(6):  # the shop's own staff buy at their discount
        regulars.append(
            service.register_customer(
                ledger, f"+7915{n:07d}", name=f"Сотрудник {n + 1}", consent=True,
                group="staff", at=now - timedelta(days=60),
            ).customer.id
        )  # fmt: skip
    for n in range(25):  # bought months ago and stopped coming
        at = now - timedelta(days=rng.randint(70, 180))
        reg = service.register_customer(
            ledger, f"+7917{n:07d}", name=f"Клиент {n + 1}", consent=True,
            at=at - timedelta(days=1),
        )  # fmt: skip
        lines = catalogue.product_lines([(rng.choice(products), Decimal(rng.randint(1, 3)))])
        service.record_sale(ledger, lines, customer_id=reg.customer.id, at=at)
    today = now.astimezone().date()
    for n in range(9):  # birthdays in the coming week
        born = today + timedelta(days=n % 7)
        service.register_customer(
            ledger, f"+7919{n:07d}", name=f"Именинник {n + 1}", consent=True,
            birthday=born.replace(year=1975 + 3 * n), at=now - timedelta(days=90),
        )  # fmt: skip
    last = ""
    newcomers = 0
    for back in range(WEEKS * 7, 0, -1):
        day = (now - timedelta(days=back)).astimezone().date()
        cashier = staff["Анна"] if back % 2 else staff["Ольга"]
        opened = datetime.combine(day, time(9)).astimezone()
        if users.current_shift(ledger, cashier) is not None:
            users.close_shift(ledger, actor=cashier, at=opened - timedelta(hours=1))
        last = users.open_shift(ledger, actor=cashier, at=opened).id
        busy = 1.6 if day.weekday() in (4, 5) else 1.0
        moment = opened
        for _ in range(int(rng.randint(15, 45) * busy)):
            moment += timedelta(minutes=rng.randint(3, 20))
            picked = rng.sample(products, rng.randint(1, 4))
            lines = catalogue.product_lines((p, Decimal(rng.randint(1, 3))) for p in picked)
            customer: str | None = None
            roll = rng.random()
            if roll < 0.08:
                newcomers += 1
                customer = service.register_customer(
                    ledger, f"+7918{newcomers:07d}", name=f"Новый клиент {newcomers}",
                    consent=True, at=moment - timedelta(minutes=1),
                ).customer.id  # fmt: skip
            elif roll < 0.7:
                customer = rng.choice(regulars)
            service.record_sale(
                ledger, lines, customer_id=customer, actor=cashier, at=moment,
                redeem="max" if customer and rng.random() < 0.15 else Decimal(0),
            )  # fmt: skip
        users.close_shift(ledger, actor=cashier, at=moment + timedelta(minutes=30))
    return last


def take(out: Path, lang: str = "en", only: tuple[str, ...] = ()) -> None:
    """Every report in English; in another language (files end in -ru, -uk) the reports
    named in ``only``, to see the store's number and date formats."""
    out.mkdir(parents=True, exist_ok=True)
    sfx = "" if lang == "en" else f"-{lang}"
    app = make_app(lang=lang)
    ledger = service.open_ledger(Path(tempfile.mkdtemp(prefix="cashier-reports-")))
    last_shift = seed_weeks(ledger)
    manager = next(u for u in DEMO_USERS if u.role.value == "manager")
    ws = Workstation(ledger, users.login(ledger, manager.name, manager.pin))
    tasks = TaskManager(app)
    today = datetime.now().astimezone().date()
    dialog = ReportsDialog(ws, tasks, today=today)
    dialog.resize(QSize(1366, 768))
    dialog.show()
    shots: dict[str, tuple[str, date, Grouping | None]] = {
        "sales": ("custom", today - timedelta(days=WEEKS * 7), "day"),
        "points": ("custom", today - timedelta(days=WEEKS * 7), "day"),
        "groups": ("month", today, None),
        "tiers": ("month", today, None),
        "shift": ("week", today - timedelta(days=7), None),
        "winback": ("day", today, None),
        "birthdays": ("day", today, None),
    }
    for key, (span, day, by) in shots.items():
        if only and key not in only:
            continue
        seen = dialog.loads
        dialog.choose(key)
        _settle(app, lambda seen=seen: dialog.loads > seen)
        seen = dialog.loads
        end = today if span == "custom" else None
        dialog.picker.choose(span, day, by, end=end)
        _settle(app, lambda seen=seen: dialog.loads > seen)
        dialog.grab().save(str(out / f"report_{key}{sfx}.png"))
        print(f"wrote {out / f'report_{key}{sfx}.png'}")
    dialog.close()
    ledger_, actor = ws.ledger, ws.actor
    period = Period(today, today)
    shift = ShiftReportDialog(ws, tasks, lambda: shift_report(ledger_, actor, period, last_shift))
    shift.show()
    _settle(app, lambda: shift.report is not None)
    shift.grab().save(str(out / f"report_shift_closed{sfx}.png"))
    print(f"wrote {out / f'report_shift_closed{sfx}.png'}")
    shift.close()
    tasks.shutdown()
    ledger.db.close()


if __name__ == "__main__":
    import sys

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    take(folder)
    take(folder, "ru", only=("sales", "points"))
