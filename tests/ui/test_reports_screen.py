"""The manager's reports in the window, on a real ledger with a few days of sales: each
report opens with its chart and its table, a new period reads again, the files saved are
read back, a closing shift shows its report, and a cashier gets none of it."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from cashier_app import service
from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.receipt import LineInput
from cashier_app.service import report_files, reports, users
from cashier_app.service.report_model import Period
from cashier_app.storage import schema as t
from cashier_app.ui.reports.formatting import show_value
from cashier_app.ui.reports.kinds import KINDS
from cashier_app.ui.reports.shift_dialog import ShiftReportDialog
from cashier_app.ui.reports.window import ReportsDialog
from tests.ui.conftest import when_modal

LATTE = [LineInput("latte", Decimal("250.00"), Decimal("1"), category="coffee")]
ROSES = [LineInput("roses", Decimal("1500.10"), Decimal("3"), category="flowers")]
FIRST_DAY = date(2026, 3, 2)  # the test clock's day (tests/conftest.py)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


@pytest.fixture
def sold(store):
    """Anna comes three times in a week; Pyotr bought once in December and never again
    (winback); Olga's birthday is on the 5th; some buy without a card."""
    ledger, staff = store
    anna = service.register_customer(ledger, "+79001234567", name="Анна Смирнова")
    pyotr = service.register_customer(
        ledger, "+79001112233", name="Пётр Новиков", at=noon(date(2025, 12, 1))
    )
    service.register_customer(
        ledger, "+79004445566", name="Ольга Петрова", birthday=date(1990, 3, 5)
    )
    service.record_sale(ledger, ROSES, customer_id=pyotr.customer.id, at=noon(date(2025, 12, 1)))
    cashier = staff["cashier"]
    users.open_shift(ledger, actor=cashier, at=noon(FIRST_DAY) - timedelta(hours=1))
    for n in range(7):
        day = noon(FIRST_DAY + timedelta(days=n))
        service.record_sale(ledger, LATTE, at=day, actor=cashier)
        if n % 3 == 0:
            service.record_sale(ledger, ROSES, customer_id=anna.customer.id, at=day)
    return ledger, staff


def open_reports(qtbot, window) -> ReportsDialog:
    dialog = ReportsDialog(window.ws, window.tasks, window, today=FIRST_DAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None)
    return dialog


def pick(qtbot, dialog: ReportsDialog, *args, **kwargs) -> None:
    """A new period chosen, and its report shown."""
    seen = dialog.loads
    dialog.picker.choose(*args, **kwargs)
    qtbot.waitUntil(lambda: dialog.loads > seen)


def choose(qtbot, dialog: ReportsDialog, key: str) -> None:
    if dialog.kind.key == key:
        return
    seen = dialog.loads
    dialog.choose(key)
    qtbot.waitUntil(lambda: dialog.loads > seen and dialog.report is not None)
    assert dialog.report.name == key


def test_every_report_opens_with_its_chart_and_table_for_the_manager(qtbot, open_window, sold):
    dialog = open_reports(qtbot, open_window("manager"))
    pick(qtbot, dialog, "month", FIRST_DAY, "day")
    for kind in KINDS:
        if kind.key in ("winback", "birthdays"):
            dialog.picker.start.setDate(FIRST_DAY)
        choose(qtbot, dialog, kind.key)
        view = dialog.view
        assert view.model.rowCount() > 0, kind.key
        assert view.chart.isVisible(), kind.key
        assert view.chart.series and any(any(h) for h in view.chart.series.values()), kind.key
        assert view.title.text()
    # Sales of March split into the days of March, in the three segments.
    choose(qtbot, dialog, "sales")
    assert set(dialog.view.chart.series) == {"new", "loyal", "other"}
    assert len(dialog.view.chart.x_labels) == 31


def test_money_reads_as_the_store_writes_it_not_as_a_float(qtbot, open_window, sold):
    dialog = open_reports(qtbot, open_window("manager"))
    pick(qtbot, dialog, "day", FIRST_DAY)  # the first day: one latte, Anna's roses
    choose(qtbot, dialog, "sales")
    model = dialog.view.model
    revenue = [model.text(r, 3) for r in range(model.rowCount())]
    assert "4,500.30" in revenue  # Anna's three roses at 1500.10, in English marks
    assert "250.00" in revenue
    ticks = dialog.view.chart.plot.getAxis("left").tickStrings([0.1 + 0.2, 1000.0], 1.0, 0.1)
    assert ticks == ["0.3", "1,000.0"]
    russian = QLocale(QLocale.Language.Russian, QLocale.Country.Russia)
    assert show_value(Decimal("1234567.5"), "money", russian) == "1\u00a0234\u00a0567,50"
    assert show_value(date(2026, 3, 2), "date", russian) == "02.03.2026"
    assert show_value("2026-03", "text", russian).startswith("март")


