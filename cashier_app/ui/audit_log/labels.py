"""The audit log's actions in the shop's words (an action nobody named here is shown as
it is stored)."""

from __future__ import annotations

from PySide6.QtCore import QObject


class ActionNames(QObject):
    def name(self, action: str) -> str:
        return {
            "login": self.tr("Logged in"),
            "wrong_pin": self.tr("Wrong PIN"),
            "user_locked": self.tr("Locked after wrong PINs"),
            "create_user": self.tr("User added"),
            "user_role_changed": self.tr("Role changed"),
            "user_pin_reset": self.tr("PIN reset"),
            "user_deactivated": self.tr("User deactivated"),
            "user_activated": self.tr("User activated"),
            "adjust_balance": self.tr("Points adjusted by hand"),
            "return": self.tr("Return"),
            "install_program": self.tr("Loyalty program installed"),
            "import_catalogue": self.tr("Catalogue imported"),
            "import_customers": self.tr("Customers imported"),
            "export_customers": self.tr("Customers exported"),
            "export_report": self.tr("Report exported"),
            "move_customer_group": self.tr("Customer moved to a group"),
            "anonymise_customer": self.tr("Customer's data erased"),
            "make_backup": self.tr("Backup made"),
            "restore_backup": self.tr("Backup restored"),
            "backup_settings": self.tr("Backup settings changed"),
            "refused_event_sent_again": self.tr("Refused operation sent again"),
            "refused_event_reviewed": self.tr("Refused operation reviewed"),
            "merge_customer": self.tr("Customers merged by the server"),
        }.get(action, action)
