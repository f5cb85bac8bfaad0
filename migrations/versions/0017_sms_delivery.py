"""sms delivery: segments and delivery reports of sent SMS, and SMS received from citizens

``outbox_messages`` gets ``segments`` (how many SMS the rendered text takes), ``delivery_status``
(accepted / delivered / failed, from the gateway's delivery reports), ``delivery_reported_at`` and
``delivery_error``. ``inbound_sms`` keeps the SMS citizens send to the system's number (Kannel's
sms-service get-url), and whether the application understood it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segments', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.Enum('accepted', 'delivered', 'failed',
                                                                 name='delivery_status', native_enum=False,
                                                                 create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_error', sa.String(length=255), nullable=True))
    op.create_table('inbound_sms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('receiver', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('understood', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_sms'))
    )
    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_sms_sender'), ['sender'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_sms_sender'))
    op.drop_table('inbound_sms')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('delivery_error')
        batch_op.drop_column('delivery_reported_at')
        batch_op.drop_constraint(op.f('ck_outbox_messages_delivery_status'), type_='check')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('segments')
