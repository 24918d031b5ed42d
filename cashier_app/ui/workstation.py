"""The window's application service: the logged-in user at this till, and the service
calls the screens make, each passing that user (permissions are checked below, in the
service layer). No Qt here; screens call these through the TaskManager."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.program import Program
from cashier_app.engine.receipt import LineInput, ReceiptQuote, RedeemRequest
from cashier_app.engine.returns import ReturnRequest
from cashier_app.product_file import Product
from cashier_app.service import catalogue, programs, receipts, refused, users
from cashier_app.service.cards import QR_SCHEME, card_from_scan, is_valid_ean13
from cashier_app.service.catalogue import ImportReport, Progress
from cashier_app.service.history import CustomerHistory, customer_history
from cashier_app.service.ledger import Ledger
from cashier_app.service.phones import looks_like_phone, mask_phone
from cashier_app.service.receipts import ReturnableLine
from cashier_app.service.refused import RefusedOperation
from cashier_app.service.results import CustomerView, Registration, ReturnResult, SaleResult
from cashier_app.service.users import Actor, Permission
from cashier_app.sync import worker
from cashier_app.sync.outbox import queued_count, refused_count
from cashier_app.ui.keyboard import has_cyrillic, layout_back


def is_our_card(text: str) -> bool:
    """A loyalty card by its form: our QR payload, or an in-store EAN-13 (it starts with 2)."""
    number = card_from_scan(text)
    if number is None:
        return False
    return text.strip().upper().startswith(QR_SCHEME) or (
        is_valid_ean13(number) and number.startswith("2")
    )


# What a scanned or typed code is: a customer's phone or card, a product, both at once
# (a phone and someone else's card), a card nobody has yet, or nothing this till knows.
ScanKind = Literal["customer", "product", "ambiguous", "card", "unknown"]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scanned or typed code turned out to be."""

    kind: ScanKind
    customer: CustomerView | None = None
    product: Product | None = None
    code: str = ""
    candidates: tuple[CustomerView, ...] = ()  # "ambiguous": the phone's, then the card's


