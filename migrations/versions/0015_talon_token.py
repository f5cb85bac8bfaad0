"""talon token: what a talon's QR code and verification link carry

Appointments get ``talon_token``: an unguessable token (``secrets.token_urlsafe(24)``, 192 random bits), unique.
Talon numbers are sequential, so a verification page found by the number can be walked; the QR code and
the link now carry the token, and the number stays for people. Every existing appointment is given its
own token here, row by row, on SQLite and PostgreSQL alike; new rows get theirs from the application in
the INSERT that writes them. Downgrading drops the column (the numbers are untouched).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-20 12:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_appointments = sa.table('appointments', sa.column('id', sa.Integer()), sa.column('talon_token', sa.String(43)))


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('talon_token', sa.String(length=43), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(_appointments.c.id).order_by(_appointments.c.id)).scalars().all()
    for start in range(0, len(ids), 1000):
        connection.execute(
            _appointments.update().where(_appointments.c.id == sa.bindparam('row_id'))
            .values(talon_token=sa.bindparam('token')),
            [{'row_id': i, 'token': secrets.token_urlsafe(24)} for i in ids[start:start + 1000]])
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_appointments_talon_token'), ['talon_token'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_appointments_talon_token'), type_='unique')
        batch_op.drop_column('talon_token')
