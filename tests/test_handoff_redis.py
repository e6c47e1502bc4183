"""The hand-off on the production store: Redis (persistence off), never PostgreSQL.

The same survivor and advocate as tests/test_handoff.py, with CONVERSATION_STORE_URL a
private redis-server: the hand-off is the key harbor:state:handoff:<conversation key>
with the conversation's TTL, the inbox lists it by a SCAN on that prefix, and EXIT
deletes both keys. The SQL database holds no conversation state and no message.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_handoff import (  # noqa: F401 - fixtures used by name
    SECRET_WORDS,
    Survivor,
    act,
    advocate,
    everything_stored,
    handed_off,
    inbox,
    listings,
)

from resources_db.models import ConversationState

pytestmark = pytest.mark.db


@pytest.fixture
def app_config(app_config, private_redis):
    return {**app_config, "CONVERSATION_STORE_URL": private_redis.url,
            "RATELIMIT_STORAGE_URI": "memory://"}


def test_a_hand_off_lives_in_redis_with_its_conversations_ttl_and_exit_deletes_it(
        app, client, advocate, listings, db_session):  # noqa: F811 - the fixtures
    conversations = app.extensions["harbor_conversations"]
    assert conversations.kind == "redis"
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    assert act(advocate, handoff_id, "claim").status_code == 200
    survivor.say(SECRET_WORDS)
    assert act(advocate, handoff_id, "reply", text="I can help with that").status_code == 200
    assert [m["text"] for m in survivor.updates()["messages"]][-1] == "I can help with that"
    [handoff_name] = list(conversations.redis.scan_iter("harbor:state:handoff:*"))
    state_name = handoff_name.replace(b"handoff:", b"", 1)
    ttl = 60 * app.config["SESSION_TTL_MINUTES"]
    assert ttl - 10 <= conversations.redis.ttl(handoff_name) <= ttl
    assert ttl - 10 <= conversations.redis.ttl(state_name) <= ttl
    assert SECRET_WORDS.encode() in conversations.redis.get(handoff_name)
    # The SQL database (PostgreSQL in production) never holds a word of it.
    assert db_session.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert SECRET_WORDS not in everything_stored(db_session)

    assert survivor.say("EXIT")["cleared"] is True
    assert conversations.redis.exists(handoff_name, state_name) == 0
    assert inbox(advocate)["mine"] == [] and inbox(advocate)["queue"] == []
    assert act(advocate, handoff_id, "reply", text="hello?").get_json()["left"] is True
