"""`handle(state, inbound, listings) -> Turn`: one message, one answer, no I/O.

Order of every turn:
1. Classify the message (intents.classify needs no database).
2. `exit` first: erase, answer the neutral EXIT_REPLY, or EXIT_REPLY_ES when the exit
   word was Spanish (nothing to an opted-out number).
3. An opted-out SMS conversation stays silent until START.
4. The message becomes an Event (a danger or self-harm signal wins, even beside another
   intent); `transitions.TRANSITIONS` names the action for the current step; the action
   returns the new state and the replies.
5. The first answer of a conversation ends with the one-line exit tip; a message Harbor
   could not read ends with the hotline (and 911 and 988 when it has distress words).
6. SMS replies are rendered for the lock screen and GSM-7, in at most three segments.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.engine.results import finish_sms, fit_sms, fits_sms, render_results
from bot.engine.state import State
from bot.engine.transitions import Event, Step, transition_for
from bot.texts import replies
from bot.texts.sms_text import to_gsm7
from intents.populations import WHO_WORDS
from intents.sub_needs import ages_named, sub_need_of
from resources_db import geography
from resources_db.geography import Place, PlaceLookup
from resources_db.search import SearchResults
from resources_db.vocabulary import POPULATIONS, REPORT_REASONS
from text_folding import fold

logger = logging.getLogger("harbor.engine")

NEEDS = frozenset({
    "shelter", "housing", "legal", "immigration", "economic", "children",
    "child_protection", "counseling", "substance_use", "health", "parenting", "faith",
})
SUPPORT = frozenset({
    "talk_to_someone", "safety_planning", "is_this_abuse", "confidentiality",
    "using_violence",
})
_SIMPLE_EVENTS = {
    "help": Event.HELP, "menu": Event.MENU, "more": Event.MORE,
    "language": Event.LANGUAGE, "greeting": Event.GREETING, "thanks": Event.THANKS,
    "emergency": Event.EMERGENCY, "self_harm": Event.SELF_HARM,
    "location": Event.PLACE, "unknown": Event.UNKNOWN,
}
# Short answers to a yes/no question ("is it safe to text now?", "Houston, TX?").
_YES = {"yes", "y", "yeah", "yep", "yup", "ya", "yea", "si", "sip", "ok", "okay", "sure",
        "claro", "correct", "correcto", "right", "safe", "seguro",
        "co", "vang", "da", "uh", "dung"}  # Vietnamese: có, vâng, dạ, ừ, đúng
_NO = {"no", "n", "nope", "nah", "not", "negative", "khong", "ko"}  # không
# Two-letter replies that are words before they are states ("ok" is not Oklahoma here).
_NOT_A_STATE = _YES | _NO | {"hi", "me", "oh", "in", "or", "ty", "la", "de"}
_NUMBER = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")
# "WRONG 2", "MAL 2", "SAI 2" (on folded text): listing 2 of the last results is wrong.
_WRONG = re.compile(r"^(?:wrong|mal|incorrecto|equivocado|sai)\s*(\d{1,2})$")
_WORD = re.compile(r"[^\W\d_]{2,}")
_MAX_STATES_LISTED = 6
PAGE_SIZE = 3
# A safety score this high without a clear signal still means distress words were there.
DISTRESS_SCORE = 30
_SAFETY_EVENTS = frozenset({Event.EMERGENCY, Event.SELF_HARM, Event.STATUS})
# During a hand-off these keep their meaning; every other message goes to the advocate.
_HANDOFF_OWN_EVENTS = frozenset({Event.EMERGENCY, Event.SELF_HARM, Event.OPT_OUT})
_AFTER_SAFETY_STEPS = frozenset({Step.ASK_PLACE, Step.CONFIRM_STATE, Step.OFFER_SHELTER,
                                 Step.OFFER_TALK})


# Night where the person is: from 21:00 to 07:00 places that are open come first.
NIGHT_STARTS, NIGHT_ENDS = 21, 7
USING_VIOLENCE = "using_violence"
# The shelter question's answers: 1 just me, 2 with children, 3 with pets (or SKIP).
_WHO_CHOICES = {1: (), 2: ("children",), 3: ("pets",)}
_SKIP = frozenset({"skip", "saltar", "omitir", "bo qua", "just me", "only me", "solo yo"})
_WHO_WORDS = frozenset(word for words in WHO_WORDS.values() for word in words.split())
# Small words around a place and who it is for ("52404, with my 3 kids", "con mis hijos").
_CONNECTORS = frozenset("with my and me i im in at for the our con mis mi y yo en para "
                        "los las el la nuestros nuestras".split())
@dataclass(frozen=True)
class Availability:
    """Who of the program's advocates would answer one more person, and the wait."""

    names: tuple[str, ...] = ()  # first names the person is told (may be empty)
    wait_minutes: int | None = None  # None: nobody is on duty


class Advocates(Protocol):
    """Whatever knows who is on duty; the caller binds it to the duty roster."""

    def availability(self, now: datetime) -> Availability:
        """Return who would answer one more person now, and about how long the wait is."""


@dataclass(frozen=True)
class HandoffRequest:
    """What a turn asks of the hand-off: start it, pass a message on, or end it.

    `shared` (start only) is what the person agreed to share: the need, the place and
    the language, nothing they wrote. `text` (relay only) is the message itself, which
    the caller keeps only in the conversation store for as long as the hand-off lasts.
    `safety` is "danger" or "self_harm" when Harbor answered the numbers first.
    """

    kind: str  # "start", "relay" or "end"
    shared: tuple[tuple[str, str], ...] = ()
    text: str = ""
    safety: str = ""


class Listings(Protocol):
    """Whatever can search the listings; the caller binds it to a database session."""

    def search(self, category: str, place: Place, *, language: str | None, limit: int,
               offset: int, now: datetime, populations: tuple[str, ...] = (),
               sub_need: str = "", prefer_open: bool = False) -> SearchResults:
        """Return one page of ranked listings of `category` for `place`: who it is for
        (`populations`), the part of the need (`sub_need`), open ones first when asked."""


