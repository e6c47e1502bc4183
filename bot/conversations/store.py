"""Where conversations live between messages: state rows, the SMS retry cache, erasure.

Keys: a conversation is addressed by "<namespace>:<HMAC-SHA256 of its key material>"
under HASH_KEY (the material is the E.164 number for SMS, the random token for the
web chat), so no phone number or token is ever stored in clear. A Twilio MessageSid
is kept the same way, as an HMAC, next to the conversation key it belongs to, so that
erasing one conversation is two deletes on one indexed column.

Expiry: every row carries `expires_at` (last activity plus SESSION_TTL_MINUTES).
Expired state is never returned; it is deleted when it is found (lazy purge) and by
`purge_expired` (the `harbor purge` command, and at most once a minute per process).

Hand-offs: while a survivor talks with an advocate, the hand-off (what the person agreed
to share and the messages since YES) is one more row of the same table, keyed by
"handoff:" + the conversation key, channel "handoff", with the same expiry. `erase`
deletes it with the conversation, so EXIT, expiry and the purge take it too.

The functions take the caller's Session and never commit: the view commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from resources_db.database import upsert_insert
from resources_db.models import ConversationState, ProcessedMessage

NAMESPACES = ("sms", "chat", "console")
HANDOFF_PREFIX = "handoff:"
HANDOFF_CHANNEL = "handoff"
PURGE_INTERVAL_SECONDS = 60.0

_last_purge = 0.0
_purge_lock = threading.Lock()


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


# Statements built once and run with parameters: every message runs these, and building a
# statement anew costs about as much as running it on SQLite (see docs/BENCHMARKS.md).
_SELECT_STATE = select(ConversationState.state, ConversationState.expires_at).where(
    ConversationState.key == bindparam("key"))
_SELECT_PROCESSED = select(ProcessedMessage.reply, ProcessedMessage.expires_at).where(
    ProcessedMessage.message_key == bindparam("message"))
_ERASE_PROCESSED = delete(ProcessedMessage).where(
    ProcessedMessage.conversation_key == bindparam("key"))
_ERASE_STATE = delete(ConversationState).where(ConversationState.key == bindparam("key"))


@lru_cache(maxsize=None)
def _state_upsert(insert):
    statement = insert(ConversationState.__table__)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={name: statement.excluded[name]
              for name in ("state", "channel", "updated_at", "expires_at")},
    )


@lru_cache(maxsize=None)
def _processed_insert(insert):
    return insert(ProcessedMessage.__table__).on_conflict_do_nothing(
        index_elements=["message_key"])


def load_state(session: Session, key: str, now: datetime) -> dict | None:
    """Return the live state of conversation `key`, or None (expired state is deleted)."""
    row = session.execute(_SELECT_STATE, {"key": key}).first()
    if row is None:
        return None
    state, expires_at = row
    if expires_at <= now:
        erase(session, key)
        return None
    return dict(state or {})


def save_state(session: Session, key: str, channel: str, state: dict, now: datetime,
               ttl_minutes: int) -> None:
    """Store `state` for conversation `key`, expiring `ttl_minutes` from `now`."""
    session.execute(_state_upsert(upsert_insert(session)), {
        "key": key, "channel": channel, "state": state, "updated_at": now,
        "expires_at": now + timedelta(minutes=ttl_minutes),
    })


def load_state_for_update(session: Session, key: str, now: datetime) -> dict | None:
    """Return the live state of `key`, its row locked until the transaction ends.

    For changes two people may make at once (two advocates claiming one hand-off): the
    second waits for the first's commit and then reads what it wrote. A write that changes
    nothing takes the lock (a row lock on PostgreSQL, the write lock on SQLite, which has
    no SELECT ... FOR UPDATE).
    """
    session.execute(update(ConversationState).where(ConversationState.key == key)
                    .values(expires_at=ConversationState.expires_at))
    row = session.execute(_SELECT_STATE, {"key": key}).first()
    if row is None or row[1] <= now:
        return None
    return dict(row[0] or {})


def replace_state(session: Session, key: str, state: dict) -> None:
    """Store `state` for conversation `key` without moving its expiry (not an activity)."""
    session.execute(update(ConversationState).where(ConversationState.key == key)
                    .values(state=state))


def find_processed(session: Session, message: str, now: datetime) -> list[str] | None:
    """Return the replies already given to this message key, or None if it is new."""
    row = session.execute(_SELECT_PROCESSED, {"message": message}).first()
    if row is None or row[1] <= now:
        return None
    try:
        replies = json.loads(row[0])
    except ValueError:
        return None
    return [str(reply) for reply in replies] if isinstance(replies, list) else None


def remember_processed(session: Session, message: str, key: str, replies: list[str],
                       now: datetime, ttl_minutes: int) -> None:
    """Keep the replies given to one message, so a retry gets them again unchanged."""
    session.execute(_processed_insert(upsert_insert(session)), {
        "message_key": message, "conversation_key": key, "reply": json.dumps(replies),
        "created_at": now, "expires_at": now + timedelta(minutes=ttl_minutes),
    })


def erase(session: Session, key: str) -> int:
    """Delete every row linked to conversation `key`; return how many went."""
    removed = session.execute(_ERASE_PROCESSED, {"key": key}).rowcount
    removed += session.execute(_ERASE_STATE, {"key": key}).rowcount
    if not key.startswith(HANDOFF_PREFIX):
        removed += session.execute(_ERASE_STATE, {"key": handoff_key(key)}).rowcount
    return removed


def live_handoff_rows(session: Session, now: datetime) -> list[tuple[str, dict]]:
    """Return (conversation key, hand-off state) of every live hand-off, oldest first."""
    rows = session.execute(
        select(ConversationState.key, ConversationState.state)
        .where(ConversationState.channel == HANDOFF_CHANNEL,
               ConversationState.expires_at > now)
        .order_by(ConversationState.updated_at)
    ).all()
    return [(key[len(HANDOFF_PREFIX):], dict(state or {})) for key, state in rows]


def touch(session: Session, key: str, now: datetime, ttl_minutes: int) -> None:
    """Move the expiry of conversation `key` (and its hand-off) to `ttl_minutes` from now."""
    expires = now + timedelta(minutes=ttl_minutes)
    session.execute(
        update(ConversationState)
        .where(ConversationState.key.in_([key, handoff_key(key)]))
        .values(expires_at=expires)
    )


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """Delete every expired state and retry-cache row; return the counts per table."""
    states = session.execute(
        delete(ConversationState).where(ConversationState.expires_at <= now)
    ).rowcount
    messages = session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.expires_at <= now)
    ).rowcount
    return {"conversation_state": states, "processed_message": messages}


def purge_if_due(session: Session, now: datetime,
                 interval: float = PURGE_INTERVAL_SECONDS) -> bool:
    """Purge expired rows at most once per `interval` seconds in this process."""
    global _last_purge
    clock = time.monotonic()
    with _purge_lock:
        if clock - _last_purge < interval:
            return False
        _last_purge = clock
    purge_expired(session, now)
    return True
