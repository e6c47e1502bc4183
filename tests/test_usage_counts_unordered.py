"""The counters cannot be read back in the order one conversation's turns were counted.

The security review's attack: one conversation (greeting, legal, a ZIP, more, exit)
through the served app, then `SELECT * FROM usage_count`: consecutive ids spelled out
that person's path. Now the table has no id and no sequence; the dimensions are its key,
and on SQLite (WITHOUT ROWID) even the order rows come back in, unasked, is the key's.
Run against gunicorn on SQLite and on PostgreSQL, and on a database migrated from the
old schema with counts already in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ci_policy import missing
from gunicorn_harbor import HarborClient, serve_harbor
from sqlalchemy import create_engine, insert, inspect, text

from resources_db.database import (
    make_engine,
    make_session_factory,
    scratch_database,
    upgrade_database,
)
from resources_db.models import UsageCount
from resources_db.usage_counts import _DIMENSIONS as DIMENSIONS
from resources_db.usage_counts import record_usage, reseal_recent_counts

pytestmark = pytest.mark.db

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# One person's path, as the review sent it.
PATH = ["hi", "I need a lawyer", "52402", "more", "exit"]
HARBOR = str(Path(sys.executable).with_name("harbor"))


def _postgres_server() -> str:
    server = os.environ.get("HARBOR_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = create_engine(server, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return server
    except Exception:  # noqa: BLE001 - any failure means "not here"
        missing(f"no PostgreSQL server at {server}")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    server = None if request.param == "sqlite" else _postgres_server()
    with scratch_database(server, prefix="harbor_unordered") as url:
        yield url


def stored_rows(url: str) -> list[dict]:
    """Every usage_count row, in whatever order the database hands them out unasked."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in
                    connection.execute(text("SELECT * FROM usage_count"))]
    finally:
        engine.dispose()


def test_one_conversation_leaves_no_id_no_sequence_and_no_order(database):
    with serve_harbor(database, workers=1, threads=2) as server:
        client = HarborClient(server.port)
        token = None
        for message in PATH:
            answer = client.chat(token, message)
            assert answer.valid, answer.raw
            token = answer.body["token"]
    rows = stored_rows(database)
    assert sum(row["count"] for row in rows) == len(PATH)
    assert {row["intent"] for row in rows} >= {"greeting", "legal", "more", "exit"}
    # Nothing but the dimensions and the count: no id, no time, no sequence number.
    assert set(rows[0]) == {*DIMENSIONS, "count"}
    engine = make_engine(database)
    try:
        inspector = inspect(engine)
        assert inspector.get_pk_constraint("usage_count")["constrained_columns"] == list(
            DIMENSIONS)
        for column in inspector.get_columns("usage_count"):
            assert column.get("autoincrement") is not True, column
            assert "nextval" not in str(column.get("default") or ""), column
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                sequences = connection.execute(text(
                    "SELECT count(*) FROM pg_class c JOIN pg_depend d ON d.objid = c.oid "
                    "WHERE c.relkind = 'S' AND d.refobjid = 'usage_count'::regclass")).scalar()
            assert sequences == 0
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        # PostgreSQL hands rows out in the order they were written, each stamped with
        # its transaction: `harbor purge` (run every few minutes) rewrites them.
        purge = subprocess.run([HARBOR, "purge"], capture_output=True, text=True,  # noqa: S603
                               env={**os.environ, "DATABASE_URL": database}, check=True)
        assert f"resealed {len(rows)} usage counts" in purge.stdout
        rows = stored_rows(database)
        assert len({row["xmin"] for row in system_columns(database)}) == 1
    # Storage order is the key's order, never the order of the turns.
    keys = [tuple(str(row[name]) for name in DIMENSIONS) for row in rows]
    assert keys == sorted(keys)


def system_columns(url: str) -> list[dict]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(
                text("SELECT xmin::text AS xmin, ctid::text AS ctid FROM usage_count"))]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_resealing_while_turns_are_counted_loses_no_count():
    with scratch_database(_postgres_server(), prefix="harbor_reseal") as url:
        engine = make_engine(url, pool_size=8)
        sessions = make_session_factory(engine)
        now = datetime.now(UTC)
        per_thread, threads = 60, 4
        errors = []

        def count_turns(intent: str) -> None:
            try:
                for _ in range(per_thread):
                    with sessions() as session:
                        record_usage(session, when=now, channel="sms", intent=intent)
                        session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        workers = [threading.Thread(target=count_turns, args=(f"intent{n % 2}",))
                   for n in range(threads)]
        for worker in workers:
            worker.start()
        reseals = 0
        while any(worker.is_alive() for worker in workers):
            with sessions() as session:
                reseal_recent_counts(session, now.date())
                session.commit()
            reseals += 1
        for worker in workers:
            worker.join()
        assert not errors, errors
        assert reseals > 1
        rows = stored_rows(url)
        engine.dispose()
    assert sum(row["count"] for row in rows) == per_thread * threads


def test_the_migration_keeps_every_count_and_drops_the_id(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0003")
    old = {"week": date(2026, 11, 30), "channel": "sms", "intent": "legal",
           "category": "legal", "language": "en", "county": "Linn County", "state": "IA",
           "search": "local"}
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO usage_count (id, week, channel, intent, category, language, county, "
            "state, search, count) VALUES (7, :week, :channel, :intent, :category, :language, "
            ":county, :state, :search, 12)"), old)
        connection.execute(text(
            "INSERT INTO usage_count (id, week, channel, intent, category, language, county, "
            "state, search, count) VALUES (8, :week, 'chat', 'greeting', '', 'en', '', '', "
            "'', 3)"), old)
    engine.dispose()
    upgrade_database(url)
    rows = stored_rows(url)
    assert sorted((row["intent"], row["count"]) for row in rows) == [("greeting", 3),
                                                                      ("legal", 12)]
    assert "id" not in rows[0]
    # The counting upsert still adds to the migrated row.
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(UsageCount).values(
            {**old, "week": date(2026, 12, 7), "count": 1}))
    engine.dispose()
    assert len(stored_rows(url)) == 3
