"""The chart above a report's table, drawn with pyqtgraph: stacked bars (the sales by
segment), plain or side-by-side bars (groups, tiers), a line (the points liability).

pyqtgraph rather than Qt Charts (deprecated since Qt 6.10) or Qt Graphs (in
PySide6-Addons, which the till does not install, and drawn through Qt Quick): it paints
with QPainter, so it renders the same offscreen, under Xvfb and in a PDF; 365 stacked bars
draw and grab in about 30 ms. The plot needs floats for its geometry only: every label a
person reads (axis ticks, the legend) is written from Decimals by formatting.py."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import QLocale
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cashier_app.service.report_model import ColumnKind, Report, Value
from cashier_app.ui.reports.formatting import axis_label, axis_text, translate

# Colours told apart by the colour-blind too (Okabe–Ito), the first two the busiest.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
MAX_X_LABELS = 12  # more would overlap at 1366 px wide


class ValueAxis(pg.AxisItem):  # type: ignore[misc]
    """The value axis: ticks written like the table writes the column."""

    def __init__(self, kind: ColumnKind, locale: QLocale) -> None:
        super().__init__("left")
        self.kind = kind
        self.shop_locale = locale

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels: list[tuple[float, float]] = super().tickSpacing(minVal, maxVal, size)
        if self.kind != "int":
            return levels
        # Customers and receipts come whole: no tick at half a customer.
        whole = [(max(1.0, spacing), offset) for spacing, offset in levels]
        return [level for i, level in enumerate(whole) if level not in whole[:i]]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [axis_label(v * scale, spacing * scale, self.kind, self.shop_locale) for v in values]


def as_number(value: Value) -> float:
    """The bar's height (geometry only; the label comes from the Decimal)."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return 0.0


class ReportChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_chart")
        self.shop_locale = QLocale()
        self.series: dict[str, list[float]] = {}  # what is drawn, by its legend's name
        self.x_labels: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(220)
        layout.addWidget(self.plot)

    def show_report(self, report: Report, locale: QLocale) -> None:
        self.shop_locale = locale
        self.plot.clear()
        self.series = {}
        self.x_labels = []
        item = self.plot.getPlotItem()
        if item.legend is not None:
            item.legend.scene().removeItem(item.legend)
            item.legend = None
        chart = report.chart
        if chart is None or not report.rows:
            return  # the view hides an empty chart: axes of nothing say nothing
        first_value = report.columns[report.column(chart.values[0])]
        axis = ValueAxis(first_value.kind, locale)
        self.plot.setAxisItems({"left": axis})
        axis.setWidth(90)
        x_column = report.columns[report.column(chart.x)]
        xs: list[Value] = []
        for row in report.rows:
            x = row[report.column(chart.x)]
            if x not in xs:
                xs.append(x)
        self.x_labels = [axis_text(x, x_column.kind, locale) for x in xs]
        if chart.split is not None:
            # One series per value of the split column (the sales' segments), in the
            # order they first come; a missing day of a segment is a zero, not a gap.
            split_at, value_at = report.column(chart.split), report.column(chart.values[0])
            for row in report.rows:
                name = translate(str(row[split_at]))
                heights = self.series.setdefault(name, [0.0] * len(xs))
                heights[xs.index(row[report.column(chart.x)])] += as_number(row[value_at])
        else:
            for key in chart.values:
                at = report.column(key)
                heights = [0.0] * len(xs)
                for row in report.rows:
                    heights[xs.index(row[report.column(chart.x)])] += as_number(row[at])
                self.series[translate(report.columns[at].title)] = heights
        if len(self.series) > 1:
            # One row above the bars (the headroom below keeps it clear of them).
            legend = item.addLegend(
                offset=(10, 2), labelTextSize="10pt", labelTextColor="#16181d",
                colCount=len(self.series),
            )  # fmt: skip
            legend.setBrush(pg.mkBrush(255, 255, 255, 230))
        # One series: its name on the axis instead of a legend that would cover a bar.
        title = next(iter(self.series)) if len(self.series) == 1 else ""
        if chart.kind == "line":
            self._lines()
        else:
            self._bars(stacked=chart.kind == "stacked_bar")
        self._x_axis()
        axis.setLabel(title, **{"color": "#16181d", "font-size": "10pt"})
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.plot.autoRange()
        lowest = min((min(h) for h in self.series.values()), default=0.0)
        highest = max((max(h) for h in self.series.values()), default=0.0)
        if chart.kind == "stacked_bar":
            columns = list(zip(*self.series.values(), strict=True))
            highest = max((sum(h for h in c if h > 0) for c in columns), default=0.0)
            lowest = min((sum(h for h in c if h < 0) for c in columns), default=0.0)
        headroom = 1.15 if len(self.series) > 1 else 1.05
        low, high = min(0.0, lowest), max(highest * headroom, 1.0)
        # A little below the lowest value, so the axis still writes its zero.
        self.plot.setYRange(low - (high - low) * 0.03, high, padding=0)
        self.plot.setXRange(-0.6, len(xs) - 0.4, padding=0)

    def _bars(self, stacked: bool) -> None:
        n = len(self.series)
        bases = stack_bases(list(self.series.values()))
        width = 0.8 if stacked or n == 1 else 0.8 / n
        pen = None if len(self.x_labels) > 60 else pg.mkPen("#ffffff", width=1)
        for i, (name, heights) in enumerate(self.series.items()):
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            xs: list[float] = list(range(len(heights)))
            options: dict[str, Any] = {"height": heights, "brush": colour, "pen": pen}
            if stacked:
                options["y0"] = bases[i]
            elif n > 1:
                xs = [x - 0.4 + width * (i + 0.5) for x in xs]
            bars = pg.BarGraphItem(x=xs, width=width, name=name, **options)
            self.plot.addItem(bars)

    def _lines(self) -> None:
        for i, (name, heights) in enumerate(self.series.items()):
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            symbol = "o" if len(heights) <= 60 else None
            self.plot.plot(
                list(range(len(heights))), heights, name=name,
                pen=pg.mkPen(colour, width=2.5), symbol=symbol, symbolSize=6,
                symbolBrush=colour, symbolPen=None,
            )  # fmt: skip

    def _x_axis(self) -> None:
        """The x column's labels (days, weeks, groups), thinned out to MAX_X_LABELS so they
        never write over each other."""
        step = max(1, math.ceil(len(self.x_labels) / MAX_X_LABELS))
        ticks = [(i, label) for i, label in enumerate(self.x_labels) if i % step == 0]
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([ticks, []])
        font = QFont(self.font())
        font.setPointSize(9)
        for side in ("bottom", "left"):
            self.plot.getAxis(side).setTickFont(font)
            self.plot.getAxis(side).setTextPen(QPen(QColor("#3d4350")))
            self.plot.getAxis(side).setPen(QPen(QColor("#9aa3b2")))
        for side in ("bottom", "left"):
            # The edge labels (the first day, the zero) are inside the view: keep them.
            self.plot.getAxis(side).setStyle(hideOverlappingLabels=False)


def stack_bases(series: list[list[float]]) -> list[list[float]]:
    """Where each series' bars start when stacked: positive amounts upward from zero on
    top of the positives before them, negative ones (a day of returns only) downward from
    zero below the negatives before them, so no bar is drawn over another."""
    if not series:
        return []
    up = [0.0] * len(series[0])
    down = [0.0] * len(series[0])
    out = []
    for heights in series:
        starts = []
        for j, h in enumerate(heights):
            if h >= 0:
                starts.append(up[j])
                up[j] += h
            else:
                starts.append(down[j])
                down[j] += h
        out.append(starts)
    return out
