"""Replayed deliveries, as issue 14 ran them (rows 5 and 6), against real gunicorn on
PostgreSQL with the conversations in Redis.

- Row 5: send A, send EXIT, re-send A (the same signed request): the erased conversation
  must not come back. A message delivered before an EXIT never runs again: its message
  key stays, unlinked from the conversation, until it expires.
- Row 6: 12 simultaneous deliveries of one MessageSid advance the state once and are
  counted once.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from gunicorn_harbor import EXIT_REPLY, HASH_KEY, HarborClient, serve_harbor
from sqlalchemy import func, select

from bot.conversations.store import conversation_key, message_key
from resources_db.database import make_engine, make_session_factory
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState, ProcessedMessage, UsageCount

pytestmark = pytest.mark.slow  # one gunicorn start-up: ~40 s on a busy machine

SENDER = "+15557300001"
OTHER_SENDER = "+15557300002"


@pytest.fixture(scope="module")
def harbor(postgres_url, redis_url):
    """gunicorn (2 workers x 8 threads) on PostgreSQL, conversations in Redis."""
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    engine = make_engine(postgres_url)
    with make_session_factory(engine)() as session:
        load_demo_listings(session)
        session.commit()
    try:
        with serve_harbor(postgres_url, workers=2, threads=8, store_url=redis_url) as server:
            yield HarborClient(server.port), store, engine
    finally:
        store.flushdb()
        with engine.begin() as connection:
            connection.execute(UsageCount.__table__.delete())
        engine.dispose()


def counted(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.coalesce(func.sum(UsageCount.count), 0))).scalar_one()


def state_of(store, sender: str) -> dict | None:
    raw = store.get("harbor:state:" + conversation_key(HASH_KEY, "sms", sender))
    return json.loads(raw) if raw else None


def test_a_message_delivered_before_exit_never_runs_again(harbor):
    client, store, engine = harbor
    first = client.sms(SENDER, "I need a safe place to stay near 52404", "SM" + "a1" * 16)
    assert first.messages[0].startswith("Here is a safe place to stay near 52404")
    assert client.sms(SENDER, "EXIT", "SM" + "a2" * 16).messages == [EXIT_REPLY]

    replayed = client.sms(SENDER, "I need a safe place to stay near 52404", "SM" + "a1" * 16)
    assert replayed.valid and replayed.messages == []  # nothing said, nothing run
    assert state_of(store, SENDER) is None
    # The kept message key holds the word "erased", nothing that points to the sender.
    kept = store.get("harbor:msg:" + message_key(HASH_KEY, "sms", "SM" + "a1" * 16))
    assert kept == b"erased"
    assert store.ttl("harbor:msg:" + message_key(HASH_KEY, "sms", "SM" + "a1" * 16)) > 0
    # And the next message starts afresh: no need, no ZIP from before the EXIT.
    (reply,) = client.sms(SENDER, "more", "SM" + "a3" * 16).messages
    assert not reply.startswith("Here is")  # the greeting's menu, not the listings again
    # PostgreSQL never received a conversation (its tables stay empty).
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ConversationState)
                                  ).scalar_one() == 0
        assert connection.execute(select(func.count()).select_from(ProcessedMessage)
                                  ).scalar_one() == 0


def test_twelve_simultaneous_deliveries_advance_once_and_count_once(harbor):
    client, store, engine = harbor
    SENDER = OTHER_SENDER  # noqa: N806 - a conversation of its own in the shared server
    client.sms(SENDER, "I need a safe place to stay near 52404", "SM" + "b1" * 16)
    page = state_of(store, SENDER)["page"]
    before = counted(engine)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: client.sms(SENDER, "more", "SM" + "b2" * 16),
                                range(12)))
    assert all(answer.valid for answer in answers)
    assert state_of(store, SENDER)["page"] == page + 1  # advanced once, not up to 12 times
    assert counted(engine) == before + 1, (before, [a.messages for a in answers])
    # Whoever answered said the same thing, or (while the first was running) nothing.
    said = {tuple(answer.messages) for answer in answers} - {()}
    assert len(said) == 1
