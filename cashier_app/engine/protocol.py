"""The till-server protocol (docs/sync.md), declared once for both ends: the request and
answer bodies, the push statuses and refusal reasons, the snapshot's lines, and the limits
both sides hold a value to. The till's client reads the server's answers with these models
and the server writes them with the same ones, so the two cannot drift apart.

Pure: shapes and rules only; the HTTP and the database stay with each side.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cashier_app.engine.event_check import MAX_LABEL, MAX_PRODUCT_NAME, MAX_SKU

MAX_BATCH = 5000  # events in one push (a till sends 2,000 at a time)
MAX_PAGE = 5000  # changes in one page of a pull
MAX_PRODUCTS = 10000  # products in one catalogue upload
MAX_JSON_DEPTH = 32  # nesting of an event's payload or a program document; the tills' are < 8

# A user's name is the key of their change in the feed (64 characters), so the server
# takes names of at most 64 characters (a till alone takes 80).
MAX_USER_NAME = 64

# Stores (shops): a till belongs to the store named with its enrolment code, a member of
# staff to one store or to every store (ALL_STORES, as the API and the command line write
# it). A till receives the staff of its store and of every store.
DEFAULT_STORE = "main"
ALL_STORES = "*"
MAX_STORE_NAME = 40


class Role(StrEnum):
    """Who a member of staff is at the till: what each may do is service.users'."""

    CASHIER = "cashier"
    SENIOR_CASHIER = "senior_cashier"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)

PushStatus = Literal["accepted", "duplicate", "refused"]


class Refusal(StrEnum):
    """Why the server refused an event, as the start of a push result's ``reason``; the
    till's worker sorts refusals by it (an event out of line is sent again, a malformed
    one is set aside for a manager). Some carry a detail after a colon."""

    AFTER_GAP = "after_gap"  # an earlier event of the push is missing: send that first
    ID_REUSED = "id_reused"  # another till's event has this id
    SEQUENCE_REUSED = "sequence_reused"  # the server holds another event at this number
    GAP = "gap"  # "gap: expected N"
    INVALID_EVENT = "invalid_event"  # "invalid_event: <field>: <what is wrong>"
    BATCH_REFUSED = "batch_refused"  # "batch_refused: event <id> is refused: <its reason>"


def refusal(kind: Refusal, detail: str) -> str:
    return f"{kind}: {detail}"


QuarantineState = Literal["held", "released", "rejected"]
QuarantineDecision = Literal["release", "reject"]


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_problem(value: Any, where: str, depth: int = 0) -> str | None:
    """What the server's database cannot store in a JSON value, or None: nesting deeper
    than ``MAX_JSON_DEPTH``, a NUL character in a string or key (PostgreSQL's text holds
    none), or a lone surrogate (no UTF-8 encoding holds one). Iterative, so no depth sent
    can exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"{where}: NUL characters are not allowed"
            if _SURROGATE.search(item):  # "\udb40" alone: no UTF-8 can store it
                return f"{where}: a lone surrogate is not a character"
        elif isinstance(item, dict | list):
            if level >= MAX_JSON_DEPTH:
                return f"{where}: nested deeper than {MAX_JSON_DEPTH} levels"
            if isinstance(item, dict):
                stack += [(k, level) for k in item]
                stack += [(v, level + 1) for v in item.values()]
            else:
                stack += [(v, level + 1) for v in item]
    return None


class _Request(BaseModel):
    """A request body, as the server takes it: no unknown fields, and no NUL character or
    over-deep nesting anywhere in it (see ``json_problem``), which PostgreSQL would answer
    with an error."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _storable(self) -> Self:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, str | dict) and (problem := json_problem(value, name)):
                raise ValueError(problem)
        return self


class _Answer(BaseModel):
    """An answer, as the till reads it: fields a newer server adds are ignored."""

    model_config = ConfigDict(extra="ignore")


class Problem(BaseModel):
    """Every refusal's body (4xx and 5xx)."""

    code: str
    message: str


# -- a till's own routes ------------------------------------------------------------------
class EnrolRequest(_Request):
    code: str = Field(min_length=4, max_length=64)
    device_name: str = Field(min_length=1, max_length=80)


class Enrolment(_Answer):
    device_id: str = Field(min_length=8, max_length=36)
    token: str = Field(min_length=20, max_length=200)
    card_prefix: str = Field(pattern=r"^[0-9]{4}$")


class Event(_Request):
    id: str = Field(min_length=8, max_length=36, pattern=r"^[0-9a-fA-F-]+$")
    device_seq: int = Field(ge=1)
    kind: str = Field(min_length=1, max_length=24, pattern=r"^[a-z_]+$")
    at: datetime
    customer_id: str | None = Field(default=None, max_length=36)
    program_version: int | None = Field(default=None, ge=1)
    payload: dict[str, Any]

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # pydantic would read a number as seconds since 1970; a till writes ISO 8601 text
        if not isinstance(value, str | datetime):
            raise ValueError("a moment is ISO 8601 text with its UTC offset")
        return value


