"""responsible person: who is responsible for each body's reception office

Bodies get the responsible person of their reception office: surname, first name, patronymic (optional)
and position in kk/ru/en, all nullable. The talon names this person ("Surname I. O.") as the one who
accepted a self-booked appointment, and a body's sessions can no longer be published without one.

Existing data: a migration cannot invent people, so every body starts without one. Sessions already
published stay published and bookable; until a person is set, a self-booked talon names the body's first
active reception assistant, as before. Talons that were issued with the body's name in "accepted by"
(a body without an assistant) lose that name here (set to NULL): the law wants a person there, and the
talon page shows the body's responsible person once one is set. Downgrading drops the columns (talons
keep whatever names they hold).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_COLUMNS = (('responsible_surname', 100), ('responsible_first_name', 100), ('responsible_patronymic', 100),
            ('responsible_position_kk', 255), ('responsible_position_ru', 255), ('responsible_position_en', 255))

_bodies = sa.table('bodies', sa.column('id', sa.Integer()), sa.column('name_kk', sa.String()),
                   sa.column('name_ru', sa.String()), sa.column('name_en', sa.String()))
_officials = sa.table('officials', sa.column('id', sa.Integer()), sa.column('body_id', sa.Integer()))
_appointments = sa.table('appointments', sa.column('official_id', sa.Integer()),
                         sa.column('accepted_by_name', sa.String()))


def upgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    body_names = (sa.select(_bodies.c.id).join(_officials, _officials.c.body_id == _bodies.c.id)
                  .where(_officials.c.id == _appointments.c.official_id,
                         _appointments.c.accepted_by_name.in_([
                             sa.func.substr(_bodies.c.name_kk, 1, 200), sa.func.substr(_bodies.c.name_ru, 1, 200),
                             sa.func.substr(_bodies.c.name_en, 1, 200)])))
    op.get_bind().execute(_appointments.update().where(body_names.exists()).values(accepted_by_name=None))


def downgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        for name, _length in reversed(_COLUMNS):
            batch_op.drop_column(name)
