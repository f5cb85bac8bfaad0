"""sessions by venue and date: the region search reads each venue's sessions day by day

ix_reception_sessions_venue_id_local_date (venue_id, local_date) replaces ix_reception_sessions_venue_id, which
it covers. The region search (reception.booking.queries._in_region) reads, on PostgreSQL, each venue of the
region from the first date until it has a page of free slots, and never another region's sessions. EXPLAIN
ANALYZE on the bench's ten million slots, one region's next 30 days: 6.3-7.7 ms before (the day's sessions of
every region, 8,000 at that size, read and most thrown away), 2.5 ms after.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 08:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_reception_sessions_venue_id_local_date', ['venue_id', 'local_date'], unique=False)
        batch_op.drop_index('ix_reception_sessions_venue_id')


def downgrade():
    with op.batch_alter_table('reception_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_reception_sessions_venue_id', ['venue_id'], unique=False)
        batch_op.drop_index('ix_reception_sessions_venue_id_local_date')
