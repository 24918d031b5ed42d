"""A shop's product file, CSV or Excel, read within bounds and checked row by row: what
the till's import and the central server's catalogue command both take in.

A file is checked before and while it is read, so one that only claims to be huge (a
sheet declaring A1:XFD1048576, a zip bomb) is refused in seconds instead of filling the
memory; every row is checked against what the central server takes in a sale.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.parsers import expat

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.event_check import MAX_LABEL, MAX_PRODUCT_NAME, MAX_SKU
from cashier_app.engine.money import MAX_PRICE, parse_amount

COLUMNS = ("sku", "barcode", "name", "price", "category", "brand", "no_loyalty")
REQUIRED = ("sku", "name", "price")
# Header words a shop's own export may use (English, Russian, Ukrainian).
ALIASES = {
    "артикул": "sku", "код": "sku", "штрихкод": "barcode", "штрих-код": "barcode",
    "штрихкод товару": "barcode", "ean": "barcode", "наименование": "name", "название": "name",
    "назва": "name", "товар": "name", "цена": "price", "ціна": "price", "категория": "category",
    "категорія": "category", "группа": "category", "бренд": "brand", "марка": "brand",
    "без лояльности": "no_loyalty", "без лояльності": "no_loyalty", "no loyalty": "no_loyalty",
}  # fmt: skip
TRUE = {"1", "yes", "true", "y", "да", "так", "+", "x"}
FALSE = {"", "0", "no", "false", "n", "нет", "ні", "-"}
_BARCODE = re.compile(r"^[0-9A-Za-z\-]{4,32}$")
# A product's texts go into every sale of it, which the central server checks against
# these limits (engine/event_check.py): a longer one would get each such sale refused there.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SKU_RULE = f"an SKU has 1 to {MAX_SKU} characters, without control characters"
_NAME_RULE = f"a name has 1 to {MAX_PRODUCT_NAME} characters, without control characters"
_LABEL_RULE = f"has at most {MAX_LABEL} characters, without control characters"


class Product(NamedTuple):
    """A catalogue product. A NamedTuple of plain values, so the garbage collector stops
    tracking the 100,000 of a large import (its pauses would otherwise stall the window)."""

    sku: str
    barcode: str | None
    name: str
    price: Decimal
    category: str | None
    brand: str | None
    no_loyalty: bool


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str
    message: str


TableRow = tuple[str, ...]


# What a catalogue file may hold, checked before and while it is read, so that a file that
# only claims to be huge (a sheet declaring A1:XFD1048576, a zip bomb) is refused in seconds
# instead of filling the till's memory. A large shop has tens of thousands of products;
# 200,000 leaves ample room and imports in under a minute (docs/benchmarks.md has no
# bigger case). The catalogue has 7 columns; 64 leaves room for a shop export's own.
MAX_ROWS = 200_000  # data rows, the header not counted
MAX_COLUMNS = 64
# 200,000 rows of 15 filled cells: bounds openpyxl's reading time (about 13 s a million
# cells) and the rows held in memory, which rows times columns alone would not.
MAX_CELLS = 3_000_000
MAX_CSV_BYTES = 64 * 2**20  # 200,000 rows of over 300 bytes; a real row has about 100
MAX_LINE = 65_536  # characters of one CSV line; a product's row needs under 1,000
# An XLSX is a zip: what its parts unpack to is what the reader parses and holds. A
# 200,000-row sheet of 7 columns unpacks to about 90 MiB.
MAX_XLSX_UNPACKED = 256 * 2**20
MAX_XLSX_PARTS = 1000  # a workbook has a dozen; thousands are a crafted archive
MAX_SHARED_STRINGS = 2_000_000  # openpyxl holds them all; ten text cells a row at the most
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a password-protected workbook, or a .xls
_ZIP = b"PK\x03\x04"


def _too_large(name: str, what: str) -> LoyaltyError:
    return LoyaltyError(
        "catalogue_too_large",
        f"{name} is too large for a catalogue: {what} (a catalogue file has at most "
        f"{MAX_ROWS:,} products, {MAX_COLUMNS} columns and {MAX_CELLS:,} cells; split it)",
        file=name,
        what=what,  # for a reader of other files (customers) to word the refusal its own way
    )


def read_table(path: Path) -> list[TableRow]:
    """Rows of a CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1251) or XLSX file,
    within the limits above; anything else is refused with a reason (LoyaltyError)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise LoyaltyError(
            "unreadable_file", f"cannot read {path.name}: {exc.strerror or exc}"
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".xls":
        # Whatever it holds (openpyxl refuses the name itself, telling people to "use
        # xlrd"), the shop's way out is the same.
        raise LoyaltyError(
            "unreadable_file",
            f"{path.name}: .xls (Excel 97-2003) is not read: save it as an .xlsx workbook or "
            "as CSV",
        )
    if head.startswith(_OLE):
        raise LoyaltyError(
            "unreadable_file",
            f"{path.name} is a password-protected workbook or an .xls (Excel 97-2003), which "
            "is not read: save it as .xlsx without a password, or as CSV",
        )
    if head.startswith(_ZIP) or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".xls", ".xlsb", ".ods", ".numbers"):
        raise LoyaltyError(
            "unreadable_file", f"{path.name}: save it as an .xlsx workbook or as CSV to import it"
        )
    return _read_csv(path, size)


