"""Alembic environment: runs migrations on the connection that `storage.db.upgrade` hands in."""

from alembic import context
from sqlalchemy import Connection

from storage.models import Base


def run(connection: Connection) -> None:
    """Run the migrations in one transaction on `connection`."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run(context.config.attributes["connection"])
