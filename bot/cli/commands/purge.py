"""`harbor purge`: delete expired conversation state and SMS retry-cache rows.

Expired rows are never used and are also deleted lazily as they are found; this
command (run it from cron or a scheduler, e.g. every 10 minutes) makes sure nothing
outlives SESSION_TTL_MINUTES by much even when nobody writes again.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete every expired conversation state and retry-cache row now."""
    from bot.conversations.store import current_store

    # Redis expires keys itself (zeros here); the SQLite store deletes them now.
    counts = current_store().purge_expired()
    click.echo(f"purged {counts['conversation_state']} conversation states and "
               f"{counts['processed_message']} retry-cache rows")


COMMANDS = [purge_command]
