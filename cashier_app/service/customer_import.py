"""Customers brought over from the system the shop is leaving: their file read (CSV or
XLSX, through the catalogue's bounded reader), its columns matched to ours, and every row
checked before anything is written, with a report the manager can save.

A phone already in the base is "unchanged", not a problem: that is what makes importing
the same file twice change nothing. The import itself is customer_import_write.py.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, NamedTuple

from sqlalchemy import Column, Connection, select

from cashier_app.engine.calendar import local_date
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.event_check import MAX_NAME
from cashier_app.engine.money import (
    MAX_PRICE,
    ZERO,
    PointsRounding,
    format_points,
    is_on_step,
    parse_amount,
)
from cashier_app.engine.plausibility import ADJUSTMENT_REVIEW_MONEY
from cashier_app.engine.program import Group, Program
from cashier_app.product_file import FALSE, TRUE, TableRow, read_table
from cashier_app.service.cards import is_valid_ean13
from cashier_app.service.customer_import_columns import FIELDS as FIELDS
from cashier_app.service.customer_import_columns import ColumnMap as ColumnMap
from cashier_app.service.customer_import_columns import guess_mapping as guess_mapping
from cashier_app.service.customer_import_columns import left_out
from cashier_app.service.ledger import Ledger, check_moment
from cashier_app.service.output_files import check_output, spreadsheet_text, write_whole
from cashier_app.service.phones import normalise_phone
from cashier_app.service.users import Actor, Permission
from cashier_app.storage import schema as t

PREVIEW_ROWS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial day 1 is 1900-01-01 after Excel's leap-year bug
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S")
_CHUNK = 500  # values in one IN (...) against the base: well below SQLite's limit

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True)
class CustomerFile:
    """A file as read: its header and its data rows (the header is the spreadsheet's row
    1, so data row i is row i + 2)."""

    path: Path
    headers: tuple[str, ...]
    rows: list[TableRow]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def preview(self) -> list[TableRow]:
        return self.rows[:PREVIEW_ROWS]


class ImportRow(NamedTuple):
    """A row that will become a customer. The report keeps these as plain tuples of the
    same fields (``Row``): the garbage collector stops tracking a plain tuple of plain
    values but never a NamedTuple, and its full collections over 100,000 of them held the
    interpreter, and so the window, for 100 ms and more (bench/import_bench.py)."""

    row: int
    phone: str  # E.164
    name: str
    birthday: date | None
    group: str  # the program's group id
    balance: Decimal
    card: str | None
    consent: bool


@dataclass(frozen=True, slots=True)
class Problem:
    row: int  # as the spreadsheet numbers it
    column: str  # the file's header of the column
    problem: str  # a stable code: bad_phone, duplicate_phone, bad_date, unknown_group, ...
    message: str


Row = tuple[int, str, str, date | None, str, Decimal, str | None, bool]  # ImportRow's fields
_ROW: Final = 0
_PHONE: Final = 1
_BALANCE: Final = 5
_CARD: Final = 6


@dataclass
class ValidationReport:
    file_name: str
    program_version: int  # the check holds for this version of the program
    mapping: ColumnMap
    rows: int = 0  # data rows that are not empty
    to_import: list[Row] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # rows whose phone is in the base
    problems: list[Problem] = field(default_factory=list)
    # The points the rows in ``unchanged`` carried, which are not brought over: the saved
    # report names them, so the shop sees what stayed behind (row -> points, when not 0).
    unchanged_balances: dict[int, Decimal] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # the file's columns not imported
    phone_column: str = ""  # the file's header of the phone column
    points_rounding: PointsRounding = "unit"  # the program's, to show points as it counts

    @property
    def valid(self) -> list[ImportRow]:
        return [ImportRow._make(r) for r in self.to_import]

    @property
    def importable(self) -> int:
        return len(self.to_import)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def balances(self) -> Decimal:
        return sum((r[_BALANCE] for r in self.to_import), ZERO)


def read_customer_file(path: Path) -> CustomerFile:
    """The file's rows: CSV with a comma or semicolon in UTF-8 (with or without its mark)
    or Windows-1251, or an XLSX's first sheet, within the catalogue reader's bounds."""
    try:
        table = read_table(path)
    except LoyaltyError as exc:
        if exc.code != "catalogue_too_large":
            raise
        raise LoyaltyError(
            "customer_file_too_large",
            f"{path.name} is too large to import: {exc.details.get('what', '')} (a file has at "
            "most 200,000 customers and 64 columns; split it)",
        ) from None
    while table and not any(cell.strip() for cell in table[0]):
        table = table[1:]
    if not table:
        raise LoyaltyError("empty_customer_file", f"{path.name} has no rows")
    headers = tuple(h.strip() for h in table[0])
    if not any(any(cell.strip() for cell in row) for row in table[1:]):
        raise LoyaltyError(
            "empty_customer_file", f"{path.name} has no customers: only the row of column names"
        )
    return CustomerFile(path, headers, table[1:])


def validate(
    ledger: Ledger,
    actor: Actor,
    file: CustomerFile,
    mapping: ColumnMap,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> ValidationReport:
    """Every row checked against the program and the base; nothing is written."""
    actor.require(Permission.IMPORT_CUSTOMERS)
    check_moment(at)
    with ledger.db.read() as conn:
        return check_rows(conn, ledger.program(conn), file, mapping, at or ledger.clock(), progress)


def check_rows(
    conn: Connection,
    program: Program,
    file: CustomerFile,
    mapping: ColumnMap,
    at: datetime,
    progress: Progress | None = None,
) -> ValidationReport:
    if "phone" not in mapping:
        raise LoyaltyError("phone_column_missing", "say which column holds the phone")
    for name, index in mapping.items():
        if name not in FIELDS or not 0 <= index < len(file.headers):
            raise LoyaltyError("phone_column_missing", f"{name!r} is not a column of the file")
    report = ValidationReport(file.name, program.version, dict(mapping))
    report.points_rounding = program.points_rounding
    report.left_out = left_out(file.headers, mapping, file.rows)
    checker = _RowChecker(program, file.headers, mapping, local_date(at, program.tz))
    candidates: list[Row] = []
    # Every row's phone, valid row or not: a phone twice in the file is the manager's call
    # even when one of its rows has another error (else the other row came in under the
    # wrong name, and the fixed row later met it as "already in the base").
    first_of: dict[str, int] = {}
    twice: dict[str, list[int]] = {}
    total = len(file.rows)
    for n, cells in enumerate(file.rows):
        if progress and n % 2000 == 0:
            progress(n, total)
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        row, problems, phone = checker.check(n + 2, cells)
        if phone:
            seen = first_of.setdefault(phone, n + 2)
            if seen != n + 2:
                twice.setdefault(phone, [seen]).append(n + 2)
        if problems:
            report.problems += problems
        elif row is not None:
            candidates.append(row)
    if twice:
        candidates = _phones_twice(twice, candidates, report, file.headers[mapping["phone"]])
    against_base(conn, file, report, candidates)
    if progress:
        progress(total, total)
    return report


def against_base(
    conn: Connection, file: CustomerFile, report: ValidationReport, candidates: list[Row]
) -> None:
    """The checks that depend on the base as it is now (phones and cards already held),
    and on the other rows (the same phone or card twice): the rows left are to import."""
    mapping = report.mapping
    column = report.phone_column = file.headers[mapping["phone"]]
    in_base = _existing(conn, t.customers.c.phone, [r[_PHONE] for r in candidates])
    fresh = []
    for r in candidates:
        if r[_PHONE] in in_base:
            report.unchanged.append(r[_ROW])
            if r[_BALANCE]:
                report.unchanged_balances[r[_ROW]] = r[_BALANCE]
        else:
            fresh.append(r)
    fresh = _without_duplicates(fresh, report, _PHONE, column)
    if "card" in mapping:
        card_column = file.headers[mapping["card"]]
        fresh = _without_duplicates(fresh, report, _CARD, card_column)
        fresh = _cards_free(conn, fresh, report, card_column)
    report.to_import = fresh
    report.unchanged.sort()
    report.problems.sort(key=lambda p: p.row)


class _RowChecker:
    def __init__(
        self, program: Program, headers: tuple[str, ...], mapping: ColumnMap, today: date
    ) -> None:
        self.program, self.headers, self.today = program, headers, today
        self.columns = {f: (i, headers[i]) for f, i in mapping.items()}
        self.groups: dict[str, Group] = {}
        for g in program.groups:
            self.groups[g.id.lower()] = g
            self.groups[g.name.strip().lower()] = g

    def check(self, number: int, cells: TableRow) -> tuple[Row | None, list[Problem], str]:
        """The row to import or its problems, and its phone as we keep it ("" if none)."""
        value = {
            f: (cells[i].strip() if i < len(cells) else "") for f, (i, _) in self.columns.items()
        }
        problems: list[Problem] = []

        def bad(name: str, code: str, message: str) -> None:
            problems.append(Problem(number, self.columns[name][1], code, message))

        phone = ""
        if not value["phone"]:
            bad("phone", "bad_phone", "no phone")
        else:
            try:
                phone = normalise_phone(value["phone"], self.program.default_region)
            except LoyaltyError as exc:
                bad("phone", "bad_phone", exc.message)
        # A file with the surname (and the patronymic) in columns of their own: the name
        # as the shop writes it in one, surname first.
        parts = (value.get(f, "") for f in ("surname", "name", "patronymic"))
        name = " ".join(" ".join(parts).split())
        if len(name) > MAX_NAME or _CONTROL.search(name):
            named = next(f for f in ("name", "surname", "patronymic") if f in self.columns)
            bad(named, "bad_name", f"a name has at most {MAX_NAME} characters")
        birthday = None
        if value.get("birthday"):
            birthday = parse_date(value["birthday"])
            if birthday is None:
                bad("birthday", "bad_date", f"{value['birthday']!r} is not a date like 31.12.1990")
            elif birthday > self.today or birthday.year < 1900:
                bad("birthday", "bad_date", f"{birthday:%d.%m.%Y} cannot be a birthday")
                birthday = None
        group = self.program.default_group
        if value.get("group"):
            found = self.groups.get(value["group"].lower())
            if found is None:
                bad("group", "unknown_group", f"the program has no group {value['group']!r}")
            else:
                group = found
        balance = self._balance(value.get("balance", ""), group, bad)
        card = value.get("card") or None
        if card is not None and not (
            card.isdigit() and 8 <= len(card) <= 20 and (len(card) != 13 or is_valid_ean13(card))
        ):
            bad("card", "bad_card", f"{card!r} is not a card number (8 to 20 digits)")
        consent = value.get("consent", "").lower()
        if consent not in TRUE | FALSE:
            bad("consent", "bad_consent", f"{consent!r} is not yes or no")
        if problems:
            return None, problems, phone
        row = (number, phone, name, birthday, group.id, balance, card, consent in TRUE)
        return row, [], phone

    def _balance(self, text: str, group: Group, bad: Callable[[str, str, str], None]) -> Decimal:
        if not text:
            return ZERO
        cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            points = parse_amount(cleaned)
        except ValueError:
            bad("balance", "bad_balance", f"{text!r} is not a number of points like 150")
            return ZERO
        program = self.program
        if points > MAX_PRICE or points * program.bonus_value > ADJUSTMENT_REVIEW_MONEY:
            # The central server holds an adjustment worth more than this for review.
            bad("balance", "bad_balance",
                f"{text} points are worth more than {ADJUSTMENT_REVIEW_MONEY}; "
                "bring such a balance over by hand")  # fmt: skip
        elif not is_on_step(points, program.points_rounding):
            bad("balance", "bad_balance", f"{text}: this program counts whole points")
        elif points > ZERO and program.bonus_program_of(group) is None:
            bad("balance", "bad_balance", f"customers of group {group.name!r} collect no points")
        return points


def parse_date(text: str) -> date | None:
    """DD.MM.YYYY, YYYY-MM-DD, DD/MM/YYYY, a date-time from a workbook's date cell, or an
    Excel serial day number (a date cell saved as a plain number)."""
    text = text.strip()
    if text.isdigit() and 4 <= len(text) <= 5:
        return _EXCEL_EPOCH + timedelta(days=int(text))
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC).date()  # a day only
        except ValueError:
            continue
    return None


def _phones_twice(
    twice: dict[str, list[int]], candidates: list[Row], report: ValidationReport, column: str
) -> list[Row]:
    """Every row of a phone found more than once is a problem naming the others; the
    valid ones among them are not imported."""
    rows_of = {n: rows for rows in twice.values() for n in rows}
    for number, rows in rows_of.items():
        listed = ", ".join(str(n) for n in [n for n in rows if n != number][:10])
        report.problems.append(
            Problem(number, column, "duplicate_phone", f"the same phone as row(s) {listed}")
        )
    return [r for r in candidates if r[_ROW] not in rows_of]


def _without_duplicates(
    rows: list[Row], report: ValidationReport, index: int, column: str
) -> list[Row]:
    """Rows sharing a phone (or a card) are all left out: which one is right is the
    manager's call, so each names the others."""
    what = "phone" if index == _PHONE else "card"
    where: dict[str, list[int]] = {}
    for r in rows:
        key = r[index]
        if isinstance(key, str) and key:
            where.setdefault(key, []).append(r[_ROW])
    kept = []
    for r in rows:
        key = r[index]
        others = [n for n in where.get(key, ()) if n != r[_ROW]] if isinstance(key, str) else []
        if others:
            listed = ", ".join(str(n) for n in others[:10])
            report.problems.append(
                Problem(r[_ROW], column, f"duplicate_{what}", f"the same {what} as row(s) {listed}")
            )
        else:
            kept.append(r)
    return kept


