"""``cashier-app simulate``: run a scenario through the real service layer on a temporary
ledger and print one JSON object per line for every step and every automatic event."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from cashier_app import service
from cashier_app.engine.automation import AutoEvent
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.money import format_money, format_points
from cashier_app.engine.receipt import LineInput
from cashier_app.engine.returns import ReturnRequest
from cashier_app.scenario import (
    CUSTOMER_FIELDS,
    Adjust,
    Advance,
    Expect,
    Register,
    Return,
    Sale,
    Scenario,
    Step,
)
from cashier_app.service.history import get_receipt, messages_since
from cashier_app.service.ledger import Ledger
from cashier_app.service.results import CustomerView

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass
class Run:
    ledger: Ledger
    scenario: Scenario
    out: TextIO
    err: TextIO
    now: list[datetime]
    handles: dict[str, str] = field(default_factory=dict)  # handle -> customer id
    names: dict[str, str] = field(default_factory=dict)  # customer id -> handle
    seen_message: dict[str, int] = field(default_factory=dict)
    failures: int = 0

    def points(self, value: Decimal) -> str:
        return format_points(value, self.scenario.program.points_rounding)

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.scenario.program.tz).replace(tzinfo=None).isoformat()

    render: Callable[[dict[str, Any]], str] | None = None

    def emit(self, line: dict[str, Any]) -> None:
        text = self.render(line) if self.render else json.dumps(line, ensure_ascii=False)
        self.out.write(text + "\n")

    def fail(self, index: int, text: str) -> None:
        self.failures += 1
        self.err.write(f"step {index}: {text}\n")


def run_scenario(
    scenario: Scenario,
    out: TextIO | None = None,
    err: TextIO | None = None,
    render: Callable[[dict[str, Any]], str] | None = None,
) -> int:
    """Run every step; ``render`` turns output lines into text (default: JSON lines)."""
    out = out or sys.stdout
    err = err or sys.stderr
    with tempfile.TemporaryDirectory(prefix="cashier-simulate-") as tmp:
        now = [datetime.now(UTC)]
        ledger = service.open_ledger(Path(tmp), clock=lambda: now[0], device_name="Simulator")
        try:
            first = scenario.steps[0].at if scenario.steps else now[0]
            now[0] = first
            service.install_program(ledger, scenario.document, at=first)
            run = Run(ledger, scenario, out, err, now, render=render)
            for index, step in enumerate(scenario.steps):
                now[0] = step.at
                for auto in service.run_automations(ledger, step.at):
                    _emit_auto(run, auto)
                _run_step(run, index, step)
        finally:
            ledger.db.close()
    if run.failures:
        err.write(f"{run.failures} expectation(s) failed\n")
        return EXIT_FAILED
    return EXIT_OK


def _emit_auto(run: Run, auto: AutoEvent) -> None:
    run.emit(
        {
            "op": "auto",
            "kind": auto.kind,
            "at": run.local(auto.at),
            "customer": run.names.get(auto.customer, auto.customer),
            "points": run.points(auto.points),
        }
    )


def _customer_fields(run: Run, view: CustomerView | None) -> dict[str, Any]:
    if view is None:
        return {"tier": None, "balance": None, "pending": None}
    return {
        "tier": view.tier,
        "balance": run.points(view.balance),
        "pending": run.points(view.pending),
    }


def _run_step(run: Run, index: int, step: Step) -> None:
    head: dict[str, Any] = {"step": index, "op": step.op, "at": run.local(step.at)}
    if isinstance(step, Advance):
        run.emit(head)
        return
    if isinstance(step, Expect):
        _check(run, index, step, head)
        return
    action: Callable[[], tuple[dict[str, Any], tuple[AutoEvent, ...]]]
    if isinstance(step, Register):
        action = _register(run, step)
    elif isinstance(step, Sale):
        action = _sale(run, step)
    elif isinstance(step, Return):
        action = _return(run, step)
    else:
        action = _adjust(run, step)
    try:
        body, autos = action()
    except LoyaltyError as exc:
        run.emit({**head, "error": exc.code, "message": exc.message})
        if step.expect_error != exc.code:
            wanted = f"expected {step.expect_error}" if step.expect_error else "no error expected"
            run.fail(index, f"{step.op} refused with {exc.code} ({exc.message}); {wanted}")
        return
    run.emit({**head, **body})
    for auto in autos:
        _emit_auto(run, auto)
    if step.expect_error is not None:
        run.fail(index, f"{step.op} succeeded; expected error {step.expect_error}")


def _customer_id(run: Run, handle: str) -> str:
    if handle not in run.handles:
        raise LoyaltyError("unknown_customer", f"no customer {handle!r} was registered")
    return run.handles[handle]


def _register(
    run: Run, step: Register
) -> Callable[[], tuple[dict[str, Any], tuple[AutoEvent, ...]]]:
    def go() -> tuple[dict[str, Any], tuple[AutoEvent, ...]]:
        if step.customer in run.handles:
            raise LoyaltyError("duplicate_customer", f"handle {step.customer!r} is already used")
        reg = service.register_customer(
            run.ledger,
            step.phone,
            name=step.name,
            birthday=step.birthday,
            group=step.group,
            consent=step.consent,
            referrer=step.referrer,
            card=step.card,
            at=step.at,
        )
        run.handles[step.customer] = reg.customer.id
        run.names[reg.customer.id] = step.customer
        body = {
            "customer": step.customer,
            "phone": reg.customer.phone,
            "group": reg.customer.group_id,
            "card": reg.card,
            "welcome": run.points(reg.welcome_points),
            **_customer_fields(run, reg.customer),
        }
        return body, reg.automatic

    return go


def _sale(run: Run, step: Sale) -> Callable[[], tuple[dict[str, Any], tuple[AutoEvent, ...]]]:
    def go() -> tuple[dict[str, Any], tuple[AutoEvent, ...]]:
        customer = _customer_id(run, step.customer) if step.customer else None
        lines = [
            LineInput(
                sku=ln.sku,
                price=ln.price,
                qty=ln.qty,
                category=ln.category,
                brand=ln.brand,
                no_loyalty=ln.no_loyalty,
                name=ln.name,
            )
            for ln in step.lines
        ]
        sale = service.record_sale(
            run.ledger,
            lines,
            customer_id=customer,
            redeem="max" if step.redeem == "max" else Decimal(step.redeem),
            number=step.receipt,
            payment=step.payment,
            at=step.at,
        )
        q = sale.quote
        body = {
            "receipt": sale.number,
            "customer": step.customer,
            "total": format_money(q.total),
            "discount": format_money(q.discount),
            "redeemed": run.points(q.redeemed),
            "paid": format_money(q.paid),
            "accrued": run.points(q.accrued),
            "max_redeem": run.points(q.max_redeem),
            **_customer_fields(run, sale.customer),
        }
        return body, sale.automatic

    return go


def _return(run: Run, step: Return) -> Callable[[], tuple[dict[str, Any], tuple[AutoEvent, ...]]]:
    def go() -> tuple[dict[str, Any], tuple[AutoEvent, ...]]:
        items = [
            ReturnRequest(ln.sku, ln.qty, ln.line - 1 if ln.line is not None else None)
            for ln in step.lines
        ]
        ret = service.record_return(run.ledger, step.receipt, items, at=step.at)
        body = {
            "receipt": step.receipt,
            "refunded": format_money(ret.refunded),
            # The scenario output's names of these (docs/scenarios.md), written here
            # alone and read by slips.render alone: expected outputs are kept in them.
            "points_taken": run.points(ret.points_taken_back),
            "points_returned": run.points(ret.points_given_back),
            **_customer_fields(run, ret.customer),
        }
        return body, ret.automatic

    return go


def _adjust(run: Run, step: Adjust) -> Callable[[], tuple[dict[str, Any], tuple[AutoEvent, ...]]]:
    def go() -> tuple[dict[str, Any], tuple[AutoEvent, ...]]:
        res = service.adjust_balance(
            run.ledger, _customer_id(run, step.customer), step.points, step.reason, at=step.at
        )
        body = {
            "customer": step.customer,
            "points": run.points(res.points),
            **_customer_fields(run, res.customer),
        }
        return body, res.automatic

    return go


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Decimal):
        return actual is not None and Decimal(actual) == expected
    return bool(expected == actual)


def _check(run: Run, index: int, step: Expect, head: dict[str, Any]) -> None:
    wanted = {
        k: getattr(step, k) for k in step.model_fields_set - {"op", "at", "customer", "receipt"}
    }
    actual: dict[str, Any] = {}
    try:
        if step.customer is not None:
            cid = _customer_id(run, step.customer)
            view = service.get_customer(run.ledger, cid, at=step.at)
            msgs = messages_since(run.ledger, cid, run.seen_message.get(cid, 0))
            if msgs:
                run.seen_message[cid] = max(m.id for m in msgs)
            actual = {
                "balance": view.balance,
                "pending": view.pending,
                "tier": view.tier,
                "tier_basis": view.tier_basis,
                "discount_percent": view.discount_percent,
                "messages": tuple(m.kind for m in msgs),
            }
        else:
            assert step.receipt is not None
            r = get_receipt(run.ledger, step.receipt)
            actual = {
                "total": r.total,
                "discount": r.discount,
                "redeemed": r.redeemed,
                "paid": r.paid,
                "accrued": r.accrued,
            }
    except LoyaltyError as exc:
        run.emit({**head, "ok": False, "error": exc.code, "message": exc.message})
        run.fail(index, f"expect: {exc.message}")
        return
    differences = []
    for key, value in wanted.items():
        if not _same(value, actual.get(key)):
            differences.append(
                {
                    "field": key,
                    "expected": _show(run, key, value),
                    "actual": _show(run, key, actual.get(key)),
                }
            )
    subject = {"customer": step.customer} if step.customer else {"receipt": step.receipt}
    run.emit(
        {
            **head,
            **subject,
            "ok": not differences,
            **({"differences": differences} if differences else {}),
        }
    )
    name = step.customer or step.receipt
    for d in differences:
        run.fail(
            index, f"expect {name}: {d['field']} expected {d['expected']!r}, got {d['actual']!r}"
        )


def _show(run: Run, key: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        if key in ("balance", "pending", "redeemed", "accrued"):
            return run.points(value)
        return format_money(value)
    if isinstance(value, tuple):
        return list(value)
    return value


__all__ = ["CUSTOMER_FIELDS", "EXIT_FAILED", "EXIT_INVALID", "EXIT_OK", "run_scenario"]