class PushRequest(_Request):
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        seen: set[str] = set()
        for event in self.events:
            if event.id in seen:
                raise ValueError(f"event {event.id} is in this push twice")
            seen.add(event.id)
        return self


class PushResult(_Answer):
    id: str
    status: PushStatus
    reason: str | None = None  # a refusal's, starting with a ``Refusal``


class PushAnswer(_Answer):
    results: list[PushResult]
    last_seq: int = Field(ge=0)


class Change(_Answer):
    cursor: int = Field(ge=1)
    kind: str = Field(max_length=16)
    key: str = Field(max_length=64)
    payload: dict[str, Any]


class PullAnswer(_Answer):
    changes: list[Change]
    cursor: int = Field(ge=0)
    more: bool


class ClockAnswer(_Answer):
    server_time: datetime
    skew_seconds: float


# -- the administrator's routes -------------------------------------------------------------
class CodeRequest(_Request):
    store: str = Field(default=DEFAULT_STORE, min_length=1, max_length=MAX_STORE_NAME)


class CodeAnswer(_Answer):
    code: str


class PrefixAnswer(_Answer):
    card_prefix: str


class ProgramAnswer(_Answer):
    version: int


class Product(_Request):
    sku: str = Field(min_length=1, max_length=MAX_SKU)
    barcode: str | None = Field(default=None, pattern=r"^[0-9A-Za-z\-]{4,32}$")
    name: str = Field(min_length=1, max_length=MAX_PRODUCT_NAME)
    price: str = Field(pattern=r"^\d{1,10}(\.\d{1,2})?$")
    category: str | None = Field(default=None, max_length=MAX_LABEL)
    brand: str | None = Field(default=None, max_length=MAX_LABEL)
    no_loyalty: bool = False


class Products(_Request):
    products: list[Product] = Field(min_length=1, max_length=MAX_PRODUCTS)


class CountAnswer(_Answer):
    count: int


class User(_Request):
    name: str = Field(min_length=1, max_length=MAX_USER_NAME)
    role: Role
    # Checked by the PIN rule (engine/pins.py) with the role, as on the till.
    pin: str | None = Field(default=None, max_length=64)
    active: bool = True
    # A store's name, or ALL_STORES; left out, the user keeps theirs (a new user's is
    # DEFAULT_STORE).
    store: str | None = Field(default=None, min_length=1, max_length=MAX_STORE_NAME)


class StaffChange(_Request):
    """A staff change an enrolled till sends for its store (PUT /v1/staff/{name}): who
    asks, with their PIN (the server checks it against its own staff list and that
    user's role), and what changes; a field left out stays as it is. A new user needs a
    role and a PIN."""

    acting_user: str = Field(min_length=1, max_length=MAX_USER_NAME)
    acting_pin: str = Field(min_length=1, max_length=64)
    role: Role | None = None
    pin: str | None = Field(default=None, max_length=64)
    active: bool | None = None


class StaffAnswer(_Answer):
    """A member of staff as the server now holds them (only the PIN's hash travels)."""

    name: str
    role: Role
    pin_hash: str
    active: bool


# -- the snapshot: a new till's first pull (GET /v1/snapshot?after=&limit=) ---------------
# Served in pages of customers in id order: ``after`` the last customer id the till stored
# ("" for the first page), at most ``limit`` of them (SNAPSHOT_PAGE by default, at most
# SNAPSHOT_PAGE_MAX). Each page is gzip-compressed JSON lines: a header object with
# SNAPSHOT_HEADER's keys (``cursor``: the feed cursor the page is consistent with;
# ``customers``: how many customer lines follow; ``last``: the last one's id, or null;
# ``more``: another page follows), then one array per record, its kind first. Only the
# first page has the program, products and users. Amounts are integers of hundredths;
# moments are UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``. A till skips kinds it does not know
# (a newer server's).
SNAPSHOT_FORMAT = 3
SNAPSHOT_HEADER = ("after", "cursor", "customers", "format", "last", "more")
SNAPSHOT_PAGE = 10_000
SNAPSHOT_PAGE_MAX = 50_000
SNAPSHOT_ID_MAX = 36  # characters of a customer id, the longest ``after`` there can be
SnapshotKind = Literal["program", "product", "user", "customer"]
SNAPSHOT_RECORD = ("kind", "key", "document")  # program (key: version), product, user
SNAPSHOT_CUSTOMER = (
    "kind",
    "id",
    "phone",
    "name",
    "birthday",
    "group",
    "registered_at",
    "cards",
    "account",  # SNAPSHOT_ACCOUNT, or null while the customer is not replayed yet
    "lots",  # each SNAPSHOT_LOT
)
SNAPSHOT_ACCOUNT = (
    "balance",
    "pending",
    "debt",
    "tier_basis",
    "last_purchase_at",
    "sales_count",
    "sales_net_total",
    "winback_stage",
    "birthday_year_done",
    "as_of",
)
SNAPSHOT_LOT = (
    "id",
    "kind",
    "points",
    "remaining",
    "credited_at",
    "available_at",
    "expires_at",
    "receipt",
    "origin_lot",
    "settled",
    "warned",
)
