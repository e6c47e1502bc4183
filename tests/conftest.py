"""Shared fixtures: an app on a fresh, migrated database (SQLite, or PostgreSQL when
HARBOR_TEST_DATABASE_URL names a server), its client and CLI runner, and the rules
that make a missing PostgreSQL, Redis or chromium fail in CI instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from ci_policy import missing, redis_url_for_tests
from private_redis import PrivateRedis
from sqlalchemy import create_engine, delete
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot import create_app
from resources_db.database import (
    make_engine,
    make_session_factory,
    normalize_url,
    scratch_database,
    upgrade_database,
)
from resources_db.models import Base

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHROMIUM = "/usr/bin/chromium"

TEST_CONFIG = {
    "TESTING": True,
    "HARBOR_ENV": "test",
    "SECRET_KEY": "test-secret-key",
    "HASH_KEY": "test-hash-key",
    "TWILIO_AUTH_TOKEN": "test-twilio-token",
    "PUBLIC_BASE_URL": "",
    "WTF_CSRF_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    # Far above what any test sends; tests/test_rate_limits.py sets small limits itself.
    "RATELIMIT_PER_CONVERSATION": "10000 per minute",
    "RATELIMIT_PER_ADDRESS": "10000 per minute",
}


def _server_reachable(url: str) -> bool:
    engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for this test session."""
    server = os.environ.get("HARBOR_TEST_DATABASE_URL")
    if server:
        # A database of its own per session: several people and CI share one server.
        with scratch_database(server, prefix="harbor_test") as url:
            yield url
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'harbor-test.sqlite3'}"
    upgrade_database(url)
    yield url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A migrated scratch PostgreSQL database, for tests that need PostgreSQL itself."""
    server = os.environ.get("HARBOR_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not _server_reachable(server):
        missing(f"no PostgreSQL server at {server}")
    with scratch_database(server, prefix="harbor_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server's URL (HARBOR_TEST_REDIS_URL, else 127.0.0.1:6379, database 13)."""
    import redis

    url = redis_url_for_tests()
    connection = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError:
        missing(f"no Redis server at {url}")
    finally:
        connection.close()
    return url


def _empty_all_tables(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    engine.dispose()


def store_url_for(database_url: str, folder: Path) -> str:
    """The conversation store tests use: the SQLite database itself (the default of a
    laptop), or with PostgreSQL a SQLite file of the test's own (PostgreSQL never holds
    conversations)."""
    if database_url.startswith("sqlite"):
        return database_url
    return f"sqlite:///{folder / 'conversations.sqlite3'}"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """The config the `app` fixture is built with; override entries in a test module."""
    return {**TEST_CONFIG, "DATABASE_URL": database_url,
            "CONVERSATION_STORE_URL": store_url_for(database_url, tmp_path),
            "PENDING_ERASURES_DIR": str(tmp_path / "pending-erasures")}


@pytest.fixture
def app(app_config):
    """A Harbor app on the session's database, emptied after each test."""
    from bot.publishing import live

    application = create_app(app_config)
    yield application
    application.extensions["harbor_database"].engine.dispose()
    conversations = application.extensions["harbor_conversations"]
    if conversations.kind == "redis":
        conversations.redis.flushdb()
    conversations.close()
    _empty_all_tables(app_config["DATABASE_URL"])
    live.forget()  # a version a test published must not outlive its database rows


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session on the app's database, for arranging and checking rows."""
    session = app.extensions["harbor_database"].sessions()
    yield session
    session.close()


@pytest.fixture
def store_session(app):
    """A session on the app's SQLite conversation store (state and message keys)."""
    from sqlalchemy.orm import Session

    session = Session(bind=app.extensions["harbor_conversations"].engine)
    yield session
    session.close()


@pytest.fixture
def session_factory(database_url):
    """A session factory on the session database without an app (pure data-layer tests)."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()
    _empty_all_tables(database_url)


@pytest.fixture
def signed_sms(client, app_config):
    """Return send(body, sender=..., address=..., **fields): POST /sms signed as Twilio signs.

    `address` is the client address the app sees (REMOTE_ADDR); extra fields join the form.
    """
    message_ids = itertools.count(1)

    def send(body, sender="+15551230001", address="127.0.0.1", **fields):
        params = inbound_fields(sender, body, f"signed-{next(message_ids)}", **fields)
        signature = RequestValidator(app_config["TWILIO_AUTH_TOKEN"]).compute_signature(
            "http://localhost/sms", params)
        return client.post("/sms", data=params, headers={"X-Twilio-Signature": signature},
                           environ_base={"REMOTE_ADDR": address})

    return send


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium for Playwright; never a downloaded browser."""
    path = os.environ.get("HARBOR_CHROMIUM", CHROMIUM)
    if not Path(path).exists() and not shutil.which(path):
        missing(f"chromium not found at {path} (apt-get install chromium)")
    return path


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the database, so .ci/run can rerun them on PostgreSQL."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & {"app", "client", "runner", "db_session", "session_factory", "database_url",
                    "store_session"}:
            item.add_marker(pytest.mark.db)


@pytest.fixture
def sign_in(app, client, db_session):
    """Return `sign_in_as(role, email=None)`: signs `client` in as a staff account of `role`.

    Creates the account when needed and puts it in the session directly, so it works with
    CSRF on and never counts against the login rate limit. Returns the account's email.
    """
    from bot.staff import accounts
    from bot.staff.auth import StaffUser

    def sign_in_as(role: str, email: str | None = None) -> str:
        email = email or f"{role}@example.org"
        user = accounts.find_user(db_session, email) or accounts.create_user(
            db_session, email, "test password 0123", role
        )
        db_session.commit()
        with app.app_context():
            session_id = StaffUser.from_account(user).get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        return email

    return sign_in_as


def pytest_addoption(parser):
    """--screenshots: the browser screenshot tests write docs/screenshots/ (make screenshots)."""
    parser.addoption("--screenshots", action="store_true", default=False,
                     help="save the browser screenshots under docs/screenshots/")


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    """A private redis-server (DEBUG RELOAD and CONFIG SET never touch the shared one)."""
    if not shutil.which("redis-server"):
        missing("redis-server not found (apt-get install redis-server)")
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()
