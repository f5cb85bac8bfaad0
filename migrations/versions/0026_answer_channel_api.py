"""answer channel api: "is it solved?" answers given through the API

``solved_checks.answered_via`` accepts ``api`` (an application acting with the citizen's token), besides the
talon page and SMS: a new CHECK (the enum is stored as text on every database; the length stays 4).
Downgrading counts the API's answers as the page's, as they were recorded before.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

OLD_CHANNELS = ('page', 'sms')
NEW_CHANNELS = ('page', 'sms', 'api')


def _answer_channel_enum(values):
    return sa.Enum(*values, name='answer_channel', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade():
    with op.batch_alter_table('solved_checks', schema=None) as batch_op:
        batch_op.alter_column('answered_via', existing_type=_answer_channel_enum(OLD_CHANNELS),
                              type_=_answer_channel_enum(NEW_CHANNELS), existing_nullable=True)


def downgrade():
    op.execute("UPDATE solved_checks SET answered_via = 'page' WHERE answered_via = 'api'")
    with op.batch_alter_table('solved_checks', schema=None) as batch_op:
        batch_op.alter_column('answered_via', existing_type=_answer_channel_enum(NEW_CHANNELS),
                              type_=_answer_channel_enum(OLD_CHANNELS), existing_nullable=True)
