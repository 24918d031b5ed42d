"""Two stores, one ledger: registrations, sales and points travel between tills through a
real central server, exactly once, whatever the network does."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.sync import outbox, worker
from cashier_app.sync.client import SyncError
from central_server import schema as s

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("2"), category="coffee")]
BIG = [LineInput("tv", Decimal("10000.00"), Decimal("1"), category="tv")]


def sync(ledger):
    return worker.sync_once(ledger, worker.client_for(ledger))


def server_events(srv) -> int:
    with srv.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.events)).scalar_one()


def test_a_customer_from_store_a_is_found_and_spends_in_store_b(server, till):
    a, b = till(server, "A"), till(server, "B")
    anna = service.register_customer(a, "+79001234567", name="Анна")
    service.record_sale(a, BIG, customer_id=anna.customer.id)  # 100 welcome + 300
    assert sync(a).pushed == 2
    sync(b)
    found = service.find_by_phone(b, "8 900 123-45-67")
    assert found == anna.customer.id
    assert service.get_customer(b, found).balance == Decimal("400")
    sale = service.record_sale(b, LATTE, customer_id=found, redeem="max")
    assert sale.quote.redeemed == Decimal("150")
    sync(b)
    sync(a)
    for till_ledger in (a, b):
        assert service.get_customer(till_ledger, found).balance == Decimal(
            "267"
        )  # 400 - 150 + 5% of 350 (Silver)
    assert outbox.queued_count(a) == outbox.queued_count(b) == 0


def test_pushing_the_same_batch_twice_stores_it_once(sqlite_server, till):
    a = till(sqlite_server, "A")
    service.register_customer(a, "+79001234567")
    client = worker.client_for(a)
    batch = outbox.next_batch(a)
    first = client.push(batch)
    again = client.push(batch)  # the answer to the first was lost, say
    assert [r.status for r in first.results] == ["accepted"]
    assert [r.status for r in again.results] == ["duplicate"]
    assert server_events(sqlite_server) == 1


def test_a_gap_in_the_device_sequence_is_reported_not_papered_over(sqlite_server, till):
    a = till(sqlite_server, "A")
    for n in range(3):
        service.register_customer(a, f"+7900123456{n}")
    client = worker.client_for(a)
    batch = outbox.next_batch(a)
    answer = client.push([batch[0], batch[2]])
    assert [r.status for r in answer.results] == ["accepted", "refused"]
    assert answer.results[1].reason.startswith("gap")
    assert server_events(sqlite_server) == 1


def test_a_revoked_till_keeps_its_outbox(sqlite_server, till):
    a = till(sqlite_server, "A")
    service.register_customer(a, "+79001234567")
    with a.db.read() as conn:
        from cashier_app.storage import schema as t

        device_id = conn.execute(select(t.sync_state.c.device_id)).scalar_one()
    sqlite_server.store.revoke(device_id)
    with pytest.raises(SyncError) as err:
        sync(a)
    assert err.value.status == 403 and "revoked" in str(err.value)
    assert outbox.queued_count(a) == 1


def test_server_down_keeps_everything_queued(till, sqlite_server):
    a = till(sqlite_server, "A")
    service.register_customer(a, "+79001234567")
    sqlite_server.stop()
    with pytest.raises(SyncError) as err:
        sync(a)
    assert "cannot be reached" in str(err.value)
    assert outbox.queued_count(a) == 1
    assert worker.status(a).last_error is not None


def test_offline_double_spending_goes_negative_and_is_reported(server, till):
    a, b = till(server, "A"), till(server, "B")
    anna = service.register_customer(a, "+79001234567")
    service.record_sale(a, BIG, customer_id=anna.customer.id)
    sync(a)
    sync(b)
    # Both tills go offline and each spends the same 400 points.
    for ledger in (a, b):
        service.record_sale(
            ledger,
            [LineInput("tv", Decimal("2000.00"), Decimal("1"))],
            customer_id=anna.customer.id,
            redeem="400",
        )
    sync(a)
    sync(b)
    sync(a)
    report = server.store.reconciliation()
    overdrafts = [r for r in report if r["kind"] == "overdraft"]
    # B spent 400 when only the 80 points A earned on its own receipt were left: 320 of debt
    assert len(overdrafts) == 1 and Decimal(overdrafts[0]["points"]) == Decimal("320")
    balances = {service.get_customer(x, anna.customer.id).balance for x in (a, b)}
    assert len(balances) == 1  # both tills agree with the server
    (balance,) = balances
    assert balance < 0  # the later redemption drove it negative; later accruals pay it off


def test_the_same_phone_registered_at_two_offline_tills_becomes_one_customer(server, till):
    a, b = till(server, "A"), till(server, "B")
    first = service.register_customer(a, "+79001234567", name="Анна")
    second = service.register_customer(b, "8 900 123 45 67", name="Анна С.")
    service.record_sale(b, BIG, customer_id=second.customer.id)
    sync(b)
    sync(a)  # A's registration is the earlier one: it keeps the customer
    sync(b)
    for ledger in (a, b):
        found = service.find_by_phone(ledger, "+79001234567")
        assert found == first.customer.id
        view = service.get_customer(ledger, found)
        assert view.balance == Decimal("100") + Decimal("300")  # one welcome, B's sale moved over
    merges = [r for r in server.store.reconciliation() if r["kind"] == "merge"]
    assert merges == [{**merges[0], "customer_id": first.customer.id, "merged": second.customer.id}]


def test_a_malformed_server_answer_is_refused_and_nothing_is_marked_sent(
    till, sqlite_server, tmp_path
):
    import http.server
    import threading

    from cashier_app.storage import schema as t
    from tests.sync.conftest import free_port

    a = till(sqlite_server, "A")
    service.register_customer(a, "+79001234567")

    class Hostile(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = json.dumps(
                {
                    "results": [{"id": "not-ours", "status": "accepted"}],
                    "last_seq": 1,
                    "server_time": "2026-01-01T00:00:00+00:00",
                    "skew_seconds": 0,
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):  # quiet
            pass

    port = free_port()
    httpd = http.server.HTTPServer(("127.0.0.1", port), Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with a.db.write() as conn:
            conn.execute(t.sync_state.update().values(server_url=f"http://127.0.0.1:{port}"))
        with pytest.raises(SyncError, match="other events"):
            sync(a)
        assert outbox.queued_count(a) == 1
    finally:
        httpd.shutdown()


def test_enrolment_with_a_bad_code_is_refused(sqlite_server, tmp_path):
    ledger = service.open_ledger(tmp_path / "x")
    with pytest.raises(SyncError) as err:
        worker.enrol(ledger, sqlite_server.url, "NOPE-NOPE", "till")
    assert err.value.status == 403
    ledger.db.close()


def test_bad_requests_get_4xx_with_a_message(sqlite_server):
    import requests

    r = requests.post(sqlite_server.url + "/v1/events", json={"events": []}, timeout=10)
    assert r.status_code == 401 and r.json()["code"] == "no_token"
    r = requests.post(sqlite_server.url + "/v1/enrol", json={"code": 5}, timeout=10)
    assert r.status_code == 422
    r = requests.get(sqlite_server.url + "/openapi.json", timeout=10)
    assert r.status_code == 200 and "/v1/events" in r.json()["paths"]


def test_loyalty_errors_still_refuse_locally(till, sqlite_server):
    a = till(sqlite_server, "A")
    with pytest.raises(LoyaltyError):
        service.register_customer(a, "12")


def test_enrol_and_sync_from_the_command_line(sqlite_server, tmp_path, capsys):
    from cashier_app.cli import main

    data = str(tmp_path / "till")
    assert main(["--data-dir", data, "init"]) == 0
    assert main(["--data-dir", data, "register", "--phone", "+79001234567"]) == 0
    assert main(["--data-dir", data, "sync"]) == 2  # not enrolled yet
    code = sqlite_server.store.issue_code()
    assert main(["--data-dir", data, "enrol", sqlite_server.url, code, "--name", "Касса 1"]) == 0
    assert main(["--data-dir", data, "enrol", sqlite_server.url, code]) == 2  # a code works once
    capsys.readouterr()
    assert main(["--data-dir", data, "sync"]) == 0
    assert "pushed 1" in capsys.readouterr().out
    assert main(["--data-dir", data, "status"]) == 0
    assert "0 event(s) waiting to be sent" in capsys.readouterr().out


def test_an_offline_till_limits_redemption_per_customer_per_day(sqlite_server, tmp_path):
    from datetime import UTC, datetime, timedelta

    from cashier_app.sync import worker as w

    program = samosale_program_with(offline_redeem_limit="100", welcome={"points": "500"})
    sqlite_server.store.publish_program({**program, "version": 2})
    now = [datetime.now(UTC)]
    ledger = service.open_ledger(tmp_path / "t", clock=lambda: now[0])
    w.enrol(ledger, sqlite_server.url, sqlite_server.store.issue_code(), "T")
    sync(ledger)  # the program comes from the server
    anna = service.register_customer(ledger, "+79001234567")  # 500 welcome points
    now[0] += timedelta(minutes=5)  # no sync since: offline. At most 100 points a day here.
    line = [LineInput("a", Decimal("1000.00"), Decimal(1))]
    first = service.record_sale(ledger, line, customer_id=anna.customer.id, redeem="max")
    assert first.quote.redeemed == Decimal("100")
    with pytest.raises(LoyaltyError) as err:
        service.record_sale(ledger, line, customer_id=anna.customer.id, redeem=Decimal("1"))
    assert err.value.code == "redeem_above_max"
    sync(ledger)  # online again: only the cap and the balance count
    again = service.quote_sale(ledger, line, customer_id=anna.customer.id, redeem="max")
    assert again.max_redeem == Decimal("300")  # 30% of 1000; the balance is 400 + 27
    ledger.db.close()


def samosale_program_with(**bonus):
    from tests.shop import samosale_program

    return samosale_program(**bonus)


def test_two_stores_offline_then_reconnected_agree_with_the_server(server, till):
    a, b = till(server, "A"), till(server, "B")
    # Online: a regular customer earns points in store A; both stores know her.
    olga = service.register_customer(a, "+79005550001", name="Ольга")
    service.record_sale(a, BIG, customer_id=olga.customer.id)  # 100 + 300
    sync(a)
    sync(b)
    # The network goes down. Both stores keep selling.
    service.record_sale(b, LATTE, customer_id=olga.customer.id)
    for ledger in (a, b):  # each till spends Olga's 400 points
        service.record_sale(
            ledger,
            [LineInput("vase", Decimal("2000.00"), Decimal(1))],
            customer_id=olga.customer.id,
            redeem="400",
        )
    ivan_a = service.register_customer(
        a, "+79005550002", name="Иван"
    )  # the same new customer, twice
    ivan_b = service.register_customer(b, "8 900 555-00-02", name="Иван П.")
    service.record_sale(b, LATTE, customer_id=ivan_b.customer.id)
    # The network comes back.
    for ledger in (b, a, b, a):
        sync(ledger)
    # One Ivan, the earliest registration; Olga's balance the same everywhere.
    for cid in (olga.customer.id, ivan_a.customer.id):
        with server.store.engine.connect() as conn:
            snap = json.loads(
                conn.execute(
                    select(s.accounts.c.snapshot).where(s.accounts.c.customer_id == cid)
                ).scalar_one()
            )
        assert (
            service.get_customer(a, cid).balance
            == service.get_customer(b, cid).balance
            == Decimal(snap["balance"])
        )
    assert service.find_by_phone(b, "+79005550002") == ivan_a.customer.id
    with server.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.customers)).scalar_one() == 2
    report = server.store.reconciliation()
    kinds = sorted(r["kind"] for r in report)
    assert kinds == ["merge", "overdraft"]
    overdraft = next(r for r in report if r["kind"] == "overdraft")
    assert overdraft["customer_id"] == olga.customer.id and Decimal(overdraft["points"]) > 0
    assert service.get_customer(a, olga.customer.id).balance < 0  # paid off by her next purchases
    assert outbox.queued_count(a) == outbox.queued_count(b) == 0


def test_the_catalogue_and_the_staff_come_from_the_server(sqlite_server, till, tmp_path):
    import requests

    from cashier_app.service import catalogue, users
    from tests.sync.conftest import ADMIN

    auth = {"Authorization": f"Bearer {ADMIN}"}
    r = requests.put(sqlite_server.url + "/v1/admin/products", headers=auth, timeout=10, json={"products": [
        {"sku": "latte", "barcode": "4600000000015", "name": "Латте", "price": "250.00", "category": "coffee"},
        {"sku": "cigs", "name": "Сигареты", "price": "240.00", "category": "tobacco", "no_loyalty": True},
    ]})  # fmt: skip
    assert r.status_code == 200 and r.json() == {"count": 2}
    r = requests.put(sqlite_server.url + "/v1/admin/users", headers=auth, timeout=10,
                     json={"name": "Мария", "role": "manager", "pin": "654321"})  # fmt: skip
    assert r.status_code == 204
    bad = requests.put(
        sqlite_server.url + "/v1/admin/users",
        headers=auth,
        timeout=10,
        json={"name": "X", "role": "boss"},
    )
    assert bad.status_code == 422
    a = till(sqlite_server, "A")
    sync(a)
    assert catalogue.find_product(a, "4600000000015").price == Decimal("250.00")
    assert catalogue.find_product(a, "cigs").no_loyalty
    maria = users.login(a, "Мария", "654321")  # the PIN hash travelled, never the PIN
    assert maria.role.value == "manager"


def test_a_sale_recorded_during_the_sync_is_rebased_on_the_pulled_state(server, till):
    from cashier_app.sync.apply import apply_page

    a, b = till(server, "A"), till(server, "B")
    olga = service.register_customer(a, "+79005550009")
    service.record_sale(a, BIG, customer_id=olga.customer.id)  # 100 + 300
    sync(a)
    sync(b)
    service.record_sale(a, LATTE, customer_id=olga.customer.id, redeem="100")  # A: -100 +20
    sync(a)
    # B records a sale with points, then pulls before it has pushed (the sync thread was
    # between its push and its pull when the cashier paid).
    sale = service.record_sale(b, LATTE, customer_id=olga.customer.id, redeem="50")  # B: -50 +22
    client = worker.client_for(b)
    with b.db.read() as conn:
        from cashier_app.storage import schema as t

        cursor = conn.execute(select(t.sync_state.c.cursor)).scalar_one()
    page = client.pull(cursor)
    apply_page(b, page.changes, page.cursor)
    # The server's 320 (A's sale included) with B's own unsent sale on top, counted once.
    assert (
        service.get_customer(b, olga.customer.id).balance
        == Decimal("320") - Decimal("50") + sale.quote.accrued
    )
    sync(b)
    sync(a)
    assert (
        service.get_customer(a, olga.customer.id).balance
        == service.get_customer(b, olga.customer.id).balance
    )
    assert (
        service.get_customer(b, olga.customer.id).balance
        == Decimal("320") - Decimal("50") + sale.quote.accrued
    )
