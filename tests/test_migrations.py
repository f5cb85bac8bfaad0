"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reception.extensions import db


def test_upgraded_database_has_no_difference_from_the_models(app):
    # The session fixture built this database with `flask db upgrade`, not create_all().
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {"users", "regions", "bodies", "alembic_version"} <= tables
