"""Where conversations live between messages: one interface, three places.

`CONVERSATION_STORE_URL` chooses the place (`open_store`):

- `redis://` / `rediss://` / `valkey://`: Redis or Valkey with persistence off (`save ""`,
  `appendonly no`, checked with CONFIG GET before the first use; a persistent instance
  is refused unless CONVERSATION_STORE_ALLOW_PERSISTENT is set). Production and several
  hosts. Expiry is Redis's own TTL; EXIT is a DEL. Nothing reaches a disk.
  (`bot.conversations.redis_store`)
- `sqlite:///path`: an embedded SQLite file with `secure_delete` on (deleted bytes are
  zeroed) and the WAL checkpointed and truncated after every EXIT. The default: the SQL
  database itself when DATABASE_URL is SQLite (a laptop: `make run` needs no Redis),
  else `instance/conversations.sqlite3`. (`bot.conversations.sql_store`)
- `memory://`: this process only (transcript runs, `harbor test-flows`, single-process
  tools); refused in production.

PostgreSQL is never a conversation store: it keeps dead row versions in its table files,
its WAL, backups and replicas until VACUUM, out of Harbor's reach (issue 15). It keeps
listings, accounts, audit and counts.

Keys: a conversation is addressed by "<namespace>:<HMAC-SHA256 of its key material>"
under HASH_KEY (the material is the E.164 number for SMS, the random token for the
web chat), so no phone number or token is ever stored in clear. A Twilio MessageSid is
kept the same way, as an HMAC.

Inbound messages (the SMS retry cache): `claim_message` claims a message key atomically
before its turn runs, so that of 12 simultaneous deliveries of one MessageSid exactly one
runs (and is counted); the others get its replies, or nothing while it is in flight.
EXIT unlinks a conversation's message keys (`ERASED`: no conversation key, no reply) and
keeps them until they expire, so a message delivered before the EXIT never runs again.

Hand-offs (issue 19): while a survivor talks with an advocate, the hand-off (what the
person agreed to share and the messages since YES) is one more state of the same store,
keyed "handoff:" + the conversation key, with the same TTL (`touch` moves both on).
`live_states(HANDOFF_PREFIX)` lists the live ones; `erase(key)` deletes the hand-off with
the conversation, so EXIT, owed erasures and expiry take it too. Never PostgreSQL.

Every method raises `StoreUnavailable` when the store cannot be reached.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

NAMESPACES = ("sms", "chat", "console")
HANDOFF_PREFIX = "handoff:"
HANDOFF_CHANNEL = "handoff"
PURGE_INTERVAL_SECONDS = 60.0
# A claimed message whose turn never finished (its worker died) is free again after this.
PENDING_CLAIM_SECONDS = 30
# What claim_message returns about a message key already seen.
PENDING = "pending"  # its turn is running now (another delivery of the same message)
ERASED = "erased"  # delivered before its conversation's EXIT: never runs again


class StoreUnavailable(RuntimeError):
    """The conversation store could not be reached (the turn answers in degraded mode)."""


class StoreRefused(RuntimeError):
    """The conversation store is reachable but unsafe to use (e.g. it persists to disk)."""


def _digest(hash_key: str, material: str) -> str:
    return hmac.new(hash_key.encode(), material.encode(), hashlib.sha256).hexdigest()


def conversation_key(hash_key: str, namespace: str, key_material: str) -> str:
    """Return "<namespace>:<hex HMAC-SHA256 of key_material under hash_key>"."""
    if namespace not in NAMESPACES:
        raise ValueError(f"unknown conversation namespace {namespace!r}")
    if not hash_key:
        raise ValueError("HASH_KEY is empty")
    return f"{namespace}:{_digest(hash_key, key_material)}"


def handoff_key(key: str) -> str:
    """Return the key of conversation `key`'s hand-off row."""
    return HANDOFF_PREFIX + key