@dataclass(frozen=True)
class EngineSettings:
    """The few settings the engine's texts depend on."""

    ttl_minutes: int = 30
    exit_reply: str = "OK. This chat is cleared."
    exit_reply_es: str = "Listo. Se ha borrado este chat."
    program_name: str = "Harbor"  # whose advocates answer a hand-off
    long_wait_minutes: int = 15  # a longer wait is said so, with the hotline
    # The languages switched on (LANGUAGES): a further catalog (Vietnamese) answers only
    # once it is listed here; until then its speakers are answered in English.
    languages: tuple[str, ...] = ("en", "es")

    @classmethod
    def from_config(cls, config) -> EngineSettings:
        """Return the settings of an app config (SESSION_TTL_MINUTES, EXIT_REPLY, ...)."""
        return cls(
            ttl_minutes=int(config.get("SESSION_TTL_MINUTES") or 30),
            exit_reply=str(config.get("EXIT_REPLY") or cls.exit_reply),
            exit_reply_es=str(config.get("EXIT_REPLY_ES") or cls.exit_reply_es),
            program_name=str(config.get("HANDOFF_PROGRAM_NAME") or cls.program_name),
            long_wait_minutes=int(config.get("HANDOFF_LONG_WAIT_MINUTES")
                                  or cls.long_wait_minutes),
            languages=replies.enabled_languages(config.get("LANGUAGES")),
        )

    def spoken(self, language: str | None) -> str:
        """Return `language` when it is switched on, else English."""
        return language if language in self.languages else "en"

    def exit_reply_for(self, language: str | None) -> str:
        """Return the neutral exit line in the language of the exit message."""
        language = self.spoken(language)
        if language == "es":
            return self.exit_reply_es
        if language == "en":
            return self.exit_reply
        return replies.say(language, "exit_reply")


@dataclass(frozen=True)
class Inbound:
    """One message in: its text, the channel it came by and when."""

    text: str
    channel: str  # "sms" or "chat"
    now: datetime
    classification: Any = None  # intents.Classification, when the caller has it already
    language_hint: str | None = None  # the chat page's language, for a new conversation


@dataclass(frozen=True)
class UsageFacts:
    """What one turn adds to the anonymous weekly counts (no key, no body)."""

    intent: str
    category: str = ""
    language: str = ""
    county: str = ""
    state: str = ""
    search: str = ""  # "local", "not_local" or "" when no search ran


@dataclass(frozen=True)
class ListingReportRequest:
    """A survivor's report that a listing is wrong: which listing and what, nothing else."""

    listing_id: str
    reason: str  # one of resources_db.models.REPORT_REASONS


@dataclass(frozen=True)
class Turn:
    """One turn out: the new state (None when erased), the replies, and what happened.

    `report` is a report to file (the caller writes it, anonymously); None otherwise.
    """

    state: dict | None
    replies: tuple[str, ...]
    classification: Any
    erase: bool
    event: str
    action: str
    step: str
    usage: UsageFacts | None = None
    handoff: HandoffRequest | None = None
    report: ListingReportRequest | None = None


def _classifier(classify: Callable | None) -> Callable:
    if classify is not None:
        return classify
    from intents import classify as real_classify

    return real_classify


def _safety(classification) -> str:
    """Return "danger", "self_harm" or "": the intent's, else the reading's own signal."""
    if classification.intent == "emergency":
        return "danger"
    if classification.intent == "self_harm":
        return "self_harm"
    safety = getattr(classification, "safety", "") or ""
    return safety if safety in ("danger", "self_harm") else ""


def _distressed(classification) -> bool:
    """Return True when the message had distress words (a signal or a high safety score)."""
    return bool(_safety(classification)) or (
        int(getattr(classification, "safety_score", 0) or 0) >= DISTRESS_SCORE)


def _about_someone_else(classification) -> bool:
    return getattr(classification, "subject", "self") == "other"


def _named_need(classification) -> str:
    """Return the first resource need the message names beside a safety signal, or ""."""
    named = [classification.intent] if classification.intent in NEEDS else []
    named += [need for need in getattr(classification, "needs", ()) or () if need in NEEDS]
    return named[0] if named else ""


def _named_support(classification) -> str:
    """Return the first support need named beside a safety signal ("how do i leave
    safely", "someone to talk to"), or ""."""
    named = [classification.intent] if classification.intent in SUPPORT else []
    named += [need for need in getattr(classification, "needs", ()) or () if need in SUPPORT]
    return named[0] if named else ""


def _real_place(text: str) -> PlaceLookup | None:
    """Return the place `text` names for certain (ZIP, city with state, a known city).

    After a danger reply, "I'm at the gas station" must not become Gas, KS: a city
    counts only where find_place_mentions finds it (after "in", with its state, or as
    the whole message), a state only as the whole message.
    """
    mentions = geography.find_place_mentions(text or "")
    if mentions.zip:
        place = geography.lookup_zip(mentions.zip)
        return PlaceLookup("found", place) if place else PlaceLookup("not_found")
    if mentions.city:
        lookup = geography.resolve_city(mentions.city, mentions.state)
        return lookup if lookup.status != "not_found" else None
    code = geography.state_code(text or "")
    if code:
        return PlaceLookup("found", _state_place(code), (code,))
    return None


def _yes_or_no(text: str) -> Event | None:
    words = fold(text).split()
    if not words or len(words) > 4:
        return None
    if words[0] in _YES:
        return Event.YES
    if words[0] in _NO:
        return Event.NO
    return None


def _state_place(code: str) -> Place:
    return Place(kind="state", state=code)


def _lookup_from_entities(entities: dict) -> PlaceLookup | None:
    """Return where the classifier's entities point, or None when they name no place."""
    entities = entities or {}
    if entities.get("zip"):
        place = geography.lookup_zip(entities["zip"])
        return PlaceLookup("found", place) if place else PlaceLookup("not_found")
    if entities.get("city"):
        return geography.resolve_city(entities["city"], entities.get("state"))
    if entities.get("state"):
        return PlaceLookup("found", _state_place(entities["state"]), (entities["state"],))
    return None


def render_for_channel(text: str, language: str, channel: str) -> str:
    """Return one reply as the channel sends it (SMS: lock-screen safe, GSM-7, 3 segments)."""
    if channel != "sms":
        return text
    finished = finish_sms(text, language)
    if not fits_sms(finished):
        logger.warning("an SMS reply was cut to %d segments", 3)
        finished = fit_sms(finished)
    return finished


