"""Engines, sessions and migrations, for SQLite and PostgreSQL alike.

The session's lifetime belongs to the caller (a request, a CLI command, a test):
functions that query take a Session and never open one of their own.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Return `url` with psycopg 3 as the PostgreSQL driver (Heroku-style URLs included)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine tuned for a webhook: short connect timeouts, pre-ping, WAL on SQLite."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            owner_only_sqlite_file(Path(database))
        kwargs.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A survivor is waiting: fail fast when the database is away instead of hanging
    # past Twilio's 15 s, so degraded replies still go out.
    kwargs.setdefault("connect_args", {"connect_timeout": 3})
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 5)
        kwargs.setdefault("pool_timeout", 5)
    return create_engine(url, **kwargs)


OWNER_ONLY_FOLDER = 0o700
OWNER_ONLY_FILE = 0o600


def owner_only_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by the owner only, or tighten them.

    The file holds conversation state: nobody else on the machine may read it. SQLite
    gives the -wal and -shm files it creates beside it the database file's own mode, so
    setting the file's mode once covers them too. A folder Harbor creates is owner-only;
    a folder someone else made (e.g. /var/lib) is left as it is.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=OWNER_ONLY_FOLDER)
    # O_CREAT with 0600 from the start: no moment where the new file is world-readable.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY_FILE)
    os.close(descriptor)
    for companion in (path, path.with_name(path.name + "-wal"),
                      path.with_name(path.name + "-shm"), path.with_name(path.name + "-journal")):
        if companion.exists() and companion.stat().st_mode & 0o077:
            companion.chmod(OWNER_ONLY_FILE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on foreign keys, WAL (readers never block the writer) and a busy timeout."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert_insert(session: Session):
    """Return the INSERT construct with ON CONFLICT of the session's database."""
    dialect = session.get_bind().dialect.name
    try:
        return _UPSERT_INSERTS[dialect]
    except KeyError:  # pragma: no cover - Harbor runs on SQLite and PostgreSQL only
        raise RuntimeError(f"unsupported database dialect {dialect}") from None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at Harbor's migrations and the given database."""
    # Alembic is imported only here: it costs a third of a second that no turn needs.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may contain it (encoded passwords).
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Create or upgrade the database schema to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@contextmanager
def scratch_database(server_url: str | None, prefix: str = "harbor_scratch"):
    """Yield the URL of a new, migrated database, dropped afterwards.

    PostgreSQL: a database of its own on `server_url`'s server (several people and CI
    share one server). None: a SQLite file in a temporary directory.
    """
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as folder:
            url = f"sqlite:///{Path(folder) / 'scratch.sqlite3'}"
            upgrade_database(url)
            yield url
        return
    server_url = normalize_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    # No pool: the admin connection is used twice, minutes apart, and a pooled one would
    # be dead by the drop if the server restarted in between (the fault tests do that).
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