def message_key(hash_key: str, namespace: str, message_id: str) -> str:
    """Return the retry-cache key of one inbound message (an HMAC of its MessageSid)."""
    # A prefix of its own inside the HMAC: a MessageSid can never collide with a number.
    return f"{namespace}:{_digest(hash_key, 'message-id:' + message_id)}"


@dataclass(frozen=True)
class StoreCounts:
    """How much a store holds now (tests, `harbor insights seed-demo`): never what."""

    states: int
    messages: int  # message keys still linked to a live conversation (the retry cache)
    owed: int


class ConversationStore(Protocol):
    """What the conversation service needs from wherever conversations live."""

    kind: str  # "redis", "sqlite" or "memory"

    def load_state(self, key: str) -> dict | None:
        """Return the live state of conversation `key`, or None."""

    def save_state(self, key: str, channel: str, state: dict, ttl_seconds: int) -> None:
        """Store `state` for `key`, expiring `ttl_seconds` from now."""

    def claim_message(self, message: str, key: str) -> list[str] | str | None:
        """Claim inbound message key `message`: None when claimed now (run the turn),
        else its stored replies (a list), PENDING or ERASED."""

    def finish_message(self, message: str, key: str, replies: list[str],
                       ttl_seconds: int) -> None:
        """Keep the replies given to a claimed message, so a retry gets them unchanged."""

    def release_message(self, message: str) -> None:
        """Give up a claim whose turn did not finish (a retry may run it)."""

    def replace_state(self, key: str, state: dict) -> None:
        """Store `state` for an existing `key` without moving its expiry (not an activity)."""

    def touch(self, keys: Iterable[str], ttl_seconds: int) -> None:
        """Move the expiry of the existing `keys` to `ttl_seconds` from now."""

    def live_states(self, prefix: str) -> list[tuple[str, dict]]:
        """Return (key, state) of every live state whose key starts with `prefix`."""

    def locked(self, key: str) -> AbstractContextManager:
        """Hold `key` for a read-change-write (two advocates claiming one hand-off)."""

    def erase(self, key: str) -> int:
        """Delete everything linked to `key`, its hand-off included (message keys kept,
        unlinked); return a count."""

    def owe_erasure(self, key: str) -> None:
        """Write down that `key` must be erased (an EXIT whose erasure failed)."""

    def owed_erasures(self) -> list[str]:
        """Return the keys owed an erasure (cheap when there are none)."""

    def forget_owed(self, keys: Iterable[str]) -> None:
        """Forget owed keys whose erasure is done."""

    def purge_expired(self) -> dict[str, int]:
        """Delete expired entries now; return counts (native TTL stores return zeros)."""

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""

    def counts(self) -> StoreCounts:
        """Return how many states, message keys and owed erasures it holds."""

    def close(self) -> None:
        """Release connections."""


