"""The product catalogue (F-53): import from CSV or Excel with a validation report, and
finding products by barcode, SKU or name for the receipt.

An import is checked as a whole first: with any bad row nothing is written unless the
manager asks to skip bad rows. Re-importing the same file changes nothing (rows are
upserted by SKU). Writes go in batches so the till stays responsive during a long import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import MAX_PRICE, parse_amount
from cashier_app.engine.receipt import LineInput
from cashier_app.service.ledger import Ledger
from cashier_app.service.users import OPERATOR, Actor, Permission
from cashier_app.storage import queries
from cashier_app.storage import schema as t

COLUMNS = ("sku", "barcode", "name", "price", "category", "brand", "no_loyalty")
REQUIRED = ("sku", "name", "price")
# Header words a shop's own export may use (English, Russian, Ukrainian).
ALIASES = {
    "артикул": "sku", "код": "sku", "штрихкод": "barcode", "штрих-код": "barcode",
    "штрихкод товару": "barcode", "ean": "barcode", "наименование": "name", "название": "name",
    "назва": "name", "товар": "name", "цена": "price", "ціна": "price", "категория": "category",
    "категорія": "category", "группа": "category", "бренд": "brand", "марка": "brand",
    "без лояльности": "no_loyalty", "без лояльності": "no_loyalty", "no loyalty": "no_loyalty",
}  # fmt: skip
TRUE = {"1", "yes", "true", "y", "да", "так", "+", "x"}
FALSE = {"", "0", "no", "false", "n", "нет", "ні", "-"}
BATCH = 1000
_BARCODE = re.compile(r"^[0-9A-Za-z\-]{4,32}$")


class Product(NamedTuple):
    """A catalogue product. A NamedTuple of plain values, so the garbage collector stops
    tracking the 100,000 of a large import (its pauses would otherwise stall the window)."""

    sku: str
    barcode: str | None
    name: str
    price: Decimal
    category: str | None
    brand: str | None
    no_loyalty: bool


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[int, int], None]  # (rows done, rows in all)


TableRow = tuple[str, ...]


def read_table(path: Path) -> list[TableRow]:
    """Rows of a CSV (comma, semicolon or tab; UTF-8 or Windows-1251) or XLSX file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                return [
                    tuple("" if v is None else _cell(v) for v in row)
                    for row in sheet.iter_rows(values_only=True)
                ]
            finally:
                book.close()
        raw = path.read_bytes()
    except OSError as exc:
        raise LoyaltyError(
            "unreadable_file", f"cannot read {path.name}: {exc.strerror or exc}"
        ) from None
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise LoyaltyError(
            "unreadable_file", f"{path.name} is not a readable Excel file: {exc}"
        ) from None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte string
        raise LoyaltyError("unreadable_file", f"{path.name}: unknown text encoding")
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # Tuples of strings, which the garbage collector untracks (see Product).
    return [tuple(row) for row in csv.reader(io.StringIO(content), delimiter=delimiter)]


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps barcodes and SKUs as numbers
    return str(value).strip()


def parse_rows(table: list[TableRow]) -> tuple[list[Product], list[RowProblem]]:
    if not table:
        return [], [RowProblem(1, "", "the file is empty")]
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowProblem(1, c, "column is missing") for c in missing]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = [RowProblem(1, h, "unknown column") for h in unknown]
    index = {c: header.index(c) for c in COLUMNS if c in header}
    products: list[Product] = []
    seen_sku: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    for number, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        bad = []
        sku, name = cell["sku"], " ".join(cell["name"].split())
        if not sku or len(sku) > 64:
            bad.append(RowProblem(number, "sku", "an SKU has 1 to 64 characters"))
        elif sku in seen_sku:
            bad.append(RowProblem(number, "sku", f"the same SKU as row {seen_sku[sku]}"))
        if not name or len(name) > 200:
            bad.append(RowProblem(number, "name", "a name has 1 to 200 characters"))
        try:
            price = parse_amount(
                cell["price"].replace(",", ".").replace(" ", "").replace("\u00a0", "")
            )
        except ValueError:
            bad.append(RowProblem(number, "price", f"{cell['price']!r} is not a price like 199.90"))
            price = Decimal(0)
        if price > MAX_PRICE:
            bad.append(RowProblem(number, "price", f"a price is at most {MAX_PRICE}"))
        barcode = cell.get("barcode") or None
        if barcode is not None:
            if not _BARCODE.match(barcode):
                bad.append(RowProblem(number, "barcode", f"{barcode!r} is not a barcode"))
            elif barcode in seen_barcode:
                bad.append(
                    RowProblem(
                        number, "barcode", f"the same barcode as row {seen_barcode[barcode]}"
                    )
                )
        flag = cell.get("no_loyalty", "").lower()
        if flag not in TRUE | FALSE:
            bad.append(RowProblem(number, "no_loyalty", f"{flag!r} is not yes/no"))
        if bad:
            problems += bad
            continue
        seen_sku[sku] = number
        if barcode:
            seen_barcode[barcode] = number
        category, brand = cell.get("category") or None, cell.get("brand") or None
        products.append(Product(sku, barcode, name, price, category, brand, flag in TRUE))
    return products, problems


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
    at = at or ledger.clock()
    table = read_table(path)
    products, problems = parse_rows(table)
    report = ImportReport(rows=max(0, len(table) - 1), problems=problems)
    if problems and not skip_invalid:
        return report
    total = len(products)
    for start in range(0, total, BATCH):
        batch = products[start : start + BATCH]
        with ledger.db.write() as conn:
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
