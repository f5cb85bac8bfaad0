"""ballot: high-demand sessions drawn by lot

A session may be booked by lot: citizens apply while its ballot window is open (ballot_entries, one per
citizen and session), then the slots are drawn; the seed is kept on the session and in the audit log.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 20:29:36.466026

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ballot_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.Enum('in_person', 'video_studio', 'video_remote', name='attendance_format', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('appeal_numbers', sa.String(length=255), nullable=True),
    sa.Column('needs_wheelchair', sa.Boolean(), nullable=False),
    sa.Column('needs_sign_language', sa.Boolean(), nullable=False),
    sa.Column('co_applicants', sa.Text(), nullable=True),
    sa.Column('wants_waitlist', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('applied', 'won', 'lost', 'withdrawn', name='ballot_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('drawn_rank', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_ballot_entries_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['citizen_id'], ['users.id'], name=op.f('fk_ballot_entries_citizen_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['reception_sessions.id'], name=op.f('fk_ballot_entries_session_id_reception_sessions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['studio_id'], ['venues.id'], name=op.f('fk_ballot_entries_studio_id_venues'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_ballot_entries_topic_id_topics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_entries')),
    sa.UniqueConstraint('session_id', 'citizen_id', name=op.f('uq_ballot_entries_session_id_citizen_id'))
    )
    with op.batch_alter_table('ballot_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_entries_citizen_id'), ['citizen_id'], unique=False)

    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ballot_drawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ballot_seed', sa.BigInteger(), nullable=True))



def downgrade():
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.drop_column('ballot_seed')
        batch_op.drop_column('ballot_drawn_at')
        batch_op.drop_column('ballot_closes_at')

    with op.batch_alter_table('ballot_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_entries_citizen_id'))

    op.drop_table('ballot_entries')
