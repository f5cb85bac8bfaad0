"""directory version: a token the directory's tables change on every write, so that each process may keep the
reference lists of its forms (regions, topics, studios) until the directory changes

``directory_version`` holds one row. Triggers on regions, topics, bodies, body_topics and venues give its token a
new value on every insert, update or delete (PostgreSQL: once per statement, the next value of a sequence;
SQLite: once per row, a random 64-bit value). A value is never used twice, even after a rollback, so a list kept
under a token is the list as the directory was when the token was written.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

TABLES = ('regions', 'topics', 'bodies', 'body_topics', 'venues')
OPERATIONS = ('insert', 'update', 'delete')


def upgrade():
    op.create_table('directory_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_version'))
    )
    op.execute("INSERT INTO directory_version (id, token) VALUES (1, 0)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE SEQUENCE directory_version_token")
        op.execute("CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN UPDATE directory_version SET token = nextval('directory_version_token'); RETURN NULL; END $$")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_directory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"CREATE TRIGGER {table}_{operation}_directory_changed AFTER {operation.upper()} "
                           f"ON {table} BEGIN UPDATE directory_version SET token = random(); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_directory_changed ON {table}")
        op.execute("DROP FUNCTION directory_changed()")
        op.execute("DROP SEQUENCE directory_version_token")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER {table}_{operation}_directory_changed")
    op.drop_table('directory_version')