class _Conversation:
    """The actions of one turn; each returns (new state, replies)."""

    def __init__(self, state: State, inbound: Inbound, classification, listings: Listings,
                 settings: EngineSettings, lookup: PlaceLookup | None, choice: int | None,
                 advocates: Advocates | None = None):
        self.advocates = advocates
        self.handoff: HandoffRequest | None = None
        self.state = state
        self.inbound = inbound
        self.classification = classification
        self.listings = listings
        self.settings = settings
        self.lookup = lookup
        self.choice = choice
        self.language = state.language or "en"
        self.tip_pending = not state.tip_given
        self.tip_used = False
        self.intent = classification.intent
        self.searched: SearchResults | None = None
        self.report: ListingReportRequest | None = None

    # -- texts ---------------------------------------------------------------------
    def say(self, key: str, **values: object) -> str:
        return replies.say(self.language, key, **values)

    def need_label(self, need: str) -> str:
        return replies.need_label(self.language, need)

    def place_label(self, place: Place) -> str:
        return place.label()

    def menu_text(self) -> str:
        return self.say("menu")

    def help_text(self) -> str:
        return self.say("help_sms" if self.inbound.channel == "sms" else "help_chat")

    # -- places --------------------------------------------------------------------
    def apply_lookup(self, state: State, lookup: PlaceLookup | None) -> State:
        """Return `state` with a found place taken, or a city left pending its state."""
        if lookup is None:
            return state
        if lookup.status == "found" and lookup.place is not None:
            return replace(state, place=lookup.place, page=0, pending_city="",
                           pending_states=(), pending_likely="",
                           assumed_city=lookup.query_city if lookup.assumed else "")
        if lookup.status == "ambiguous":
            return replace(state, pending_city=lookup.query_city,
                           pending_states=tuple(lookup.candidate_states),
                           pending_likely=lookup.likely_state or "")
        return state

    def ask_state_text(self, state: State) -> str:
        if state.pending_likely:
            return self.say("confirm_state", city=state.pending_city,
                            state=state.pending_likely)
        listed = ", ".join(state.pending_states[:_MAX_STATES_LISTED])
        if len(state.pending_states) > _MAX_STATES_LISTED:
            listed += "..."
        return self.say("ask_state", city=state.pending_city, states=listed)

    # -- the search flow -----------------------------------------------------------
    def advance(self, state: State, lead: str = "") -> tuple[State, list[str]]:
        """Move a known need on: ask the state, ask the place, or show the places."""
        if self.lookup is not None and self.lookup.assumed and state.place is not None \
                and state.assumed_city:
            # Taken at once as the largest namesake: say which, and how to change it.
            taken = self.say("place_taken",
                             place=f"{state.assumed_city}, {state.place.state}")
            lead = f"{lead}\n{taken}" if lead else taken

        def with_lead(text: str) -> list[str]:
            return [f"{lead}\n{text}" if lead else text]

        if state.pending_city:
            return replace(state, step=Step.CONFIRM_STATE), with_lead(self.ask_state_text(state))
        if state.place is None:
            text = self.say("ask_place", need=self.need_label(state.need))
            if self.should_ask_who(state):
                # Optional and in the same turn: "52404, with my dog" answers both.
                text = f"{text} {self.say('ask_who')}"
                state = replace(state, who_asked=True)
            return replace(state, step=Step.ASK_PLACE), with_lead(text)
        return self.show_results(state, lead)

    def should_ask_who(self, state: State) -> bool:
        """Ask "just you, or with children or pets?" once, for shelter, when no one was
        named and nothing says danger or hurry. It rides on the question for the place,
        so it never costs a turn; a place given at once is answered at once."""
        return (state.need == "shelter" and not state.who and not state.who_asked
                and not state.urgent
                and not state.after_safety and not _safety(self.classification)
                and not _distressed(self.classification))

    def prefer_open(self, state: State) -> bool:
        """Return True when open places must come first: now, tonight, or night there."""
        if state.urgent:
            return True
        place = state.place
        zone_name = (place.timezone if place else "") or (
            geography.state_timezone(place.state) if place else "")
        if not zone_name:
            return False
        try:
            local = self.inbound.now.astimezone(ZoneInfo(zone_name))
        except (ZoneInfoNotFoundError, ValueError):
            return False
        return local.hour >= NIGHT_STARTS or local.hour < NIGHT_ENDS

    def show_results(self, state: State, lead: str = "") -> tuple[State, list[str]]:
        place, need = state.place, state.need
        assert place is not None  # noqa: S101 - advance() checked it
        results = self.listings.search(
            need, place, language=self.language, limit=PAGE_SIZE,
            offset=state.page * PAGE_SIZE, now=self.inbound.now,
            populations=state.who, sub_need=state.sub_need,
            prefer_open=self.prefer_open(state),
        )
        if state.page == 0:
            self.searched = results
        values = {"need": self.need_label(need), "place": self.place_label(place),
                  "next": self.say("results_next_more" if results.has_more
                                   else "results_next_menu")}
        if not results.hits:
            key = "results_end" if state.page > 0 else "results_empty"
            text = self.say(key, **values)
            return replace(state, step=Step.RESULTS), [f"{lead}\n{text}" if lead else text]
        if state.page > 0:
            header = self.say("results_header_more", **values)
        elif results.local_total == 0:
            header = self.say("results_header_none_local", **values)
        elif results.radius_miles and results.radius_miles > 25:
            header = self.say("results_header_wider", radius=results.radius_miles, **values)
        else:
            header = self.say("results_header", **values)
        if lead:
            header = f"{lead}\n{header}"
        tail = []
        if (state.page > 0 or results.local_total == 0) and results.has_more:
            tail.append(self.say("result_more"))
        question = self.say("ask_who_after") if (
            state.page == 0 and self.should_ask_who(state)) else ""
        if self.tip_pending:
            tail.append(self.say("exit_tip"))
            self.tip_used = True
        def render(extra: list[str]) -> str:
            return render_results(results, header=header, tail=" ".join([*extra, *tail]),
                                  language=self.language, channel=self.inbound.channel,
                                  now=self.inbound.now)

        # What "WRONG 2" points at: the listings of exactly these results, in order.
        shown = replace(state, step=Step.RESULTS,
                        shown_ids=tuple(hit.listing_id for hit in results.hits),
                        shown_from=results.offset + 1)
        if question:
            # Optional, under places already shown: it never holds the places back, and
            # it is left out when the places and the exit tip would not fit with it.
            text = render([question])
            if self.inbound.channel != "sms" or to_gsm7(question) in text:
                return replace(shown, who_asked=True, who_pending=True), [text]
        return shown, [render([])]

    # -- actions (named in transitions.TRANSITIONS) ----------------------------------
    def welcome(self, state: State) -> tuple[State, list[str]]:
        self.tip_used = True
        return replace(state, step=Step.WELCOME), [f"{self.say('welcome')}\n{self.menu_text()}"]

    def help(self, state: State) -> tuple[State, list[str]]:
        self.tip_used = True
        if state.step == Step.NEW:
            # Carrier HELP as a first message: what Harbor is, then the safety question.
            text = f"{self.help_text()} {self.say('safe_question')}\n{self.menu_text()}"
            return replace(state, step=Step.WELCOME), [text]
        return replace(state, step=Step.MENU), [f"{self.help_text()}\n{self.menu_text()}"]

    def opt_out(self, state: State) -> tuple[State, list[str]]:
        self.tip_used = True
        return replace(state, opted_out=True), [self.say("opt_out")]

    def opt_in(self, state: State) -> tuple[State, list[str]]:
        self.tip_used = True
        return (replace(state, opted_out=False, step=Step.MENU),
                [f"{self.say('opt_in')}\n{self.menu_text()}"])

    def continue_with_need(self, state: State, need: str, line: str
                           ) -> tuple[State, list[str]]:
        """After a safety line, go on with the need named: ask the place, or search it."""
        state = replace(self.apply_lookup(state, self.lookup), need=need, page=0,
                        sub_need=sub_need_of(self.inbound.text or "", need))
        if state.pending_city or state.place is None:
            return self.advance(state, line)
        # The numbers travel alone, so the places keep their full three segments.
        state, texts = self.show_results(state)
        return state, [line, *texts]

    def continue_with_support(self, state: State, support: str, line: str
                              ) -> tuple[State, list[str]]:
        """After a safety line, answer the support need named (a safety plan, someone to
        talk to) instead of falling back to the shelter offer."""
        self.intent = support
        state, texts = self.support(replace(state, step=Step.MENU, page=0), support)
        return state, [line, *texts]

    def offer_text(self, state: State) -> str:
        """Return the open offer of the step a safety reply left the conversation in."""
        if state.step == Step.OFFER_TALK:
            return self.say("self_harm_offer")
        if state.step == Step.CONFIRM_STATE:
            return self.ask_state_text(state)
        if state.step == Step.OFFER_SHELTER and state.place is not None:
            return self.say("emergency_offer_known", place=self.place_label(state.place))
        if state.need and state.need != "shelter":
            return self.say("ask_place", need=self.need_label(state.need))
        other = _about_someone_else(self.classification) and state.after_safety == "danger"
        return self.say("emergency_offer_ask_other" if other else "emergency_offer_ask")

    def emergency(self, state: State) -> tuple[State, list[str]]:
        other = _about_someone_else(self.classification)
        line = self.say("emergency_other" if other else "emergency")
        state = replace(state, after_safety="danger")
        need = _named_need(self.classification)
        if need:
            return self.continue_with_need(state, need, line)
        support = _named_support(self.classification)
        if support:
            return self.continue_with_support(state, support, line)
        state = replace(self.apply_lookup(state, self.lookup), need="shelter", page=0)
        if state.pending_city:
            return replace(state, step=Step.CONFIRM_STATE), [
                f"{line}\n{self.ask_state_text(state)}"]
        if state.place is not None:
            state = replace(state, step=Step.OFFER_SHELTER)
            return state, [f"{line}\n{self.offer_text(state)}"]
        offer = "emergency_offer_ask_other" if other else "emergency_offer_ask"
        return replace(state, step=Step.ASK_PLACE), [f"{line}\n{self.say(offer)}"]

    def self_harm(self, state: State) -> tuple[State, list[str]]:
        other = _about_someone_else(self.classification)
        line = self.say("self_harm")
        if other:
            line = f"{self.say('self_harm_other')}\n{line}"
        state = replace(state, after_safety="self_harm")
        need = _named_need(self.classification)
        if need:
            return self.continue_with_need(state, need, line)
        support = _named_support(self.classification)
        if support and support != "talk_to_someone":  # the talk offer below is that
            return self.continue_with_support(state, support, line)
        state = replace(state, step=Step.OFFER_TALK, page=0, pending_city="",
                        pending_states=(), pending_likely="")
        return state, [f"{line}\n{self.say('self_harm_offer')}"]

    def status_noted(self, state: State) -> tuple[State, list[str]]:
        """Acknowledge a status update after a safety reply; the offer stays open."""
        key = ("status_noted_self_harm" if state.after_safety == "self_harm"
               else "status_noted_danger")
        return state, [f"{self.say(key)}\n{self.offer_text(state)}"]

    def talk_offer_accepted(self, state: State) -> tuple[State, list[str]]:
        self.intent = "talk_to_someone"
        return self.support(replace(state, step=Step.MENU), "talk_to_someone")

    def ask_place_more(self, state: State) -> tuple[State, list[str]]:
        if not state.need:
            return self.more_without_results(state)
        text = self.say("ask_place_more", need=self.need_label(state.need))
        return replace(state, step=Step.ASK_PLACE), [f"{text}\n{self.menu_text()}"]

    def ask_place_yes(self, state: State) -> tuple[State, list[str]]:
        if not state.need:
            return self.acknowledge(state)
        return replace(state, step=Step.ASK_PLACE), [self.say("ask_place_yes")]

    def greeting(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.MENU), [f"{self.say('greeting_again')}\n{self.menu_text()}"]

    def thanks(self, state: State) -> tuple[State, list[str]]:
        self.tip_used = True
        return state, [self.say("thanks")]

    def menu(self, state: State) -> tuple[State, list[str]]:
        cleared = replace(state, step=Step.MENU, need="", page=0, pending_city="",
                          pending_states=(), pending_likely="", sub_need="")
        return cleared, [self.menu_text()]

    def switch_language(self, state: State) -> tuple[State, list[str]]:
        lead = self.say("language_set")
        if state.step == Step.ASK_PLACE and state.need:
            return self.advance(state, lead)
        if state.step == Step.CONFIRM_STATE and state.pending_city:
            return state, [f"{lead}\n{self.ask_state_text(state)}"]
        if state.step == Step.RESULTS and state.need and state.place is not None:
            return self.show_results(state, lead)
        if state.step in (Step.OFFER_SHELTER, Step.OFFER_TALK):
            return state, [f"{lead}\n{self.offer_text(state)}"]
        if state.step == Step.OFFER_PERSON:
            # The offer again, in the new language: consent is asked in words they read.
            state, texts = self.offer_person(state)
            return state, [f"{lead}\n{texts[0]}"]
        step = Step.WELCOME if state.step == Step.WELCOME else Step.MENU
        return replace(state, step=step), [f"{lead}\n{self.menu_text()}"]

    def need(self, state: State, need: str | None = None) -> tuple[State, list[str]]:
        need = need or self.intent
        self.intent = need
        state = replace(state, need=need, page=0,
                        sub_need=sub_need_of(self.inbound.text or "", need))
        if self.lookup is not None and self.lookup.status == "not_found":
            return replace(state, step=Step.ASK_PLACE), [self.say("ask_place_again")]
        return self.advance(self.apply_lookup(state, self.lookup))

    def choose(self, state: State) -> tuple[State, list[str]]:
        need = replies.menu_choice(self.choice or 0)
        if need is None:
            return self.unknown(state)
        if need in SUPPORT:
            self.intent = need
            return self.support(state, need)
        return self.need(state, need)

    def support(self, state: State, intent: str | None = None) -> tuple[State, list[str]]:
        intent = intent or self.intent
        state = self.apply_lookup(state, self.lookup)
        step = Step.MENU if state.step == Step.NEW else state.step
        if intent == USING_VIOLENCE:
            return self.using_violence(state)
        if intent != "talk_to_someone":
            return replace(state, step=step), [self.say(intent, ttl=self.settings.ttl_minutes)]
        if self.advocates is not None and step != Step.WITH_PERSON:
            return self.offer_person(state)
        text = self.say("talk_to_someone")
        if state.place is None:
            asked = replace(state, need="advocacy", page=0, step=Step.ASK_PLACE)
            return asked, [f"{text}\n{self.say('talk_ask_place')}"]
        nearest = self.listings.search("advocacy", state.place, language=self.language,
                                       limit=1, offset=0, now=self.inbound.now)
        self.searched = nearest
        local = [hit for hit in nearest.hits if hit.scope == "local"]
        if local:
            hit = local[0]
            text += "\n" + self.say("talk_nearest", name=hit.name, phone=hit.phone,
                                    town=hit.city)
        return replace(state, step=step), [text]

    def using_violence(self, state: State) -> tuple[State, list[str]]:
        """Someone who uses violence and wants to stop: the hotline, then intervention
        programs (local, state-wide, then the national line), never a survivor's list."""
        state = replace(state, need=USING_VIOLENCE, page=0, sub_need="")
        if state.place is None and not state.pending_city:
            text = (f"{self.say('using_violence')}\n"
                    f"{self.say('ask_place', need=self.need_label(USING_VIOLENCE))}")
            return replace(state, step=Step.ASK_PLACE), [text]
        return self.advance(state, self.say("using_violence_lead"))

    def who_answered(self, state: State) -> tuple[State, list[str]]:
        """Take "1 just me, 2 with children, 3 with pets" or SKIP; rank the places again."""
        who = _WHO_CHOICES.get(self.choice or 0, ())
        if not who or not state.need or state.place is None:
            step = state.step if state.step in (Step.RESULTS, Step.MENU) else Step.MENU
            return replace(state, step=step), [self.say("acknowledge")]
        state = replace(state, who=tuple(dict.fromkeys((*state.who, *who))), page=0)
        return self.show_results(state)
    # -- a person: the offer, consent, the hand-off ----------------------------------
    def who_answers(self, availability: Availability) -> str:
        names = " / ".join(availability.names)
        program = self.settings.program_name
        if not names:
            return self.say("handoff_who_anyone", program=program)
        key = "handoff_who_named" if len(availability.names) == 1 else "handoff_who_names"
        return self.say(key, names=names, program=program)

    def shared_items(self, state: State) -> tuple[tuple[str, str], ...]:
        """Return what YES shares: the need, the place, the language; nothing written."""
        items = []
        if state.need in NEEDS:
            items.append(("need", state.need))
        if state.place is not None:
            items.append(("place", self.place_label(state.place)))
        items.append(("language", self.language))
        return tuple(items)

    def shared_text(self, state: State) -> str:
        parts = []
        for name, value in self.shared_items(state):
            if name == "need":
                parts.append(self.say("handoff_shared_need", need=self.need_label(value)))
            elif name == "place":
                parts.append(self.say("handoff_shared_place", place=value))
        parts.append(self.say("handoff_shared_language"))
        return ", ".join(parts)

    def availability(self) -> Availability:
        if self.advocates is None:
            return Availability()
        return self.advocates.availability(self.inbound.now)

    def person_unavailable(self, state: State, availability: Availability
                           ) -> tuple[State, list[str]] | None:
        """Say so, with the hotline, when nobody is on duty or the wait is long."""
        wait = availability.wait_minutes
        if wait is None:
            return replace(state, step=Step.MENU), [self.say("handoff_none")]
        if wait > self.settings.long_wait_minutes:
            return replace(state, step=Step.MENU), [self.say("handoff_long_wait",
                                                             minutes=wait)]
        return None

    def offer_person(self, state: State) -> tuple[State, list[str]]:
        """Say who would answer and the wait, and ask for YES; nothing is shared yet."""
        state = replace(state, pending_city="", pending_states=(), pending_likely="")
        availability = self.availability()
        unavailable = self.person_unavailable(state, availability)
        if unavailable is not None:
            return unavailable
        text = self.say("handoff_offer", who=self.who_answers(availability),
                        minutes=availability.wait_minutes, shared=self.shared_text(state))
        return replace(state, step=Step.OFFER_PERSON), [text]

    def handoff_accepted(self, state: State) -> tuple[State, list[str]]:
        """YES: open the hand-off with what was agreed, unless nobody is left on duty."""
        self.intent = "talk_to_someone"
        availability = self.availability()
        unavailable = self.person_unavailable(state, availability)
        if unavailable is not None:
            return unavailable
        self.handoff = HandoffRequest("start", shared=self.shared_items(state))
        self.tip_used = True
        return replace(state, step=Step.WITH_PERSON), [
            self.say("handoff_connecting", minutes=availability.wait_minutes)]

    def handoff_declined(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.MENU), [
            f"{self.say('handoff_declined')}\n{self.menu_text()}"]

    def relay(self, state: State) -> tuple[State, list[str]]:
        """Pass the message to the advocate; Harbor itself says nothing."""
        self.tip_used = True
        self.handoff = HandoffRequest("relay", text=self.inbound.text)
        return state, []

    def handoff_safety(self, state: State) -> tuple[State, list[str]]:
        """Danger or self-harm during a hand-off: the numbers first, and the advocate sees it."""
        self.tip_used = True
        safety = _safety(self.classification)
        other = _about_someone_else(self.classification)
        if safety == "danger":
            line = self.say("emergency_other" if other else "emergency")
        else:
            line = self.say("self_harm")
        self.handoff = HandoffRequest("relay", text=self.inbound.text, safety=safety)
        return state, [f"{line}\n{self.say('handoff_safety_note')}"]

    def handoff_opt_out(self, state: State) -> tuple[State, list[str]]:
        self.handoff = HandoffRequest("end")
        new_state, texts = self.opt_out(state)
        return replace(new_state, step=Step.MENU), texts

    def place(self, state: State) -> tuple[State, list[str]]:
        lookup = self.lookup
        if lookup is None or lookup.status == "not_found":
            step = Step.ASK_PLACE if state.need else Step.MENU
            if state.need:
                return replace(state, step=step), [self.say("ask_place_again")]
            return replace(state, step=step), [f"{self.say('ask_place_again')}\n{self.menu_text()}"]
        state = self.apply_lookup(state, lookup)
        if state.need:
            return self.advance(replace(state, page=0))
        if state.pending_city:
            return replace(state, step=Step.CONFIRM_STATE), [self.ask_state_text(state)]
        noted = self.say("place_noted", place=self.place_label(state.place))
        return replace(state, step=Step.MENU), [f"{noted}\n{self.menu_text()}"]

    def more(self, state: State) -> tuple[State, list[str]]:
        if not state.need or state.place is None:
            return self.more_without_results(state)
        return self.show_results(replace(state, page=state.page + 1))

    def more_without_results(self, state: State) -> tuple[State, list[str]]:
        return (replace(state, step=Step.MENU),
                [f"{self.say('more_needs_results')}\n{self.menu_text()}"])

    def safe_yes(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.MENU), [f"{self.say('safe_yes')}\n{self.menu_text()}"]

    def safe_no(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.MENU), [self.say("safe_no")]

    def confirm_likely_state(self, state: State) -> tuple[State, list[str]]:
        if not state.pending_likely:
            return self.ask_state(state)
        lookup = geography.resolve_city(state.pending_city, state.pending_likely)
        return self._place_chosen(state, lookup)

    def _place_chosen(self, state: State, lookup: PlaceLookup) -> tuple[State, list[str]]:
        self.lookup = lookup
        return self.place(state)

    def ask_state(self, state: State) -> tuple[State, list[str]]:
        # Asked again, or the likely state was wrong: list the states, suggest none.
        state = replace(state, pending_likely="", step=Step.CONFIRM_STATE)
        return state, [self.ask_state_text(state)]

    def offer_accepted(self, state: State) -> tuple[State, list[str]]:
        self.intent = "shelter"
        return self.advance(replace(state, need="shelter", page=0))

    def acknowledge(self, state: State) -> tuple[State, list[str]]:
        step = Step.MENU if state.step in (Step.OFFER_SHELTER, Step.OFFER_TALK) else state.step
        return replace(state, step=step), [self.say("acknowledge")]

    def ask_place_again(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.ASK_PLACE), [self.say("ask_place_again")]

    def unknown(self, state: State) -> tuple[State, list[str]]:
        return replace(state, step=Step.MENU), [f"{self.say('unknown')}\n{self.menu_text()}"]

    # -- survivors' reports of a wrong listing (WRONG 2 / MAL 2) -----------------
    def report_wrong(self, state: State) -> tuple[State, list[str]]:
        """Ask what is wrong with the listing numbered `choice` in the last results."""
        number = self.choice or 0
        step = Step.MENU if state.step == Step.NEW else state.step
        if not state.shown_ids:
            return replace(state, step=step), [self.say("report_nothing_shown")]
        index = number - state.shown_from
        if not 0 <= index < len(state.shown_ids):
            return replace(state, step=step), [self.say("report_no_such_number",
                                                        number=number)]
        state = replace(state, step=Step.REPORT_REASON,
                        report_listing=state.shown_ids[index], report_number=number)
        return state, [self.say("report_ask", number=number)]

    def report_reason(self, state: State) -> tuple[State, list[str]]:
        """File the report with the reason chosen by number (1 to 4)."""
        choice = self.choice or 0
        if not 1 <= choice <= len(REPORT_REASONS) or not state.report_listing:
            return self.report_reason_again(state)
        self.report = ListingReportRequest(state.report_listing, REPORT_REASONS[choice - 1])
        text = self.say("report_filed", number=state.report_number)
        return replace(state, step=Step.RESULTS, report_listing="", report_number=0), [text]

    def report_reason_again(self, state: State) -> tuple[State, list[str]]:
        return state, [self.say("report_reason_again")]

    def run(self, action: str, state: State) -> tuple[State, list[str]]:
        return getattr(self, action)(state)


