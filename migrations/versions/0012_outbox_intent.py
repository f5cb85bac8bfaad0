"""outbox intent: rows hold what happened and to whom; the dispatcher renders at sending time

New columns: the template's name and the intent (a JSON object of references: subject, context, the
appointment invite's method), and rendered_at (when the dispatcher rendered the row, kept with what it
rendered so that a retry sends the same message). body_text may now be empty until then. Rows written
before this revision were rendered when enqueued: they keep their text, are marked rendered at their
creation, and are sent as they are.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('intent', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=True)
    op.execute("UPDATE outbox_messages SET rendered_at = created_at")


def downgrade():
    # Rows not rendered yet cannot be rendered by a migration: they are closed as failed with the reason
    # (administrators see them), and get an empty text for the NOT NULL column.
    op.execute("UPDATE outbox_messages SET status = 'failed', "
               "last_error = 'not rendered: the outbox was downgraded below revision 0012', body_text = '' "
               "WHERE body_text IS NULL AND status IN ('pending', 'sending')")
    op.execute("UPDATE outbox_messages SET body_text = '' WHERE body_text IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('rendered_at')
        batch_op.drop_column('intent')
        batch_op.drop_column('template')
