"""What every part of the store shares: its refusal, a till as the store knows it, store
names, and how moments, JSON and sets of rows are written."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, Connection, Table, any_, bindparam, insert

from cashier_app.engine.protocol import ALL_STORES, DEFAULT_STORE, MAX_STORE_NAME

Clock = Callable[[], datetime]
# Changes for the tills (kind, key, payload), appended to the feed at the end of a job.
Feed = list[tuple[str, str, Mapping[str, Any]]]
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1 (NEL, …)


# Format characters (zero-width, direction marks, soft hyphen) and line separators: a
# name that looks like another store's must be that store.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def store_name(name: str) -> str:
    """A store's name as given, or a 422 refusal."""
    hidden = CONTROL_CHARACTERS.search(name) or any(
        unicodedata.category(c) in _INVISIBLE for c in name
    )
    name = " ".join(name.split())  # " Lenina 5" and "Lenina  5" are "Lenina 5"
    if hidden or not name or len(name) > MAX_STORE_NAME or name == ALL_STORES:
        raise ServerError(
            422,
            "invalid_store",
            f"a store's name is 1 to {MAX_STORE_NAME} characters, with no control or invisible "
            "characters "
            f"('{ALL_STORES}' means every store, for a user only)",
        )
    return name


class ServerError(Exception):
    """A request the server refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    card_prefix: str
    last_seq: int
    store: str = DEFAULT_STORE


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    import uuid6

    return str(uuid6.uuid7())


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_moment(value: str | datetime) -> datetime:
    """In UTC: a SQLite column keeps a moment's wall-clock time and drops its offset, so
    one pushed as 07:37+03:00 would read back three hours late."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return aware(moment).astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def dumps(value: Any) -> str:
    # orjson: the replay writes two JSON documents per customer per push, and the standard
    # library's encoder was a tenth of the server's CPU time.
    return orjson.dumps(value).decode()


def order_key(at: datetime, device_id: str, seq: int) -> str:
    """The replay order (event time, then device, then sequence) as a sortable string."""
    return f"{aware(at).astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}|{device_id}|{seq:015d}"


# The ``since`` of a replay with no new event, only time gone by: after every event's key,
# so the stored replay resumes and no event is read again.
TIME_ONLY = order_key(datetime.max.replace(tzinfo=UTC), "", 0)


def among(conn: Connection, column: Any, values: Iterable[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL as ``= ANY(array)``, one parameter whatever
    the count (an IN list of thousands of placeholders is parsed anew for every push)."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows; on PostgreSQL with COPY, several times faster than a batched
    INSERT (a push of thousands of events spent most of its time there)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
