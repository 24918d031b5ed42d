"""A report printed to PDF: its title, its period, the chart as the window drew it and the
table, the header repeated on every page.

The window prepares a ``PrintedReport`` on the GUI thread (the texts translated and
formatted, the chart grabbed into a QImage: a widget or a QPixmap may not be touched from
another thread) and ``write_pdf`` paints it on a worker, where a QPainter may paint on a
QPdfWriter and a QImage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

DPI = 150
LANDSCAPE_FROM_COLUMNS = 6  # wider tables turn the page


@dataclass(frozen=True, slots=True)
class PrintedReport:
    title: str
    subtitle: str  # the period, the store, when it was printed
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    chart: QImage | None
    notes: tuple[str, ...] = ()


def write_pdf(report: PrintedReport, path: Path) -> Path:
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setTitle(report.title)
    writer.setCreator("cashier-app")
    landscape = len(report.headers) >= LANDSCAPE_FROM_COLUMNS
    orientation = (
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), orientation, QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )  # fmt: skip
    painter = QPainter(writer)
    try:
        _paint(painter, writer, report)
    finally:
        painter.end()
    return path


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _paint(painter: QPainter, writer: QPdfWriter, report: PrintedReport) -> None:
    page = QRectF(writer.pageLayout().paintRectPixels(writer.resolution()))
    width, height = page.width(), page.height()
    y = 0.0
    title = _font(16, bold=True)
    painter.setFont(title)
    line = QFontMetricsF(title, writer).height()
    painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignLeft, report.title)
    y += line * 1.2
    small = _font(10)
    painter.setFont(small)
    line = QFontMetricsF(small, writer).height()
    painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignLeft, report.subtitle)
    y += line * 1.6
    if report.chart is not None and not report.chart.isNull():
        # The chart keeps its proportions and takes at most 40 % of the first page.
        scaled = report.chart.size().scaled(
            int(width), int(height * 0.4), Qt.AspectRatioMode.KeepAspectRatio
        )
        painter.drawImage(QRectF(0, y, scaled.width(), scaled.height()), report.chart)
        y += scaled.height() + line
    y = _table(painter, writer, report, y, width, height)
    painter.setFont(small)
    for note in report.notes:
        if y + line > height:
            writer.newPage()
            y = 0.0
        painter.drawText(QRectF(0, y, width, line * 3), Qt.TextFlag.TextWordWrap, note)
        y += line * 1.3


def _table(
    painter: QPainter,
    writer: QPdfWriter,
    report: PrintedReport,
    y: float,
    width: float,
    height: float,
) -> float:
    body, head = _font(9), _font(9, bold=True)
    metrics, head_metrics = QFontMetricsF(body, writer), QFontMetricsF(head, writer)
    pad = metrics.averageCharWidth()
    # A header may wrap onto two lines: its longest word, not its whole text, sets the
    # least width its column needs.
    wanted = [
        max(head_metrics.horizontalAdvance(word) for word in (h.split() or [""])) + 2 * pad
        for h in report.headers
    ]
    for row in report.rows:
        for i, cell in enumerate(row):
            wanted[i] = max(wanted[i], metrics.horizontalAdvance(cell) + 2 * pad)
    # Columns share the page in proportion to their widest text (a long name wraps).
    scale = min(1.0, width / max(sum(wanted), 1.0))
    widths = [w * scale for w in wanted]
    row_height = metrics.height() * 1.5
    grid = QPen(QColor("#c8cdd6"))

    head_height = row_height * (2 if any(
        head_metrics.horizontalAdvance(h) + 2 * pad > w for h, w in zip(report.headers, widths, strict=True)
    ) else 1)  # fmt: skip

    def header(at: float) -> float:
        painter.fillRect(QRectF(0, at, sum(widths), head_height), QColor("#eceef2"))
        painter.setFont(head)
        _cells(painter, report.headers, widths, report.numeric, at, head_height, pad)
        return at + head_height

    y = header(y)
    painter.setFont(body)
    for row in report.rows:
        if y + row_height > height:
            writer.newPage()
            y = header(0.0)
            painter.setFont(body)
        _cells(painter, row, widths, report.numeric, y, row_height, pad)
        painter.setPen(grid)
        painter.drawLine(0, int(y + row_height), int(sum(widths)), int(y + row_height))
        painter.setPen(QPen(QColor("#16181d")))
        y += row_height
    return y + row_height


def _cells(
    painter: QPainter,
    cells: tuple[str, ...],
    widths: list[float],
    numeric: tuple[bool, ...],
    y: float,
    row_height: float,
    pad: float,
) -> None:
    x = 0.0
    for cell, w, right in zip(cells, widths, numeric, strict=True):
        side = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
        box = QRectF(x + pad, y, w - 2 * pad, row_height)
        flags = side | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(box, flags, cell)
        x += w
