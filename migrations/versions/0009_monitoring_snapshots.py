"""monitoring snapshots: the figures of settled periods, stored

One row per kind of figures (``figures:body``, ``topic_matrix``, ...) and settled month, quarter or year, with
the counted rows as JSON and when they were counted; recounted nightly by ``flask monitoring snapshot``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monitoring_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=32), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_snapshots')),
    sa.UniqueConstraint('what', 'period_start', 'period_end',
                        name=op.f('uq_monitoring_snapshots_what_period_start_period_end'))
    )


def downgrade():
    op.drop_table('monitoring_snapshots')