def _read_xlsx(path: Path) -> list[TableRow]:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                raise _too_large(name, f"the workbook has {len(parts):,} parts")
            # The declared sizes bound what is unpacked: zipfile stops a part at its declared
            # size and fails its checksum if there was more.
            unpacked = sum(p.file_size for p in parts)
            if unpacked > MAX_XLSX_UNPACKED:
                raise _too_large(name, f"it unpacks to {unpacked / 2**20:,.0f} MiB")
            for part in parts:
                if part.filename.lower().endswith("sharedstrings.xml"):
                    with archive.open(part) as src:
                        _scan_xml(src, _SharedStrings(name))
            from openpyxl import load_workbook
            from openpyxl.worksheet._read_only import ReadOnlyWorksheet

            # read_only: the sheet is parsed as it is iterated, never built in memory whole.
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0] if book.worksheets else None
                if not isinstance(sheet, ReadOnlyWorksheet):
                    raise LoyaltyError("unreadable_file", f"{name} has no worksheet")
                # The sheet's <dimension>: refuses a declared A1:XFD1048576 at once. It may
                # lie or be absent, so the sheet itself is counted next, still unread.
                _check_size(name, sheet.max_row, sheet.max_column)
                # openpyxl's own name of the sheet's part; its stubs do not declare it.
                sheet_part: str = sheet._worksheet_path  # type: ignore[attr-defined]
                with archive.open(sheet_part) as src:
                    _scan_xml(src, _SheetCounter(name))
                return _sheet_rows(name, sheet)
            finally:
                book.close()
    except LoyaltyError:
        raise
    except OSError as exc:
        raise LoyaltyError(
            "unreadable_file", f"cannot read {name}: {exc.strerror or exc}"
        ) from None
    except Exception as exc:  # a broken workbook fails in openpyxl and zipfile many ways
        reason = (str(exc).splitlines() or [""])[0][:200]
        reason = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        raise LoyaltyError(
            "unreadable_file", f"{name} is not a readable .xlsx workbook ({reason})"
        ) from None


def _sheet_rows(name: str, sheet: Any) -> list[TableRow]:
    # Iterated without the declared size, which would pad every row up to it.
    sheet.reset_dimensions()
    table: list[TableRow] = []
    cells = 0
    for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
        if len(table) > MAX_ROWS:  # a guard while streaming, should the scan miss
            raise _too_large(name, f"more than {MAX_ROWS:,} rows")
        if len(row) > MAX_COLUMNS and row[MAX_COLUMNS] is not None:
            raise _too_large(name, f"more than {MAX_COLUMNS} columns")
        values = ["" if v is None else _cell(v) for v in row[:MAX_COLUMNS]]
        while values and not values[-1]:
            values.pop()
        cells += len(values)
        if cells > MAX_CELLS:
            raise _too_large(name, f"more than {MAX_CELLS:,} cells")
        table.append(tuple(values))
    return table


def _check_size(name: str, rows: int | None, columns: int | None) -> None:
    if rows is not None and rows > MAX_ROWS + 1:
        raise _too_large(name, f"the sheet declares {rows - 1:,} rows")
    if columns is not None and columns > MAX_COLUMNS:
        raise _too_large(name, f"the sheet declares {columns:,} columns")


