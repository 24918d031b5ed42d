"""No module of the till reads the ledger with raw SQL.

Amounts are stored as integers of hundredths and moments as UTC text; only the typed
columns of ``storage.schema`` convert them back (``storage.types``). A raw read skips that
conversion: a latte picked by name once cost 25000.00 instead of 250.00 because the name
search was ``text("SELECT p.* ...")``. So raw SQL in any form (``text()`` and
``literal_column()``, the driver's connection and cursors, ``exec_driver_sql``, the
``sqlite3`` module) is refused everywhere except the few modules below, which convert
through the one conversion or read no stored values at all.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import cashier_app

PACKAGE = Path(cashier_app.__file__).parent

# Module (or folder, ending in "/") -> why raw SQL there cannot read an amount or a moment.
ALLOWED = {
    "storage/backup.py": (
        "a backup is made with sqlite3's online backup API (pages copied, no row read) and "
        "set to one self-contained file with PRAGMA journal_mode; what a backup holds is "
        "read through the typed tables"
    ),
    "storage/db.py": (
        "the connection's PRAGMAs and BEGIN IMMEDIATE, on the driver's connection: "
        "statements that return no stored values"
    ),
    "storage/schema.py": (
        "text() in server defaults and partial-index predicates: table definitions, not reads"
    ),
    "storage/migrations/": (
        "the migrations' DDL: the FTS5 name indexes, their triggers and partial indexes; "
        "they read no rows"
    ),
    "storage/health.py": (
        "the ledger's health before it is opened: PRAGMA quick_check and integrity_check, "
        "and a probe of each table's first and last row whose values are not looked at"
    ),
    "storage/salvage.py": (
        "cashier-app salvage copies a damaged ledger's rows to CSV as they are stored "
        "(its documentation says so), row by row where the typed tables cannot read them"
    ),
    "storage/queries.py": (
        "the one home of hand-spelt SQL: the FTS5 MATCH gives rowids and rank only, the "
        "rows are selected through the typed tables; open_lots() compares with 0, which "
        "is zero in any unit"
    ),
    "storage/prepared.py": (
        "the sale's hot statements: Core statements of storage.schema compiled once, their "
        "values converted by each column's own bind conversion and every value read by its "
        "column's own result conversion (tests/test_prepared.py: the same values and types "
        "as SQLAlchemy's), run on the driver's connection"
    ),
    "storage/staged_pull.py": (
        "a first pull's staging file is a SQLite file of its own (not the ledger), written "
        "and read with the driver: its rows are stored already converted by the columns' "
        "own converters (storage.bulk), and it reaches the ledger by INSERT ... SELECT, "
        "row values copied as stored, never read into Python"
    ),
    "storage/bulk.py": (
        "a first pull's bulk load writes with the driver's executemany: amounts arrive "
        "as hundredths (converted once, on the server) and everything else goes through "
        "storage.types.bulk_converter, the converter SQLAlchemy itself uses; its only reads "
        "are of sqlite_master and PRAGMA cache_size"
    ),
}

# The SELECTs an allowed module may spell: the database's own catalogue and the
# migrations' immutable-ledger triggers, never a table of the ledger.
ALLOWED_SELECT = re.compile(
    r"SELECT\s+(RAISE\s*\(|(name,\s*)?sql\s+FROM\s+sqlite_master\b)", re.IGNORECASE
)
SQL_MODULES = {"sqlite3", "apsw", "pysqlite2"}
DRIVER_ATTRIBUTES = {"exec_driver_sql", "driver_connection", "dbapi_connection", "raw_connection"}
CURSOR_METHODS = {"cursor", "executemany", "executescript"}
RAW_CONSTRUCTS = {"text", "literal_column"}


def _string(node: ast.AST) -> str | None:
    """The text of a string literal, an f-string's literal parts or a concatenation."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_string(v) or "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def raw_sql_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) for every raw-SQL construct in a module's source."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    raw_names: set[str] = set()  # text, literal_column as imported here
    sqlalchemy_aliases = {"sqlalchemy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_MODULES:
                    found.append((node.lineno, f"import {alias.name}"))
                if alias.name == "sqlalchemy":
                    sqlalchemy_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in SQL_MODULES:
                found.append((node.lineno, f"from {node.module} import"))
            if node.module.startswith("sqlalchemy"):
                raw_names |= {a.asname or a.name for a in node.names if a.name in RAW_CONSTRUCTS}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in DRIVER_ATTRIBUTES:
            found.append((node.lineno, node.attr))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in raw_names:
            found.append((node.lineno, f"{func.id}()"))
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if (
                func.attr in RAW_CONSTRUCTS
                and isinstance(owner, ast.Name)
                and owner.id in sqlalchemy_aliases
            ):
                found.append((node.lineno, f"{owner.id}.{func.attr}()"))
            elif func.attr in CURSOR_METHODS:
                found.append((node.lineno, f".{func.attr}()"))
            elif func.attr == "execute" and node.args and _string(node.args[0]) is not None:
                # SQLAlchemy 2 refuses a plain string: this is a driver's cursor.
                found.append((node.lineno, ".execute(<SQL text>)"))
    return sorted(set(found))


def selects_outside_catalogue(source: str) -> list[tuple[int, str]]:
    """String literals (docstrings aside) that SELECT something other than what
    ALLOWED_SELECT permits."""
    tree = ast.parse(source)
    skip = set()  # docstrings, and the parts of f-strings (read whole)
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            skip |= {id(v) for v in node.values}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant | ast.JoinedStr):
            continue
        text = _string(node) or ""
        for match in re.finditer(r"\bSELECT\b", text, re.IGNORECASE):
            if not ALLOWED_SELECT.match(text, match.start()):
                out.append((node.lineno, text.strip()[:80]))
    return out


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def allowance(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE).as_posix()
    for key in ALLOWED:
        if rel == key or (key.endswith("/") and rel.startswith(key)):
            return key
    return None


