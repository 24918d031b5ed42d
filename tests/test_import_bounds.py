"""A catalogue file is bounded before and while it is read: a sheet that only claims to be
huge, a zip bomb, a file that is no spreadsheet, a CSV with a 10 MB line, each is refused
with its reason in seconds, never a traceback, and the ledger is left as it was. A row whose
texts the central server would refuse in a sale is a bad row, reported by its number."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from cashier_app import product_file, service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service import catalogue
from cashier_app.storage import schema as t
from tests.conftest import run_cli

# The command line acts as a user: init makes them the first administrator.
pytestmark = pytest.mark.usefixtures("cli_admin")

HEADER = "sku,barcode,name,price,category,brand\n"
GOOD_ROW = "latte,4600000000017,Латте,250.00,coffee,Lavazza\n"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)  # fmt: skip
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Goods" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)  # fmt: skip
SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _row(number: int, *values: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


ROWS = _row(1, "sku", "name", "price") + _row(2, "latte", "Латте", "250.00")


def hand_made_xlsx(path: Path, dimension: str | None, rows: str | bytes = ROWS) -> Path:
    """A workbook zipped from its minimal XML parts, so its sheet says what the test wants."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f"{SHEET_OPEN}{dim}<sheetData>".encode())
            if isinstance(rows, str):
                sheet.write(rows.encode())
            else:
                sheet.write(rows)
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture
def till(tmp_path, capsys):
    """A till made by ``cashier-app init``, and a folder for the files to import."""
    data = tmp_path / "till"
    assert run_cli(data, capsys, "init")[0] == 0
    files = tmp_path / "files"
    files.mkdir()
    return data, files


def products_in(data: Path) -> list[tuple[str, str | None, str | None]]:
    ledger = service.open_ledger(data)
    try:
        with ledger.db.read() as conn:
            rows = conn.execute(
                select(t.products.c.sku, t.products.c.category, t.products.c.brand).order_by(
                    t.products.c.sku
                )
            ).all()
        return [tuple(r) for r in rows]
    finally:
        ledger.db.close()


def refused(data: Path, capsys, path: Path, code: str, words: str) -> float:
    """Import ``path`` through the CLI; it must be refused with ``code`` and ``words`` and
    leave no product behind. The seconds it took."""
    start = time.monotonic()
    status, out, err = run_cli(data, capsys, "products-import", str(path))
    took = time.monotonic() - start
    assert status == 2, (out, err)
    assert f"[{code}]" in err and words in err, err
    assert "Traceback" not in err and path.name in err
    assert products_in(data) == []
    return took


def test_a_hand_made_workbook_of_honest_size_imports(till, capsys):
    data, files = till
    path = hand_made_xlsx(files / "goods.xlsx", "A1:C2")
    status, _, err = run_cli(data, capsys, "products-import", str(path))
    assert status == 0, err
    assert products_in(data) == [("latte", None, None)]


def test_a_sheet_declaring_a1_xfd1048576_is_refused_at_once(till, capsys):
    data, files = till
    path = hand_made_xlsx(files / "claims.xlsx", "A1:XFD1048576")
    assert path.stat().st_size < 5000
    took = refused(data, capsys, path, "catalogue_too_large", "declares 1,048,575 rows")
    assert took < 10  # was 70 s and 6 GiB


def test_a_sheet_declaring_too_many_columns_is_refused(till, capsys):
    data, files = till
    refused(data, capsys, hand_made_xlsx(files / "wide.xlsx", "A1:CZ2"), "catalogue_too_large",
            "declares 104 columns")  # fmt: skip


def test_a_sheet_whose_dimension_lies_is_counted_while_streaming(till, capsys, monkeypatch):
    data, files = till
    # Declares two rows, holds a row numbered 300,000: the rows left out read as empty rows.
    rows = ROWS + _row(300_000, "tail", "Хвост", "1")
    refused(data, capsys, hand_made_xlsx(files / "lies.xlsx", "A1:C2", rows),
            "catalogue_too_large", "more than 200,000 rows")  # fmt: skip
    # No dimension at all, and a cell far to the right of the catalogue's columns.
    wide = _row(1, "sku", "name", "price") + '<row r="2"><c r="XFD2"><v>1</v></c></row>'
    refused(data, capsys, hand_made_xlsx(files / "nodim.xlsx", None, wide),
            "catalogue_too_large", "a cell in column 16,384")  # fmt: skip


def test_a_sheet_of_300000_real_rows_without_a_dimension_stops_early(till, capsys):
    data, files = till
    body = b"".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'.encode() for n in range(1, 300_001)
    )
    path = hand_made_xlsx(files / "many.xlsx", None, body)
    took = refused(data, capsys, path, "catalogue_too_large", "more than 200,000 rows")
    assert took < 30