class _SheetCounter:
    """Counts a sheet's rows and cells from its XML as it streams by, holding no text: one
    row of millions of cells would otherwise be built whole by openpyxl before any check."""

    def __init__(self, name: str) -> None:
        self.name, self.rows, self.column, self.cells = name, 0, 0, 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]  # some writers prefix the namespace (x:row)
        if tag == "c":
            self.cells += 1
            ref = attrs.get("r")
            self.column = _column_number(ref) if ref else self.column + 1
            if self.column > MAX_COLUMNS:
                raise _too_large(self.name, f"a cell in column {self.column:,}")
            if self.cells > MAX_CELLS:
                raise _too_large(self.name, f"more than {MAX_CELLS:,} cells")
        elif tag == "row":
            number = attrs.get("r", "")
            # Rows left out before a numbered row are read as empty rows, so they count.
            self.rows = int(number) if number.isdigit() and len(number) < 10 else self.rows + 1
            self.column = 0
            if self.rows > MAX_ROWS + 1:
                raise _too_large(self.name, f"the sheet has more than {MAX_ROWS:,} rows")


class _SharedStrings:
    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "si":
            self.count += 1
            if self.count > MAX_SHARED_STRINGS:
                raise _too_large(self.name, f"more than {MAX_SHARED_STRINGS:,} distinct texts")


def _scan_xml(source: IO[bytes], counter: _SheetCounter | _SharedStrings) -> None:
    # expat streams in chunks and keeps nothing unless asked; it also refuses entity
    # expansion bombs (billion laughs) and loads no external entities.
    parser = expat.ParserCreate()
    parser.StartElementHandler = counter.start
    try:
        parser.ParseFile(source)
    except expat.ExpatError as exc:
        raise LoyaltyError(
            "unreadable_file", f"{counter.name} is not a readable .xlsx workbook ({exc})"
        ) from None


def _column_number(ref: str) -> int:
    """B7 -> 2; a reference of more than three letters is beyond any sheet."""
    letters = ref[
        : len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    ]
    if len(letters) > 3:
        return 10**6
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _mixed_lines(raw: bytes) -> tuple[int, int] | None:
    """In a file that as a whole is not UTF-8: the first line with letters beyond ASCII
    that is valid UTF-8 and the first that is not, when there are both (Windows-1251
    Cyrillic almost never forms valid UTF-8 by chance)."""
    utf8 = other = None
    for n, line in enumerate(raw.split(b"\n"), 1):
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other = other or n
        else:
            utf8 = utf8 or n
        if utf8 and other:
            return utf8, other
    return None


