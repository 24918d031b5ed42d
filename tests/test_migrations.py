"""Real Alembic migrations on a real SQLite file: empty, holding data, down and up again,
and the migrations agree with the declared schema."""

from __future__ import annotations

import json
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from cashier_app import service
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.storage import migrate
from cashier_app.storage import schema as t
from cashier_app.storage.db import Database
from tests.shop import samosale_program


def include_name(name, type_, parent_names):
    return not (type_ == "table" and name.startswith(("customer_names", "product_names")))


def test_upgrade_an_empty_database_then_downgrade_and_upgrade_again(tmp_path):
    db = Database(tmp_path / "ledger.sqlite3")
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert {"events", "outbox", "customers", "lots", "receipts", "accounts"} <= tables
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    db.close()


def test_upgrading_a_database_holding_data_keeps_every_row(tmp_path):
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    cid = service.register_customer(ledger, "+79001234567").customer.id
    service.record_sale(ledger, [LineInput("a", Decimal("1000.00"), Decimal("1"))], customer_id=cid)
    ledger.db.close()
    again = service.open_ledger(tmp_path)  # runs the upgrade on the existing file
    assert service.get_customer(again, cid).balance == Decimal("30")
    with again.db.read() as conn:
        assert conn.execute(
            select(t.events.c.kind).order_by(t.events.c.device_seq)
        ).scalars().all() == [
            "customer_registered",
            "sale",
        ]
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    again.db.close()


def test_the_migrations_match_the_declared_schema(tmp_path):
    db = Database(tmp_path / "ledger.sqlite3")
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, t.metadata)
    assert diff == []
    db.close()


def test_every_connection_is_durable_wal_with_foreign_keys(tmp_path):
    db = Database(tmp_path / "ledger.sqlite3")
    with db.engine.connect() as conn:
        pragma = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "synchronous", "foreign_keys")
        }
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
    db.close()


def test_a_ledger_at_0010_keeps_its_returns_under_the_new_names(tmp_path):
    """Migration 0011: the returns table's points_taken and points_returned become
    points_taken_back and points_given_back, with every return's values; the return
    event keeps its recorded names (they are the exchange format)."""
    ledger = service.open_ledger(tmp_path)
    service.install_program(ledger, samosale_program())
    cid = service.register_customer(ledger, "+79001234568").customer.id
    line = [LineInput("a", Decimal("1000.00"), Decimal("2"))]
    sale = service.record_sale(ledger, line, customer_id=cid, redeem=Decimal("0"))
    back = service.record_return(ledger, sale.number, [ReturnRequest("a", Decimal("1"))])
    assert back.points_taken_back > 0
    ledger.db.close()
    db = Database(tmp_path / "ledger.sqlite3")
    migrate.downgrade(db, "0010")
    with db.engine.connect() as conn:
        old = conn.exec_driver_sql(
            "SELECT id, points_taken, points_returned, refunded FROM returns"
        ).all()
    assert [r[0] for r in old] == [back.return_id]
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        new = conn.exec_driver_sql(
            "SELECT id, points_taken_back, points_given_back, refunded FROM returns"
        ).all()
        payload = conn.exec_driver_sql("SELECT payload FROM events WHERE kind = 'return'").scalar()
    assert new == old
    assert {"points_taken", "points_returned"} <= set(json.loads(payload))
    db.close()
    again = service.open_ledger(tmp_path)
    with again.db.read() as conn:
        row = conn.execute(select(t.returns)).one()
    assert (row.points_taken_back, row.points_given_back) == (
        back.points_taken_back,
        back.points_given_back,
    )
    again.db.close()
