"""urgency and feedback: urgent requests, and "is your problem solved?" after the bodies' work

``request_urgencies``: one row per request found urgent (by the citizen when sending it, claimed, or by
screening staff, confirmed; cleared when staff find it not urgent), with the reason from the fixed list, a
note, and the last day to decide it (one working day). ``solved_checks``: one row per question whose
instructions are all done, asking the citizen whether the problem is solved, with the answer (when, yes or
no, on the page or by SMS) and, for a "no", when the official's side called back. New tables only; the
downgrade drops them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 03:23:18.082866

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_urgencies',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('claimed', 'confirmed', 'cleared', name='urgency_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Enum('health', 'home', 'child', 'date', 'other', name='urgency_reason', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('claimed_by_citizen', sa.Boolean(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_request_urgencies_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_request_urgencies_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_request_urgencies'))
    )
    with op.batch_alter_table('request_urgencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_urgencies_status'), ['status'], unique=False)

    op.create_table('solved_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('answered_via', sa.Enum('page', 'sms', name='answer_channel', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('follow_up_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_solved_checks_appointment_id_appointments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['citizen_id'], ['users.id'], name=op.f('fk_solved_checks_citizen_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['follow_up_done_by_id'], ['users.id'], name=op.f('fk_solved_checks_follow_up_done_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_solved_checks_question_id_questions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solved_checks')),
    sa.UniqueConstraint('question_id', name=op.f('uq_solved_checks_question_id'))
    )
    with op.batch_alter_table('solved_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solved_checks_answered_at'), ['answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_solved_checks_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solved_checks_citizen_id'), ['citizen_id'], unique=False)



def downgrade():
    with op.batch_alter_table('solved_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solved_checks_citizen_id'))
        batch_op.drop_index(batch_op.f('ix_solved_checks_appointment_id'))
        batch_op.drop_index(batch_op.f('ix_solved_checks_answered_at'))

    op.drop_table('solved_checks')
    with op.batch_alter_table('request_urgencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_urgencies_status'))

    op.drop_table('request_urgencies')
