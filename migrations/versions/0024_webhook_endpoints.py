"""webhook endpoints: integration clients' subscriptions, and the outbox's webhook channel

``webhook_endpoints`` holds a client's address, its signing secret, the events it wants, when it was made,
when its secret was last replaced and when it was disabled. The outbox's ``channel`` accepts ``webhook`` (a
longer VARCHAR and a new CHECK: the enum is stored as text on every database). Downgrading deletes the
webhook rows of the outbox first.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

OLD_CHANNELS = ('email', 'sms')
NEW_CHANNELS = ('email', 'sms', 'webhook')


def _channel_enum(values):
    return sa.Enum(*values, name='channel', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade():
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=254), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('events', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('secret_rotated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_webhook_endpoints_client_id_api_clients'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_client_id'), ['client_id'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=_channel_enum(OLD_CHANNELS), type_=_channel_enum(NEW_CHANNELS),
                              existing_nullable=False)


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE channel = 'webhook'")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=_channel_enum(NEW_CHANNELS), type_=_channel_enum(OLD_CHANNELS),
                              existing_nullable=False)
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_client_id'))
    op.drop_table('webhook_endpoints')