def _cards_free(
    conn: Connection, rows: list[Row], report: ValidationReport, column: str
) -> list[Row]:
    numbers = [c for r in rows if (c := r[_CARD])]
    taken = _existing(conn, t.cards.c.number, numbers)
    products = _existing(conn, t.products.c.barcode, numbers) | _existing(
        conn, t.products.c.sku, numbers
    )
    kept = []
    for r in rows:
        if r[_CARD] in taken:
            report.problems.append(
                Problem(r[_ROW], column, "duplicate_card", "this card belongs to another customer")
            )
        elif r[_CARD] in products:
            report.problems.append(
                Problem(r[_ROW], column, "bad_card", "this is a product's barcode, not a card")
            )
        else:
            kept.append(r)
    return kept


def _existing(conn: Connection, column: Column[str], values: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def save_report(
    report: ValidationReport, path: Path | str, ledger_folder: Path | None = None
) -> Path:
    """The problems, and the rows left unchanged because their phone is in the base (with
    the points they would have brought), as CSV (UTF-8 with its mark, so Excel reads the
    Cyrillic) or XLSX; never over the ledger or another database, whole or not at all
    (service/output_files.py). Returns the file written."""
    target = check_output(path, ledger_folder)
    header = ("row", "column", "problem", "message")
    text = spreadsheet_text
    rows = [(p.row, text(p.column), p.problem, text(p.message)) for p in report.problems]
    for number in report.unchanged:
        message = "already in the base: left unchanged"
        points = report.unchanged_balances.get(number)
        if points:
            shown = format_points(points, report.points_rounding)
            message += f"; its balance of {shown} points was not brought over"
        rows.append((number, text(report.phone_column), "already_in_base", message))
    rows.sort(key=lambda r: r[0])

    def write(temporary: Path) -> None:
        if target.suffix.lower() == ".xlsx":
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet("problems")
            sheet.append(header)
            for row in rows:
                sheet.append(row)
            book.save(temporary)
            return
        with temporary.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, delimiter=";")
            writer.writerow(header)
            writer.writerows(rows)

    write_whole(target, write, str(path))
    return target