def test_a_new_period_reads_the_report_again(qtbot, open_window, sold):
    dialog = open_reports(qtbot, open_window("manager"))
    choose(qtbot, dialog, "sales")
    seen = dialog.loads
    dialog.picker.choose("week", FIRST_DAY + timedelta(days=2), "day")
    qtbot.waitUntil(lambda: dialog.loads > seen)
    assert dialog.report.period == Period(FIRST_DAY, FIRST_DAY + timedelta(days=6), "day")
    assert len(dialog.view.chart.x_labels) == 7
    seen = dialog.loads
    dialog.picker.forward.click()  # the next week: nothing sold yet
    qtbot.waitUntil(lambda: dialog.loads > seen)
    assert dialog.report.period.start == FIRST_DAY + timedelta(days=7)
    assert all(r[2] == 0 for r in dialog.report.rows)
    seen = dialog.loads
    dialog.picker.choose("custom", FIRST_DAY, "week", end=FIRST_DAY + timedelta(days=20))
    qtbot.waitUntil(lambda: dialog.loads > seen)
    assert dialog.report.period == Period(FIRST_DAY, FIRST_DAY + timedelta(days=20), "week")


def saved_to(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_exported_csv_and_xlsx_hold_the_figures_shown(
    qtbot, open_window, sold, tmp_path, monkeypatch
):
    ledger, _ = sold
    dialog = open_reports(qtbot, open_window("manager"))
    pick(qtbot, dialog, "week", FIRST_DAY, "day")
    choose(qtbot, dialog, "sales")
    saved_to(monkeypatch, tmp_path / "sales")  # no extension typed: .csv is added
    dialog.csv_button.click()
    qtbot.waitUntil(lambda: dialog.files.last_saved is not None)
    assert dialog.files.last_saved == tmp_path / "sales.csv"
    with open(tmp_path / "sales.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [c.key for c in dialog.report.columns]
    assert len(rows) == 1 + len(dialog.report.rows)
    assert any("4500.30" in row for row in rows)

    saved_to(monkeypatch, tmp_path / "sales.xlsx")
    dialog.xlsx_button.click()
    qtbot.waitUntil(lambda: dialog.files.last_saved == tmp_path / "sales.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "sales.xlsx").active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert Decimal("4500.3") in {
        Decimal(str(v)) for v in cells if isinstance(v, int | float | Decimal)
    }
    assert "Revenue" in cells

    with ledger.db.read() as conn:
        lines = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.details, t.audit_log.c.actor)
        ).all()
    exports = [line for line in lines if line.action == "export_report"]
    assert len(exports) == 2
    assert all(line.actor == "Мария" and '"report": "sales"' in line.details for line in exports)


