"""Readable text for the terminal: receipts and automatic events as a cashier would read
them (used by ``cashier-app demo`` and the operational commands)."""

from __future__ import annotations

from typing import Any

WIDTH = 44


def _row(left: str, right: str) -> str:
    return f"{left[: WIDTH - len(right) - 1]:<{WIDTH - len(right)}}{right}"


def render(line: dict[str, Any]) -> str:
    op = line.get("op")
    at = str(line.get("at", "")).replace("T", " ")
    if "error" in line and op != "expect":
        return f"{at}  REFUSED {op}: {line['message']} [{line['error']}]"
    if op == "register":
        return (
            f"{at}  New customer {line['customer']} ({line['phone']}), group {line['group']}, "
            f"card {line['card']}; welcome bonus {line['welcome']}, balance {line['balance']}"
        )
    if op == "sale":
        who = line.get("customer") or "anonymous"
        out = [
            "-" * WIDTH,
            _row(f"Receipt {line['receipt']}", at),
            _row("Customer", str(who)),
            _row("Total", line["total"]),
        ]
        if line["discount"] != "0.00":
            out.append(_row("Discount", "-" + line["discount"]))
        if line["redeemed"] not in ("0", "0.00"):
            out.append(_row("Paid with points", "-" + line["redeemed"]))
        out.append(_row("TO PAY", line["paid"]))
        if line.get("balance") is not None:
            out.append(_row("Points earned", line["accrued"]))
            out.append(_row(f"Balance (tier {line.get('tier') or '-'})", line["balance"]))
        out.append("-" * WIDTH)
        return "\n".join(out)
    if op == "return":
        # The scenario output's names (simulate.py): points taken back, given back.
        return (
            f"{at}  Return on {line['receipt']}: refunded {line['refunded']}, "
            f"points taken back {line['points_taken']}, points given back "
            f"{line['points_returned']}, balance {line['balance']}"
        )
    if op == "adjust":
        return (
            f"{at}  Adjustment {line['points']} for {line['customer']}, balance {line['balance']}"
        )
    if op == "auto":
        return f"{at}  [automatic] {line['kind']} for {line['customer']}: {line['points']} points"
    if op == "expect":
        verdict = "as expected" if line.get("ok") else f"DIFFERS: {line.get('differences')}"
        return f"{at}  Check {line.get('customer') or line.get('receipt')}: {verdict}"
    return f"{at}  {op}"
