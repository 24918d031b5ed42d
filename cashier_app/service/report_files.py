"""A report saved to a file, with a line in the audit log: reports show customers' figures
and the store's takings, so who took them out of the till, when and where to is recorded
(action ``export_report``). CSV and XLSX are written by report_export; a PDF is painted by
whoever draws it (the window), handed in as ``paint``, since this layer knows no Qt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

from cashier_app.service import report_export
from cashier_app.service.ledger import Ledger
from cashier_app.service.output_files import check_output, write_whole
from cashier_app.service.report_model import Report
from cashier_app.service.users import Actor, Permission

# "table": the aligned text the terminal shows, for the command line's --output FILE.txt.
FileFormat = Literal["csv", "xlsx", "pdf", "table"]


def save_report(
    ledger: Ledger,
    report: Report,
    path: Path | str,
    fmt: FileFormat,
    *,
    actor: Actor,
    paint: Callable[[Path], object] | None = None,
    at: datetime | None = None,
) -> Path:
    """Write ``report`` to ``path`` and record it. The permission is checked before the
    file is written: a cashier's session gets no file at all. The file is never the
    ledger, a companion of it or any database (output_files.check_output), and is whole
    or absent; a refusal names ``path`` as it was given."""
    if not _own_shift(report, actor):
        actor.require(Permission.VIEW_REPORTS)
    shown = str(path)
    target = check_output(path, ledger.db.path.parent)
    if fmt == "csv":
        report_export.write_csv(report, target, shown)
    elif fmt == "xlsx":
        report_export.write_xlsx(report, target, shown)
    elif fmt == "table":
        report_export.write_table(report, target, shown)
    elif paint is not None:
        write_whole(target, paint, shown)
    else:
        raise ValueError("a PDF needs the painter that draws it")
    path = target
    details = {
        "report": report.name,
        "format": fmt,
        "file": path.name,
        "start": report.period.start.isoformat() if report.period else None,
        "end": report.period.end.isoformat() if report.period else None,
        "rows": len(report.rows),
    }
    with ledger.write(at) as (conn, _):
        ledger.audit(conn, "export_report", report.name, actor.name, details, user_id=actor.id)
    return path


def _own_shift(report: Report, actor: Actor) -> bool:
    """A cashier prints the report of their own shift (the one shown as it closes) for the
    cash count; any other report, or anyone else's shift, is a manager's."""
    if report.name != "shift" or actor.id is None or not report.rows:
        return False
    cashier = report.column("cashier")
    return all(row[cashier] == actor.name for row in report.rows)
