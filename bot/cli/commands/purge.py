"""`harbor purge`: delete expired conversation state and SMS retry-cache rows, carry out
owed erasures, reseal counts.

Expired rows are never used and are also deleted lazily as they are found; this
command (run it from cron or a scheduler, e.g. every 10 minutes) makes sure nothing
outlives SESSION_TTL_MINUTES by much even when nobody writes again. It also carries
out the erasures owed since an outage or a locked table (bot.conversations.pending_erasures),
so an EXIT answered then is done even if nobody writes afterwards. On PostgreSQL it
also rewrites the current weeks' usage counts in key order, so the order rows were
written in says nothing about turns older than the last purge.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete every expired row and every owed erasure now; reseal the current counts."""
    from flask import current_app

    from bot.conversations.owed_erasures import owed_erasures
    from bot.conversations.store import StoreUnavailable, current_store
    from bot.database import get_database
    from resources_db.models import utcnow
    from resources_db.usage_counts import reseal_recent_counts

    # Redis expires keys itself (zeros here); the SQLite store deletes them now.
    counts = current_store().purge_expired()
    with get_database().sessions() as session:
        try:  # EXITs owed since an outage, on any host: carried out now, not at a next turn
            settled = owed_erasures(current_app.config, session=session).settle()
        except StoreUnavailable:
            settled = ()
        session.commit()
    with get_database().sessions() as session:
        resealed = reseal_recent_counts(session, utcnow().date())
        session.commit()
    click.echo(f"purged {counts['conversation_state']} conversation states and "
               f"{counts['processed_message']} retry-cache rows; carried out "
               f"{len(settled)} owed erasures; resealed {resealed} usage counts")


COMMANDS = [purge_command]
