"""The Staff… dialog: the list of users and the changes a manager or an administrator
makes to them. Reads and writes run off the GUI thread (TaskManager, CollectionOp); a
refusal (the last administrator, a role the acting user may not give, the central server
unreachable) is shown plainly in the dialog and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cashier_app.engine.errors import LoyaltyError
from cashier_app.engine.protocol import Role
from cashier_app.service import staff as staff_service
from cashier_app.service import users
from cashier_app.service.staff import StaffMember
from cashier_app.service.users import Permission
from cashier_app.sync import staff as staff_changes
from cashier_app.ui.messages import explain
from cashier_app.ui.operations import CollectionOp, OpChanges
from cashier_app.ui.staff.forms import RoleNames, StaffForm
from cashier_app.ui.tasks import TaskManager
from cashier_app.ui.theme import DANGER
from cashier_app.ui.workstation import Workstation


@dataclass(frozen=True, slots=True)
class StaffList:
    members: list[StaffMember]
    enrolled: bool
    now: datetime
    tz: tzinfo


class StaffDialog(QDialog):
    def __init__(self, ws: Workstation, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("staff_dialog")
        self.ws = ws
        self.tasks = tasks
        self.members: list[StaffMember] = []
        self.enrolled = False
        self.words = RoleNames(self)
        self.setWindowTitle(self.tr("Staff"))
        self.resize(820, 460)
        layout = QVBoxLayout(self)
        self.intro = QLabel(
            self.tr(
                "Who may log in at this till and what each may do. A deactivated user "
                "cannot log in; their receipts and their lines in the audit log stay."
            )
        )
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("staff_table")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Role"), self.tr("May log in"), self.tr("Locked")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table)
        self.message = QLabel("")
        self.message.setObjectName("staff_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.add_button = self._button("staff_add", self.tr("Add user…"), self.add_user)
        self.role_button = self._button(
            "staff_role_button", self.tr("Change role…"), self.change_role
        )
        self.pin_button = self._button("staff_pin_button", self.tr("Reset PIN…"), self.reset_pin)
        self.active_button = self._button("staff_active", self.tr("Deactivate"), self.toggle_active)
        for button in (self.add_button, self.role_button, self.pin_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self._button("staff_close", self.tr("Close"), self.accept))
        layout.addLayout(buttons)
        self._selected()
        self.reload()

    def _button(self, name: str, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # -- reading -----------------------------------------------------------------------------
    def reload(self) -> None:
        ledger, actor = self.ws.ledger, self.ws.actor

        def read() -> StaffList:
            members = staff_service.list_staff(ledger, actor=actor)
            enrolled, now = staff_changes.is_enrolled(ledger), datetime.now(UTC)
            return StaffList(members, enrolled, now, self.ws.program.tz)

        self.tasks.read(read, self._show, self._failed)

    def _show(self, found: StaffList) -> None:
        selected = self._current()
        self.members, self.enrolled = found.members, found.enrolled
        if found.enrolled:
            self.intro.setText(
                self.tr(
                    "This till is enrolled: staff changes go to the central server, which "
                    "checks your PIN, and come back to every till of the store."
                )
            )
        self.table.setRowCount(len(found.members))
        for row, member in enumerate(found.members):
            locked = ""
            if member.locked(found.now) and member.locked_until is not None:
                until = member.locked_until.astimezone(found.tz).strftime("%H:%M")
                locked = self.tr("until {time}").format(time=until)
            cells = (
                member.name,
                self.words.name(member.role),
                self.tr("yes") if member.active else self.tr("no"),
                locked,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if selected is not None and member.name == selected.name:
                self.table.selectRow(row)
        self._selected()

    def _current(self) -> StaffMember | None:
        rows = self.table.selectionModel().selectedRows()
        return self.members[rows[0].row()] if rows and rows[0].row() < len(self.members) else None

    def _selected(self) -> None:
        member = self._current()
        for button in (self.role_button, self.pin_button, self.active_button):
            button.setEnabled(member is not None)
        if member is not None and not member.active:
            self.active_button.setText(self.tr("Activate"))
        else:
            self.active_button.setText(self.tr("Deactivate"))

    # -- changing ----------------------------------------------------------------------------
    def _roles(self) -> list[Role]:
        """The roles this user may give: an administrator any, a manager the cashiers'."""
        if self.ws.can(Permission.MANAGE_ADMINISTRATORS):
            return list(Role)
        return [Role.CASHIER, Role.SENIOR_CASHIER]

    def add_user(self) -> None:
        form = StaffForm(
            self.tr("Add user"), self, name=True, roles=self._roles(), new_pin=True,
            own_pin=self.enrolled,
        )  # fmt: skip
        if not form.exec():
            return
        name, role, pin = form.name.text(), form.chosen_role(), form.pin.text()
        ledger, actor, own = self.ws.ledger, self.ws.actor, form.own_pin.text() or None
        self._change(
            lambda: staff_changes.add_user(ledger, actor, name, role, pin, actor_pin=own),
            self.tr("{name} is added.").format(name=" ".join(name.split())),
            own,
        )

    def change_role(self) -> None:
        member = self._current()
        if member is None:
            return
        form = StaffForm(
            self.tr("Change the role of {name}").format(name=member.name), self,
            roles=self._roles(), current=member.role, new_pin=True, own_pin=self.enrolled,
        )  # fmt: skip
        form.pin.setPlaceholderText(self.tr("only for a manager or an administrator"))
        if not form.exec():
            return
        role, pin = form.chosen_role(), form.pin.text() or None
        ledger, actor, own = self.ws.ledger, self.ws.actor, form.own_pin.text() or None
        self._change(
            lambda: staff_changes.set_role(
                ledger, actor, member.name, role, new_pin=pin, actor_pin=own
            ),
            self.tr("{name} is now: {role}.").format(name=member.name, role=self.words.name(role)),
            own,
        )

    def reset_pin(self) -> None:
        member = self._current()
        if member is None:
            return
        form = StaffForm(
            self.tr("A new PIN for {name}").format(name=member.name), self, new_pin=True,
            own_pin=self.enrolled,
        )  # fmt: skip
        if not form.exec():
            return
        pin, ledger, actor = form.pin.text(), self.ws.ledger, self.ws.actor
        own = form.own_pin.text() or None
        self._change(
            lambda: staff_changes.reset_pin(ledger, actor, member.name, pin, actor_pin=own),
            self.tr("{name} has a new PIN and may log in again.").format(name=member.name),
            own,
        )

    def toggle_active(self) -> None:
        member = self._current()
        if member is None:
            return
        own = None
        if self.enrolled:
            form = StaffForm(self.active_button.text(), self, own_pin=True)
            if not form.exec():
                return
            own = form.own_pin.text()
        ledger, actor, active = self.ws.ledger, self.ws.actor, not member.active
        done = self.tr("{name} may log in again.") if active else self.tr("{name} is deactivated.")
        self._change(
            lambda: staff_changes.set_active(ledger, actor, member.name, active, actor_pin=own),
            done.format(name=member.name),
            own,
        )

    def _change(self, task: Callable[[], None], done: str, own_pin: str | None) -> None:
        ledger, actor = self.ws.ledger, self.ws.actor

        def run() -> None:
            if own_pin is not None:
                # Checked here first, where wrong PINs are counted and lock the user, so
                # the server's check cannot be used to try PINs one after another.
                users.login(ledger, actor.name, own_pin)
            task()

        op = CollectionOp(self.tasks, run, lambda _: OpChanges("staff"))
        op.success(lambda _: self._done(done)).failure(self._failed).run_in_background()

    def _done(self, text: str) -> None:
        self._say(text)
        self.reload()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, LoyaltyError):
            text = explain(error)
            if error.code == "refused_by_server":
                text += " " + error.message
        else:
            text = str(error)
        self._say(text, error=True)