def test_no_module_reads_the_ledger_with_raw_sql():
    offences = []
    for path in modules():
        if allowance(path) is None:
            rel = path.relative_to(PACKAGE).as_posix()
            offences += [
                f"cashier_app/{rel}:{line}: {what}"
                for line, what in raw_sql_uses(path.read_text("utf-8"))
            ]
    assert not offences, (
        "raw SQL outside the allowed modules; select through storage.schema's typed tables "
        "(storage.queries.by_name for a name search):\n" + "\n".join(offences)
    )


# Allowed modules whose raw SELECTs read table rows on purpose, and why no amount or moment
# is misread there.
READS_ROWS_AS_STORED = {
    "storage/health.py": "the probe reads each table's first and last row, never looks at them",
    "storage/salvage.py": "a damaged ledger's rows go to CSV as stored, and are said to be",
    "storage/staged_pull.py": (
        "the staging file's own text (its identity, the program, catalogue and staff as the "
        "server's JSON) and INSERT ... SELECT copies into the ledger: no amount or moment "
        "is read into Python"
    ),
}


def test_allowed_modules_select_nothing_but_the_database_catalogue():
    offences = []
    for path in modules():
        if allowance(path) is not None and allowance(path) not in READS_ROWS_AS_STORED:
            rel = path.relative_to(PACKAGE).as_posix()
            offences += [
                f"cashier_app/{rel}:{line}: {sql}"
                for line, sql in selects_outside_catalogue(path.read_text("utf-8"))
            ]
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("key", sorted(ALLOWED))
def test_every_allowance_is_still_needed(key):
    """An entry whose module no longer uses raw SQL comes off the list."""
    paths = [p for p in modules() if allowance(p) == key]
    assert paths, f"{key} does not exist"
    assert any(raw_sql_uses(p.read_text("utf-8")) for p in paths), f"{key} uses no raw SQL now"


THE_LATTE_BUG = """
from sqlalchemy import text

def search_products(ledger, query):
    with ledger.db.read() as conn:
        return conn.execute(
            text(
                "SELECT p.* FROM product_names n JOIN products p ON p.rowid = n.rowid "
                "WHERE product_names MATCH :m AND p.active ORDER BY rank LIMIT :lim"
            ),
            {"m": query, "lim": 50},
        ).all()
"""


@pytest.mark.parametrize(
    "source",
    [
        THE_LATTE_BUG,
        "import sqlalchemy as sa\nrows = conn.execute(sa.text('SELECT price FROM products'))\n",
        "from sqlalchemy import literal_column as lc\nq = select(lc('price'))\n",
        "rows = conn.exec_driver_sql('SELECT price FROM products').all()\n",
        "raw = conn.connection.driver_connection\nraw.execute('SELECT price FROM products')\n",
        "cur = raw.cursor()\n",
        "import sqlite3\nsqlite3.connect('ledger.sqlite3')\n",
        "raw.execute(f'SELECT {column} FROM receipt_lines')\n",
    ],
    ids=[
        "the latte bug",
        "sa.text",
        "literal_column alias",
        "exec_driver_sql",
        "driver_connection",
        "cursor",
        "sqlite3",
        "f-string",
    ],
)
def test_the_scan_catches_raw_reads(source):
    assert raw_sql_uses(source)


def test_the_scan_leaves_typed_selects_and_qt_text_alone():
    source = (
        "from sqlalchemy import select\n"
        "rows = conn.execute(select(t.products).where(t.products.c.active)).all()\n"
        "name = self.name.text().strip()\n"
    )
    assert raw_sql_uses(source) == []
    assert selects_outside_catalogue(THE_LATTE_BUG)
