"""monitoring actions: what monitors did about the items that needed attention

One row per action on an item of the "needs attention" list (its kind and key, the period it was raised in,
a note, a letter sent, resolved) or per answer to a citizen's report of a refused booking.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:49:50.832330

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monitoring_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_kind', sa.Enum('not_held', 'low_supply', 'overdue', 'rising_topic', 'repeated', 'access_report', name='alert_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('action', sa.Enum('note', 'letter', 'resolved', 'answered', name='monitoring_action_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_monitoring_actions_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_monitoring_actions_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['citizen_id'], ['users.id'], name=op.f('fk_monitoring_actions_citizen_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['access_reports.id'], name=op.f('fk_monitoring_actions_report_id_access_reports'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_monitoring_actions_topic_id_topics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_actions'))
    )
    with op.batch_alter_table('monitoring_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_actions_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_monitoring_actions_item', ['item_key', 'alert_kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_actions_period_start'), ['period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_actions_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('monitoring_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_actions_report_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_actions_period_start'))
        batch_op.drop_index('ix_monitoring_actions_item')
        batch_op.drop_index(batch_op.f('ix_monitoring_actions_body_id'))

    op.drop_table('monitoring_actions')
