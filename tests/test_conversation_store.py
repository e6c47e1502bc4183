"""The conversation store, one contract for its three places (Redis, SQLite, memory).

Every store keeps a state until its TTL, forgets it on erase, claims a message key
exactly once, keeps an erased conversation's message keys unlinked ("erased"), and
keeps owed erasures. A hand-off is one more state under "handoff:" + the conversation
key, listed by prefix, moved on with `touch`, and erased with its conversation. Redis
with persistence on is refused, at start-up too, unless
CONVERSATION_STORE_ALLOW_PERSISTENT says otherwise. PostgreSQL is refused outright.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bot import create_app
from bot.config import ConfigurationError
from bot.conversations.redis_store import RedisConversationStore
from bot.conversations.sql_store import SqlConversationStore
from bot.conversations.store import (
    ERASED,
    HANDOFF_PREFIX,
    PENDING,
    MemoryConversationStore,
    StoreRefused,
    open_store,
)

KEY = "sms:" + "a" * 64
OTHER = "sms:" + "b" * 64
MESSAGE = "sms:" + "c" * 64


@pytest.fixture(params=["redis", "sqlite", "memory"])
def conversations(request, tmp_path, private_redis):
    if request.param == "redis":
        store = RedisConversationStore(private_redis.url)
        store.redis.flushdb()
    elif request.param == "sqlite":
        store = SqlConversationStore(f"sqlite:///{tmp_path / 'conversations.sqlite3'}")
    else:
        store = MemoryConversationStore()
    yield store
    store.close()


def test_a_state_lives_until_its_ttl(conversations):
    conversations.save_state(KEY, "sms", {"step": "results", "need": "shelter"}, 1)
    assert conversations.load_state(KEY) == {"step": "results", "need": "shelter"}
    time.sleep(1.3)
    assert conversations.load_state(KEY) is None


def test_erase_forgets_only_that_conversation(conversations):
    conversations.save_state(KEY, "sms", {"step": "results"}, 600)
    conversations.save_state(OTHER, "sms", {"step": "ask_zip"}, 600)
    conversations.erase(KEY)
    assert conversations.load_state(KEY) is None
    assert conversations.load_state(OTHER) == {"step": "ask_zip"}


def test_a_message_key_is_claimed_once_then_answers_its_replies(conversations):
    assert conversations.claim_message(MESSAGE, KEY) is None
    assert conversations.claim_message(MESSAGE, KEY) == PENDING
    conversations.finish_message(MESSAGE, KEY, ["hello"], 600)
    assert conversations.claim_message(MESSAGE, KEY) == ["hello"]


def test_a_released_claim_can_run_again(conversations):
    assert conversations.claim_message(MESSAGE, KEY) is None
    conversations.release_message(MESSAGE)
    assert conversations.claim_message(MESSAGE, KEY) is None


def test_twelve_simultaneous_claims_let_exactly_one_run(conversations):
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda _: conversations.claim_message(MESSAGE, KEY),
                                 range(12)))
    assert outcomes.count(None) == 1
    assert outcomes.count(PENDING) == 11


def test_erase_keeps_the_message_keys_unlinked_and_replyless(conversations):
    conversations.save_state(KEY, "sms", {"step": "results"}, 600)
    conversations.claim_message(MESSAGE, KEY)
    conversations.finish_message(MESSAGE, KEY, ["Here is a shelter"], 600)
    conversations.erase(KEY)
    assert conversations.claim_message(MESSAGE, KEY) == ERASED
    # A turn that was still running when its conversation was erased cannot revive it.
    conversations.finish_message(MESSAGE, KEY, ["late"], 600)
    assert conversations.claim_message(MESSAGE, KEY) == ERASED
    assert conversations.counts().messages == 0


def test_owed_erasures_are_kept_and_forgotten(conversations):
    conversations.owe_erasure(KEY)
    assert conversations.owed_erasures() == [KEY]
    conversations.forget_owed([KEY])
    assert conversations.owed_erasures() == []


def test_a_hand_off_is_listed_by_its_prefix_and_erased_with_its_conversation(conversations):
    conversations.save_state(KEY, "chat", {"step": "with_person"}, 600)
    conversations.save_state(HANDOFF_PREFIX + KEY, "handoff", {"id": "h1"}, 600)
    conversations.save_state(OTHER, "chat", {"step": "with_person"}, 600)
    conversations.save_state(HANDOFF_PREFIX + OTHER, "handoff", {"id": "h2"}, 600)
    assert sorted(conversations.live_states(HANDOFF_PREFIX)) == [
        (HANDOFF_PREFIX + KEY, {"id": "h1"}), (HANDOFF_PREFIX + OTHER, {"id": "h2"})]
    conversations.erase(KEY)  # EXIT: the conversation and its hand-off
    assert conversations.load_state(HANDOFF_PREFIX + KEY) is None
    assert conversations.live_states(HANDOFF_PREFIX) == [(HANDOFF_PREFIX + OTHER, {"id": "h2"})]


def test_touch_moves_a_hand_off_on_and_replace_keeps_its_expiry(conversations):
    conversations.save_state(KEY, "chat", {"step": "with_person"}, 1)
    conversations.save_state(HANDOFF_PREFIX + KEY, "handoff", {"id": "h1"}, 1)
    conversations.touch([KEY, HANDOFF_PREFIX + KEY], 600)
    conversations.replace_state(KEY, {"step": "with_person", "notice": "closed"})
    time.sleep(1.3)
    assert conversations.load_state(KEY) == {"step": "with_person", "notice": "closed"}
    assert conversations.load_state(HANDOFF_PREFIX + KEY) == {"id": "h1"}
    conversations.save_state(OTHER, "chat", {"step": "menu"}, 1)
    conversations.replace_state(OTHER, {"step": "results"})  # not an activity
    time.sleep(1.3)
    assert conversations.load_state(OTHER) is None
    assert conversations.live_states(HANDOFF_PREFIX) == [(HANDOFF_PREFIX + KEY, {"id": "h1"})]


def test_a_held_key_is_held_by_one_at_a_time(conversations):
    inside = []

    def hold(n):
        with conversations.locked(HANDOFF_PREFIX + KEY):
            inside.append(("in", n))
            time.sleep(0.05)
            inside.append(("out", n))
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(hold, range(4)))
    assert [step for step, _n in inside] == ["in", "out"] * 4


def test_the_redis_store_expires_keys_natively(private_redis):
    store = RedisConversationStore(private_redis.url)
    store.save_state(KEY, "sms", {"step": "results"}, 600)
    assert 590 <= store.redis.ttl("harbor:state:" + KEY) <= 600
    store.erase(KEY)
    assert store.redis.exists("harbor:state:" + KEY) == 0
    store.close()


@pytest.fixture
def persistent_redis(tmp_path):
    from private_redis import PrivateRedis

    server = PrivateRedis(tmp_path)
    redis.Redis.from_url(server.url).config_set("save", "3600 1")
    yield server
    server.stop()


def test_a_persistent_redis_is_refused(persistent_redis):
    with pytest.raises(StoreRefused, match="save"):
        RedisConversationStore(persistent_redis.url)


def test_an_appendonly_redis_is_refused(private_redis):
    connection = redis.Redis.from_url(private_redis.url)
    connection.config_set("appendonly", "yes")
    try:
        with pytest.raises(StoreRefused, match="appendonly"):
            RedisConversationStore(private_redis.url)
    finally:
        connection.config_set("appendonly", "no")


def test_the_app_refuses_to_start_on_a_persistent_redis(persistent_redis, tmp_path):
    config = {"TESTING": True, "SECRET_KEY": "s", "HASH_KEY": "h",
              "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
              "CONVERSATION_STORE_URL": persistent_redis.url}
    with pytest.raises(ConfigurationError, match="CONVERSATION_STORE_ALLOW_PERSISTENT"):
        create_app(config)
    allowed = create_app({**config, "CONVERSATION_STORE_ALLOW_PERSISTENT": "1"})
    assert allowed.extensions["harbor_conversations"].kind == "redis"


def test_postgresql_is_never_a_conversation_store():
    with pytest.raises(ConfigurationError, match="VACUUM"):
        open_store("postgresql+psycopg://postgres@127.0.0.1/test", {})


def test_memory_is_refused_in_production():
    with pytest.raises(ConfigurationError):
        open_store("memory://", {"HARBOR_ENV": "production"})


def test_a_redis_store_shares_the_limits_unless_they_are_named(private_redis, tmp_path):
    from bot.config import load_config

    config = load_config({"CONVERSATION_STORE_URL": private_redis.url}, environ={},
                         instance_path=tmp_path)
    assert config["RATELIMIT_STORAGE_URI"] == private_redis.url


def test_the_sqlite_store_deletes_securely(tmp_path):
    store = SqlConversationStore(f"sqlite:///{tmp_path / 'conversations.sqlite3'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()
