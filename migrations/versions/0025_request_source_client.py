"""request source client: which integration client sent a request on a citizen's behalf

``appointments.source_client_id`` names the integration client (``api_clients``) that sent the request
(an appeals system, by the citizen's IIN); NULL for what citizens send themselves. A client that is deleted
leaves its requests (SET NULL).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_client_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_source_client_id_api_clients'), 'api_clients',
                                    ['source_client_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_appointments_source_client_id'), ['source_client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_source_client_id'))
        batch_op.drop_constraint(batch_op.f('fk_appointments_source_client_id_api_clients'), type_='foreignkey')
        batch_op.drop_column('source_client_id')