class MemoryConversationStore:
    """Conversations in this process's memory, with expiry on the monotonic clock."""

    kind = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, tuple[float, dict]] = {}
        self._messages: dict[str, tuple[float, str, object]] = {}
        self._owed: set[str] = set()
        self._hold = threading.RLock()

    def _live(self, table: dict, name: str):
        entry = table.get(name)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del table[name]
            return None
        return entry

    def load_state(self, key: str) -> dict | None:
        """Return the live state of `key`, or None."""
        with self._lock:
            entry = self._live(self._states, key)
            return dict(entry[1]) if entry else None

    def save_state(self, key: str, channel: str, state: dict, ttl_seconds: int) -> None:
        """Store `state` for `key`."""
        with self._lock:
            self._states[key] = (time.monotonic() + ttl_seconds, dict(state))

    def claim_message(self, message: str, key: str) -> list[str] | str | None:
        """Claim `message` (None) or say what it is already."""
        with self._lock:
            entry = self._live(self._messages, message)
            if entry is not None:
                value = entry[2]
                return list(value) if isinstance(value, list) else str(value)
            self._messages[message] = (time.monotonic() + PENDING_CLAIM_SECONDS, key, PENDING)
            return None

    def finish_message(self, message: str, key: str, replies: list[str],
                       ttl_seconds: int) -> None:
        """Keep the replies of a claimed message."""
        with self._lock:
            entry = self._messages.get(message)
            if entry is not None and entry[2] == ERASED:
                return
            self._messages[message] = (time.monotonic() + ttl_seconds, key, list(replies))

    def release_message(self, message: str) -> None:
        """Drop a pending claim."""
        with self._lock:
            entry = self._messages.get(message)
            if entry is not None and entry[2] == PENDING:
                del self._messages[message]

    def replace_state(self, key: str, state: dict) -> None:
        """Replace `key`'s state, expiry kept."""
        with self._lock:
            entry = self._live(self._states, key)
            if entry is not None:
                self._states[key] = (entry[0], dict(state))

    def touch(self, keys: Iterable[str], ttl_seconds: int) -> None:
        """Move the expiry of the live `keys`."""
        with self._lock:
            for key in keys:
                entry = self._live(self._states, key)
                if entry is not None:
                    self._states[key] = (time.monotonic() + ttl_seconds, entry[1])

    def live_states(self, prefix: str) -> list[tuple[str, dict]]:
        """Return the live states under `prefix`."""
        with self._lock:
            now = time.monotonic()
            return [(key, dict(state)) for key, (expires, state) in self._states.items()
                    if key.startswith(prefix) and expires > now]

    def locked(self, key: str) -> AbstractContextManager:
        """One process: one lock for every key is enough."""
        return self._hold

    def erase(self, key: str) -> int:
        """Delete `key`'s state (and its hand-off); unlink its message keys."""
        with self._lock:
            removed = 1 if self._states.pop(key, None) is not None else 0
            if not key.startswith(HANDOFF_PREFIX):
                removed += 1 if self._states.pop(HANDOFF_PREFIX + key, None) else 0
            for message, (expires, owner, _value) in list(self._messages.items()):
                if owner == key:
                    self._messages[message] = (expires, "", ERASED)
                    removed += 1
            return removed

    def owe_erasure(self, key: str) -> None:
        """Write down an owed erasure."""
        with self._lock:
            self._owed.add(key)

    def owed_erasures(self) -> list[str]:
        """Return the owed keys."""
        with self._lock:
            return sorted(self._owed)

    def forget_owed(self, keys: Iterable[str]) -> None:
        """Forget settled keys."""
        with self._lock:
            self._owed.difference_update(keys)

    def purge_expired(self) -> dict[str, int]:
        """Drop expired entries."""
        with self._lock:
            now = time.monotonic()
            states = [k for k, v in self._states.items() if v[0] <= now]
            messages = [k for k, v in self._messages.items() if v[0] <= now]
            for name in states:
                del self._states[name]
            for name in messages:
                del self._messages[name]
        return {"conversation_state": len(states), "processed_message": len(messages)}

    def ping(self) -> None:
        """Always answers."""

    def counts(self) -> StoreCounts:
        """Return the sizes."""
        with self._lock:
            now = time.monotonic()
            return StoreCounts(
                states=sum(1 for v in self._states.values() if v[0] > now),
                messages=sum(1 for v in self._messages.values() if v[0] > now and v[1]),
                owed=len(self._owed))

    def close(self) -> None:
        """Nothing to release."""


def default_store_url(config: Mapping, instance_path: str | Path) -> str:
    """Return the store URL used when CONVERSATION_STORE_URL is not set."""
    database = str(config.get("DATABASE_URL") or "")
    if database.startswith("sqlite:"):
        return database  # "the SQL database by default": one file on a laptop
    return f"sqlite:///{Path(instance_path).resolve() / 'conversations.sqlite3'}"


