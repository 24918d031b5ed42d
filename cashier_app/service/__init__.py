"""The application service layer: every operation is one database transaction that checks
its input, writes the event with its outbox row and updates the projections, or refuses
with a stable error code and writes nothing. The UI and the CLI call only this."""

from cashier_app.service.adjustments import adjust_balance
from cashier_app.service.automations import run_automations
from cashier_app.service.customers import (
    find_by_card,
    find_by_phone,
    get_customer,
    identify,
    register_customer,
    search_customers,
)
from cashier_app.service.ledger import Ledger
from cashier_app.service.ledger_file import open_ledger
from cashier_app.service.programs import install_program
from cashier_app.service.returns import record_return
from cashier_app.service.sales import quote_sale, record_sale

__all__ = [
    "Ledger",
    "adjust_balance",
    "find_by_card",
    "find_by_phone",
    "get_customer",
    "identify",
    "install_program",
    "open_ledger",
    "quote_sale",
    "record_return",
    "record_sale",
    "register_customer",
    "run_automations",
    "search_customers",
]
