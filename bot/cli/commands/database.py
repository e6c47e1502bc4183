"""`harbor db upgrade`: create or migrate the database schema."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from resources_db.database import upgrade_database


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Create or upgrade the schema (SQLite or PostgreSQL) to the latest migration."""
    upgrade_database(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database is at revision {revision}")


COMMANDS = [db_group]
