"""The worker claims due leads schedule by schedule: ``ix_leads_schedule_due``

Revision ID: 0024
Revises: 0023

The worker claimed the leads due longest ago, whoever they belonged to: a company that imported
a million leads into a schedule that calls at once took every claim until its backlog was
worked, and a lead another company posted meanwhile waited minutes for its first call. And a
paused schedule's due leads were walked past by every claim, so a company that paused a
schedule full of due leads slowed every company's rounds. A claim now shares its leads out
among the companies with leads due, and each company's share among its running schedules
(``cadence.repository.claimed``), each schedule's taken oldest first from an index of its own
due leads; a paused schedule's are never read.

That index takes the place of the one over every lead's due time (``ix_leads_due``): the
metrics' oldest due action is read schedule by schedule too, so a lead's insert and each of
its actions keep updating as many indexes as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_schedule_due", "leads", ["schedule_id", "next_action_at"])
    op.drop_index("ix_leads_due", "leads")


def downgrade() -> None:
    op.create_index("ix_leads_due", "leads", ["next_action_at"])
    op.drop_index("ix_leads_schedule_due", "leads")
