"""The back office's reports, each computed in one read transaction and returned in the one
shape every viewer shows (service/report_model.py): the window draws it, the command line
prints or exports it (cli_reports.py, service/report_export.py), with the same figures.
Every report needs the right to view reports; a cashier may see their own shift's."""

from cashier_app.service.reports.customers import birthdays_report, winback_report
from cashier_app.service.reports.points import points_report
from cashier_app.service.reports.sales import groups_report, sales_report
from cashier_app.service.reports.shifts import shift_report
from cashier_app.service.reports.tiers import tiers_report

__all__ = [
    "birthdays_report",
    "groups_report",
    "points_report",
    "sales_report",
    "shift_report",
    "tiers_report",
    "winback_report",
]