def _event(classification, text: str, state: State, channel: str
           ) -> tuple[Event, PlaceLookup | None, int | None]:
    """Return what the message is for the conversation, the place it names, its number."""
    intent = classification.intent
    entities = getattr(classification, "entities", None) or {}
    if intent == "opt_out":
        return (Event.OPT_OUT if channel == "sms" else Event.HELP), None, None
    if intent == "opt_in":
        return (Event.OPT_IN if channel == "sms" else Event.GREETING), None, None
    safety = _safety(classification)
    if safety:
        event = Event.EMERGENCY if safety == "danger" else Event.SELF_HARM
        return event, _lookup_from_entities(entities), None
    # In the steps after a safety reply only a real place counts ("I'm at the gas
    # station" is news, not Gas, KS), and a message with no need and no place is news.
    after_safety = bool(state.after_safety) and state.step in _AFTER_SAFETY_STEPS
    wrong = _WRONG.match(fold(text or ""))
    if wrong:
        return Event.REPORT, None, int(wrong.group(1))
    number = _NUMBER.match(text or "")
    if state.who_pending and state.step == Step.RESULTS:
        if number and int(number.group(1)) in _WHO_CHOICES:
            return Event.WHO, None, int(number.group(1))
        if fold(text) in _SKIP:
            return Event.WHO, None, None
    if number and intent not in NEEDS and intent not in SUPPORT:
        value = int(number.group(1))
        return (Event.MENU, None, None) if value == 0 else (Event.CHOICE, None, value)
    if state.assumed_city and intent not in NEEDS and fold(text) not in _NOT_A_STATE:
        # "St. Louis" was taken as MO; "IL" or "Illinois" now moves it to that state.
        code = geography.state_code(text or "")
        if code:
            return Event.PLACE, geography.resolve_city(state.assumed_city, code), None
    if state.step == Step.CONFIRM_STATE and state.pending_city:
        code = geography.state_code(text or "")
        if code is None and entities.get("state") and not entities.get("city") \
                and not entities.get("zip"):
            code = entities["state"]
        if code:
            return Event.PLACE, geography.resolve_city(state.pending_city, code), None
    if intent in NEEDS and state.step == Step.ASK_PLACE and state.need \
            and _place_and_who_only(text, entities):
        # "52404 con mis hijos" answers where (and for whom), not a new need.
        return Event.PLACE, _lookup_from_entities(entities), None
    if intent in NEEDS:
        return Event.NEED, _lookup_from_entities(entities), None
    if intent in SUPPORT:
        return Event.SUPPORT, _lookup_from_entities(entities), None
    if intent == "location":
        lookup = _lookup_from_entities(entities)
        if lookup is None:
            lookup = _real_place(text) if after_safety else geography.resolve_place(text or "")
        if lookup is None and after_safety:
            return Event.STATUS, None, None
        return Event.PLACE, lookup, None
    event = _SIMPLE_EVENTS.get(intent, Event.UNKNOWN)
    if event in (Event.UNKNOWN, Event.GREETING, Event.THANKS):
        answer = _yes_or_no(text)
        if answer is not None and (event == Event.UNKNOWN or state.step in (
                Step.WELCOME, Step.CONFIRM_STATE, Step.OFFER_SHELTER)):
            return answer, None, None
    if event == Event.UNKNOWN:
        # "I moved to Louisville KY": no intent, but a place, which is taken in any step.
        lookup = _lookup_from_entities(entities)
        if lookup is None and after_safety:
            lookup = _real_place(text)
        elif lookup is None and state.step in (Step.ASK_PLACE, Step.CONFIRM_STATE):
            lookup = geography.resolve_place(text or "")
        if lookup is not None and lookup.status != "not_found":
            return Event.PLACE, lookup, None
        if after_safety:
            return Event.STATUS, None, None
    return event, None, None


