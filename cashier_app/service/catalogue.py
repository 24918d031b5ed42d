"""The product catalogue: import from CSV or Excel with a validation report, and
finding products by barcode, SKU or name for the receipt.

An import is checked as a whole first: with any bad row nothing is written unless the
manager asks to skip bad rows. Re-importing the same file changes nothing (rows are
upserted by SKU). Writes go in batches so the till stays responsive during a long import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cashier_app.engine.receipt import LineInput
from cashier_app.product_file import (
    Product,
    RowProblem,
    parse_rows,
    read_table,
)
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import queries
from cashier_app.storage import schema as t

BATCH = 1000


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[int, int], None]  # (rows done, rows in all)


def import_catalogue(
    ledger: Ledger,
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    actor: Actor = OPERATOR,
    at: datetime | None = None,
) -> ImportReport:
    """Check the whole file, then upsert its products in batches."""
    actor.require(Permission.IMPORT_CATALOGUE)
    table = read_table(path)
    products, problems = parse_rows(table)
    report = ImportReport(rows=max(0, len(table) - 1), problems=problems)
    if problems and not skip_invalid:
        return report
    total = len(products)
    for start in range(0, total, BATCH):
        batch = products[start : start + BATCH]
        with ledger.write(at) as (conn, at):  # the first batch's moment stamps the whole file
            upsert_products(conn, batch, at)
        report.imported += len(batch)
        if progress:
            progress(report.imported, total)
    with ledger.db.write() as conn:
        details = {"rows": report.rows, "imported": report.imported, "problems": len(problems)}
        ledger.audit(conn, "import_catalogue", path.name, actor.name, details)
    return report


def upsert_products(conn: Connection, batch: Iterable[Product], at: datetime) -> None:
    stmt = sqlite_insert(t.products)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.products.c.sku],
        set_={
            c: stmt.excluded[c]
            for c in ("barcode", "name", "price", "category", "brand", "no_loyalty", "updated_at")
        }
        | {"active": True},
    )
    rows = [{**p._asdict(), "updated_at": at} for p in batch]
    # A barcode moving from one SKU to another within the file: free it first.
    codes = [p.barcode for p in batch if p.barcode]
    skus = [p.sku for p in batch]
    conn.execute(
        t.products.update()
        .where(t.products.c.barcode.in_(codes), t.products.c.sku.not_in(skus))
        .values(barcode=None)
    )
    conn.execute(stmt, rows)


_BY_BARCODE = select(t.products).where(
    t.products.c.barcode == bindparam("code"), t.products.c.active
)
_BY_SKU = select(t.products).where(t.products.c.sku == bindparam("code"), t.products.c.active)


def _product(r: Row[Any]) -> Product:
    return Product(r.sku, r.barcode, r.name, r.price, r.category, r.brand, r.no_loyalty)


def find_product(ledger: Ledger, code: str) -> Product | None:
    """A product by its barcode (a scan) or its SKU (typed)."""
    code = code.strip()
    with ledger.db.read() as conn:
        row = (
            conn.execute(_BY_BARCODE, {"code": code}).first()
            or conn.execute(_BY_SKU, {"code": code}).first()
        )
    return _product(row) if row else None


def search_products(ledger: Ledger, query: str, limit: int = 50) -> list[Product]:
    """Active products whose name has every word typed as a prefix, best match first. The
    rows come through the typed columns: a price of 250.00 reads as 250.00, never 25000."""
    stmt = queries.by_name(t.products, query)
    if stmt is None:
        return []
    with ledger.db.read() as conn:
        rows = conn.execute(stmt.where(t.products.c.active).limit(limit)).all()
    return [_product(r) for r in rows]


def product_lines(products: Iterable[tuple[Product, Decimal]]) -> list[LineInput]:
    """Receipt lines for products and quantities (what the checkout screen adds)."""
    return [
        LineInput(
            p.sku,
            p.price,
            qty,
            category=p.category,
            brand=p.brand,
            no_loyalty=p.no_loyalty,
            name=p.name,
        )
        for p, qty in products
    ]


def list_products(ledger: Ledger, limit: int = 1000) -> list[Product]:
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.products).where(t.products.c.active).order_by(t.products.c.name).limit(limit)
        ).all()
    return [_product(r) for r in rows]


def categories(ledger: Ledger) -> list[str]:
    """The categories of the store's active products, for a free-amount line."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            select(t.products.c.category)
            .where(t.products.c.active, t.products.c.category.is_not(None))
            .distinct()
            .order_by(t.products.c.category)
        ).scalars()
        return [c for c in rows if c]
