"""Every worker process uses the live version within seconds of its publish, no restart.

Before a request, a process asks the database for the live version's number at most
every PUBLISHED_CHECK_SECONDS; when it changed, it loads that version and hands its
rule texts to `intents.published.use_published` (compiled once per distinct set) and
its reply texts to `bot.texts.replies.use_published_texts`. A database that does not
answer leaves the rules in force as they are and is asked again after a pause: a
survivor's reply never waits on this (privacy rule 5).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from bot.publishing.content import Content
from bot.texts import replies
from intents.published import use_published
from intents.rules import RuleFileError
from resources_db import published_versions

logger = logging.getLogger(__name__)
RETRY_AFTER_FAILURE_SECONDS = 30.0


@dataclass
class _Applied:
    database: str = ""
    number: int | None = None
    next_check: float = 0.0


_applied = _Applied()
_lock = threading.Lock()


def applied_number() -> int | None:
    """Return the version number this process uses (None before the first check)."""
    return _applied.number


def apply_content(content: Content) -> None:
    """Make `content` the rules and texts of this process."""
    use_published(content.rule_set() if content.rules else None)
    replies.use_published_texts(content.replies)


def refresh(app: Flask, force: bool = False) -> int | None:
    """Load the live version when it changed; at most every PUBLISHED_CHECK_SECONDS."""
    now = time.monotonic()
    database = app.config["DATABASE_URL"]
    same_database = _applied.database == database
    if not force and same_database and now < _applied.next_check:
        return _applied.number
    if not _lock.acquire(blocking=force):
        return _applied.number  # another thread is checking; keep serving meanwhile
    try:
        handle = app.extensions["harbor_database"]
        try:
            with handle.sessions() as session:
                number = published_versions.live_number(session)
                if number == _applied.number and same_database:
                    _applied.next_check = now + app.config["PUBLISHED_CHECK_SECONDS"]
                    return number
                version = published_versions.live_version(session)
                content = Content.of(version)
        except SQLAlchemyError:
            logger.warning("could not read the published version; keeping the rules in force")
            _applied.next_check = now + RETRY_AFTER_FAILURE_SECONDS
            return _applied.number
        try:
            apply_content(content)
        except RuleFileError:
            # Published versions passed the gate; a shipped file changed under one since.
            logger.error("published version %s does not compile; keeping the rules in force",
                         number)
        _applied.database, _applied.number = database, number
        _applied.next_check = now + app.config["PUBLISHED_CHECK_SECONDS"]
        return number
    finally:
        _lock.release()


def forget() -> None:
    """Go back to the shipped rules and texts (tests; a process that changes database)."""
    apply_content(Content())
    _applied.database, _applied.number, _applied.next_check = "", None, 0.0


def init_app(app: Flask) -> None:
    """Check for a new version before each request."""

    def check_published_version() -> None:
        refresh(app)

    app.before_request(check_published_version)