def _read_csv(path: Path, size: int) -> list[TableRow]:
    name = path.name
    if size > MAX_CSV_BYTES:
        raise _too_large(name, f"{size / 2**20:,.0f} MiB (a CSV has at most 64 MiB)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoyaltyError(
            "unreadable_file", f"cannot read {name}: {exc.strerror or exc}"
        ) from None
    # Excel's "Unicode text" is UTF-16 with its mark; otherwise UTF-8, or else Windows-1251.
    encodings = ("utf-16",) if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else ()
    for encoding in (*encodings, "utf-8-sig", "cp1251"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1251 leaves one byte (0x98) undefined
        raise LoyaltyError("unreadable_file", f"{name}: unknown text encoding")
    if encoding == "cp1251" and (mixed := _mixed_lines(raw)):
        # Read as Windows-1251, the UTF-8 lines' names would be garbled ("Р›Р°С‚С‚Рµ").
        utf8, other = mixed
        raise LoyaltyError(
            "unreadable_file",
            f"{name} mixes encodings: line {utf8} is UTF-8, line {other} is not; save the "
            "whole file in one encoding (UTF-8) and import it again",
        )
    del raw
    if "\x00" in content:
        raise LoyaltyError("unreadable_file", f"{name} is not a CSV or text file")
    delimiter = _delimiter(content)
    table: list[TableRow] = []
    cells = 0
    reader = csv.reader(_bounded_lines(name, content), delimiter=delimiter)
    try:
        for row in reader:
            if len(table) > MAX_ROWS:
                raise _too_large(name, f"more than {MAX_ROWS:,} rows")
            if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
                raise _too_large(name, f"line {reader.line_num} has {len(row):,} columns")
            cells += min(len(row), MAX_COLUMNS)
            if cells > MAX_CELLS:
                raise _too_large(name, f"more than {MAX_CELLS:,} cells")
            # Tuples of strings, which the garbage collector untracks (see Product).
            table.append(tuple(row[:MAX_COLUMNS]))
    except csv.Error as exc:  # a quoted cell over csv's field limit, an unclosed quote
        raise LoyaltyError(
            "unreadable_file", f"{name}: line {reader.line_num} cannot be read ({exc})"
        ) from None
    return table


_SEPARATORS = (";", ",", "\t")
_SAMPLE_LINES = 50


def _delimiter(content: str) -> str:
    """The separator that splits the header into the most columns and the most of the
    first lines into as many. csv.Sniffer gave up on a file with Windows line ends and a
    blank line, or a separator inside a quoted name ("Иванова; Анна"), and its fallback,
    the comma, read a semicolon file as one column."""
    lines: list[str] = []
    for line in io.StringIO(content[: MAX_LINE * 4], newline=None):
        if line.strip():
            lines.append(line)
            if len(lines) == _SAMPLE_LINES:
                break
    best, best_score = ",", (0, 0, 0)
    for separator in _SEPARATORS:
        try:
            # Quote-aware: a quoted separator splits nothing; a quoted cell running past
            # the sample ends it early, which the rows read so far still judge.
            rows: list[list[str]] = []
            for row in csv.reader(lines, delimiter=separator):
                rows.append(row)
        except csv.Error:
            pass
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        alike = sum(1 for r in rows[1:] if len(r) == width)
        score = (alike, width, -_SEPARATORS.index(separator))
        if score > best_score:
            best, best_score = separator, score
    return best


def _bounded_lines(name: str, content: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(content, newline=""), start=1):
        if len(line) > MAX_LINE:
            raise _too_large(
                name, f"line {number} has {len(line):,} characters (at most {MAX_LINE:,})"
            )
        yield line


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps barcodes and SKUs as numbers
    return str(value).strip()


def parse_rows(table: list[TableRow]) -> tuple[list[Product], list[RowProblem]]:
    if not table:
        return [], [RowProblem(1, "", "the file is empty")]
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowProblem(1, c, "column is missing") for c in missing]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = [RowProblem(1, h, "unknown column") for h in unknown]
    index = {c: header.index(c) for c in COLUMNS if c in header}
    products: list[Product] = []
    seen_sku: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    for number, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        bad = []
        sku, name = cell["sku"], " ".join(cell["name"].split())
        if not sku or len(sku) > MAX_SKU or _CONTROL.search(sku):
            bad.append(RowProblem(number, "sku", _SKU_RULE))
        elif sku in seen_sku:
            bad.append(RowProblem(number, "sku", f"the same SKU as row {seen_sku[sku]}"))
        if not name or len(name) > MAX_PRODUCT_NAME or _CONTROL.search(name):
            bad.append(RowProblem(number, "name", _NAME_RULE))
        for column in ("category", "brand"):
            label = cell.get(column, "")
            if len(label) > MAX_LABEL or _CONTROL.search(label):
                bad.append(RowProblem(number, column, f"a {column} {_LABEL_RULE}"))
        try:
            price = parse_amount(
                cell["price"].replace(",", ".").replace(" ", "").replace("\u00a0", "")
            )
        except ValueError:
            bad.append(RowProblem(number, "price", f"{cell['price']!r} is not a price like 199.90"))
            price = Decimal(0)
        if price > MAX_PRICE:
            bad.append(RowProblem(number, "price", f"a price is at most {MAX_PRICE}"))
        barcode = cell.get("barcode") or None
        if barcode is not None:
            if not _BARCODE.match(barcode):
                bad.append(RowProblem(number, "barcode", f"{barcode!r} is not a barcode"))
            elif barcode in seen_barcode:
                bad.append(
                    RowProblem(
                        number, "barcode", f"the same barcode as row {seen_barcode[barcode]}"
                    )
                )
        flag = cell.get("no_loyalty", "").lower()
        if flag not in TRUE | FALSE:
            bad.append(RowProblem(number, "no_loyalty", f"{flag!r} is not yes/no"))
        if bad:
            problems += bad
            continue
        seen_sku[sku] = number
        if barcode:
            seen_barcode[barcode] = number
        category, brand = cell.get("category") or None, cell.get("brand") or None
        products.append(Product(sku, barcode, name, price, category, brand, flag in TRUE))
    return products, problems
