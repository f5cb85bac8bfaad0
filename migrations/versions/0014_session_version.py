"""session version: sessions that can be revoked

users.session_version is copied into each session at login; the user loader refuses a session whose
version differs. A password reset, "log out everywhere", logging out, a role change or disabling the
account raise it, so every copy of an earlier session cookie stops working at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
