"""The shop's own examples: programs and steps the tests are written in."""

from __future__ import annotations

import copy
from typing import Any

SAMOSALE: dict[str, Any] = {
    "version": 1,
    "currency": "RUB",
    "timezone": "Europe/Moscow",
    "default_region": "RU",
    "points_rounding": "unit",
    "bonus_value": "1",
    "groups": [
        {"id": "regular", "name": "Покупатели", "default": True, "loyalty": "bonus",
         "bonus_program": "cashback"},
        {"id": "staff", "name": "Сотрудники", "loyalty": "discount", "discount_program": "staff"},
        {"id": "vip", "name": "VIP", "loyalty": "both", "bonus_program": "cashback",
         "discount_program": "cumulative"},
        {"id": "sms", "name": "Только рассылки", "loyalty": "none"},
    ],
    "bonus_programs": [
        {
            "id": "cashback",
            "accrual": {"kind": "percent", "tiers": [
                {"from": "0", "percent": "3", "name": "Start"},
                {"from": "10000", "percent": "5", "name": "Silver"},
                {"from": "50000", "percent": "7", "name": "Gold"},
            ]},
            "tier_window_days": None,
            "accrue_when_redeeming": True,
            "max_redeem_percent": "30",
            "accrual_delay_days": 0,
            "expiry_days": 60,
            "categories": {"exclude": ["tobacco"]},
        }
    ],
    "discount_programs": [
        {"id": "staff", "kind": "fixed", "percent": "10"},
        {"id": "cumulative", "kind": "cumulative", "tiers": [
            {"from": "0", "percent": "0"}, {"from": "500", "percent": "3"},
            {"from": "3000", "percent": "5"}, {"from": "5000", "percent": "8"},
        ], "categories": {"only": ["clothes", "shoes"]}},
    ],
}  # fmt: skip


def samosale_program(**bonus: Any) -> dict[str, Any]:
    """The Samosale-like program, with bonus-program keys overridden (None removes a key)."""
    program = copy.deepcopy(SAMOSALE)
    for key, value in bonus.items():
        if value is None:
            program["bonus_programs"][0].pop(key, None)
        else:
            program["bonus_programs"][0][key] = value
    return program


def register(at: str, customer: str, phone: str, **extra: Any) -> dict[str, Any]:
    return {"at": at, "op": "register", "customer": customer, "phone": phone, **extra}


def line(
    sku: str, price: str, qty: str = "1", category: str = "goods", **extra: Any
) -> dict[str, Any]:
    return {"sku": sku, "price": price, "qty": qty, "category": category, **extra}


def sale(
    at: str, customer: str | None, receipt: str, *lines: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "at": at,
        "op": "sale",
        "receipt": receipt,
        "lines": list(lines),
        **extra,
    }
    if customer is not None:
        step["customer"] = customer
    return step


def ret(at: str, receipt: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"at": at, "op": "return", "receipt": receipt, "lines": list(lines), **extra}


def adjust(
    at: str, customer: str, points: str, reason: str = "correction", **extra: Any
) -> dict[str, Any]:
    return {
        "at": at,
        "op": "adjust",
        "customer": customer,
        "points": points,
        "reason": reason,
        **extra,
    }


def advance(at: str) -> dict[str, Any]:
    return {"at": at, "op": "advance"}


def expect(at: str, **fields: Any) -> dict[str, Any]:
    return {"at": at, "op": "expect", **fields}
