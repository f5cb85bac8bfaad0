"""search indexes: an official's sessions open for booking

ix_reception_sessions_official_open (official_id, closes_at, opens_at), only over planned, published sessions:
the next free slot of each official and an official's free slots read the official's sessions still open
for booking (closes_at > now, and opens_at <= now checked inside the index) instead of every session the
official ever had or will have. Chosen with EXPLAIN ANALYZE on the bench's data (bench/database.py), see
the commit that adds it. The region search needs no new index: ordered by local date first, it reads
ix_reception_sessions_local_date one day at a time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BOOKABLE = "status = 'planned' AND is_published"


def upgrade():
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_reception_sessions_official_open', ['official_id', 'closes_at', 'opens_at'],
                              unique=False, sqlite_where=sa.text(BOOKABLE), postgresql_where=sa.text(BOOKABLE))


def downgrade():
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_sessions_official_open', sqlite_where=sa.text(BOOKABLE),
                            postgresql_where=sa.text(BOOKABLE))
