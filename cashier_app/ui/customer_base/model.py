"""The customer base as a Qt table model that never holds the whole base: it asks the
service for windows of 200 rows off the GUI thread, shows "…" in rows still on their way,
and forgets pages far from where the manager looks, so a million customers scroll with
the memory of a few thousand.

A new filter or sort starts a new generation: pages and counts of an older one that
arrive late are dropped, and a page whose turn comes after its generation ended (or after
the manager scrolled far away) is not read at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from cashier_app.service.customer_base import SORT_COLUMNS, CustomerFilter, CustomerRow, Sort
from cashier_app.ui.receipt_model import qty_text
from cashier_app.ui.tasks import TaskManager

PAGE = 200
KEEP_PAGES = 40  # pages held in memory: 8,000 rows around what is on screen
FAR = 3  # a queued page more than this many pages from the last one asked is not read
PLACEHOLDER = "…"

Index = QModelIndex | QPersistentModelIndex
CountReader = Callable[[CustomerFilter], int]
PageReader = Callable[[CustomerFilter, Sort, int, int], list[CustomerRow]]


class CustomerBaseModel(QAbstractTableModel):
    counted = Signal(int)  # the filter's count arrived
    page_loaded = Signal(int)  # a page's rows arrived (its number)
    failed = Signal(object)  # a read was refused (the error)

    def __init__(
        self,
        tasks: TaskManager,
        read_count: CountReader,
        read_page: PageReader,
        tz: Any,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._read_count = read_count
        self._read_page = read_page
        self._tz = tz
        self.filter = CustomerFilter()
        self.order = Sort()
        self.generation = 0
        self.total: int | None = None  # None until the count arrives
        self._rows = 0
        self._pages: OrderedDict[int, list[CustomerRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._last_asked = 0
        self._broken = False  # a read of this generation was refused: ask no more
        self.pages_read = 0  # pages the service was asked for and read (tests, bench)
        self.headers = [
            self.tr("Name"), self.tr("Phone"), self.tr("Cards"), self.tr("Group"),
            self.tr("Tier"), self.tr("Points"), self.tr("Last purchase"), self.tr("Registered"),
            self.tr("Birthday"), self.tr("Consent"),
        ]  # fmt: skip

    # -- what the screen asks ------------------------------------------------------------
    def set_query(self, f: CustomerFilter, order: Sort | None = None) -> None:
        """Show another filter or sort: the old pages go, the first window and the count
        are asked for at once (the window is on screen before a slow count is done)."""
        self.beginResetModel()
        self.generation += 1
        self.filter = f
        self.order = order or self.order
        self.total = None
        self._rows = 0
        self._pages.clear()
        self._pending.clear()
        self._last_asked = 0
        self._broken = False
        self.endResetModel()
        gen = self.generation
        self.tasks.read(
            lambda: self._read_count(f),
            lambda n: self._count_arrived(gen, n),
            lambda e: self._failed(gen, e),
        )
        self._ask(0)

    def refresh(self) -> None:
        self.set_query(self.filter, self.order)

    def row_at(self, row: int) -> CustomerRow | None:
        page = self._pages.get(row // PAGE)
        if page is None or row % PAGE >= len(page):
            return None
        return page[row % PAGE]

    def loaded_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    # -- QAbstractTableModel ---------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        page_no = index.row() // PAGE
        page = self._pages.get(page_no)
        if page is None:
            self._ask(page_no)
            return PLACEHOLDER
        self._pages.move_to_end(page_no)
        offset = index.row() % PAGE
        if offset >= len(page):
            return ""
        return self._cell(page[offset], index.column())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(self.filter, Sort(SORT_COLUMNS[column], descending))  # type: ignore[arg-type]

    # -- cells -----------------------------------------------------------------------------
    def _when(self, moment: datetime | None) -> str:
        return moment.astimezone(self._tz).strftime("%d.%m.%Y") if moment else "—"

    def _cell(self, row: CustomerRow, column: int) -> str:
        if column == 0:
            return self.tr("(anonymised)") if row.anonymised else row.name or self.tr("(no name)")
        if column == 1:
            return row.phone
        if column == 2:
            return ", ".join(row.cards)
        if column == 3:
            return row.group
        if column == 4:
            return row.tier or "—"
        if column == 5:
            return qty_text(row.balance)
        if column == 6:
            return self._when(row.last_purchase_at)
        if column == 7:
            return self._when(row.registered_at)
        if column == 8:
            birthday: date | None = row.birthday
            return birthday.strftime("%d.%m.%Y") if birthday else "—"
        return self.tr("yes") if row.consent else self.tr("no")

    # -- reading pages off the GUI thread ----------------------------------------------------
    def _ask(self, page_no: int) -> None:
        self._last_asked = page_no
        if self._broken or page_no in self._pending or page_no in self._pages:
            return
        self._pending.add(page_no)
        gen, f, order = self.generation, self.filter, self.order

        def read() -> list[CustomerRow] | None:
            # Read only if still wanted when its turn comes: a manager dragging the
            # scroll bar to the end asks for pages on the way that nobody will look at.
            if gen != self.generation or abs(page_no - self._last_asked) > FAR:
                return None
            return self._read_page(f, order, page_no * PAGE, PAGE)

        self.tasks.read(
            read,
            lambda rows: self._page_arrived(gen, page_no, rows),
            lambda e: self._failed(gen, e),
        )

    def _page_arrived(self, gen: int, page_no: int, rows: list[CustomerRow] | None) -> None:
        if gen != self.generation:
            return  # an older filter's page
        self._pending.discard(page_no)
        if rows is None:
            return  # skipped: data() asks again if the page comes into view
        self.pages_read += 1
        self._pages[page_no] = rows
        while len(self._pages) > KEEP_PAGES:
            self._pages.popitem(last=False)
        if self.total is None:
            # No count yet: as many rows as are known, one more page if this one is full.
            known = page_no * PAGE + len(rows) + (PAGE if len(rows) == PAGE else 0)
            self._resize(max(self._rows, known))
        if rows:
            first = page_no * PAGE
            last = min(first + len(rows), self._rows) - 1
            if last >= first:
                self.dataChanged.emit(
                    self.index(first, 0), self.index(last, self.columnCount() - 1)
                )
        self.page_loaded.emit(page_no)

    def _count_arrived(self, gen: int, n: int) -> None:
        if gen != self.generation:
            return
        self.total = n
        self._resize(n)
        self.counted.emit(n)

    def _resize(self, rows: int) -> None:
        if rows > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, rows - 1)
            self._rows = rows
            self.endInsertRows()
        elif rows < self._rows:
            self.beginRemoveRows(QModelIndex(), rows, self._rows - 1)
            self._rows = rows
            self.endRemoveRows()

    def _failed(self, gen: int, error: BaseException) -> None:
        if gen == self.generation:
            self._pending.clear()
            self._broken = True
            self.failed.emit(error)
