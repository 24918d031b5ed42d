"""The window's writes as operations (Anki's ``aqt/operations`` ``CollectionOp`` shape).

An operation runs its service call on the TaskManager's writer thread, hands the result
to ``success`` (or the error to ``failure``) on the GUI thread, then tells every screen
what changed through ``TaskManager.operation_done``: each screen refreshes what it shows
from that, so the screen that started the write need not know who else shows the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from cashier_app.engine.automation import AutoEvent
from cashier_app.service.results import CustomerView
from cashier_app.ui.tasks import TaskManager

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OpChanges:
    """What an operation changed."""

    name: str  # which operation: for the log, and for tests to tell them apart
    customers: frozenset[str] = frozenset()  # whose points or details changed
    receipt: str | None = None  # the receipt recorded or given back
    catalogue: bool = False  # products, prices or categories
    sync: bool = False  # what waits to go to the server, the refused list, the enrolment


def customer_ids(
    *views: CustomerView | None, automatic: Iterable[AutoEvent] = ()
) -> frozenset[str]:
    """The customers an operation touched: those it names, and those of the automatic
    events (a bonus falling due) it recorded on the way."""
    return frozenset(v.id for v in views if v is not None) | {e.customer for e in automatic}


class CollectionOp(Generic[T]):
    """One write: ``op`` runs off the GUI thread; ``changes`` says, from its result, what
    it changed. Without a ``failure`` callback an error is raised on the GUI thread, where
    the application's hook logs it."""

    def __init__(
        self, tasks: TaskManager, op: Callable[[], T], changes: Callable[[T], OpChanges]
    ) -> None:
        self._tasks = tasks
        self._op = op
        self._changes = changes
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[BaseException], object] | None = None

    def success(self, callback: Callable[[T], object]) -> CollectionOp[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], object]) -> CollectionOp[T]:
        self._failure = callback
        return self

    def run_in_background(self) -> Future[T]:
        return self._tasks.write(self._op, self._done, self._failed)

    def _done(self, result: T) -> None:
        try:
            if self._success is not None:
                self._success(result)
        finally:
            self._tasks.operation_done.emit(self._changes(result))

    def _failed(self, error: BaseException) -> None:
        if self._failure is None:
            raise error
        self._failure(error)
