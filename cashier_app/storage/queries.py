"""Query pieces SQLAlchemy Core cannot spell from the schema alone, so that no other module
writes raw SQL.

Money, points and quantities are stored as integers of hundredths (or thousandths) and
moments as UTC text (``storage.types``); only a select of the typed columns converts them
back. A raw ``text("SELECT ...")`` returns the stored integers, and a price of 250.00 reads
as 25000. So the full-text name indexes give rowids and rank only, and the rows themselves
are selected through their typed tables (``tests/test_no_raw_sql.py`` keeps it so).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    Subquery,
    Table,
    column,
    insert,
    literal_column,
    select,
)
from sqlalchemy import table as lightweight_table

from cashier_app.storage import schema as t

# The FTS5 index of each table's names (external content: the index rowid is the row's).
NAME_INDEXES = {t.customers.name: "customer_names", t.products.name: "product_names"}


def prefix_match(query: str) -> str | None:
    """An FTS5 query for what a cashier typed: every word, as a prefix; None without words.
    Each word is quoted, so no character typed can be taken for FTS5 syntax."""
    words = re.findall(r"\w+", query)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def rowid(table: Table) -> ColumnElement[int]:
    """The table's SQLite rowid (tables here have no INTEGER PRIMARY KEY to alias it)."""
    return literal_column(f"{table.name}.rowid", Integer)


def name_hits(table: Table, query: str) -> Subquery | None:
    """Rowids of ``table`` whose name matches ``query``, with their FTS5 rank (smaller is a
    better match); None when the query has no words."""
    match = prefix_match(query)
    if match is None:
        return None
    index = NAME_INDEXES[table.name]
    fts = lightweight_table(index, column("rowid", Integer), column("rank"))
    return (
        select(fts.c.rowid, fts.c.rank)
        .where(literal_column(index).op("MATCH")(match))
        .subquery(f"{index}_hits")
    )


def by_name(table: Table, query: str, *columns: Any) -> Select[Any] | None:
    """Rows of ``table`` (or the given columns of it) whose name matches ``query``, best
    match first, read through the table's typed columns. None when the query has no words;
    add ``.where()`` and ``.limit()`` as needed."""
    hits = name_hits(table, query)
    if hits is None:
        return None
    return (
        select(*(columns or (table,)))
        .join_from(table, hits, rowid(table) == hits.c.rowid)
        .order_by(hits.c.rank)
    )


def open_lots() -> ColumnElement[bool]:
    """Lots with points left. Spelt with the literal 0 (zero in any unit), which lets SQLite
    use the partial index ``ix_lots_open`` (a bound parameter would not)."""
    return t.lots.c.remaining > literal_column("0")


def compact_name_index(table: Table) -> Insert:
    """The FTS5 'optimize' command on ``table``'s name index: merges its segments into one,
    which drops the words of names that were changed or erased. Without it an erased name
    stays readable in the index's older segments until SQLite merges them on its own."""
    index = NAME_INDEXES[table.name]
    fts = lightweight_table(index, column(index))
    return insert(fts).values({index: "optimize"})