def test_print_to_pdf_writes_a_pdf_with_the_chart(qtbot, open_window, sold, tmp_path, monkeypatch):
    dialog = open_reports(qtbot, open_window("manager"))
    pick(qtbot, dialog, "month", FIRST_DAY, "day")
    choose(qtbot, dialog, "points")
    saved_to(monkeypatch, tmp_path / "points.pdf")
    dialog.pdf_button.click()
    qtbot.waitUntil(lambda: dialog.files.last_saved is not None)
    data = (tmp_path / "points.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/Image" in data or b"/XObject" in data  # the chart went in as a picture
    assert "points.pdf" in dialog.message.text()


def test_closing_a_shift_shows_its_report_before_logging_out(qtbot, open_window, store):
    ledger, staff = store
    window = open_window("cashier")
    service.record_sale(ledger, LATTE, actor=staff["cashier"])
    service.record_sale(ledger, ROSES, actor=staff["cashier"])
    shown = []

    def read(dialog: ShiftReportDialog) -> None:
        qtbot.waitUntil(lambda: dialog.report is not None)
        model = dialog.view.model
        assert model.rowCount() == len(dialog.report.columns)  # one shift, read down
        shown.append([model.text(0, c) for c in range(len(dialog.report.columns))])
        dialog.accept()

    when_modal(ShiftReportDialog, read)
    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        window.close_shift()
    assert shown and shown[0][0] == "Анна"
    assert shown[0][2] == "2" and shown[0][3] == "4,750.30"


def test_a_cashier_has_no_reports(qtbot, open_window, sold, tmp_path):
    ledger, staff = sold
    window = open_window("cashier")
    assert not window.back_office.actions["reports_action"].isVisible()
    assert not window.back_office.menu.menuAction().isVisible()
    cashier, march = staff["cashier"], Period(FIRST_DAY, FIRST_DAY + timedelta(days=6), "day")
    asks = [
        lambda: reports.sales_report(ledger, cashier, march),
        lambda: reports.points_report(ledger, cashier, march),
        lambda: reports.groups_report(ledger, cashier, march),
        lambda: reports.tiers_report(ledger, cashier, march),
        lambda: reports.shift_report(ledger, cashier, march),
        lambda: reports.winback_report(ledger, cashier, noon(FIRST_DAY)),
        lambda: reports.birthdays_report(ledger, cashier, noon(FIRST_DAY)),
    ]
    for ask in asks:
        with pytest.raises(LoyaltyError) as refused:
            ask()
        assert refused.value.code == "not_allowed"
    manager_report = reports.sales_report(ledger, staff["manager"], march)
    with pytest.raises(LoyaltyError) as refused:
        report_files.save_report(ledger, manager_report, tmp_path / "s.csv", "csv", actor=cashier)
    assert refused.value.code == "not_allowed"
    assert not (tmp_path / "s.csv").exists()


def test_the_manager_opens_reports_from_the_back_office_menu(qtbot, open_window, sold):
    window = open_window("manager")
    action = window.back_office.actions["reports_action"]
    assert action.isVisible()

    def look(dialog: ReportsDialog) -> None:
        qtbot.waitUntil(lambda: dialog.report is not None)
        dialog.accept()

    seen = when_modal(ReportsDialog, look)
    action.trigger()
    assert seen


def test_a_notes_figures_are_kept_when_its_words_are_translated(qapp):
    from cashier_app.ui import i18n
    from cashier_app.ui.reports.formatting import translate_note

    russian = QLocale(QLocale.Language.Russian, QLocale.Country.Russia)
    note = "No purchase for more than 60 days before 2026-03-02."
    assert translate_note(note, russian) == note  # an English window: as the service wrote it
    i18n.install(qapp, "ru")
    try:
        assert translate_note(note, russian) == "Не покупали больше 60 дней до 02.03.2026."
        assert translate_note("Something new: 12 of 30.", russian) == "Something new: 12 of 30."
    finally:
        i18n.install(qapp, "en")


def test_a_cashier_prints_their_own_shift_and_nobody_elses(store, tmp_path):
    ledger, staff = store
    anna, olga = staff["cashier"], staff["senior"]
    users.open_shift(ledger, actor=olga)
    service.record_sale(ledger, LATTE, actor=olga)
    closed = users.close_shift(ledger, actor=olga)
    shift = users.current_shift(ledger, anna) or users.open_shift(ledger, actor=anna)
    today = Period(FIRST_DAY, FIRST_DAY)
    own = reports.shift_report(ledger, anna, today, shift.id)
    painted = []

    def paint(target):  # the painter draws into the temporary file renamed when whole
        painted.append(target)
        target.write_bytes(b"%PDF-1.4")

    report_files.save_report(ledger, own, tmp_path / "own.pdf", "pdf", actor=anna, paint=paint)
    assert len(painted) == 1 and (tmp_path / "own.pdf").read_bytes() == b"%PDF-1.4"
    with pytest.raises(LoyaltyError) as refused:
        reports.shift_report(ledger, anna, today, closed.id)
    assert refused.value.code == "not_allowed"
    hers = reports.shift_report(ledger, staff["manager"], today, closed.id)
    with pytest.raises(LoyaltyError) as refused:
        report_files.save_report(ledger, hers, tmp_path / "x.pdf", "pdf", actor=anna, paint=paint)
    assert refused.value.code == "not_allowed" and len(painted) == 1


def test_a_negative_segment_is_stacked_down_from_zero_not_over_the_others(qtbot, tmp_path):
    """A day of returns only: new customers +900.00, loyal -1,000.00. The blue bar of the
    new customers stands from 0 to 900 and the loyal one hangs from 0 to -1,000, instead of
    loyal drawn from 900 down to -100 over the blue one (a defect the tester found)."""
    import pyqtgraph as pg

    from cashier_app.service.report_model import Chart, Report
    from cashier_app.service.reports.sales import SALES_COLUMNS
    from cashier_app.ui.reports.chart import ReportChart

    report = Report(
        name="sales",
        title="Sales",
        period=Period(date(2026, 11, 2), date(2026, 11, 3), "day"),
        columns=SALES_COLUMNS,
        rows=(
            ("2026-11-02", "new", 2, Decimal("900.00"), Decimal("450.00")),
            ("2026-11-02", "loyal", 0, Decimal("-1000.00"), Decimal("0.00")),
            ("2026-11-02", "other", 1, Decimal("200.00"), Decimal("200.00")),
            ("2026-11-03", "new", 1, Decimal("100.00"), Decimal("100.00")),
            ("2026-11-03", "loyal", 1, Decimal("300.00"), Decimal("300.00")),
            ("2026-11-03", "other", 0, Decimal("0.00"), Decimal("0.00")),
        ),
        chart=Chart("stacked_bar", x="period", values=("revenue",), split="segment"),
    )
    chart = ReportChart()
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show_report(report, QLocale(QLocale.Language.Russian, QLocale.Country.Russia))
    bars = [i for i in chart.plot.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    drawn = {b.name(): list(zip(b.opts["y0"], b.opts["height"], strict=True)) for b in bars}
    assert drawn["new"] == [(0.0, 900.0), (0.0, 100.0)]
    assert drawn["loyal"] == [(0.0, -1000.0), (100.0, 300.0)]
    assert drawn["other"] == [(900.0, 200.0), (400.0, 0.0)]
    low, high = chart.plot.getViewBox().viewRange()[1]
    assert low < -1000 and high >= 1100
    chart.show()
    chart.grab().save(str(tmp_path / "negative.png"))
