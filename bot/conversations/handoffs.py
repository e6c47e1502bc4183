"""Hand-offs to an advocate, kept only in the conversation store and only while they last.

A hand-off starts when a survivor says YES to the offer (bot.engine) and lives in one row
of the conversation store next to the conversation's own state (bot.conversations.store):
what the person agreed to share (need, place, language), the messages since YES in both
directions, the claiming advocate, and for SMS the sealed number the replies go to. It
carries the conversation's expiry, and every message either way moves both on. Closing
deletes it at once; EXIT and expiry delete it with the conversation. The only trace left
is a count per week (resources_db.usage_counts.record_handoff), in coarse bands.

Advocates address a hand-off by a random id, never by the conversation key.
The hand-off itself lives in the conversation store (`store.current_store()`: Redis, SQLite
or memory), never in PostgreSQL; the functions take the caller's session only for the
weekly counts, and never commit it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.conversations import store
from resources_db.usage_counts import DURATION_BANDS, WAIT_BANDS, band, record_handoff

_COUNTS = "harbor_handoff_counts"  # session.info: the counts this transaction will write


def _count(session: Session, **count) -> None:
    """Count a hand-off event when the session commits, not now.

    When the conversation store is the app's own SQLite file, an open write in the view's
    session would hold the file's write lock while the store (its own connection) writes
    the hand-off: counts are therefore written at commit, after every store write.
    """
    session.info.setdefault(_COUNTS, []).append(count)


@event.listens_for(Session, "before_commit")
def _write_counts(session: Session) -> None:
    for count in session.info.pop(_COUNTS, ()):
        record_handoff(session, **count)


@event.listens_for(Session, "after_rollback")
def _drop_counts(session: Session) -> None:
    session.info.pop(_COUNTS, None)


WAITING = "waiting"
CLAIMED = "claimed"
MAX_MESSAGES = 200  # an open chat longer than this keeps its latest messages only


@dataclass
class Handoff:
    """One open hand-off, as stored in its conversation-store row."""

    key: str  # the conversation key (never shown to an advocate)
    id: str
    channel: str  # sms or chat
    status: str
    shared: dict
    created_at: datetime
    claimed_at: datetime | None = None
    advocate_id: int | None = None
    advocate_name: str = ""
    messages: list[dict] = field(default_factory=list)
    next_number: int = 1
    contact: str = ""  # SMS only: the sealed number (bot.conversations.sealed_contact)
    reply_from: str = ""  # SMS only: Harbor's number the person wrote to
    sent: list[str] = field(default_factory=list)  # SMS only: MessageSids, to delete at Twilio

    def to_dict(self) -> dict:
        """Return the JSON form kept in the store."""
        return {
            "id": self.id, "channel": self.channel, "status": self.status,
            "shared": self.shared, "created_at": self.created_at.isoformat(),
            "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
            "advocate_id": self.advocate_id, "advocate_name": self.advocate_name,
            "messages": self.messages[-MAX_MESSAGES:], "next_number": self.next_number,
            "contact": self.contact, "reply_from": self.reply_from, "sent": self.sent,
        }

    @classmethod
    def from_dict(cls, key: str, data: dict) -> Handoff:
        """Return the hand-off stored as `data` for conversation `key`."""
        claimed = data.get("claimed_at")
        return cls(
            key=key, id=str(data["id"]), channel=str(data.get("channel", "chat")),
            status=str(data.get("status", WAITING)), shared=dict(data.get("shared") or {}),
            created_at=datetime.fromisoformat(data["created_at"]),
            claimed_at=datetime.fromisoformat(claimed) if claimed else None,
            advocate_id=data.get("advocate_id"), advocate_name=str(
                data.get("advocate_name") or ""),
            messages=list(data.get("messages") or []),
            next_number=int(data.get("next_number") or 1),
            contact=str(data.get("contact") or ""), reply_from=str(data.get("reply_from") or ""),
            sent=[str(sid) for sid in data.get("sent") or ()],
        )

    def waited_seconds(self, now: datetime) -> int:
        """Return how long the person has waited (until claimed, or until now)."""
        end = self.claimed_at or now
        return max(0, int((end - self.created_at).total_seconds()))


def _seconds(ttl_minutes: int) -> int:
    return int(ttl_minutes) * 60


def load(session: Session, key: str, now: datetime) -> Handoff | None:
    """Return the open hand-off of conversation `key`, or None."""
    data = store.current_store().load_state(store.handoff_key(key))
    return Handoff.from_dict(key, data) if data else None


def save(session: Session, handoff: Handoff, now: datetime, ttl_minutes: int) -> None:
    """Store `handoff` and move its conversation's expiry on with it (the same TTL)."""
    conversations = store.current_store()
    conversations.save_state(store.handoff_key(handoff.key), store.HANDOFF_CHANNEL,
                             handoff.to_dict(), _seconds(ttl_minutes))
    conversations.touch([handoff.key], _seconds(ttl_minutes))


def open_handoff(session: Session, key: str, *, channel: str, shared: dict, now: datetime,
                 ttl_minutes: int, contact: str = "", reply_from: str = "") -> Handoff:
    """Start the hand-off of conversation `key` (waiting in the queue) and count it."""
    handoff = Handoff(key=key, id=secrets.token_urlsafe(12), channel=channel,
                      status=WAITING, shared=shared, created_at=now, contact=contact,
                      reply_from=reply_from)
    save(session, handoff, now, ttl_minutes)
    _count(session, when=now, channel=channel, event="started")
    return handoff