def open_store(url: str, config: Mapping) -> ConversationStore:
    """Return the conversation store `url` names (see the module docstring)."""
    from bot.config import ConfigurationError

    scheme = url.split(":", 1)[0].lower()
    if scheme in ("redis", "rediss", "valkey", "valkeys", "unix"):
        from bot.conversations.redis_store import RedisConversationStore

        return RedisConversationStore(
            url, allow_persistent=bool(config.get("CONVERSATION_STORE_ALLOW_PERSISTENT")))
    if scheme.startswith("sqlite"):
        from bot.conversations.sql_store import SqlConversationStore

        # The app's own database: its migrations (harbor db upgrade) make the tables.
        own_database = url == str(config.get("DATABASE_URL") or "")
        return SqlConversationStore(url, create_tables=not own_database)
    if scheme == "memory":
        if config.get("HARBOR_ENV") == "production":
            raise ConfigurationError(
                "CONVERSATION_STORE_URL=memory:// keeps conversations in one process: "
                "use redis://... in production")
        return MemoryConversationStore()
    if scheme.startswith("postgres"):
        raise ConfigurationError(
            "CONVERSATION_STORE_URL cannot be PostgreSQL: it keeps erased rows in its "
            "table files and WAL until VACUUM. Use redis://... (persistence off) or sqlite:///")
    raise ConfigurationError(f"CONVERSATION_STORE_URL has an unknown scheme: {scheme!r}")


_fallback_store: MemoryConversationStore | None = None
_fallback_lock = threading.Lock()


def current_store() -> ConversationStore:
    """Return the app's conversation store; outside an app, one in-process memory store.

    Outside an app means a bare config dict (transcript tests, scripts): nothing there
    may reach a disk either.
    """
    global _fallback_store
    from flask import current_app, has_app_context

    if has_app_context():
        store = current_app.extensions.get("harbor_conversations")
        if store is not None:
            return store
    with _fallback_lock:
        if _fallback_store is None:
            _fallback_store = MemoryConversationStore()
        return _fallback_store


class PurgeClock:
    """At most one purge per interval in this process (stores without native expiry)."""

    def __init__(self, interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._last = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        """Return True (once) when a purge is due."""
        clock = time.monotonic()
        with self._lock:
            if clock - self._last < self.interval:
                return False
            self._last = clock
            return True


def init_app(app) -> ConversationStore:
    """Open the app's conversation store (and the shared owed-erasure table) at start-up.

    A Redis that persists to disk stops start-up here (ConfigurationError), as does a
    rate-limit Redis that does: the limit keys derive from conversation keys.
    """
    import logging

    from bot.config import ConfigurationError
    from bot.conversations.owed_erasures import SharedOwedTable

    config = app.config
    url = str(config.get("CONVERSATION_STORE_URL") or "") or default_store_url(
        config, app.instance_path)
    try:
        conversations = open_store(url, config)
    except StoreRefused as error:
        raise ConfigurationError(str(error)) from error
    app.extensions["harbor_conversations"] = conversations
    database = app.extensions["harbor_database"]
    same_database = (conversations.kind == "sqlite"
                     and str(database.engine.url) == str(conversations.engine.url))
    # The table every host shares: needed when the store is not the SQL database itself.
    app.extensions["harbor_owed_table"] = (
        None if same_database else SharedOwedTable(database.engine))
    limits_url = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if limits_url.startswith(("redis", "rediss")) and limits_url != url:
        _refuse_persistent_limits(limits_url, bool(config.get(
            "CONVERSATION_STORE_ALLOW_PERSISTENT")))
    if config.get("HARBOR_ENV") == "production" and conversations.kind == "sqlite":
        logging.getLogger("harbor.conversation_store").warning(
            "conversations are kept in a SQLite file on this host: with more than one "
            "host, set CONVERSATION_STORE_URL=redis://... (persistence off)")
    return conversations


def _refuse_persistent_limits(url: str, allowed: bool) -> None:
    import redis

    from bot.config import ConfigurationError
    from bot.conversations.redis_store import TIMEOUTS, persistence_problems

    connection = redis.Redis.from_url(url, **TIMEOUTS)
    try:
        problems = persistence_problems(connection)
    except redis.RedisError:
        return  # unreachable now: the limits let messages through while it is away
    finally:
        connection.close()
    if problems and not allowed:
        raise ConfigurationError("RATELIMIT_STORAGE_URI's Redis writes to disk: "
                                 + "; ".join(problems))