def test_one_row_of_a_million_cells_is_refused_before_openpyxl_builds_it(till, capsys):
    data, files = till
    row = b'<row r="2">' + b"<c><v>1</v></c>" * 1_000_000 + b"</row>"
    path = hand_made_xlsx(files / "long_row.xlsx", None, ROWS.encode() + row)
    refused(data, capsys, path, "catalogue_too_large", "a cell in column 65")


def test_a_zip_bomb_is_refused_by_what_it_unpacks_to(till, capsys):
    data, files = till
    path = files / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * 2**20
            for _ in range(300):
                sheet.write(chunk)
    assert path.stat().st_size < 2 * 2**20
    took = refused(data, capsys, path, "catalogue_too_large", "unpacks to 300 MiB")
    assert took < 10


def test_a_file_that_is_no_workbook_named_xlsx_is_refused(till, capsys):
    data, files = till
    path = files / "goods.xlsx"
    path.write_text("sku,name,price\nlatte,Латте,250\n", encoding="utf-8")
    refused(data, capsys, path, "unreadable_file", "is not a readable .xlsx workbook")
    path.write_bytes(b"")
    refused(data, capsys, path, "unreadable_file", "is not a readable .xlsx workbook")


def test_a_damaged_workbook_is_refused_with_its_reason(till, capsys):
    data, files = till
    good = hand_made_xlsx(files / "good.xlsx", "A1:C2")
    damaged = files / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(data, capsys, damaged, "unreadable_file", "is not a readable .xlsx workbook (")
    # A well-formed zip whose sheet is not XML.
    broken = hand_made_xlsx(files / "broken.xlsx", None, "<row r='1'><c>")
    refused(data, capsys, broken, "unreadable_file", "is not a readable .xlsx workbook (")


def test_a_password_protected_workbook_is_refused_with_the_way_out(till, capsys):
    data, files = till
    # Excel saves a workbook with a password as an OLE compound file, not a zip.
    path = files / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    refused(data, capsys, path, "unreadable_file", "password-protected")
    old = files / "old.xls"
    old.write_bytes(b"something else")
    refused(data, capsys, old, "unreadable_file", "save it as an .xlsx workbook or as CSV")


def test_a_workbook_with_too_many_columns_written_by_openpyxl(till, capsys):
    data, files = till
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(["sku", "name", "price", *(f"extra{i}" for i in range(70))])
    sheet.append(["latte", "Латте", "250.00"])
    book.save(files / "wide.xlsx")
    refused(data, capsys, files / "wide.xlsx", "catalogue_too_large", "declares 73 columns")


def test_the_row_limit_holds_exactly_for_xlsx_and_csv(ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(product_file, "MAX_ROWS", 5)
    for count, ok in ((5, True), (6, False)):
        book = Workbook()
        sheet = book.worksheets[0]
        sheet.append(["sku", "name", "price"])
        for n in range(count):
            sheet.append([f"s{n}", f"Товар {n}", "1.00"])
        book.save(tmp_path / "goods.xlsx")
        csv_path = tmp_path / "goods.csv"
        csv_path.write_text(
            "sku,name,price\n" + "".join(f"s{n},Товар {n},1.00\n" for n in range(count)),
            encoding="utf-8",
        )
        for path in (tmp_path / "goods.xlsx", csv_path):
            if ok:
                assert catalogue.import_catalogue(ledger, path).imported == count
            else:
                with pytest.raises(LoyaltyError) as err:
                    catalogue.import_catalogue(ledger, path)
                assert err.value.code == "catalogue_too_large"
                # the sheet's dimension tells first; a CSV is counted as it is read
                words = "declares 6 rows" if path.suffix == ".xlsx" else "more than 5 rows"
                assert words in err.value.message


def test_a_cp1251_csv_imports_and_its_long_labels_are_bad_rows(till, capsys):
    data, files = till
    path = files / "goods.csv"
    text = (
        "Артикул;Наименование;Цена;Категория;Бренд\n"
        f"r1;Роза красная;120,50;{'ц' * 64};{'б' * 64}\n"
        f"r2;Тюльпан;80;{'ц' * 65};\n"
        f"r3;Лилия;90;цветы;{'б' * 65}\n"
    )
    path.write_bytes(text.encode("cp1251"))
    status, out, err = run_cli(data, capsys, "products-import", str(path))
    assert status == 2 and "Traceback" not in err
    assert "row 3, category: a category has at most 64 characters" in err
    assert "row 4, brand: a brand has at most 64 characters" in err
    assert products_in(data) == []  # a bad row: nothing is imported
    status, out, err = run_cli(data, capsys, "products-import", str(path), "--skip-invalid")
    assert status == 0 and "3 rows read, 1 products imported, 2 problem(s)" in out
    assert products_in(data) == [("r1", "ц" * 64, "б" * 64)]


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"sku": "s" * 65}, "sku", "an SKU has 1 to 64 characters"),
        ({"name": "n" * 201}, "name", "a name has 1 to 200 characters"),
        ({"barcode": "4" * 33}, "barcode", "is not a barcode"),
        ({"category": "tab\there"}, "category", "without control characters"),
        ({"name": "esc\x1bname"}, "name", "without control characters"),
    ],
)
def test_texts_the_server_would_refuse_in_a_sale_are_bad_rows(
    ledger, tmp_path, cells, column, words
):
    row = {"sku": "ok", "barcode": "", "name": "Товар", "price": "1", "category": "", "brand": ""}
    row.update(cells)
    path = tmp_path / "goods.csv"
    quoted = ",".join(
        f'"{row[c]}"' for c in ("sku", "barcode", "name", "price", "category", "brand")
    )
    path.write_text(HEADER + GOOD_ROW + quoted + "\n", encoding="utf-8")
    report = catalogue.import_catalogue(ledger, path, skip_invalid=True)
    assert [(p.row, p.column) for p in report.problems] == [(3, column)]
    assert words in report.problems[0].message
    assert report.imported == 1  # the good row, as --skip-invalid always did


