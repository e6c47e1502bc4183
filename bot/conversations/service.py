"""One turn of a stored conversation: what every surface (SMS, web chat, console) calls.

`run_turn` settles owed erasures, claims the message (SMS: one delivery of a MessageSid
runs, however many arrive), loads the state from the conversation store
(`bot.conversations.store`: Redis, SQLite or memory), runs the engine, stores the new
state (or erases it all on exit, a hand-off included), carries a hand-off to an advocate
(`bot.conversations.handoffs`, kept in the same store), files a survivor's anonymous
report of a wrong listing (WRONG 2) and counts the turn for the insights page (sms and
chat only, never the console) in the view's SQL session. The store commits each step
itself; the view commits the session (the counts and reports), and `commit_turn` is the
helper views use so that a database that fails at commit still gets a safe answer out.

Degraded mode: if the store or the database fails at any point of the turn, the session
is rolled back, the message's claim released, and the answer comes from
`engine.handle_without_database`: exit still answers (and is cleared), danger still gets
its numbers, everything else gets the hotline and "please try again soon". An exit
answered so is written down (`bot.conversations.owed_erasures`) where every host finds
it, and the first turn on any host that reaches the store carries it out, before that
turn loads any state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.channels.twilio_rest import delete_messages_later
from bot.conversations import handoffs, store
from bot.conversations.owed_erasures import owed_erasures
from bot.conversations.sealed_contact import seal
from bot.conversations.store import PENDING, ConversationStore, StoreUnavailable
from bot.engine import (
    Availability,
    EngineSettings,
    HandoffRequest,
    Inbound,
    Turn,
    handle,
    handle_without_database,
    handoff_ended,
)
from bot.texts import replies
from resources_db.beds import with_fresh_beds
from resources_db.geography import Place
from resources_db.listing_reports import file_report
from resources_db.models import utcnow
from resources_db.search import SearchResults, search
from resources_db.usage_counts import record_usage

logger = logging.getLogger("harbor.conversations")

SURVIVOR_NAMESPACES = ("sms", "chat")  # real conversations, not the advocate console
COUNTED_NAMESPACES = SURVIVOR_NAMESPACES  # the insights count survivors' turns only
# How long a repeated delivery waits for the replies of the one in flight (< Twilio's 15 s).
REPEAT_WAIT_SECONDS = 4.0


@dataclass(frozen=True)
class TurnResult:
    """What one turn did: the replies, whether the conversation was erased, and why."""

    replies: list[str]
    cleared: bool
    classification: Any  # intents.Classification
    state_before: dict = field(default_factory=dict)
    state_after: dict = field(default_factory=dict)
    degraded: bool = False  # answered without the database
    repeated: bool = False  # a retried message: the stored replies, nothing advanced
    action: str = ""
    step: str = ""
    event: str = ""  # the engine's reading of the message in its step (transitions.Event)
    key: str = ""  # the conversation key (an HMAC): what a failed commit must still erase
    erasures_settled: tuple[str, ...] = ()  # owed erasures this turn's transaction carries

    @property
    def language(self) -> str:
        """Return the language the conversation is in after this turn."""
        language = self.state_after.get("language") or getattr(
            self.classification, "language", "")
        return language if language in replies.LANGUAGES else "en"


@dataclass(frozen=True)
class DatabaseListings:
    """The engine's `Listings`, bound to this request's session."""

    session: Session

    def search(self, category: str, place: Place, *, language: str | None, limit: int,
               offset: int, now: datetime, populations: tuple[str, ...] = (),
               sub_need: str = "", prefer_open: bool = False) -> SearchResults:
        """Return one page of listings from resources_db.search, with fresh bed reports."""
        results = search(self.session, category, place, language=language, limit=limit,
                         offset=offset, now=now, populations=populations, sub_need=sub_need,
                         prefer_open=prefer_open)
        return with_fresh_beds(self.session, results, now)


@dataclass(frozen=True)
class DutyRoster:
    """The engine's `Advocates`: who is on duty now, bound to this request's session."""

    session: Session

    def availability(self, now: datetime) -> Availability:
        """Return who would answer one more person, and about how long the wait is."""
        from bot.staff import duty

        clock = utcnow()
        open_now = handoffs.all_open(self.session, clock)
        waiting = sum(1 for handoff in open_now if handoff.status == handoffs.WAITING)
        on_duty = duty.on_duty_now(self.session, clock,
                                   handoffs.open_chats_by_advocate(open_now))
        return duty.availability(on_duty, waiting)


def _inbound(text: str, channel: str, now: datetime | None, language_hint: str | None,
             classification=None) -> Inbound:
    return Inbound(text=text or "", channel="sms" if channel == "sms" else "chat",
                   now=now or utcnow(), classification=classification,
                   language_hint=language_hint)


def degraded_result(text: str, channel: str, config: Mapping,
                    language_hint: str | None = None, classification=None,
                    key: str | None = None) -> TurnResult:
    """Return the answer given when the store or the database is unreachable.

    When the message is an exit and the conversation `key` is known, the erasure is
    written down (`owed_erasures`) so that the first host to reach the store does it.
    """
    turn = handle_without_database(
        _inbound(text, channel, None, language_hint, classification),
        EngineSettings.from_config(config),
    )
    if turn.erase and key:
        owed_erasures(config).add(key)
    return TurnResult(replies=list(turn.replies), cleared=turn.erase,
                      classification=turn.classification, degraded=True,
                      action=turn.action, step=turn.step, key=key or "")


def _repeat_of(conversations: ConversationStore, message: str, key: str,
               seen: list[str] | str) -> list[str] | None:
    """Return the replies a repeated message gets; None when it is free to run after all.

    In flight (PENDING): another delivery of the same message is running now (Twilio
    retries, or simultaneous deliveries); wait briefly for its replies, else say nothing.
    """
    deadline = time.monotonic() + REPEAT_WAIT_SECONDS
    while seen == PENDING and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = conversations.claim_message(message, key)
        if seen is None:
            return None  # its turn died and the claim expired: this delivery runs it
    if isinstance(seen, list):
        return seen
    return []  # still in flight, or erased with its conversation: nothing is said


def run_turn(session: Session, *, namespace: str, key_material: str, channel: str, text: str,
             config: Mapping, message_id: str | None = None, now: datetime | None = None,
             language_hint: str | None = None, classification=None,
             conversations: ConversationStore | None = None,
             reply_from: str = "", listings=None) -> TurnResult:
    """Run one turn of conversation `key_material` in `namespace`; the caller commits.

    `message_id` (the Twilio MessageSid) makes the turn idempotent: of any number of
    deliveries (retries, or simultaneous), one runs and is counted; the others get its
    replies and change nothing; after an EXIT none runs again. `now` is the engine's
    clock (opening hours); expiry always runs on the store's clock. `classification` is
    the view's classification of `text` when it has one already (classify once a
    message). `conversations` is the store (default: the app's). `reply_from` is
    Harbor's number an SMS came to: an advocate's replies go out from it.

    Survivors' channels may be handed off to an advocate on duty (bot.conversations.
    handoffs); the console simulator is not, and gets the hotline instead.

    `listings` replaces the session's search (the console records what was searched).
    """
    from intents import classify

    if classification is None:
        classification = classify(text or "")
    conversations = conversations or store.current_store()
    hash_key = config["HASH_KEY"]
    ttl_seconds = 60 * int(config.get("SESSION_TTL_MINUTES") or 30)
    key = store.conversation_key(hash_key, namespace, key_material)
    message = store.message_key(hash_key, namespace, message_id) if message_id else None
    clock = utcnow()
    claimed = False
    try:
        # Before anything is read: an EXIT answered during an outage, on any host, must
        # never be resumed. Survivors' channels only (the console erases its own).
        settled = (owed_erasures(config, conversations, session).settle()
                   if namespace in SURVIVOR_NAMESPACES else ())
        if message is not None:
            seen = conversations.claim_message(message, key)
            earlier = None if seen is None else _repeat_of(conversations, message, key, seen)
            if earlier is not None:
                state = conversations.load_state(key) or {}
                return TurnResult(replies=earlier, cleared=False,
                                  classification=classification, state_before=state,
                                  state_after=state, repeated=True, action="repeat",
                                  step=str(state.get("step", "")), key=key,
                                  erasures_settled=settled)
            claimed = True
        before = conversations.load_state(key)
        if (before or {}).get("step") == "with_person" and handoffs.load(
                session, key, clock) is None:
            # The hand-off is gone (closed while this message came in): back with Harbor.
            before = handoff_ended(before)
        turn: Turn = handle(
            before,
            _inbound(text, channel, now, language_hint, classification),
            listings or DatabaseListings(session),
            EngineSettings.from_config(config),
            advocates=DutyRoster(session) if namespace in SURVIVOR_NAMESPACES else None,
        )
        if turn.erase:
            ended = handoffs.load(session, key, clock)
            if ended is not None:  # counted as ended; erase() below deletes it
                handoffs.end(session, ended, clock)
                # What the advocate texted goes from Twilio's log too, without waiting.
                delete_messages_later(config, ended.sent)
            conversations.erase(key)  # the hand-off's key too
            forget_limits(key)
        else:
            conversations.save_state(key, namespace, turn.state or {}, ttl_seconds)
            if message is not None:
                conversations.finish_message(message, key, list(turn.replies), ttl_seconds)
            if turn.handoff is not None and namespace in SURVIVOR_NAMESPACES:
                _carry_handoff(session, turn.handoff, key=key, namespace=namespace,
                               key_material=key_material, reply_from=reply_from,
                               config=config, clock=clock, ttl=ttl_seconds // 60)
        claimed = False
        if turn.report is not None and namespace in SURVIVOR_NAMESPACES:
            # Anonymous by construction: the listing and the reason, never the key.
            file_report(session, turn.report.listing_id, turn.report.reason,
                        clock.date())
        if namespace in COUNTED_NAMESPACES and turn.usage is not None:
            usage = turn.usage
            # The engine's clock picks the week: real turns pass none, demo seeding back-dates.
            record_usage(session, when=now or clock, channel=namespace, intent=usage.intent,
                         category=usage.category, language=usage.language,
                         county=usage.county, state=usage.state, search=usage.search)
    except (SQLAlchemyError, StoreUnavailable) as error:
        # Never the error's text: SQLAlchemy puts statement parameters in it.
        logger.error("conversation turn fell back to degraded mode: %s", type(error).__name__)
        _rollback(session)
        if claimed:
            _release(conversations, message)
        return degraded_result(text, channel, config, language_hint, classification, key)
    except BaseException:
        if claimed:
            _release(conversations, message)
        raise
    return TurnResult(
        replies=list(turn.replies),
        cleared=turn.erase,
        classification=classification,
        state_before=before or {},
        state_after=turn.state or {},
        action=turn.action,
        step=turn.step,
        event=turn.event,
        key=key,
        erasures_settled=settled,
    )


def _release(conversations: ConversationStore, message: str | None) -> None:
    """Free a claim whose turn did not finish, so Twilio's retry runs it (best effort)."""
    if message is None:
        return
    try:
        conversations.release_message(message)
    except StoreUnavailable:
        pass  # it frees itself after PENDING_CLAIM_SECONDS