class Workstation:
    def __init__(self, ledger: Ledger, actor: Actor) -> None:
        self.ledger = ledger
        self.actor = actor
        self._program: Program | None = None

    def can(self, permission: Permission) -> bool:
        return self.actor.can(permission)

    @property
    def program(self) -> Program:
        """The program in force as last read, so a dialog builds its form (groups, region,
        time zone) without a query of its own. Login reads it off the GUI thread, and the
        window again when sync brings news (a new version comes that way); the first use
        reads it only where login did not run (the benchmark, a test)."""
        if self._program is None:
            return self.read_program()
        return self._program

    def read_program(self) -> Program:
        self._program = programs.program_in_force(self.ledger)
        return self._program

    def show_phone(self, view: CustomerView) -> str:
        return view.phone if self.can(Permission.SEE_FULL_PHONE) else mask_phone(view.phone)

    # -- identification ----------------------------------------------------------------------
    def identify(self, code: str) -> ScanResult:
        """A card, a product barcode or SKU, or a phone; a code typed or scanned in the wrong
        keyboard layout (``ДЩНФДЖ2000…``) is read back as the Latin one."""
        raw = code.strip()
        candidates = [raw]
        if has_cyrillic(raw):
            candidates.append(layout_back(raw))
        for text in candidates:
            card_owner = None
            if card_from_scan(text) is not None:
                card_owner = service.find_by_card(self.ledger, text)
            phone_owner = None
            if looks_like_phone(text):
                try:
                    phone_owner = service.find_by_phone(self.ledger, text)
                except LoyaltyError:
                    phone_owner = None
            if card_owner and phone_owner and card_owner != phone_owner:
                # A bare number that is one customer's phone and another's pre-printed
                # card: the cashier chooses, nobody is picked silently.
                both = (self.customer(phone_owner), self.customer(card_owner))
                return ScanResult("ambiguous", code=text, candidates=both)
            product = catalogue.find_product(self.ledger, text) if text else None
            qr = text.upper().startswith(QR_SCHEME)
            if card_owner is not None and (product is None or qr):
                return ScanResult("customer", customer=self.customer(card_owner), code=text)
            if product is not None:
                # The catalogue's barcode wins over a bare number somebody holds as a card
                # (registered before such cards were refused): the line is not lost.
                return ScanResult("product", product=product, code=text)
            if phone_owner is not None:
                return ScanResult("customer", customer=self.customer(phone_owner), code=text)
        for text in candidates:
            if is_our_card(text):
                return ScanResult("card", code=card_from_scan(text) or text)
        return ScanResult("unknown", code=raw)

    def customer(self, customer_id: str) -> CustomerView:
        return service.get_customer(self.ledger, customer_id)

    def history(self, customer_id: str) -> CustomerHistory:
        return customer_history(self.ledger, customer_id)

    def search_customers(self, query: str) -> list[CustomerView]:
        return service.search_customers(self.ledger, query)

    def search_products(self, query: str) -> list[Product]:
        return catalogue.search_products(self.ledger, query)

    def categories(self) -> list[str]:
        return catalogue.categories(self.ledger)

    def register(
        self,
        phone: str,
        name: str,
        birthday: date | None,
        consent: bool,
        referrer: str | None,
        group: str | None = None,
        card: str | None = None,
    ) -> Registration:
        return service.register_customer(
            self.ledger, phone, name=name, birthday=birthday, consent=consent,
            referrer=referrer or None, group=group, card=card or None, actor=self.actor,
        )  # fmt: skip

    # -- the receipt -------------------------------------------------------------------------
    def quote(
        self, lines: Sequence[LineInput], customer_id: str | None, redeem: RedeemRequest
    ) -> ReceiptQuote:
        return service.quote_sale(self.ledger, lines, customer_id=customer_id, redeem=redeem)

    def pay(
        self,
        lines: Sequence[LineInput],
        customer_id: str | None,
        redeem: RedeemRequest,
        payment: str,
    ) -> SaleResult:
        return service.record_sale(
            self.ledger,
            lines,
            customer_id=customer_id,
            redeem=redeem,
            payment=payment,
            actor=self.actor,
        )

    def record_return(self, receipt_number: str, items: Sequence[ReturnRequest]) -> ReturnResult:
        return service.record_return(self.ledger, receipt_number, items, actor=self.actor)

    def returnable_lines(self, receipt_number: str) -> list[ReturnableLine]:
        return receipts.returnable_lines(self.ledger, receipt_number)

    def import_catalogue(self, path: Path, skip_invalid: bool, progress: Progress) -> ImportReport:
        return catalogue.import_catalogue(
            self.ledger, path, skip_invalid=skip_invalid, progress=progress, actor=self.actor
        )

    def enrol(self, server_url: str, code: str, device_name: str) -> str:
        return worker.enrol(self.ledger, server_url, code, device_name, actor=self.actor)

    # -- till --------------------------------------------------------------------------------
    def begin(self) -> None:
        """The user's start at the till: their shift open, the program read for the forms."""
        self.ensure_shift()
        self.read_program()

    def ensure_shift(self) -> None:
        if self.actor.id is not None and users.current_shift(self.ledger, self.actor) is None:
            users.open_shift(self.ledger, actor=self.actor)

    def close_shift(self) -> users.Shift:
        return users.close_shift(self.ledger, actor=self.actor)

    def queued(self) -> int:
        return queued_count(self.ledger)

    def refused_waiting(self) -> int:
        """Operations the server refused and no manager has reviewed (0 for a cashier, who
        may not see the list)."""
        if not self.can(Permission.REVIEW_REFUSED_EVENTS):
            return 0
        return refused_count(self.ledger)

    def refused_operations(self, include_reviewed: bool = False) -> list[RefusedOperation]:
        return refused.refused_operations(
            self.ledger, include_reviewed=include_reviewed, actor=self.actor
        )

    def send_again(self, event_id: str) -> None:
        refused.send_again(self.ledger, event_id, actor=self.actor)

    def mark_reviewed(self, event_id: str) -> None:
        refused.mark_reviewed(self.ledger, event_id, actor=self.actor)