def _place_and_who_only(text: str, entities: dict) -> bool:
    """Return True when `text` names a place and who it is for, and nothing else."""
    if not (entities.get("zip") or entities.get("city")):
        return False
    place_words = set(fold(" ".join(str(value) for value in entities.values())).split())
    place_words |= set(geography.normalize_place_text(entities.get("city") or "").split())
    rest = [word for word in fold(text).split()
            if word not in place_words and word not in _WHO_WORDS
            and word not in _CONNECTORS and not word.isdigit()
            and word not in geography.FILLER_WORDS]
    return not rest


_CARRIER_INTENTS = frozenset({"help", "opt_out", "opt_in"})
# What a person writes to ask for a language, folded ("tiếng việt" -> "tieng viet").
_LANGUAGE_NAMES = {"es": ("espanol", "spanish", "castellano"), "en": ("english", "ingles"),
                   "vi": ("tieng viet", "vietnamese", "viet nam", "vietnam")}


def _language(state: State, classification, text: str, hint: str | None,
              languages: tuple[str, ...] = ("en", "es")) -> str:
    """Return the language to answer in: the person's, as they write or ask, among the
    languages switched on."""
    said = classification.language if classification.language in languages else "en"
    if classification.intent == "language":
        folded = fold(text)
        for language in ("vi", "es", "en"):
            if any(name in folded for name in _LANGUAGE_NAMES[language]):
                # Asked for by name; one not switched on leaves the language as it was.
                return language if language in languages else (state.language or "en")
        return "es" if (state.language or said) == "en" else "en"
    words = _WORD.findall(text or "")
    # A place says nothing of the language; nor does a carrier keyword (HELP, STOP,
    # START are English in every conversation), which is answered in the person's own.
    carrier_keyword = classification.intent in _CARRIER_INTENTS and len(words) == 1
    telling = classification.intent != "location" and not carrier_keyword and (
        len(words) >= 2 or any(len(word) >= 4 for word in words)
    )
    if not state.language:
        if telling or said == "es":
            return said
        return hint if hint in languages else said
    if telling and said != state.language:
        return said
    # A conversation begun in a language since switched off goes on in English.
    return state.language if state.language in languages else said


