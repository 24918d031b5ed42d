"""The scenario file of ``cashier-app simulate`` (docs/scenarios.md): parsed and checked
as a whole before anything runs, so a bad file changes nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError

from cashier_app.engine.errors import ProgramError
from cashier_app.engine.money import parse_amount, parse_quantity
from cashier_app.engine.program import Program, key_path, parse_program
from cashier_app.engine.receipt import RedeemRequest


class ScenarioError(Exception):
    """The scenario file itself is invalid (exit code 2)."""


def _amount(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return parse_amount(value)


def _signed(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return parse_amount(value, allow_negative=True)


def _quantity(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return parse_quantity(value)


def _redeem(value: object) -> RedeemRequest:
    if value == "max":
        return "max"
    return _amount(value)


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError('expected a time like "2026-01-10T10:00:00"')
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'{value!r} is not a time like "2026-01-10T10:00:00"') from None


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Signed = Annotated[Decimal, BeforeValidator(_signed)]
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
Moment = Annotated[datetime, BeforeValidator(_moment)]
Handle = Annotated[str, Field(min_length=1, max_length=64)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: Moment


class _Refusable(_Step):
    expect_error: str | None = None


class SaleLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: Handle
    price: Amount
    qty: Quantity
    category: str | None = None
    brand: str | None = None
    name: str | None = None
    no_loyalty: StrictBool = False


class ReturnLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: Handle | None = None
    line: Annotated[int, Field(ge=1)] | None = None  # 1-based, as printed on the receipt
    qty: Quantity


class Register(_Refusable):
    op: Literal["register"]
    customer: Handle
    phone: str
    name: str = ""
    birthday: date | None = None
    group: str | None = None
    consent: StrictBool = True
    referrer: str | None = None
    card: str | None = None


class Sale(_Refusable):
    op: Literal["sale"]
    customer: Handle | None = None
    receipt: Handle | None = None
    lines: tuple[SaleLine, ...] = Field(min_length=1)
    redeem: Annotated[RedeemRequest, BeforeValidator(_redeem)] = Decimal("0")
    payment: Literal["cash", "card", "other"] = "cash"


class Return(_Refusable):
    op: Literal["return"]
    receipt: Handle
    lines: tuple[ReturnLine, ...] = Field(min_length=1)


class Adjust(_Refusable):
    op: Literal["adjust"]
    customer: Handle
    points: Signed
    reason: str


class Advance(_Step):
    op: Literal["advance"]


class Expect(_Step):
    op: Literal["expect"]
    customer: Handle | None = None
    receipt: Handle | None = None
    balance: Signed | None = None
    pending: Amount | None = None
    tier: str | None = None
    tier_basis: Signed | None = None
    discount_percent: Amount | None = None
    messages: tuple[str, ...] | None = None
    total: Amount | None = None
    discount: Amount | None = None
    redeemed: Amount | None = None
    paid: Amount | None = None
    accrued: Amount | None = None


Step = Annotated[Register | Sale | Return | Adjust | Advance | Expect, Field(discriminator="op")]

CUSTOMER_FIELDS = ("balance", "pending", "tier", "tier_basis", "discount_percent", "messages")
RECEIPT_FIELDS = ("total", "discount", "redeemed", "paid", "accrued")


class _Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    program: dict[str, Any]
    steps: tuple[Step, ...]


class Scenario:
    def __init__(self, program: Program, document: dict[str, Any], steps: tuple[Step, ...]) -> None:
        self.program = program
        self.document = document
        self.steps = steps


def load_scenario(path: Path) -> Scenario:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path} is not valid JSON: {exc}") from None
    return parse_scenario(raw)


COMMENT = "comment"


def _without_comments(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The scenario less its ``"comment"`` strings (at the top and in each step: people
    document their scenarios, the run ignores them), and the comments that are not text."""
    problems = []

    def strip(obj: dict[str, Any], where: str) -> dict[str, Any]:
        if COMMENT not in obj:
            return obj
        if not isinstance(obj[COMMENT], str):
            problems.append(f"{where}{COMMENT}: a comment is a string")
        return {k: v for k, v in obj.items() if k != COMMENT}

    doc = strip(raw, "")
    steps = doc.get("steps")
    if isinstance(steps, list):
        doc = {
            **doc,
            "steps": [
                strip(step, f"steps[{i}].") if isinstance(step, dict) else step
                for i, step in enumerate(steps)
            ],
        }
    return doc, problems


def parse_scenario(raw: Any) -> Scenario:
    if not isinstance(raw, dict):
        raise ScenarioError('a scenario is a JSON object with "program" and "steps"')
    raw, problems = _without_comments(raw)
    try:
        doc = _Scenario.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = [
                p
                for p in err["loc"]
                if p not in ("register", "sale", "return", "adjust", "advance", "expect")
            ]
            msg = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
            problems.append(f"{key_path(loc)}: {msg.removeprefix('Value error, ')}")
        raise ScenarioError("invalid scenario: " + "; ".join(problems)) from None
    if problems:
        raise ScenarioError("invalid scenario: " + "; ".join(problems))
    try:
        program = parse_program(doc.program)
    except ProgramError as exc:
        raise ScenarioError(
            "invalid program: " + "; ".join(f"program.{p}: {m}" if p else m for p, m in exc.issues)
        ) from None
    tz: ZoneInfo = program.tz
    steps = []
    previous = None
    for i, step in enumerate(doc.steps):
        at = step.at if step.at.tzinfo else step.at.replace(tzinfo=tz)
        if previous is not None and at < previous:
            raise ScenarioError(f"steps[{i}].at: steps must not go back in time")
        previous = at
        if isinstance(step, Expect):
            if (step.customer is None) == (step.receipt is None):
                raise ScenarioError(f"steps[{i}]: an expect names either a customer or a receipt")
            fields = CUSTOMER_FIELDS if step.customer else RECEIPT_FIELDS
            given = step.model_fields_set - {"op", "at", "customer", "receipt"}
            wrong = sorted(given - set(fields))
            if wrong:
                what = "a customer" if step.customer else "a receipt"
                raise ScenarioError(f"steps[{i}]: {', '.join(wrong)} cannot be checked on {what}")
        if isinstance(step, Return):
            for j, line in enumerate(step.lines):
                if (line.sku is None) == (line.line is None):
                    raise ScenarioError(f"steps[{i}].lines[{j}]: give either sku or line")
        steps.append(step.model_copy(update={"at": at}))
    return Scenario(program, doc.program, tuple(steps))
