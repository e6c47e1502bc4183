"""`harbor purge`: delete expired conversation state and SMS retry-cache rows, reseal counts.

Expired rows are never used and are also deleted lazily as they are found; this
command (run it from cron or a scheduler, e.g. every 10 minutes) makes sure nothing
outlives SESSION_TTL_MINUTES by much even when nobody writes again. On PostgreSQL it
also rewrites the current weeks' usage counts in key order, so the order rows were
written in says nothing about turns older than the last purge.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete every expired conversation state and retry-cache row now."""
    from bot.conversations.store import current_store
    from bot.database import get_database
    from resources_db.models import utcnow
    from resources_db.usage_counts import reseal_recent_counts

    # Redis expires keys itself (zeros here); the SQLite store deletes them now.
    counts = current_store().purge_expired()
    with get_database().sessions() as session:
        resealed = reseal_recent_counts(session, utcnow().date())
        session.commit()
    click.echo(f"purged {counts['conversation_state']} conversation states and "
               f"{counts['processed_message']} retry-cache rows; resealed {resealed} "
               "usage counts")


COMMANDS = [purge_command]
