"""One turn of a stored conversation: what every surface (SMS, web chat, console) calls.

`run_turn` loads the state, runs the engine, stores the new state (or erases it all on
exit), keeps the SMS retry cache, files a survivor's anonymous report of a wrong
listing (WRONG 2) and counts the turn for the insights page (sms and chat only, never
the console). It takes the caller's session and never commits: the
view commits, and `commit_turn` is the helper views use so that a database that fails
at commit still gets a safe answer out.

Degraded mode: if the database fails at any point of the turn, the session is rolled
back and the answer comes from `engine.handle_without_database`: exit still answers
(and is cleared), danger still gets its numbers, everything else gets the hotline and
"please try again soon". An exit answered so is written down (`bot.conversations.pending_erasures`)
and carried out by the first turn that reaches the database again, before that turn
loads any state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.conversations import handoffs, store
from bot.conversations.pending_erasures import pending_erasures
from bot.conversations.sealed_contact import seal
from bot.conversations.twilio_rest import delete_messages_later
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
    """Return the answer given when the database is unreachable (no database touched).

    When the message is an exit and the conversation `key` is known, the erasure is
    written down so that it happens as soon as the database answers again.
    """
    turn = handle_without_database(
        _inbound(text, channel, None, language_hint, classification),
        EngineSettings.from_config(config),
    )
    if turn.erase and key:
        pending_erasures(config).add(key)
    return TurnResult(replies=list(turn.replies), cleared=turn.erase,
                      classification=turn.classification, degraded=True,
                      action=turn.action, step=turn.step, key=key or "")


def settle_owed_erasures(session: Session, config: Mapping) -> tuple[str, ...]:
    """Erase, in the caller's transaction, every conversation owed an erasure.

    Returns the keys, for `forget_settled_erasures` once the transaction has committed.
    """
    owed = tuple(pending_erasures(config).keys())
    for key in owed:
        store.erase(session, key)
    return owed


def forget_settled_erasures(config: Mapping, keys: tuple[str, ...]) -> None:
    """After the commit: the owed erasures in `keys` are done."""
    if keys:
        pending_erasures(config).settled(keys)
        logger.info("%d erasure(s) owed since a database outage were carried out", len(keys))


def run_turn(session: Session, *, namespace: str, key_material: str, channel: str, text: str,
             config: Mapping, message_id: str | None = None, now: datetime | None = None,
             language_hint: str | None = None, classification=None,
             reply_from: str = "", listings=None) -> TurnResult:
    """Run one turn of conversation `key_material` in `namespace`; the caller commits.

    `message_id` (the Twilio MessageSid) makes the turn idempotent: a retry returns
    the replies of the first delivery and changes nothing. `now` is the engine's clock
    (opening hours); expiry always runs on the real clock. `classification` is the
    view's classification of `text` when it has one already (classify once a message).
    `reply_from` is Harbor's number an SMS came to: an advocate's replies go out from it.

    Survivors' channels may be handed off to an advocate on duty (bot.conversations.
    handoffs); the console simulator is not, and gets the hotline instead.

    `listings` replaces the session's search (the console records what was searched).
    """
    from intents import classify

    if classification is None:
        classification = classify(text or "")
    hash_key = config["HASH_KEY"]
    ttl = int(config.get("SESSION_TTL_MINUTES") or 30)
    key = store.conversation_key(hash_key, namespace, key_material)
    message = store.message_key(hash_key, namespace, message_id) if message_id else None
    clock = utcnow()
    try:
        # Before anything is read: an EXIT sent during an outage must never be resumed.
        # Survivors' channels only: they commit through commit_turn, which then forgets
        # the settled keys (the console and transcript runs commit on their own).
        settled = (settle_owed_erasures(session, config)
                   if namespace in SURVIVOR_NAMESPACES else ())
        if message is not None:
            earlier = store.find_processed(session, message, clock)
            if earlier is not None:
                state = store.load_state(session, key, clock) or {}
                return TurnResult(replies=earlier, cleared=False,
                                  classification=classification, state_before=state,
                                  state_after=state, repeated=True, action="repeat",
                                  step=str(state.get("step", "")), key=key,
                                  erasures_settled=settled)
        before = store.load_state(session, key, clock)
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
            store.erase(session, key)
        else:
            store.save_state(session, key, namespace, turn.state or {}, clock, ttl)
            if message is not None:
                store.remember_processed(session, message, key, list(turn.replies), clock, ttl)
            if turn.handoff is not None and namespace in SURVIVOR_NAMESPACES:
                _carry_handoff(session, turn.handoff, key=key, namespace=namespace,
                               key_material=key_material, reply_from=reply_from,
                               config=config, clock=clock, ttl=ttl)
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
        store.purge_if_due(session, clock)
    except SQLAlchemyError as error:
        # Never the error's text: SQLAlchemy puts statement parameters in it.
        logger.error("conversation turn fell back to degraded mode: %s", type(error).__name__)
        _rollback(session)
        return degraded_result(text, channel, config, language_hint, classification, key)
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
    forget_settled_erasures(config, result.erasures_settled)
    return result


def erase_conversation(session: Session, namespace: str, key_material: str,
                       config: Mapping) -> int:
    """Delete every row linked to this conversation; return how many went (caller commits)."""
    key = store.conversation_key(config["HASH_KEY"], namespace, key_material)
    return store.erase(session, key)


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:  # a dead connection: nothing left to undo
        logger.warning("rolling back after a database failure failed too")
