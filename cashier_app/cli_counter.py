"""``cashier-app``: the counter's commands: register and find customers, quote and record
sales and returns, adjust points, run the automatic events."""

from __future__ import annotations

import argparse
import contextlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cashier_app import service
from cashier_app.cli import (
    AddCommand,
    UsageError,
    acting,
    customer_arg,
    dated_arg,
    moment_arg,
    store_ledger,
)
from cashier_app.engine.money import format_money, parse_amount, parse_quantity
from cashier_app.engine.receipt import LineInput, ReceiptQuote, RedeemRequest
from cashier_app.engine.returns import ReturnRequest
from cashier_app.service.ledger import Ledger
from cashier_app.service.phones import mask_phone
from cashier_app.service.results import CustomerView
from cashier_app.service.users import Actor


def _kv(text: str, what: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise UsageError(f"{what} {text!r}: write key=value pairs separated by commas")
        out[key.strip()] = value.strip()
    return out


def _sale_line(text: str) -> LineInput:
    kv = _kv(text, "line")
    unknown = set(kv) - {"sku", "price", "qty", "category", "brand", "name", "no_loyalty"}
    if unknown or "sku" not in kv or "price" not in kv:
        raise UsageError(
            f"line {text!r}: give sku=...,price=...[,qty=...,category=...,brand=...,no_loyalty=1]"
        )
    try:
        return LineInput(
            sku=kv["sku"],
            price=parse_amount(kv["price"]),
            qty=parse_quantity(kv.get("qty", "1")),
            category=kv.get("category") or None,
            brand=kv.get("brand") or None,
            name=kv.get("name") or None,
            no_loyalty=kv.get("no_loyalty", "0").lower() in ("1", "yes", "true"),
        )
    except ValueError as exc:
        raise UsageError(f"line {text!r}: {exc}") from None


def _product_lines(ledger: Ledger, codes: list[str]) -> list[LineInput]:
    from cashier_app.service import catalogue

    picked = []
    for text in codes:
        code, _, qty = text.partition("*")
        product = catalogue.find_product(ledger, code)
        if product is None:
            raise UsageError(f"no product with barcode or SKU {code!r}")
        try:
            picked.append((product, parse_quantity(qty or "1")))
        except ValueError as exc:
            raise UsageError(f"--product {text!r}: {exc}") from None
    return catalogue.product_lines(picked)


def _pts(value: Decimal) -> str:
    return str(value.quantize(Decimal(1)) if value == value.to_integral_value() else value)


def _show_customer(view: CustomerView, full_phone: bool = False) -> None:
    phone = view.phone if full_phone else mask_phone(view.phone)
    print(f"{view.name or '(no name)'}  {phone}  card {', '.join(view.cards) or '-'}")
    print(f"  id {view.id}, group {view.group_name} ({view.loyalty})")
    print(f"  balance {_pts(view.balance)}, pending {_pts(view.pending)}", end="")
    print(f", tier {view.tier or '-'}", end="")
    if view.next_tier:
        print(f", {view.to_next_tier} more to reach {view.next_tier}", end="")
    if view.discount_percent:
        print(f", discount {view.discount_percent}%", end="")
    print()


def _print_quote(q: ReceiptQuote) -> None:
    for ln in q.lines:
        print(f"  {ln.sku:<20} {ln.qty:>8} x {ln.price:>10} = {ln.amount:>10}")
    print(f"  total {format_money(q.total)}, discount {format_money(q.discount)}, "
          f"points {q.redeemed} (at most {q.max_redeem}), to pay {format_money(q.paid)}, "
          f"points earned {q.accrued}")  # fmt: skip


def cmd_register(args: argparse.Namespace) -> int:
    birthday = None
    if args.birthday:
        try:
            birthday = date.fromisoformat(args.birthday)
        except ValueError:
            raise UsageError(f"birthday {args.birthday!r} is not a date like 1990-01-20") from None
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    reg = service.register_customer(
        ledger,
        args.phone,
        name=args.name or "",
        birthday=birthday,
        group=args.group,
        consent=args.consent,
        referrer=args.referrer,
        card=args.card,
        at=dated_arg(args, actor),
        actor=actor,
    )
    print(f"registered, card {reg.card}, welcome bonus {reg.welcome_points}")
    _show_customer(reg.customer)
    return 0


def cmd_find(args: argparse.Namespace) -> int:
    from cashier_app.service.users import Permission

    ledger = store_ledger(args)
    if args.full_phone:  # whole phone numbers are a manager's to see
        acting(args, ledger).require(Permission.SEE_FULL_PHONE)
    found = service.identify(ledger, args.query)
    views = (
        [service.get_customer(ledger, found)]
        if found
        else service.search_customers(ledger, args.query)
    )
    if not views:
        print("no customer found")
        return 1
    for view in views:
        _show_customer(view, full_phone=args.full_phone)
    return 0


def _redeem(text: str) -> RedeemRequest:
    if text == "max":
        return "max"
    try:
        return parse_amount(text)
    except ValueError:
        raise UsageError(f"--redeem {text!r}: give a number of points or 'max'") from None


def cmd_sale(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    lines = [_sale_line(x) for x in args.line] + _product_lines(ledger, args.product)
    if not lines:
        raise UsageError("give at least one --line or --product")
    customer = customer_arg(ledger, args.customer) if args.customer else None
    redeem = _redeem(args.redeem)
    if args.quote:
        _print_quote(service.quote_sale(ledger, lines, customer_id=customer, redeem=redeem,
                                        at=moment_arg(args.at)))  # fmt: skip
        return 0
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    with _shift(ledger, actor, at):
        sale = service.record_sale(
            ledger, lines, customer_id=customer, redeem=redeem, number=args.number,
            payment=args.payment, at=at, actor=actor,
        )  # fmt: skip
    print(f"receipt {sale.number} recorded")
    _print_quote(sale.quote)
    if sale.customer:
        _show_customer(sale.customer)
    return 0


@contextlib.contextmanager
def _shift(ledger: Ledger, actor: Actor, at: datetime | None) -> Any:
    """A sale belongs to its cashier's shift: the one open at the window, or else one
    opened for this command and closed after it (so no shift is left open by a script)."""
    from cashier_app.service import users

    if users.current_shift(ledger, actor) is not None:
        yield
        return
    users.open_shift(ledger, actor=actor, at=at)
    try:
        yield
    finally:
        users.close_shift(ledger, actor=actor, at=at)


def cmd_return(args: argparse.Namespace) -> int:
    items = []
    for text in args.line:
        kv = _kv(text, "line")
        try:
            qty = parse_quantity(kv.get("qty", "1"))
            line = int(kv["line"]) - 1 if "line" in kv else None
        except (ValueError, InvalidOperation):
            raise UsageError(f"line {text!r}: give sku=...[,qty=...] or line=N[,qty=...]") from None
        items.append(ReturnRequest(kv.get("sku"), qty, line))
    ledger = store_ledger(args)
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    res = service.record_return(ledger, args.receipt, items, at=at, actor=actor)
    print(f"returned on {res.receipt_number}: refund {res.refunded}, points taken back "
          f"{res.points_taken_back}, points given back {res.points_given_back}")  # fmt: skip
    if res.customer:
        _show_customer(res.customer)
    return 0


def cmd_adjust(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    try:
        points = parse_amount(args.points, allow_negative=True)
    except ValueError:
        raise UsageError(f"points {args.points!r}: give a number like 100 or -50") from None
    actor = acting(args, ledger)
    at = dated_arg(args, actor)
    customer = customer_arg(ledger, args.customer)
    res = service.adjust_balance(ledger, customer, points, args.reason, at=at, actor=actor)
    print(f"adjusted by {res.points}")
    _show_customer(res.customer)
    return 0


def cmd_automations(args: argparse.Namespace) -> int:
    ledger = store_ledger(args)
    until = moment_arg(args.until)
    acting(args, ledger)  # any user: the window runs them for whoever is logged in
    events = service.run_automations(ledger, until)
    for e in events:
        print(f"{e.at.isoformat()}  {e.kind}  customer {e.customer}  {e.points} points")
    print(f"{len(events)} automatic event(s)")
    return 0


def add_commands(add: AddCommand) -> None:
    p = add("register", cmd_register, "register a customer and issue a card")
    p.add_argument("--phone", required=True)
    p.add_argument("--name")
    p.add_argument("--birthday", help="YYYY-MM-DD")
    p.add_argument("--group")
    p.add_argument("--card", help="a pre-printed card number (default: issue one)")
    p.add_argument("--referrer", help="the referring customer's phone or card")
    p.add_argument("--consent", action="store_true", help="consent to the privacy policy given")
    p.add_argument("--at", help="when (default: now)")
    p = add("find", cmd_find, "find customers by phone, card, last 4 digits or name")
    p.add_argument("query")
    p.add_argument("--full-phone", action="store_true", help="show whole phone numbers")
    p = add("sale", cmd_sale, "quote or record a sale")
    p.add_argument(
        "--line",
        action="append",
        default=[],
        help="a free line: sku=...,price=...[,qty=...,category=...,brand=...,no_loyalty=1]",
    )
    p.add_argument(
        "--product", action="append", default=[], help="a catalogue product: BARCODE or SKU[*QTY]"
    )
    p.add_argument("--customer", help="phone, card or customer id")
    p.add_argument("--redeem", default="0", help="points to pay with, or 'max'")
    p.add_argument("--payment", default="cash", choices=["cash", "card", "other"])
    p.add_argument("--number", help="receipt number (default: next of this till)")
    p.add_argument("--quote", action="store_true", help="only compute, record nothing")
    p.add_argument("--at")
    p = add("return", cmd_return, "return lines of a receipt")
    p.add_argument("receipt")
    p.add_argument(
        "--line", action="append", required=True, help="sku=...[,qty=...] or line=N[,qty=...]"
    )
    p.add_argument("--at")
    p = add("adjust", cmd_adjust, "adjust a customer's points (manager), with a reason")
    p.add_argument("customer")
    p.add_argument("points")
    p.add_argument("--reason", required=True)
    p.add_argument("--at")
    p = add("automations", cmd_automations, "run expiry, birthdays, win-back up to a moment")
    p.add_argument("--until")
