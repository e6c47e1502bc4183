"""The production conversation store: Redis (or Valkey) with persistence off.

With `save ""` and `appendonly no`, Redis never writes a conversation to disk: EXIT is a
DEL, expiry is Redis's own TTL, and every host sees the same conversations, message
keys and owed erasures. Before its first use the store asks `CONFIG GET save` and
`CONFIG GET appendonly` and refuses a persistent instance (StoreRefused at start-up,
StoreUnavailable later) unless CONVERSATION_STORE_ALLOW_PERSISTENT is set. An instance
that does not answer CONFIG (a managed service that renames it) is refused the same way.

Keys (all under "harbor:"; the conversation and message keys are HMACs already):
  harbor:state:<conversation key>  the state, JSON, TTL = SESSION_TTL_MINUTES
  harbor:msg:<message key>         "pending" | JSON list of replies | "erased", with TTL
  harbor:msgs:<conversation key>   the set of its message keys (what EXIT unlinks)
  harbor:owed                      the set of conversation keys owed an erasure
  harbor:state:handoff:<conv. key> a live hand-off (issue 19), same TTL as its state;
                                   listed by SCAN on that prefix, erased with it
  harbor:lock:handoff:<conv. key>  held while one advocate acts on it (a Redis lock)

Timeouts are short: a Redis that hangs must give a degraded answer, not hold a webhook.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable

import redis

from bot.conversations.store import (
    ERASED,
    HANDOFF_PREFIX,
    PENDING,
    PENDING_CLAIM_SECONDS,
    StoreCounts,
    StoreRefused,
    StoreUnavailable,
)

logger = logging.getLogger("harbor.conversation_store")

TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
PREFIX = "harbor:"
OWED_TTL_SECONDS = 7 * 24 * 3600  # an owed erasure outlives any state it must erase

# EXIT in one step: the state goes, every message key of the conversation is kept
# (TTL unchanged) as "erased", unlinked from it, and the owed entry goes.
_ERASE = """
local removed = redis.call('DEL', KEYS[1], KEYS[4])
local messages = redis.call('SMEMBERS', KEYS[2])
for _, message in ipairs(messages) do
  redis.call('SET', ARGV[1] .. message, ARGV[2], 'KEEPTTL', 'XX')
