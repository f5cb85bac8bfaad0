"""phone-only citizens: optional e-mail, phone confirmation, one-time SMS codes

``users.email`` becomes nullable (still unique when present: both databases let any number of NULLs
through a unique constraint); ``users.phone_confirmed_at`` records when the owner proved the phone
theirs. ``phone_codes`` holds one-time SMS codes (hashed, expiring, single use, limited wrong tries),
for confirming a phone and for resetting a password; its rows also throttle sending.

Downgrading drops the codes and the confirmation, and gives every phone-only account an address
that cannot receive mail (``user-<id>@phone-only.invalid``, a reserved top-level domain) so that the
column can be NOT NULL again; the account keeps logging in with its IIN.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_users = sa.table('users', sa.column('id', sa.Integer()), sa.column('email', sa.String(254)))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('phone_confirmed_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('phone_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('confirm', 'reset', name='code_purpose', native_enum=False,
                                 create_constraint=True), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wrong_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_phone_codes_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes'))
    )
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.create_index('ix_phone_codes_phone_created_at', ['phone', 'created_at'], unique=False)
        batch_op.create_index('ix_phone_codes_user_id_created_at', ['user_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_codes_user_id_created_at')
        batch_op.drop_index('ix_phone_codes_phone_created_at')
    op.drop_table('phone_codes')
    connection = op.get_bind()
    connection.execute(_users.update().where(_users.c.email.is_(None))
                       .values(email=sa.literal('user-') + sa.cast(_users.c.id, sa.String())
                               + sa.literal('@phone-only.invalid')))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_confirmed_at')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