def handle(state: dict | None, inbound: Inbound, listings: Listings,
           settings: EngineSettings | None = None, classify: Callable | None = None,
           advocates: Advocates | None = None) -> Turn:
    """Run one turn: return the new state, the replies and what happened.

    `advocates` knows who is on duty; without it, a person who asks to talk to someone
    gets the hotline (the console simulator and the transcripts run so).
    """
    settings = settings or EngineSettings()
    classification = inbound.classification or _classifier(classify)(inbound.text or "")
    current = State.from_dict(state)

    # Exit comes first, before any step, flag or lookup.
    if classification.intent == "exit":
        silent = current.opted_out and inbound.channel == "sms"
        answer = () if silent else (_exit_reply(settings, classification, inbound),)
        return Turn(None, answer, classification, True, "exit", "exit", "erased",
                    UsageFacts(intent="exit"))

    event, lookup, choice = _event(classification, inbound.text, current, inbound.channel)
    if current.step == Step.WITH_PERSON and event not in _HANDOFF_OWN_EVENTS:
        event, lookup, choice = Event.RELAY, None, None
    if current.opted_out and inbound.channel == "sms" and event != Event.OPT_IN:
        return Turn(current.to_dict(), (), classification, False, event.value, "silent",
                    current.step.value, UsageFacts(intent=classification.intent))

    language = _language(current, classification, inbound.text, inbound.language_hint,
                         settings.languages)
    current = replace(current, language=language)
    current = replace(_with_fit_signals(current, classification, inbound.text, event),
                      who_pending=False)
    transition = transition_for(current.step, event)
    conversation = _Conversation(current, inbound, classification, listings, settings,
                                 lookup, choice, advocates)
    new_state, texts = conversation.run(transition.action, current)
    if new_state.step not in transition.next_steps:
        raise RuntimeError(
            f"{transition.action} moved {current.step.value} to {new_state.step.value}, "
            "which TRANSITIONS does not allow"
        )

    if conversation.tip_pending and texts:
        if not conversation.tip_used:
            texts[-1] = f"{texts[-1]}\n{replies.say(language, 'exit_tip')}"
        new_state = replace(new_state, tip_given=True)
    if texts and event in (Event.UNKNOWN, Event.STATUS):
        # Never only "did not get that": the hotline, and 911 and 988 on distress words;
        # as a text of its own when the reply cannot carry it in three segments.
        tail = _unknown_tail(language, classification)
        joined = f"{texts[-1]}\n{tail}"
        if inbound.channel != "sms" or fits_sms(finish_sms(joined, language)):
            texts[-1] = joined
        else:
            texts.append(tail)
    if event not in _SAFETY_EVENTS and new_state.step not in _AFTER_SAFETY_STEPS:
        new_state = replace(new_state, after_safety="")

    rendered = tuple(render_for_channel(text, language, inbound.channel) for text in texts)
    if new_state.step != Step.REPORT_REASON:
        new_state = replace(new_state, report_listing="", report_number=0)
    return Turn(new_state.to_dict(), rendered, classification, False, event.value,
                transition.action, new_state.step.value,
                _usage(conversation, new_state, language), conversation.handoff,
                report=conversation.report)


