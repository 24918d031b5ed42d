"""The customer base as a Qt table model that never holds the whole base: it asks the
service for windows of 200 rows off the GUI thread, shows "…" in rows still on their way,
and forgets pages far from where the manager looks, so a million customers scroll with
the memory of a few thousand.

A new filter or sort starts a new generation: pages and counts of an older one that
arrive late are dropped, and a page whose turn comes after its generation ended (or after
the manager scrolled far away) is not read at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from cashier_app.service.customer_base import SORT_COLUMNS, CustomerFilter, CustomerRow, Sort
from cashier_app.ui.receipt_model import qty_text
from cashier_app.ui.tasks import TaskManager

PAGE = 200
KEEP_PAGES = 40  # pages held in memory: 8,000 rows around what is on screen
REST_MS = 60  # the view rests this long before the pages it shows are read
FAR = 3  # a queued page more than this many pages from the last one asked is not read
PLACEHOLDER = "…"

Index = QModelIndex | QPersistentModelIndex
_DISPLAY, _ALIGN = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
        self._pages: dict[int, list[CustomerRow]] = {}
        # Each page's cells as text, made on the reader thread: painting a screenful asks
        # data() some thousands of times, which must be a lookup, not date formatting.
        self._texts: dict[int, list[tuple[str, ...]]] = {}
        self._pending: set[int] = set()
        self._last_asked = 0
        self._broken = False  # a read of this generation was refused: ask no more
        self._wanted: set[int] = set()
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._read_wanted)
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
        self._texts.clear()
        self._pending.clear()
        self._last_asked = 0
        self._broken = False
        self._wanted.clear()
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

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Called thousands of times a repaint, for every role of every cell: kept short.
        if role != _DISPLAY:
            return _RIGHT if role == _ALIGN and index.column() == 5 else None
        if not index.isValid():
            return None
        texts = self._texts.get(index.row() // PAGE)
        if texts is None:
            self._want(index.row() // PAGE)
            return PLACEHOLDER
        offset = index.row() % PAGE
        return texts[offset][index.column()] if offset < len(texts) else ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(self.filter, Sort(SORT_COLUMNS[column], descending))  # type: ignore[arg-type]

    # -- cells -----------------------------------------------------------------------------
    def _when(self, moment: datetime | None) -> str:
        return moment.astimezone(self._tz).strftime("%d.%m.%Y") if moment else "—"

    def _cells(self, row: CustomerRow) -> tuple[str, ...]:
        birthday: date | None = row.birthday
        return (
            self.tr("(anonymised)") if row.anonymised else row.name or self.tr("(no name)"),
            row.phone,
            ", ".join(row.cards),
            row.group,
            row.tier or "—",
            qty_text(row.balance),
            self._when(row.last_purchase_at),
            self._when(row.registered_at),
            birthday.strftime("%d.%m.%Y") if birthday else "—",
            self.tr("yes") if row.consent else self.tr("no"),
        )

    # -- reading pages off the GUI thread ----------------------------------------------------
    def _want(self, page_no: int) -> None:
        """A page came into view. While the bar is dragged, pages fly past: they are read
        once the view rests for a moment, and then only those near where it rests. A
        reader busy in Python holds the interpreter the GUI thread paints with."""
        self._last_asked = page_no
        new = page_no not in self._wanted
        if new and page_no not in self._pending and page_no not in self._pages:
            self._wanted.add(page_no)
            self._rest.start()  # a page not seen before: the view is still moving

    def _read_wanted(self) -> None:
        wanted, self._wanted = self._wanted, set()
        for page_no in sorted(wanted, key=lambda p: abs(p - self._last_asked)):
            if abs(page_no - self._last_asked) <= 1:
                self._ask(page_no)

    def _ask(self, page_no: int) -> None:
        if self._broken or page_no in self._pending or page_no in self._pages:
            return
        self._pending.add(page_no)
        gen, f, order = self.generation, self.filter, self.order

        def read() -> tuple[list[CustomerRow], list[tuple[str, ...]]] | None:
            # Read only if still wanted when its turn comes: a manager dragging the
            # scroll bar to the end asks for pages on the way that nobody will look at.
            if gen != self.generation or abs(page_no - self._last_asked) > FAR:
                return None
            rows = self._read_page(f, order, page_no * PAGE, PAGE)
            return rows, [self._cells(r) for r in rows]

        self.tasks.read(
            read,
            lambda rows: self._page_arrived(gen, page_no, rows),
            lambda e: self._failed(gen, e),
        )

    def _page_arrived(
        self,
        gen: int,
        page_no: int,
        read: tuple[list[CustomerRow], list[tuple[str, ...]]] | None,
    ) -> None:
        if gen != self.generation:
            return  # an older filter's page
        self._pending.discard(page_no)
        if read is None:
            return  # skipped: data() asks again if the page comes into view
        rows, texts = read
        self.pages_read += 1
        self._pages[page_no], self._texts[page_no] = rows, texts
        if len(self._pages) > KEEP_PAGES:
            # Forget the page farthest from where the manager looks.
            far = max(self._pages, key=lambda p: abs(p - self._last_asked))
            del self._pages[far], self._texts[far]
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
