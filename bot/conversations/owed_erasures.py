"""Erasures owed: EXITs answered while the conversation could not be erased at once.

EXIT must work with the store or the database down (DESIGN.md rules 3 and 5): the person
is told at once that the chat is cleared. What could not be deleted then is written
down as the conversation key alone (an HMAC: never a number, a token or a message) in
the first of these places that answers, so that every host finds it:

1. the conversation store itself (Redis: a set every host reads before each turn);
2. the shared SQL database (`owed_erasure`, when the store is not that database): what
   the hosts share when the store is the thing that is away;
3. this machine's folder (`bot.conversations.pending_erasures`), the last resort, seen
   by this machine's workers only.

Every survivor's turn, on any host, first reads all three and erases every owed key in
the store before it loads any state: the first host that reaches the store carries the
erasure out, and the person's next message can never resume what they erased. Then the
entries go. The shared table row is the one trace that reaches PostgreSQL: a key with no
state, deleted once settled (README, "Privacy").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.conversations.pending_erasures import KEY_PATTERN, PendingErasures, pending_erasures
from bot.conversations.store import ConversationStore, StoreUnavailable
from resources_db.models import OwedErasure, utcnow

logger = logging.getLogger("harbor.owed_erasures")


_OWED_KEYS = select(OwedErasure.key).limit(1000)


@dataclass
class SharedOwedTable:
    """The owed_erasure table of the database every host shares."""

    engine: Engine

    def add(self, key: str) -> None:
        """Write `key` down (raises SQLAlchemyError when the database is away)."""
        with self.engine.begin() as connection:
            insert = postgresql.insert if connection.dialect.name == "postgresql" else (
                sqlite.insert)
            connection.execute(insert(OwedErasure.__table__).on_conflict_do_nothing(
                index_elements=["key"]), {"key": key, "created_at": utcnow()})

    def keys(self, session: Session | None = None) -> list[str]:
        """Return the owed keys; on the turn's own session when given (no extra checkout:
        every turn asks, so this is one indexed read on a connection it holds anyway)."""
        if session is not None:
            return list(session.execute(_OWED_KEYS).scalars())
        with self.engine.connect() as connection:
            return list(connection.execute(_OWED_KEYS).scalars())

    def forget(self, keys: list[str]) -> None:
        """Delete settled keys."""
        with self.engine.begin() as connection:
            connection.execute(delete(OwedErasure).where(OwedErasure.key.in_(keys)))


@dataclass
class OwedErasures:
    """The three places an owed erasure can be written, read in one call."""

    store: ConversationStore
    shared: SharedOwedTable | None
    folder: PendingErasures
    session: Session | None = None  # the turn's SQL session, for the shared table
    def add(self, key: str) -> str:
        """Write `key` down where every host finds it; return where ("" if nowhere)."""
        if not KEY_PATTERN.match(key):
            raise ValueError("not a conversation key")
        try:
            self.store.owe_erasure(key)
            return "store"
        except StoreUnavailable:
            pass
        if self.shared is not None:
            try:
                self.shared.add(key)
                return "shared table"
            except SQLAlchemyError as error:
                logger.warning("an owed erasure could not reach the shared table: %s",
                               type(error).__name__)
        if self.folder.add(key):
            logger.warning("an owed erasure is kept on this machine only: the store and "
                           "the database were both unreachable")
            return "folder"
        return ""

    def keys(self) -> list[str]:
        """Return every owed key this host can see (a place that does not answer: none)."""
        owed: set[str] = set(self.folder.keys())
        try:
            owed.update(self.store.owed_erasures())
        except StoreUnavailable:
            pass  # the turn that needs the store fails next, and answers degraded
        if self.shared is not None:
            try:
                owed.update(self.shared.keys(self.session))
            except SQLAlchemyError as error:
                logger.warning("the shared owed erasures could not be read: %s",
                               type(error).__name__)
                if self.session is not None:
                    try:
                        self.session.rollback()
                    except SQLAlchemyError:
                        pass  # a dead connection; the turn falls back on its next query
        return sorted(owed)

    def settle(self) -> tuple[str, ...]:
        """Erase every owed key in the store, then forget it everywhere; return the keys.

        Raises StoreUnavailable when the store is away (nothing is forgotten then).
        """
        owed = tuple(self.keys())
        for key in owed:
            self.store.erase(key)
        if owed:
            self.forget(owed)
            logger.info("%d owed erasure(s) were carried out", len(owed))
        return owed

    def forget(self, keys: Iterable[str]) -> None:
        """Forget keys whose erasure is done, in every place."""
        keys = list(keys)
        self.folder.settled(keys)
        try:
            self.store.forget_owed(keys)
        except StoreUnavailable:
            pass  # erasing an absent conversation again later is harmless
        if self.shared is not None:
            try:
                self.shared.forget(keys)
            except SQLAlchemyError as error:
                logger.warning("settled erasures stayed in the shared table: %s",
                               type(error).__name__)


def owed_erasures(config: Mapping, store: ConversationStore | None = None,
                  session: Session | None = None) -> OwedErasures:
    """Return the owed erasures of the current app (or of a bare `config`)."""
    from flask import current_app, has_app_context

    from bot.conversations.store import current_store

    store = store or current_store()
    shared = None
    if has_app_context():
        shared = current_app.extensions.get("harbor_owed_table")
    return OwedErasures(store=store, shared=shared, folder=pending_erasures(config),
                        session=session)