def handoff_ended(state: dict | None) -> dict | None:
    """Return the state of a conversation whose hand-off the advocate closed (the menu)."""
    if state is None:
        return None
    current = State.from_dict(state)
    if current.step not in (Step.WITH_PERSON, Step.OFFER_PERSON):
        return current.to_dict()
    return replace(current, step=Step.MENU, need="", page=0).to_dict()


def _with_fit_signals(state: State, classification, text: str, event: Event) -> State:
    """Return `state` with who the help is for and its urgency, as this message says."""
    named = [*(getattr(classification, "who", ()) or ()), *ages_named(text or "")]
    kept = state.who
    if event == Event.NEED and classification.intent != state.need:
        kept = ()  # a new need: "my kids" said for a custody question is not about counseling
    who = tuple(dict.fromkeys((*kept, *(p for p in named if p in POPULATIONS))))
    urgent = state.urgent or getattr(classification, "urgency", "") in ("now", "tonight")
    if event == Event.MENU:
        who, urgent = (), False  # starting over: a new search for whoever asks now
    return replace(state, who=who, urgent=urgent)


def _exit_reply(settings: EngineSettings, classification, inbound: Inbound) -> str:
    """Return the neutral exit line in the exit message's language, GSM-7 by SMS."""
    language = settings.spoken(getattr(classification, "language", "en"))
    return render_for_channel(settings.exit_reply_for(language), language, inbound.channel)