def forget_limits(key: str) -> None:
    """EXIT: the conversation's rate-limit counters go too (they derive from its key)."""
    from flask import has_app_context

    if has_app_context():
        from bot.extensions import forget_conversation_limits

        forget_conversation_limits(key)


def _carry_handoff(session: Session, request: HandoffRequest, *, key: str, namespace: str,
                   key_material: str, reply_from: str, config: Mapping, clock: datetime,
                   ttl: int) -> None:
    """Do what the engine asked of the hand-off: start it, add a message, or end it."""
    current = handoffs.load(session, key, clock)
    if request.kind == "start":
        if current is None:
            contact = seal(config, key_material) if namespace == "sms" else ""
            handoffs.open_handoff(session, key, channel=namespace, shared=dict(request.shared),
                                  now=clock, ttl_minutes=ttl, contact=contact,
                                  reply_from=reply_from if namespace == "sms" else "")
    elif request.kind == "relay":
        if current is not None:
            handoffs.add_message(session, current, "survivor", request.text, clock, ttl,
                                 safety=request.safety)
    elif request.kind == "end" and current is not None:
        handoffs.end(session, current, clock)


def commit_turn(session: Session, result: TurnResult, text: str, channel: str,
                config: Mapping, language_hint: str | None = None) -> TurnResult:
    """Commit a turn; if the commit fails, return the degraded answer instead."""
    if result.degraded:
        return result
    try:
        session.commit()
    except SQLAlchemyError as error:
        logger.error("committing a conversation turn failed: %s", type(error).__name__)
        _rollback(session)
        return degraded_result(text, channel, config, language_hint, result.classification,
                               result.key)
    return result


def erase_conversation(session: Session | None, namespace: str, key_material: str,
                       config: Mapping, conversations: ConversationStore | None = None) -> int:
    """Erase everything linked to this conversation now; return how many entries went.

    Raises StoreUnavailable when the store is away (the caller then owes the erasure).
    `session` is unused: kept so callers that hold one read the same.
    """
    conversations = conversations or store.current_store()
    key = store.conversation_key(config["HASH_KEY"], namespace, key_material)
    removed = conversations.erase(key)
    forget_limits(key)
    return removed


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:  # a dead connection: nothing left to undo
        logger.warning("rolling back after a database failure failed too")
