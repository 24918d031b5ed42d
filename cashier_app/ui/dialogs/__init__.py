"""The till's dialogs, one to a module; imported from here by the window and the tests.
Slow work in them goes through the TaskManager."""

from cashier_app.ui.dialogs.customer_card import CustomerCardDialog
from cashier_app.ui.dialogs.enrol import EnrolDialog
from cashier_app.ui.dialogs.find_customer import FindCustomerDialog
from cashier_app.ui.dialogs.first_run import FirstRunDialog
from cashier_app.ui.dialogs.free_amount import FreeAmountDialog
from cashier_app.ui.dialogs.import_catalogue import ImportDialog
from cashier_app.ui.dialogs.login import LoginDialog
from cashier_app.ui.dialogs.pick import PickDialog
from cashier_app.ui.dialogs.registration import RegistrationDialog
from cashier_app.ui.dialogs.returns import ReturnDialog

__all__ = [
    "CustomerCardDialog",
    "EnrolDialog",
    "FindCustomerDialog",
    "FirstRunDialog",
    "FreeAmountDialog",
    "ImportDialog",
    "LoginDialog",
    "PickDialog",
    "RegistrationDialog",
    "ReturnDialog",
]
