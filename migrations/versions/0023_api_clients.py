"""api clients: integration clients (another system's own tokens and scopes), and tokens that belong to one

``api_clients`` holds a client's name, the body whose system it is (NULL: a national system), its scopes,
who made it and when, and when it was disabled. ``api_tokens`` gets ``client_id``; ``user_id`` becomes
nullable, and a CHECK keeps exactly one of the two. Downgrading deletes the clients' tokens first.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('body_id', sa.Integer(), nullable=True),
        sa.Column('scopes', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_api_clients_body_id_bodies'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_clients_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
        sa.UniqueConstraint('name', name=op.f('uq_api_clients_name')),
    )
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_clients_body_id'), ['body_id'], unique=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_client_id_api_clients'), 'api_clients',
                                    ['client_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_api_tokens_client_id'), ['client_id'], unique=False)
        batch_op.create_check_constraint('one_owner', '(user_id IS NULL) <> (client_id IS NULL)')


def downgrade():
    op.execute('DELETE FROM api_tokens WHERE client_id IS NOT NULL')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_api_tokens_one_owner'), type_='check')
        batch_op.drop_index(batch_op.f('ix_api_tokens_client_id'))
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_client_id_api_clients'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('client_id')
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_clients_body_id'))
    op.drop_table('api_clients')
