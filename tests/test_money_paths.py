"""Whichever way a product reaches the receipt, the ledger records its price as written.

A latte costs 250.00. Picked by name it once cost 25000.00: the name search read products
with raw SQL, which returns the stored integer of hundredths instead of the amount. Each
test here sells through one path and reads the recorded line back twice: through the typed
column (250.00) and as the integer SQLite holds (25000), so a conversion done twice, or
not at all, cannot hide behind the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from cashier_app import service
from cashier_app.cli import main
from cashier_app.engine.receipt import LineInput
from cashier_app.paths import resource
from cashier_app.service import catalogue
from cashier_app.service.ledger import Ledger
from cashier_app.service.results import SaleResult
from cashier_app.storage import schema as t
from cashier_app.sync import snapshot, worker
from tests.shop import samosale_program
from tests.sync.conftest import ADMIN, RunningServer

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

LATTE_BARCODE = "4600000000015"  # "Латте 0,4", 250.00 in resources/demo_catalogue.csv
LATTE = Decimal("250.00")


@dataclass(frozen=True)
class Recorded:
    """A receipt line as the ledger holds it: typed and raw."""

    price: Decimal
    amount: Decimal
    total: Decimal
    raw_price: int
    raw_amount: int
    raw_total: int


def recorded(ledger: Ledger, sale: SaleResult) -> Recorded:
    rl, r = t.receipt_lines.c, t.receipts.c
    with ledger.db.read() as conn:
        price, amount, total = conn.execute(
            select(rl.price, rl.amount, r.total)
            .join_from(t.receipt_lines, t.receipts, r.id == rl.receipt_id)
            .where(rl.receipt_id == sale.receipt_id)
        ).one()
        # The stored integers themselves (a test may read raw; the till may not).
        raw = conn.exec_driver_sql(
            "SELECT l.price, l.amount, r.total FROM receipt_lines l "
            "JOIN receipts r ON r.id = l.receipt_id WHERE l.receipt_id = ?",
            (sale.receipt_id,),
        ).one()
    return Recorded(price, amount, total, *raw)


def assert_charged(ledger: Ledger, sale: SaleResult, price: Decimal) -> None:
    line = recorded(ledger, sale)
    assert (line.price, line.amount, line.total) == (price, price, price)
    cents = int(price * 100)
    assert (line.raw_price, line.raw_amount, line.raw_total) == (cents, cents, cents)
    assert sale.quote.total == price


def sell(ledger: Ledger, product: catalogue.Product | None) -> SaleResult:
    assert product is not None
    return service.record_sale(ledger, catalogue.product_lines([(product, Decimal(1))]))


@pytest.fixture
def shop(ledger: Ledger) -> Ledger:
    report = catalogue.import_catalogue(ledger, resource("demo_catalogue.csv"))
    assert report.ok, report.problems
    return ledger


def test_latte_scanned_by_barcode_costs_250(shop):
    latte = catalogue.find_product(shop, LATTE_BARCODE)
    assert_charged(shop, sell(shop, latte), LATTE)


def test_latte_typed_by_sku_costs_250(shop):
    latte = catalogue.find_product(shop, "latte")
    assert_charged(shop, sell(shop, latte), LATTE)


def test_latte_picked_by_name_costs_250_not_25000(shop):
    found = catalogue.search_products(shop, "латте")
    assert [(p.sku, p.price) for p in found] == [("latte", LATTE)]
    assert found[0] == catalogue.find_product(shop, LATTE_BARCODE)  # the same, whole product
    assert_charged(shop, sell(shop, found[0]), LATTE)


def test_every_product_costs_the_same_by_name_as_by_barcode(shop):
    for product in catalogue.list_products(shop):
        by_name = catalogue.search_products(shop, product.name)
        assert product in by_name, product.name


def test_a_name_search_keeps_the_best_match_first_and_skips_inactive(shop):
    both = catalogue.search_products(shop, "0,4")  # "Латте 0,4" and "Американо 0,4"
    assert sorted((p.sku, p.price) for p in both) == [
        ("americano", Decimal("190.00")),
        ("latte", LATTE),
    ]
    assert catalogue.search_products(shop, "латте 0,4")[0].sku == "latte"
    with shop.db.write() as conn:
        conn.execute(t.products.update().where(t.products.c.sku == "latte").values(active=False))
    assert [p.sku for p in catalogue.search_products(shop, "0,4")] == ["americano"]
    assert catalogue.search_products(shop, "!!!") == []


def test_a_free_amount_of_250_costs_250(shop):  # F5
    line = LineInput("free:coffee", LATTE, Decimal(1), category="coffee", name="Кофе")
    assert_charged(shop, service.record_sale(shop, [line]), LATTE)


@pytest.mark.parametrize(
    "content",
    [
        'sku,barcode,name,price,category\nflat-white,4600000009999,Флэт уайт,250.00,coffee\nbun,,Булочка,"99,90",bakery\n',
        "Артикул;Штрихкод;Наименование;Цена;Категория\nflat-white;4600000009999;Флэт уайт;250.00;coffee\nbun;;Булочка;99,90;bakery\n",
    ],
    ids=["comma separated", "semicolons, decimal comma"],
)
def test_prices_imported_from_a_csv_are_charged_as_written(ledger, tmp_path, content):
    path = tmp_path / "goods.csv"
    path.write_text(content, encoding="utf-8")
    report = catalogue.import_catalogue(ledger, path)
    assert (report.ok, report.imported) == (True, 2), report.problems
    assert_charged(ledger, sell(ledger, catalogue.find_product(ledger, "4600000009999")), LATTE)
    (bun,) = catalogue.search_products(ledger, "булоч")
    assert_charged(ledger, sell(ledger, bun), Decimal("99.90"))


def test_products_find_latte_prints_250_not_25000(tmp_path, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = main(["--data-dir", str(tmp_path), *args])
        return code, capsys.readouterr().out

    assert run("init")[0] == 0
    assert run("products-import", str(resource("demo_catalogue.csv")))[0] == 0
    for query in ("латте", "latte", LATTE_BARCODE):
        code, out = run("products-find", query)
        assert code == 0
        (line,) = out.splitlines()
        assert line.split()[:3] == ["latte", LATTE_BARCODE, "250.00"], query
        assert "25000" not in out


# -- a product that came from the central server ---------------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A real central server on loopback (as in tests/sync) whose catalogue sells a latte
    at 250.00 and a bun at 99.90."""
    from central_server.db import make_engine, migrate
    from central_server.ledger import CentralLedger

    engine = make_engine(str(tmp_path / "central.sqlite3"))
    migrate(engine)
    store = CentralLedger(engine)
    store.publish_program(samosale_program())
    running = RunningServer(store).start()
    answer = requests.put(
        running.url + "/v1/admin/products",
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=10,
        json={
            "products": [
                {"sku": "latte", "barcode": LATTE_BARCODE, "name": "Латте 0,4", "price": "250.00",
                 "category": "coffee"},
                {"sku": "bun", "name": "Булочка", "price": "99.90", "category": "bakery"},
            ]
        },
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def new_till(tmp_path: Path, server: RunningServer) -> Iterator[Callable[[str], Ledger]]:
    opened: list[Ledger] = []

    def make(name: str) -> Ledger:
        ledger = service.open_ledger(tmp_path / name, device_name=name)
        service.install_program(ledger, samosale_program())
        worker.enrol(ledger, server.url, server.store.issue_code(), name)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.db.close()


def test_latte_from_the_servers_snapshot_costs_250(new_till, monkeypatch):
    loads = []
    load = snapshot.load_snapshot
    monkeypatch.setattr(snapshot, "load_snapshot", lambda *a, **k: loads.append(1) or load(*a, **k))
    till = new_till("B")
    worker.sync_once(till, worker.client_for(till))
    assert loads == [1]  # a fresh till's first pull is the snapshot
    assert_charged(till, sell(till, catalogue.find_product(till, LATTE_BARCODE)), LATTE)
    (latte,) = catalogue.search_products(till, "латте")
    assert_charged(till, sell(till, latte), LATTE)
    (bun,) = catalogue.search_products(till, "булочка")
    assert_charged(till, sell(till, bun), Decimal("99.90"))


def test_latte_from_the_servers_feed_costs_250(new_till, monkeypatch):
    monkeypatch.setattr(snapshot, "wants_snapshot", lambda ledger: False)
    till = new_till("C")
    worker.sync_once(till, worker.client_for(till))
    (latte,) = catalogue.search_products(till, "латте")
    assert_charged(till, sell(till, latte), LATTE)


def test_a_feed_price_that_is_not_decimal_text_is_refused(ledger):
    """Hundredths (25000) taken for units would charge a latte 25000.00: the feed's
    amounts are text, and a number is refused rather than guessed at."""
    from cashier_app.sync.apply import apply_page
    from cashier_app.sync.client import Change

    product = {"sku": "latte", "name": "Латте 0,4", "price": 25000}
    with pytest.raises(TypeError, match="decimal text"):
        apply_page(ledger, [Change(cursor=1, kind="product", key="latte", payload=product)], 1)
    assert catalogue.find_product(ledger, "latte") is None
