"""Erased means unreadable on disk (DESIGN.md rule 6): the bytes of the files, not rows.

After BORRAR, nobody with the files may find the conversation's key, its state or
Harbor's reply text:
- PostgreSQL with the state in Redis: every page of every relation (pageinspect's
  get_raw_page, dead tuples and free space included) and the WAL written meanwhile hold
  none of it, because PostgreSQL never received it.
- The embedded SQLite store: the database file and its WAL (secure_delete zeroes the
  deleted rows; the WAL is checkpointed and truncated after the EXIT).
- Redis: the RDB file `DEBUG RELOAD` writes and every key's DUMP.
Each search first finds what it looks for while the conversation is alive (or finds a
marker written on purpose), so a search that cannot find anything proves nothing.

The message key (an HMAC of the MessageSid) stays, unlinked, until it expires (issue
14 row 5); it is not derived from the number and is not searched for here.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from test_database_faults import private_postgres  # noqa: F401 - the fixture
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot import create_app
from bot.conversations.store import conversation_key
from resources_db.database import make_engine, make_session_factory, scratch_database
from resources_db.demo import load_demo_listings

TOKEN = "disk-twilio-token"
HASH_KEY = "disk-hash-key"
SENDER = "+15557500001"
ASK = "necesito ayuda legal en 40202"
REPLY_FRAGMENT = "ayuda legal cerca de 40202 (Louisville, KY)"


def config_for(database_url: str, store_url: str, folder: Path) -> dict:
    return {"TESTING": True, "HARBOR_ENV": "test", "SECRET_KEY": "s", "HASH_KEY": HASH_KEY,
            "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": database_url,
            "CONVERSATION_STORE_URL": store_url, "LOG_LEVEL": "WARNING",
            "PENDING_ERASURES_DIR": str(folder / "pending-erasures"),
            "RATELIMIT_STORAGE_URI": "memory://"}


def sms(client, body: str, message_id: str) -> str:
    params = inbound_fields(SENDER, body, message_id)
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", params)
    response = client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response.data.decode()


def converse(app) -> list[bytes]:
    """Hold a conversation whose reply is REPLY_FRAGMENT; return its needles (bytes)."""
    client = app.test_client()
    reply = sms(client, ASK, "SM" + secrets.token_hex(16))
    assert REPLY_FRAGMENT in reply, reply
    key = conversation_key(HASH_KEY, "sms", SENDER)
    with app.app_context():
        state = app.extensions["harbor_conversations"].load_state(key)
    assert state and state.get("need") == "legal"
    return [key.split(":", 1)[1].encode(), REPLY_FRAGMENT.encode(),
            json.dumps(state["place"]).encode(),  # the state as stored, in part
            json.dumps(state["place"], separators=(",", ":")).encode()]


def exit_conversation(app) -> None:
    assert "Se ha borrado" in sms(app.test_client(), "BORRAR", "SM" + secrets.token_hex(16))


def found(blobs: list[bytes], needles: list[bytes]) -> list[bytes]:
    return [needle for needle in needles if any(needle in blob for blob in blobs)]


# -- PostgreSQL: it never receives a conversation ----------------------------------------

def postgres_pages(engine) -> list[bytes]:
    """Every page of every table, index and TOAST relation, as raw bytes."""
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        connection.execute(text("CHECKPOINT"))
        relations = connection.execute(text(
            "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting("
            "'block_size')::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'i', 't', 'm') AND n.nspname IN ('public', 'pg_toast') "
            "AND c.relpersistence = 'p'")).all()
        pages = []
        for name, blocks in relations:
            for block in range(blocks):
                pages.append(bytes(connection.execute(
                    text("SELECT get_raw_page(:name, 'main', :block)"),
                    {"name": name, "block": block}).scalar_one()))
    return pages


def wal_since(engine, start_file: str) -> list[bytes]:
    """The WAL segment files written since `start_file` (pg_read_binary_file: superuser)."""
    with engine.connect() as connection:
        names = sorted(connection.execute(text(
            "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' AND name >= :start"),
            {"start": start_file}).scalars())
        return [bytes(connection.execute(text("SELECT pg_read_binary_file(:path)"),
                                         {"path": "pg_wal/" + name}).scalar_one())
                for name in names]


@pytest.fixture
def postgres_database(private_postgres):  # noqa: F811 - the imported fixture
    """A database on a private cluster: its WAL holds only what this test wrote (the
    shared server's WAL carries every other test's conversations too)."""
    private_postgres.ensure_running()
    with scratch_database(private_postgres.server_url, prefix="harbor_disk") as url:
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo_listings(session)
            session.commit()
        engine.dispose()
        yield url


@pytest.mark.slow  # initdb of a private cluster: ~20 s
def test_postgresql_pages_and_wal_never_hold_a_conversation(postgres_database, redis_url,
                                                            tmp_path):
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    engine = create_engine(postgres_database)
    with engine.connect() as connection:
        start = connection.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())")
                                   ).scalar_one()
    app = create_app(config_for(postgres_database, redis_url, tmp_path))
    try:
        needles = converse(app)
        exit_conversation(app)
        # The searches can find: a marker written now is in the pages and in the WAL,
        # and a listing named in the reply is in the pages.
        marker = b"marker-" + secrets.token_hex(8).encode()
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS disk_marker (note text)"))
            connection.execute(text("INSERT INTO disk_marker VALUES (:note)"),
                               {"note": marker.decode()})
        pages = postgres_pages(engine)
        wal = wal_since(engine, start)
        assert found(pages, [marker, b"Louisville"]) == [marker, b"Louisville"]
        assert found(wal, [marker]) == [marker]

        assert found(pages, needles) == []
        assert found(wal, needles) == []
    finally:
        app.extensions["harbor_database"].engine.dispose()
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS disk_marker"))
            connection.execute(text("DELETE FROM usage_count"))
        engine.dispose()
        store.flushdb()


# -- SQLite: secure_delete and a truncated WAL -------------------------------------------

def test_the_sqlite_file_and_wal_hold_no_byte_of_an_erased_conversation(tmp_path):
    with scratch_database(None, prefix="harbor_disk") as url:
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo_listings(session)
            session.commit()
        engine.dispose()
        database = Path(url.removeprefix("sqlite:///"))
        app = create_app(config_for(url, url, tmp_path))  # the laptop default: one file

        def files() -> list[bytes]:
            return [path.read_bytes() for path in (database, Path(f"{database}-wal"))
                    if path.exists()]

        needles = converse(app)
        assert found(files(), needles)  # alive: the key is in the file or its WAL
        exit_conversation(app)
        # (The WAL is not empty: the turn's count, committed after the checkpoint, is in it.)
        assert found(files(), needles) == []
        app.extensions["harbor_database"].engine.dispose()
        app.extensions["harbor_conversations"].close()


# -- Redis: nothing in a dump ------------------------------------------------------------

def test_a_redis_reload_and_dump_hold_no_byte_of_an_erased_conversation(private_redis,
                                                                        tmp_path):
    connection = redis.Redis.from_url(private_redis.url)
    connection.flushdb()
    url = f"sqlite:///{tmp_path / 'harbor.sqlite3'}"
    from resources_db.database import upgrade_database

    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo_listings(session)
        session.commit()
    engine.dispose()
    app = create_app(config_for(url, private_redis.url, tmp_path))
    rdb = private_redis.folder / "dump.rdb"

    def dumps() -> list[bytes]:
        connection.execute_command("DEBUG", "RELOAD")  # writes dump.rdb, loads it back
        return [rdb.read_bytes()] + [connection.dump(name) or b""
                                     for name in connection.scan_iter(count=500)]

    needles = converse(app)
    # Alive: the key names and the state are in the dump (the reply, kept for retries,
    # is stored in Redis's compressed form, so only the key and state are checked then).
    assert found(dumps(), needles[:1])
    exit_conversation(app)
    assert found(dumps(), needles) == []
    assert connection.config_get("save") == {"save": ""}
    app.extensions["harbor_database"].engine.dispose()
    connection.flushdb()
