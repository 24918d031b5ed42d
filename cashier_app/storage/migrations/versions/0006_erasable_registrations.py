"""a customer's registration event may be erased of personal data, and nothing else of the
ledger's events may change: the events_no_update trigger allows exactly the redaction of a
customer_registered payload that engine/anonymise.py makes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = "BEGIN SELECT RAISE(ABORT, 'ledger events are immutable'); END"

# The one change allowed (engine/anonymise.py redacted_registration): a registration's
# payload, every other column as it was; the customer id, group and card as they were;
# the phone the placeholder made from the customer's id; no name, consent or referrer;
# the birthday gone or only its day and month in the year 2000; and no other key.
_REDACTION = """
    OLD.kind = 'customer_registered'
    AND NEW.id IS OLD.id AND NEW.device_id IS OLD.device_id
    AND NEW.device_seq IS OLD.device_seq AND NEW.kind IS OLD.kind AND NEW.at IS OLD.at
    AND NEW.recorded_at IS OLD.recorded_at AND NEW.customer_id IS OLD.customer_id
    AND NEW.actor IS OLD.actor AND NEW.program_version IS OLD.program_version
    AND json_valid(NEW.payload)
    AND json_extract(NEW.payload, '$.customer_id') IS json_extract(OLD.payload, '$.customer_id')
    AND json_extract(NEW.payload, '$.group') IS json_extract(OLD.payload, '$.group')
    AND json_extract(NEW.payload, '$.card') IS json_extract(OLD.payload, '$.card')
    AND json_extract(NEW.payload, '$.phone') = 'anon-' || substr(
        lower(replace(json_extract(OLD.payload, '$.customer_id'), '-', '')), -15)
    AND coalesce(json_extract(NEW.payload, '$.name'), '') = ''
    AND (json_extract(NEW.payload, '$.birthday') IS NULL
         OR json_extract(NEW.payload, '$.birthday')
            = '2000-' || substr(json_extract(OLD.payload, '$.birthday'), 6, 5))
    AND json_remove(NEW.payload, '$.customer_id', '$.phone', '$.name', '$.birthday',
                    '$.group', '$.card') = '{}'
"""


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    op.execute(
        f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NOT ({_REDACTION}) "
        + _REFUSE
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    op.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events " + _REFUSE)
