"""systemic issues: one problem many citizens raised, its working group of bodies, coordinator and status

An issue (systemic_issues) has the bodies of its working group (systemic_issue_bodies), the history of its
status with the notes the linked citizens are told (systemic_issue_changes), and the appointments and requests
linked to it (systemic_issue_links; each appointment at most once, by a unique key).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 03:22:47.072520

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('systemic_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'resolved', 'closed', name='systemic_issue_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['users.id'], name=op.f('fk_systemic_issues_coordinator_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_systemic_issues_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_systemic_issues_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_systemic_issues'))
    )
    with op.batch_alter_table('systemic_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_systemic_issues_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_systemic_issues_status'), ['status'], unique=False)

    op.create_table('systemic_issue_bodies',
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_systemic_issue_bodies_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issue_id'], ['systemic_issues.id'], name=op.f('fk_systemic_issue_bodies_issue_id_systemic_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('issue_id', 'body_id', name=op.f('pk_systemic_issue_bodies'))
    )
    with op.batch_alter_table('systemic_issue_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_systemic_issue_bodies_body_id'), ['body_id'], unique=False)

    op.create_table('systemic_issue_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.Enum('open', 'in_progress', 'resolved', 'closed', name='systemic_old_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('new_status', sa.Enum('open', 'in_progress', 'resolved', 'closed', name='systemic_new_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_systemic_issue_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['systemic_issues.id'], name=op.f('fk_systemic_issue_changes_issue_id_systemic_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_systemic_issue_changes'))
    )
    with op.batch_alter_table('systemic_issue_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_systemic_issue_changes_issue_id'), ['issue_id'], unique=False)

    op.create_table('systemic_issue_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_systemic_issue_links_appointment_id_appointments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issue_id'], ['systemic_issues.id'], name=op.f('fk_systemic_issue_links_issue_id_systemic_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_systemic_issue_links_linked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_systemic_issue_links')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_systemic_issue_links_appointment_id'))
    )
    with op.batch_alter_table('systemic_issue_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_systemic_issue_links_issue_id'), ['issue_id'], unique=False)



def downgrade():
    with op.batch_alter_table('systemic_issue_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_systemic_issue_links_issue_id'))

    op.drop_table('systemic_issue_links')
    with op.batch_alter_table('systemic_issue_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_systemic_issue_changes_issue_id'))

    op.drop_table('systemic_issue_changes')
    with op.batch_alter_table('systemic_issue_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_systemic_issue_bodies_body_id'))

    op.drop_table('systemic_issue_bodies')
    with op.batch_alter_table('systemic_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_systemic_issues_status'))
        batch_op.drop_index(batch_op.f('ix_systemic_issues_coordinator_id'))

    op.drop_table('systemic_issues')
