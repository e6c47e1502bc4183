"""Hand-offs to an advocate, kept only in the conversation store and only while they last.

A hand-off starts when a survivor says YES to the offer (bot.engine) and lives in one row
of the conversation store next to the conversation's own state (bot.conversations.store):
what the person agreed to share (need, place, language), the messages since YES in both
directions, the claiming advocate, and for SMS the sealed number the replies go to. It
carries the conversation's expiry, and every message either way moves both on. Closing
deletes it at once; EXIT and expiry delete it with the conversation. The only trace left
is a count per week (resources_db.usage_counts.record_handoff), in coarse bands.

Advocates address a hand-off by a random id, never by the conversation key.
The functions take the caller's session and never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.conversations import store
from resources_db.usage_counts import DURATION_BANDS, WAIT_BANDS, band, record_handoff

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


def load(session: Session, key: str, now: datetime) -> Handoff | None:
    """Return the open hand-off of conversation `key`, or None."""
    data = store.load_state(session, store.handoff_key(key), now)
    return Handoff.from_dict(key, data) if data else None


def save(session: Session, handoff: Handoff, now: datetime, ttl_minutes: int) -> None:
    """Store `handoff` and move its conversation's expiry on with it."""
    store.save_state(session, store.handoff_key(handoff.key), store.HANDOFF_CHANNEL,
                     handoff.to_dict(), now, ttl_minutes)
    store.touch(session, handoff.key, now, ttl_minutes)


def open_handoff(session: Session, key: str, *, channel: str, shared: dict, now: datetime,
                 ttl_minutes: int, contact: str = "", reply_from: str = "") -> Handoff:
    """Start the hand-off of conversation `key` (waiting in the queue) and count it."""
    handoff = Handoff(key=key, id=secrets.token_urlsafe(12), channel=channel,
                      status=WAITING, shared=shared, created_at=now, contact=contact,
                      reply_from=reply_from)
    save(session, handoff, now, ttl_minutes)
    record_handoff(session, when=now, channel=channel, event="started")
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
    handoffs = [Handoff.from_dict(key, data)
                for key, data in store.live_handoff_rows(session, now) if data.get("id")]
    return sorted(handoffs, key=lambda handoff: handoff.created_at)


def find(session: Session, handoff_id: str, now: datetime) -> Handoff | None:
    """Return the open hand-off with this id, locked for this transaction, or None.

    Locked: two advocates acting on one chat at once act one after the other, the second
    on what the first left (a claim already taken is refused, not taken twice).
    """
    for handoff in all_open(session, now):
        if secrets.compare_digest(handoff.id, handoff_id):
            data = store.load_state_for_update(session, store.handoff_key(handoff.key), now)
            return Handoff.from_dict(handoff.key, data) if data else None
    return None


def claim(session: Session, handoff: Handoff, advocate_id: int, advocate_name: str,
          now: datetime, ttl_minutes: int) -> None:
    """Give the hand-off to an advocate; the first claim counts the wait."""
    first = handoff.claimed_at is None
    handoff.status = CLAIMED
    handoff.advocate_id = advocate_id
    handoff.advocate_name = advocate_name
    if first:
        handoff.claimed_at = now
        record_handoff(session, when=now, channel=handoff.channel, event="claimed",
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
    record_handoff(session, when=now, channel=handoff.channel, event="ended",
                   bucket=band((now - handoff.created_at).total_seconds() / 60,
                               DURATION_BANDS))
    store.erase(session, store.handoff_key(handoff.key))


# -- the survivor's own conversation, as a hand-off changes it ---------------------------

CLOSED_NOTICE = "closed"  # kept in a chat conversation's state until its page shows it


def back_to_harbor(session: Session, handoff: Handoff, now: datetime, ttl_minutes: int,
                   back: Callable[[dict], dict | None]) -> None:
    """Put the hand-off's conversation back with Harbor (`back`: the engine's handoff_ended).

    A web chat keeps a notice in its state until the page shows "the advocate ended this
    chat"; an SMS survivor was texted it.
    """
    state = store.load_state(session, handoff.key, now)
    if state is None:
        return
    state = back(state) or {}
    if handoff.channel == "chat":
        state["handoff_notice"] = CLOSED_NOTICE
    namespace = handoff.key.split(":", 1)[0]
    store.save_state(session, handoff.key, namespace, state, now, ttl_minutes)


def survivor_view(session: Session, key: str, now: datetime) -> tuple[str, dict | None,
                                                                      Handoff | None]:
    """Return (what the survivor's page should know, the state, the open hand-off).

    The first part is "none" (no conversation, or no hand-off), "closed" (once, then the
    notice leaves the state without moving its expiry: polling is no activity) or "open".
    """
    state = store.load_state(session, key, now)
    if state is None:
        return "none", None, None
    if state.get("handoff_notice") == CLOSED_NOTICE:
        state.pop("handoff_notice")
        store.replace_state(session, key, state)
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