end
removed = removed + redis.call('DEL', KEYS[2]) * #messages
redis.call('SREM', KEYS[3], ARGV[3])
return removed
"""
# A claim that only a pending claim can be turned into replies (an EXIT between the
# claim and the end of its turn leaves it "erased").
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def persistence_problems(connection: redis.Redis) -> list[str]:
    """Return what makes this Redis write to disk (empty: persistence is off)."""
    try:
        save = connection.config_get("save").get("save", "")
        appendonly = connection.config_get("appendonly").get("appendonly", "")
    except redis.ResponseError:
        return ["CONFIG GET is refused, so persistence cannot be checked"]
    problems = []
    if str(save).strip():
        problems.append(f"save is {save!r} (needs save \"\")")
    if str(appendonly).strip().lower() != "no":
        problems.append(f"appendonly is {appendonly!r} (needs appendonly no)")
    return problems


class RedisConversationStore:
    """Conversation state, message keys and owed erasures in Redis."""

    kind = "redis"

    def __init__(self, url: str, *, allow_persistent: bool = False) -> None:
        if url.startswith("valkey"):
            url = "redis" + url[len("valkey"):]
        self.redis = redis.Redis.from_url(url, **TIMEOUTS)
        self.allow_persistent = allow_persistent
        self._checked = False
        self._check_lock = threading.Lock()
        self._erase = self.redis.register_script(_ERASE)
        self._finish = self.redis.register_script(_FINISH)
        self._release = self.redis.register_script(_RELEASE)
        try:
            self.check_persistence()
        except StoreUnavailable:
            # Down at start-up: the app still starts (EXIT and danger work without it);
            # the check runs before the first use instead.
            logger.error("the conversation store (Redis) is unreachable at start-up")

    def check_persistence(self) -> None:
        """Refuse (StoreRefused) a Redis that persists; StoreUnavailable if it is down."""
        with self._check_lock:
            if self._checked:
                return
            try:
                problems = persistence_problems(self.redis)
            except redis.RedisError as error:
                raise StoreUnavailable(type(error).__name__) from error
            if problems and not self.allow_persistent:
                raise StoreRefused(
                    "the conversation store's Redis writes to disk: " + "; ".join(problems)
                    + ". Turn persistence off, or set CONVERSATION_STORE_ALLOW_PERSISTENT=1")
            if problems:
                logger.warning("the conversation store's Redis persists to disk "
                               "(CONVERSATION_STORE_ALLOW_PERSISTENT is set)")
            self._checked = True

    def _call(self, work):
        if not self._checked:
            try:
                self.check_persistence()
            except StoreRefused as error:
                logger.error("%s", error)
                raise StoreUnavailable("persistent Redis refused") from error
        try:
            return work(self.redis)
        except redis.RedisError as error:
            raise StoreUnavailable(type(error).__name__) from error

    def load_state(self, key: str) -> dict | None:
        """Return the live state of `key`, or None."""
        raw = self._call(lambda r: r.get(PREFIX + "state:" + key))
        if raw is None:
            return None
        try:
            state = json.loads(raw)
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    def save_state(self, key: str, channel: str, state: dict, ttl_seconds: int) -> None:
        """Store `state` for `key` with a TTL; the message-key set lives as long."""
        def work(r):
            pipe = r.pipeline(transaction=True)
            pipe.set(PREFIX + "state:" + key, json.dumps(state), ex=ttl_seconds)
            pipe.expire(PREFIX + "msgs:" + key, ttl_seconds)
            pipe.execute()
        self._call(work)

    def claim_message(self, message: str, key: str) -> list[str] | str | None:
        """Claim `message` with SET NX (None), or return what it already is."""
        def work(r):
            name = PREFIX + "msg:" + message
            if r.set(name, PENDING, nx=True, ex=PENDING_CLAIM_SECONDS):
                pipe = r.pipeline(transaction=True)
                pipe.sadd(PREFIX + "msgs:" + key, message)
                pipe.expire(PREFIX + "msgs:" + key, max(PENDING_CLAIM_SECONDS,
                                                         r.ttl(PREFIX + "state:" + key) or 0))
                pipe.execute()
                return None
            value = r.get(name)
            if value is None:  # expired in between: claim again
                return work(r)
            return _decode(value)
        return self._call(work)

    def finish_message(self, message: str, key: str, replies: list[str],
                       ttl_seconds: int) -> None:
        """Keep the replies of a claimed message (unless its conversation was erased since)."""
        self._call(lambda r: self._finish(
            keys=[PREFIX + "msg:" + message], args=[PENDING, json.dumps(replies), ttl_seconds]))

    def release_message(self, message: str) -> None:
        """Drop a pending claim."""
        self._call(lambda r: self._release(keys=[PREFIX + "msg:" + message], args=[PENDING]))

    def replace_state(self, key: str, state: dict) -> None:
        """Replace `key`'s state, TTL kept (SET XX KEEPTTL)."""
        self._call(lambda r: r.set(PREFIX + "state:" + key, json.dumps(state),
                                   xx=True, keepttl=True))

    def touch(self, keys: Iterable[str], ttl_seconds: int) -> None:
        """Move the TTL of the existing `keys` (and their message-key sets)."""
        keys = list(keys)

        def work(r):
            pipe = r.pipeline(transaction=True)
            for key in keys:
                pipe.expire(PREFIX + "state:" + key, ttl_seconds)
                pipe.expire(PREFIX + "msgs:" + key, ttl_seconds)
            pipe.execute()
        self._call(work)

    def live_states(self, prefix: str) -> list[tuple[str, dict]]:
        """Return the live states under `prefix` (SCAN on the prefix, then MGET)."""
        start = len(PREFIX + "state:")

        def work(r):
            names = list(r.scan_iter(PREFIX + "state:" + prefix + "*", count=500))
            return list(zip(names, r.mget(names), strict=True)) if names else []
        states = []
        for name, raw in self._call(work):
            if raw is None:
                continue  # expired between the SCAN and the MGET
            try:
                state = json.loads(raw)
            except ValueError:
                continue
            if isinstance(state, dict):
                states.append((name.decode()[start:], state))
        return states

    def locked(self, key: str):
        """A Redis lock every host honours (it expires by itself if its holder dies)."""
        return _HeldLock(self, PREFIX + "lock:" + key)

    def erase(self, key: str) -> int:
        """Delete `key`'s state; keep its message keys as "erased"."""
        return int(self._call(lambda r: self._erase(
            keys=[PREFIX + "state:" + key, PREFIX + "msgs:" + key, PREFIX + "owed",
                  PREFIX + "state:" + (key if key.startswith(HANDOFF_PREFIX)
                                       else HANDOFF_PREFIX + key)],
            args=[PREFIX + "msg:", ERASED, key])))

    def owe_erasure(self, key: str) -> None:
        """Write down an owed erasure, where every host reads it."""
        def work(r):
            pipe = r.pipeline(transaction=True)
            pipe.sadd(PREFIX + "owed", key)
            pipe.expire(PREFIX + "owed", OWED_TTL_SECONDS)
            pipe.execute()
        self._call(work)

    def owed_erasures(self) -> list[str]:
        """Return the owed keys."""
        return sorted(m.decode() for m in self._call(lambda r: r.smembers(PREFIX + "owed")))

    def forget_owed(self, keys: Iterable[str]) -> None:
        """Forget settled keys."""
        keys = list(keys)
        if keys:
            self._call(lambda r: r.srem(PREFIX + "owed", *keys))

    def purge_expired(self) -> dict[str, int]:
        """Nothing to do: Redis expires keys itself."""
        return {"conversation_state": 0, "processed_message": 0}

    def ping(self) -> None:
        """Raise StoreUnavailable unless Redis answers (and does not persist)."""
        self._call(lambda r: r.ping())

    def counts(self) -> StoreCounts:
        """Count Harbor's keys (SCAN: tests and tools, never a webhook)."""
        def work(r):
            states = sum(1 for _ in r.scan_iter(PREFIX + "state:*", count=500))
            names = list(r.scan_iter(PREFIX + "msg:*", count=500))
            messages = sum(1 for value in (r.mget(names) if names else [])
                           if value is not None and value != ERASED.encode())
            return StoreCounts(states=states, messages=messages,
                               owed=r.scard(PREFIX + "owed"))
        return self._call(work)

    def close(self) -> None:
        """Close the connection pool."""
        self.redis.close()


class _HeldLock:
    """`with store.locked(key):` on Redis; an unreachable Redis is StoreUnavailable."""

    def __init__(self, store: RedisConversationStore, name: str) -> None:
        self.lock = store.redis.lock(name, timeout=15, blocking_timeout=5)

    def __enter__(self):
        try:
            if not self.lock.acquire():
                raise StoreUnavailable("hand-off lock busy")
        except redis.RedisError as error:
            raise StoreUnavailable(type(error).__name__) from error
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.lock.release()
        except redis.RedisError:
            pass  # it expires by itself


def _decode(value: bytes) -> list[str] | str:
    text = value.decode("utf-8", "replace")
    if text in (PENDING, ERASED):
        return text
    try:
        replies = json.loads(text)
    except ValueError:
        return ERASED
    return [str(item) for item in replies] if isinstance(replies, list) else ERASED
