"""Where an export may be written, and what a spreadsheet sees in it: a report written
over the ledger once destroyed a store."""

from __future__ import annotations

import re

import pytest

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.service.output_files import check_output, spreadsheet_text, write_whole


def test_an_export_never_replaces_the_ledger_or_its_companions(tmp_path):
    ledger = service.open_ledger(tmp_path)
    ledger.db.close()
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
        with pytest.raises(LoyaltyError) as refused:
            check_output(tmp_path / name, tmp_path)
        assert refused.value.code == "invalid_export_path"
        assert "ledger" in refused.value.message


def test_an_export_never_replaces_any_database(tmp_path):
    ledger = service.open_ledger(tmp_path / "store")
    ledger.db.close()
    copy = tmp_path / "copy.csv"
    copy.write_bytes((tmp_path / "store" / "ledger.sqlite3").read_bytes())
    with pytest.raises(LoyaltyError, match="is a database"):
        check_output(copy)


def test_a_folder_or_a_missing_folder_is_named_as_typed(tmp_path):
    with pytest.raises(LoyaltyError, match=re.escape(f"{tmp_path} is a folder")):
        check_output(tmp_path)
    with pytest.raises(LoyaltyError, match=re.escape("nodir/x.csv: the folder")):
        check_output(tmp_path / "nodir" / "x.csv")


def test_a_file_is_whole_or_absent(tmp_path):
    target = check_output(tmp_path / "report.csv")
    write_whole(target, lambda p: p.write_text("a,b\n"))
    assert target.read_text() == "a,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]

    def fails(p):
        p.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(LoyaltyError) as refused:
        write_whole(tmp_path / "other.csv", fails)
    assert refused.value.code == "export_failed"
    assert "other.csv" in refused.value.message and ".part" not in refused.value.message
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


@pytest.mark.parametrize("typed", ["=1+1", "+1+cmd|calc", "-2+3", "@SUM(A1)", "\t=x"])
def test_a_name_that_looks_like_a_formula_stays_text(typed):
    assert spreadsheet_text(typed) == "'" + typed


def test_an_ordinary_name_is_written_as_it_is():
    assert spreadsheet_text("Анна Петрова") == "Анна Петрова"