def test_a_csv_with_a_10_mb_line_is_refused(till, capsys):
    data, files = till
    path = files / "goods.csv"
    path.write_text(HEADER + "x," + "9" * 10 * 2**20 + ",Товар,1,,\n", encoding="utf-8")
    took = refused(data, capsys, path, "catalogue_too_large", "line 2 has 10,485,")
    assert took < 10


def test_a_csv_quoted_cell_over_many_lines_is_refused_by_csv_itself(till, capsys):
    data, files = till
    path = files / "goods.csv"
    path.write_text(HEADER + 'x,,"' + ("a" * 100 + "\n") * 2000 + '",1,,\n', encoding="utf-8")
    refused(data, capsys, path, "unreadable_file", "cannot be read (field larger than")


def test_a_csv_over_64_mib_or_binary_is_refused(till, capsys):
    data, files = till
    path = files / "goods.csv"
    with path.open("wb") as f:
        f.write(HEADER.encode())
        f.truncate(65 * 2**20)
    refused(data, capsys, path, "catalogue_too_large", "65 MiB")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    refused(data, capsys, path, "unreadable_file", "is not a CSV or text file")
    path.write_bytes(b"sku,name,price\nx,\x98\xff\xfe,1\n")  # neither UTF-8 nor Windows-1251
    refused(data, capsys, path, "unreadable_file", "unknown text encoding")


def test_a_csv_mixing_utf8_and_cp1251_lines_is_refused_not_garbled(till, capsys):
    data, files = till
    path = files / "goods.csv"
    path.write_bytes(
        b"sku,name,price\n" + "s1,Латте,250\n".encode("cp1251") + "s2,Капучино,230\n".encode()
    )
    refused(data, capsys, path, "unreadable_file", "line 3 is UTF-8, line 2 is not")
    assert products_in(data) == []


def test_a_utf16_csv_from_excel_imports(ledger, tmp_path):
    path = tmp_path / "goods.txt"
    path.write_bytes("sku\tname\tprice\nr1\tРоза\t120\n".encode("utf-16"))
    report = catalogue.import_catalogue(ledger, path)
    assert report.ok and report.imported == 1


def test_the_server_cli_import_is_bounded_too(tmp_path, capsys):
    from central_server.cli import main

    db = str(tmp_path / "central.sqlite3")
    path = hand_made_xlsx(tmp_path / "claims.xlsx", "A1:XFD1048576")
    assert main(["--db", db, "catalogue", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[catalogue_too_large]" in err and "Traceback" not in err
    csv_path = tmp_path / "goods.csv"
    csv_path.write_text(HEADER + f"x,,Товар,1,{'c' * 65},\n", encoding="utf-8")
    assert main(["--db", db, "catalogue", "import", str(csv_path)]) == 2
    assert "row 2, category: a category has at most 64" in capsys.readouterr().err
    assert (
        main(
            ["--db", db, "catalogue", "import", str(hand_made_xlsx(tmp_path / "ok.xlsx", "A1:C2"))]
        )
        == 0
    )
    assert "1 products published" in capsys.readouterr().out
