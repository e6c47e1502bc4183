"""The embedded conversation store: a SQLite file that forgets what it deletes.

Two settings make an erasure an erasure on disk:
- `PRAGMA secure_delete=ON` on every connection: SQLite overwrites deleted rows (and
  the freed parts of pages, indexes included) with zeros instead of leaving them in
  the free space of the page.
- After every EXIT, `PRAGMA wal_checkpoint(TRUNCATE)`: the write-ahead log, which still
  holds the old pages, is copied back into the (now zeroed) database file and cut to
  zero bytes.

Each method is its own short transaction on the store's own engine (the view's session
carries listings and counts). `busy_timeout` is short: a locked store must turn into a
degraded answer well inside Twilio's 15 s, not a hang.

Every SQLAlchemy error becomes `StoreUnavailable`. Tables: conversation_state,
processed_message and owed_erasure (created here when the store is a file of its own;
made by the migrations, `harbor db upgrade`, when the store is the app's SQLite database).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import bindparam, delete, event, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from bot.conversations.store import (
    ERASED,
    HANDOFF_PREFIX,
    PENDING,
    PENDING_CLAIM_SECONDS,
    PurgeClock,
    StoreCounts,
    StoreUnavailable,
)
from resources_db.database import make_engine
from resources_db.models import ConversationState, OwedErasure, ProcessedMessage, utcnow

logger = logging.getLogger("harbor.conversation_store")

BUSY_TIMEOUT_MILLISECONDS = 3000  # far inside 15 s; issue 14 row 2 wants < 3 s turns
_TABLES = [ConversationState.__table__, ProcessedMessage.__table__, OwedErasure.__table__]

_SELECT_STATE = select(ConversationState.state, ConversationState.expires_at).where(
    ConversationState.key == bindparam("key"))
_SELECT_MESSAGE = select(ProcessedMessage.reply, ProcessedMessage.expires_at).where(
    ProcessedMessage.message_key == bindparam("message"))
_UPSERT_STATE = (lambda statement: statement.on_conflict_do_update(
    index_elements=["key"],
    set_={name: statement.excluded[name]
          for name in ("state", "channel", "updated_at", "expires_at")},
))(sqlite_insert(ConversationState.__table__))
_CLAIM = sqlite_insert(ProcessedMessage.__table__).on_conflict_do_nothing(
    index_elements=["message_key"])


def _store_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MILLISECONDS}")
    cursor.close()


class SqlConversationStore:
    """Conversation state, message keys and owed erasures in one SQLite file."""

    kind = "sqlite"

    def __init__(self, url: str, *, create_tables: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MILLISECONDS / 1000,
                                                     "check_same_thread": False})
        # After make_engine's own pragmas (WAL, its busy timeout): ours win.
        event.listen(self.engine, "connect", _store_pragmas)
        self.database_path = self.engine.url.database
        self._purge = PurgeClock()
        self._hold = threading.RLock()
        if not create_tables:
            return  # the app's own database: its migrations make these tables
        try:
            ConversationState.metadata.create_all(self.engine, tables=_TABLES)
        except SQLAlchemyError as error:
            # A store that cannot be opened now is a degraded store, not a dead app.
            logger.error("the conversation store could not be prepared: %s",
                         type(error).__name__)

    def _run(self, work):
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except SQLAlchemyError as error:
            raise StoreUnavailable(type(error).__name__) from error

    def load_state(self, key: str) -> dict | None:
        """Return the live state of `key`, or None (expired state is deleted)."""
        def work(connection):
            row = connection.execute(_SELECT_STATE, {"key": key}).first()
            if row is None:
                return None
            if row[1] <= utcnow():
                connection.execute(delete(ConversationState).where(
                    ConversationState.key == key))
                return None
            return dict(row[0] or {})
        state = self._run(work)
        self._purge_if_due()
        return state

    def save_state(self, key: str, channel: str, state: dict, ttl_seconds: int) -> None:
        """Store `state` for `key`, expiring `ttl_seconds` from now."""
        now = utcnow()
        self._run(lambda connection: connection.execute(_UPSERT_STATE, {
            "key": key, "channel": channel, "state": state, "updated_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds)}))

    def claim_message(self, message: str, key: str) -> list[str] | str | None:
        """Claim `message` atomically (None), or return what it already is."""
        now = utcnow()

        def work(connection):
            # An expired message key, or a claim whose turn died, is free again.
            connection.execute(delete(ProcessedMessage).where(
                ProcessedMessage.message_key == message, ProcessedMessage.expires_at <= now))
            claimed = connection.execute(_CLAIM, {
                "message_key": message, "conversation_key": key, "reply": PENDING,
                "created_at": now,
                "expires_at": now + timedelta(seconds=PENDING_CLAIM_SECONDS)}).rowcount
            if claimed:
                return None
            row = connection.execute(_SELECT_MESSAGE, {"message": message}).first()
            return _decode(row[0]) if row else None
        return self._run(work)

    def finish_message(self, message: str, key: str, replies: list[str],
                       ttl_seconds: int) -> None:
        """Keep the replies of a claimed message (unless its conversation was erased since)."""
        now = utcnow()
        self._run(lambda connection: connection.execute(
            update(ProcessedMessage)
            .where(ProcessedMessage.message_key == message,
                   ProcessedMessage.reply == PENDING)
            .values(reply=json.dumps(replies),
                    expires_at=now + timedelta(seconds=ttl_seconds))))

    def release_message(self, message: str) -> None:
        """Drop a pending claim."""
        self._run(lambda connection: connection.execute(
            delete(ProcessedMessage).where(ProcessedMessage.message_key == message,
                                           ProcessedMessage.reply == PENDING)))

    def replace_state(self, key: str, state: dict) -> None:
        """Replace `key`'s state, expiry kept."""
        self._run(lambda connection: connection.execute(
            update(ConversationState).where(ConversationState.key == key,
                                            ConversationState.expires_at > utcnow())
            .values(state=state)))

    def touch(self, keys: Iterable[str], ttl_seconds: int) -> None:
        """Move the expiry of the live `keys`."""
        now = utcnow()
        keys = list(keys)
        self._run(lambda connection: connection.execute(
            update(ConversationState).where(ConversationState.key.in_(keys),
                                            ConversationState.expires_at > now)
            .values(expires_at=now + timedelta(seconds=ttl_seconds))))

    def live_states(self, prefix: str) -> list[tuple[str, dict]]:
        """Return the live states whose key starts with `prefix` (an index range scan)."""
        now = utcnow()
        # A range on the primary key, not LIKE: a key is an HMAC, never a wildcard.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self._run(lambda connection: connection.execute(
            select(ConversationState.key, ConversationState.state)
            .where(ConversationState.key >= prefix, ConversationState.key < upper,
                   ConversationState.expires_at > now)
            .order_by(ConversationState.updated_at)).all())
        return [(key, dict(state or {})) for key, state in rows]

    def locked(self, key: str):
        """Hold hand-off changes one at a time in this process (one host on SQLite)."""
        return self._hold

    def erase(self, key: str) -> int:
        """Delete `key`'s state (and its hand-off), unlink its message keys, cut the WAL."""
        def work(connection):
            keys = [key] if key.startswith(HANDOFF_PREFIX) else [key, HANDOFF_PREFIX + key]
            removed = connection.execute(delete(ConversationState).where(
                ConversationState.key.in_(keys))).rowcount
            kept = connection.execute(
                select(ProcessedMessage.message_key, ProcessedMessage.expires_at)
                .where(ProcessedMessage.conversation_key == key)).all()
            # Delete and insert anew (not UPDATE): the old row, with the conversation key
            # and Harbor's reply in it, is zeroed by secure_delete; the new one holds
            # only the message key and the word "erased".
            removed += connection.execute(delete(ProcessedMessage).where(
                ProcessedMessage.conversation_key == key)).rowcount
            for message, expires_at in kept:
                connection.execute(_CLAIM, {
                    "message_key": message, "conversation_key": "", "reply": ERASED,
                    "created_at": utcnow(), "expires_at": expires_at})
            connection.execute(delete(OwedErasure).where(OwedErasure.key == key))
            return removed
        removed = self._run(work)
        self.checkpoint()
        return removed

    def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it; False if it stayed."""
        try:
            with self.engine.connect() as connection:
                busy, _log, _done = connection.exec_driver_sql(
                    "PRAGMA wal_checkpoint(TRUNCATE)").one()
        except SQLAlchemyError as error:
            logger.error("the conversation store's WAL could not be checkpointed: %s",
                         type(error).__name__)
            return False
        if busy:
            # A reader held an old snapshot; the next EXIT's checkpoint (or SQLite's own
            # at 1000 pages) carries it. Said, not hidden.
            logger.warning("the conversation store's WAL checkpoint was busy")
        return not busy

    def owe_erasure(self, key: str) -> None:
        """Write down an owed erasure."""
        self._run(lambda connection: connection.execute(
            sqlite_insert(OwedErasure.__table__).on_conflict_do_nothing(
                index_elements=["key"]), {"key": key, "created_at": utcnow()}))

    def owed_erasures(self) -> list[str]:
        """Return the owed keys."""
        return self._run(lambda connection: list(
            connection.execute(select(OwedErasure.key)).scalars()))

    def forget_owed(self, keys: Iterable[str]) -> None:
        """Forget settled keys."""
        keys = list(keys)
        if keys:
            self._run(lambda connection: connection.execute(
                delete(OwedErasure).where(OwedErasure.key.in_(keys))))

    def purge_expired(self) -> dict[str, int]:
        """Delete every expired state and message key; return the counts."""
        now = utcnow()

        def work(connection):
            return {
                "conversation_state": connection.execute(delete(ConversationState).where(
                    ConversationState.expires_at <= now)).rowcount,
                "processed_message": connection.execute(delete(ProcessedMessage).where(
                    ProcessedMessage.expires_at <= now)).rowcount,
            }
        return self._run(work)

    def _purge_if_due(self) -> None:
        if self._purge.due():
            try:
                self.purge_expired()
            except StoreUnavailable:
                pass  # the next one will; expired state is never returned anyway

    def ping(self) -> None:
        """Raise StoreUnavailable unless the file answers."""
        self._run(lambda connection: connection.exec_driver_sql("SELECT 1").all())

    def counts(self) -> StoreCounts:
        """Return how many live rows it holds."""
        now = utcnow()

        def work(connection):
            return StoreCounts(
                states=connection.execute(select(func.count()).select_from(ConversationState)
                                          .where(ConversationState.expires_at > now)).scalar(),
                messages=connection.execute(select(func.count()).select_from(ProcessedMessage)
                                            .where(ProcessedMessage.expires_at > now,
                                                   ProcessedMessage.conversation_key != "")
                                            ).scalar(),
                owed=connection.execute(select(func.count()).select_from(OwedErasure)).scalar())
        return self._run(work)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()


def _decode(reply: str) -> list[str] | str:
    if reply in (PENDING, ERASED):
        return reply
    try:
        replies = json.loads(reply)
    except ValueError:
        return ERASED  # unreadable: never run it again, say nothing
    return [str(item) for item in replies] if isinstance(replies, list) else ERASED