def _unknown_tail(language: str, classification) -> str:
    key = "unknown_tail_distress" if _distressed(classification) else "unknown_tail"
    return replies.say(language, key)


def _usage(conversation: _Conversation, state: State, language: str) -> UsageFacts:
    searched = conversation.searched
    place = state.place
    return UsageFacts(
        intent=conversation.intent,
        category=state.need if searched is not None else "",
        language=language,
        county=place.county if place else "",
        state=place.state if place else "",
        search=("local" if searched.local_total else "not_local") if searched else "",
    )


def handle_without_database(inbound: Inbound, settings: EngineSettings | None = None,
                            classify: Callable | None = None) -> Turn:
    """Answer when the database is unreachable: exit, danger numbers, else the hotline."""
    settings = settings or EngineSettings()
    classification = inbound.classification or _classifier(classify)(inbound.text or "")
    intent = classification.intent
    language = (classification.language if classification.language in settings.languages
                else (inbound.language_hint if inbound.language_hint in settings.languages
                      else "en"))
    if intent == "exit":
        return Turn(None, (_exit_reply(settings, classification, inbound),), classification,
                    True, "exit", "exit", "erased")
    safety = _safety(classification)
    other = _about_someone_else(classification)
    if safety == "danger":
        text = (f"{replies.say(language, 'emergency_other' if other else 'emergency')}\n"
                f"{replies.say(language, 'degraded_emergency_tail')}")
    elif safety == "self_harm":
        text = replies.say(language, "self_harm")
        if other:
            text = f"{replies.say(language, 'self_harm_other')}\n{text}"
    elif _distressed(classification):
        text = (f"{replies.say(language, 'degraded')}\n"
                f"{replies.say(language, 'degraded_distress_tail')}")
    else:
        text = replies.say(language, "degraded")
    rendered = (render_for_channel(text, language, inbound.channel),)
    return Turn(None, rendered, classification, False, intent, "degraded", "unknown")
