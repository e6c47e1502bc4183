"""The app's database handle: one engine per app, one session per request.

Views call `get_session()`; the session is closed when the request ends. A view
commits explicitly (the view is the one place that commits).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from resources_db.database import make_engine, make_session_factory


@dataclass
class Database:
    """The engine and session factory an app was built with."""

    engine: Engine
    sessions: sessionmaker[Session]

    def ping(self) -> None:
        """Raise if the database does not answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def init_database(app: Flask) -> Database:
    """Create the app's engine and register the per-request session teardown."""
    # Bounded: a locked table or a slow database costs a turn at most these, then the
    # turn answers in degraded mode (bot.conversations.service), well inside Twilio's 15 s.
    engine = make_engine(app.config["DATABASE_URL"],
                         statement_timeout_ms=app.config["DATABASE_STATEMENT_TIMEOUT_MS"],
                         lock_timeout_ms=app.config["DATABASE_LOCK_TIMEOUT_MS"])
    database = Database(engine=engine, sessions=make_session_factory(engine))
    app.extensions["harbor_database"] = database
    app.teardown_appcontext(_close_session)
    return database


def get_database() -> Database:
    """Return the current app's Database."""
    return current_app.extensions["harbor_database"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = get_database().sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # noqa: BLE001 - a dead connection must not turn a reply into a 500
            current_app.logger.warning("closing a database session failed", exc_info=False)