def add_message(session: Session, handoff: Handoff, sender: str, text: str, now: datetime,
                ttl_minutes: int, *, safety: str = "", author: str = "") -> dict:
    """Add one message ("survivor", "advocate" or "harbor") and store the hand-off."""
    message = {"n": handoff.next_number, "from": sender, "text": text,
               "at": now.isoformat(timespec="seconds")}
    if safety:
        message["safety"] = safety
    if author:
        message["author"] = author
    handoff.messages.append(message)
    handoff.next_number += 1
    save(session, handoff, now, ttl_minutes)
    return message


def all_open(session: Session, now: datetime) -> list[Handoff]:
    """Return every open hand-off, oldest first."""
    prefix = store.HANDOFF_PREFIX
    handoffs = [Handoff.from_dict(key[len(prefix):], data)
                for key, data in store.current_store().live_states(prefix) if data.get("id")]
    return sorted(handoffs, key=lambda handoff: handoff.created_at)


def find(session: Session, handoff_id: str, now: datetime) -> Handoff | None:
    """Return the open hand-off with this id, or None (act on it inside `held`)."""
    for handoff in all_open(session, now):
        if secrets.compare_digest(handoff.id, handoff_id):
            return handoff
    return None


@contextmanager
def held(session: Session, handoff: Handoff, now: datetime) -> Iterator[Handoff | None]:
    """Hold this hand-off for one advocate's action; yield it as stored now, or None.

    Two advocates acting on one chat at once act one after the other, the second on what
    the first left (a claim already taken is refused, not taken twice).
    """
    with store.current_store().locked(store.handoff_key(handoff.key)):
        yield load(session, handoff.key, now)


def claim(session: Session, handoff: Handoff, advocate_id: int, advocate_name: str,
          now: datetime, ttl_minutes: int) -> None:
    """Give the hand-off to an advocate; the first claim counts the wait."""
    first = handoff.claimed_at is None
    handoff.status = CLAIMED
    handoff.advocate_id = advocate_id
    handoff.advocate_name = advocate_name
    if first:
        handoff.claimed_at = now
        _count(session, when=now, channel=handoff.channel, event="claimed",
                       bucket=band(handoff.waited_seconds(now) / 60, WAIT_BANDS))
    save(session, handoff, now, ttl_minutes)


def release(session: Session, handoff: Handoff, now: datetime, ttl_minutes: int) -> None:
    """Put a claimed hand-off back in the queue (a transfer to whoever is free)."""
    handoff.status = WAITING
    handoff.advocate_id = None
    handoff.advocate_name = ""
    save(session, handoff, now, ttl_minutes)


def end(session: Session, handoff: Handoff, now: datetime) -> None:
    """Delete the hand-off at once and count how long it lasted."""
    _count(session, when=now, channel=handoff.channel, event="ended",
                   bucket=band((now - handoff.created_at).total_seconds() / 60,
                               DURATION_BANDS))
    store.current_store().erase(store.handoff_key(handoff.key))


# -- the survivor's own conversation, as a hand-off changes it ---------------------------

CLOSED_NOTICE = "closed"  # kept in a chat conversation's state until its page shows it


def back_to_harbor(session: Session, handoff: Handoff, now: datetime, ttl_minutes: int,
                   back: Callable[[dict], dict | None]) -> None:
    """Put the hand-off's conversation back with Harbor (`back`: the engine's handoff_ended).

    A web chat keeps a notice in its state until the page shows "the advocate ended this
    chat"; an SMS survivor was texted it.
    """
    conversations = store.current_store()
    state = conversations.load_state(handoff.key)
    if state is None:
        return
    state = back(state) or {}
    if handoff.channel == "chat":
        state["handoff_notice"] = CLOSED_NOTICE
    namespace = handoff.key.split(":", 1)[0]
    conversations.save_state(handoff.key, namespace, state, _seconds(ttl_minutes))


def survivor_view(session: Session, key: str, now: datetime) -> tuple[str, dict | None,
                                                                      Handoff | None]:
    """Return (what the survivor's page should know, the state, the open hand-off).

    The first part is "none" (no conversation, or no hand-off), "closed" (once, then the
    notice leaves the state without moving its expiry: polling is no activity) or "open".
    """
    conversations = store.current_store()
    state = conversations.load_state(key)
    if state is None:
        return "none", None, None
    if state.get("handoff_notice") == CLOSED_NOTICE:
        state.pop("handoff_notice")
        conversations.replace_state(key, state)
        return "closed", state, None
    handoff = load(session, key, now)
    return ("open" if handoff else "none"), state, handoff


def open_chats_by_advocate(handoffs: list[Handoff]) -> dict[int, int]:
    """Return how many claimed hand-offs each advocate holds."""
    counts: dict[int, int] = {}
    for handoff in handoffs:
        if handoff.status == CLAIMED and handoff.advocate_id is not None:
            counts[handoff.advocate_id] = counts.get(handoff.advocate_id, 0) + 1
    return counts
