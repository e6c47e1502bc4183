"""Conversation steps, the events a message can be, and every transition in one table.

A transition names the action that answers and the steps it may lead to; the machine
checks at run time that an action only ever moves to a step listed here, so this table
is the whole map of the conversation. `ANY` rows apply in every step that has no row
of its own for that event.

`exit` is not in the table on purpose: it is checked before anything else, in every
step, even for an opted-out number and with the database down.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Step(Enum):
    """Where a conversation stands between two messages."""

    NEW = "new"  # nothing said yet
    WELCOME = "welcome"  # asked whether it is safe to text, menu shown
    MENU = "menu"  # waiting for a need
    ASK_PLACE = "ask_place"  # need known, waiting for a ZIP or city
    CONFIRM_STATE = "confirm_state"  # a city in several states: which one?
    RESULTS = "results"  # places shown; MORE pages on
    OFFER_SHELTER = "offer_shelter"  # after danger, with the place known: YES shows places
    OFFER_TALK = "offer_talk"  # after self-harm: YES (or MORE) gives someone to talk to
    OFFER_PERSON = "offer_person"  # an advocate is on duty: YES connects, nothing shared before
    WITH_PERSON = "with_person"  # handed off: messages go to the advocate until it closes
    REPORT_REASON = "report_reason"  # WRONG 2: what is wrong with listing 2?


class Event(Enum):
    """What one inbound message is, for the conversation (from its classification)."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    EMERGENCY = "emergency"
    SELF_HARM = "self_harm"
    MENU = "menu"
    MORE = "more"
    LANGUAGE = "language"
    GREETING = "greeting"
    THANKS = "thanks"
    NEED = "need"  # one of the needs of the taxonomy
    SUPPORT = "support"  # talk_to_someone, safety_planning, is_this_abuse, ...
    PLACE = "place"  # only a place (or a state for a pending city)
    CHOICE = "choice"  # a menu number
    YES = "yes"
    NO = "no"
    STATUS = "status"  # after a safety reply: no need, no place ("I got out, I'm at a store")
    REPORT = "report"  # WRONG 2 / MAL 2: a listing shown is wrong
    UNKNOWN = "unknown"
    RELAY = "relay"  # during a hand-off: anything but exit, danger, self-harm and STOP


ANY = None  # a row for every step that has none of its own

_EVERY_STEP = frozenset(Step)
_FIND = frozenset({Step.RESULTS, Step.ASK_PLACE, Step.CONFIRM_STATE})
_FIND_OR_MENU = _FIND | {Step.MENU}
# Where a conversation waits after a danger or self-harm reply.
_AFTER_SAFETY = frozenset({Step.ASK_PLACE, Step.CONFIRM_STATE, Step.OFFER_SHELTER,
                           Step.OFFER_TALK})


@dataclass(frozen=True)
class Transition:
    """The action that answers an event in a step, and the steps it may lead to."""

    action: str
    next_steps: frozenset[Step]


def _t(action: str, *next_steps: Step | frozenset[Step]) -> Transition:
    steps: set[Step] = set()
    for item in next_steps:
        steps |= item if isinstance(item, frozenset) else {item}
    return Transition(action, frozenset(steps))


TRANSITIONS: dict[tuple[Step | None, Event], Transition] = {
    # Carrier keywords (SMS): confirm once, then silence until START.
    (ANY, Event.OPT_OUT): _t("opt_out", _EVERY_STEP),
    (ANY, Event.OPT_IN): _t("opt_in", Step.MENU),
    # Safety first, not instead: danger puts 911 and the hotline first, then goes on with
    # the need the person named (a support need such as a safety plan is answered, and
    # the menu follows), else offers a safe place nearby; self-harm puts 988 first, then
    # the named need, else offers someone to talk to.
    (ANY, Event.EMERGENCY): _t("emergency", _FIND, Step.OFFER_SHELTER, Step.MENU),
    (ANY, Event.SELF_HARM): _t("self_harm", _FIND, Step.OFFER_TALK, Step.MENU),
    # After a safety reply, a message with no need and no place ("I got out, I'm at the
    # gas station") is acknowledged and the offer stays open.
    (ANY, Event.STATUS): _t("status_noted", _AFTER_SAFETY),
    # First contact that asks for nothing yet: is it safe, EXIT, the menu.
    (Step.NEW, Event.GREETING): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.HELP): _t("help", Step.WELCOME),
    (Step.NEW, Event.UNKNOWN): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.THANKS): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.MENU): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.YES): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.NO): _t("welcome", Step.WELCOME),
    (Step.NEW, Event.MORE): _t("welcome", Step.WELCOME),
    (ANY, Event.HELP): _t("help", Step.MENU),
    (ANY, Event.GREETING): _t("greeting", Step.MENU),
    (ANY, Event.THANKS): _t("thanks", _EVERY_STEP - {Step.NEW}),
    (ANY, Event.MENU): _t("menu", Step.MENU),
    (ANY, Event.LANGUAGE): _t("switch_language", _FIND_OR_MENU | {Step.WELCOME,
                                                                  Step.OFFER_SHELTER,
                                                                  Step.OFFER_TALK,
                                                                  Step.OFFER_PERSON}),
    # A need or a place is taken in any step.
    (ANY, Event.NEED): _t("need", _FIND),
    (ANY, Event.CHOICE): _t("choose", _FIND_OR_MENU),
    (ANY, Event.SUPPORT): _t("support", _EVERY_STEP - {Step.NEW}),
    (ANY, Event.PLACE): _t("place", _FIND_OR_MENU),
    # MORE pages on from results; while a place is awaited it asks again and shows the
    # other help; after an offer it takes the offer; elsewhere it asks for a need first.
    (Step.RESULTS, Event.MORE): _t("more", Step.RESULTS),
    (Step.ASK_PLACE, Event.MORE): _t("ask_place_more", Step.ASK_PLACE, Step.MENU),
    (Step.CONFIRM_STATE, Event.MORE): _t("ask_state", Step.CONFIRM_STATE),
    (Step.OFFER_SHELTER, Event.MORE): _t("offer_accepted", _FIND),
    (Step.OFFER_TALK, Event.MORE): _t("talk_offer_accepted", Step.ASK_PLACE, Step.MENU,
                                      Step.OFFER_PERSON),
    (ANY, Event.MORE): _t("more_without_results", Step.MENU),
    # Is it safe to text now?
    (Step.WELCOME, Event.YES): _t("safe_yes", Step.MENU),
    (Step.WELCOME, Event.NO): _t("safe_no", Step.MENU),
    # Which state is that city in?
    (Step.CONFIRM_STATE, Event.YES): _t("confirm_likely_state", _FIND_OR_MENU),
    (Step.CONFIRM_STATE, Event.NO): _t("ask_state", Step.CONFIRM_STATE),
    (Step.CONFIRM_STATE, Event.UNKNOWN): _t("ask_state", Step.CONFIRM_STATE),
    # After danger, with the place known: YES shows safe places to stay.
    (Step.OFFER_SHELTER, Event.YES): _t("offer_accepted", _FIND),
    (Step.OFFER_SHELTER, Event.NO): _t("acknowledge", Step.MENU),
    # After self-harm: YES gives someone to talk to now.
    (Step.OFFER_TALK, Event.YES): _t("talk_offer_accepted", Step.ASK_PLACE, Step.MENU,
                                     Step.OFFER_PERSON),
    (Step.OFFER_TALK, Event.NO): _t("acknowledge", Step.MENU),
    # An advocate is on duty and was offered: YES connects; NO shares nothing.
    (Step.OFFER_PERSON, Event.YES): _t("handoff_accepted", Step.WITH_PERSON, Step.MENU),
    (Step.OFFER_PERSON, Event.NO): _t("handoff_declined", Step.MENU),
    # Handed off: the message goes to the advocate; danger and self-harm still get the
    # numbers first (and reach the advocate too); STOP ends the hand-off and the texts.
    (Step.WITH_PERSON, Event.RELAY): _t("relay", Step.WITH_PERSON),
    (Step.WITH_PERSON, Event.EMERGENCY): _t("handoff_safety", Step.WITH_PERSON),
    (Step.WITH_PERSON, Event.SELF_HARM): _t("handoff_safety", Step.WITH_PERSON),
    (Step.WITH_PERSON, Event.OPT_OUT): _t("handoff_opt_out", Step.MENU),
    (ANY, Event.RELAY): _t("unknown", Step.MENU),  # never made outside a hand-off
    # Waiting for a place: YES ("ok") asks for it once more, plainly.
    (Step.ASK_PLACE, Event.YES): _t("ask_place_yes", Step.ASK_PLACE),
    (ANY, Event.YES): _t("acknowledge", _EVERY_STEP - {Step.NEW}),
    (ANY, Event.NO): _t("acknowledge", _EVERY_STEP - {Step.NEW}),
    # Not understood: ask again (the place, the state, or the menu).
    (Step.ASK_PLACE, Event.UNKNOWN): _t("ask_place_again", Step.ASK_PLACE),
    (ANY, Event.UNKNOWN): _t("unknown", Step.MENU),
    # WRONG 2 (MAL 2) after results: ask what is wrong, then file an anonymous report
    # (the conversation service writes it; the engine only names the listing).
    (ANY, Event.REPORT): _t("report_wrong", Step.REPORT_REASON, _EVERY_STEP - {Step.NEW}),
    (Step.REPORT_REASON, Event.CHOICE): _t("report_reason", Step.RESULTS,
                                           Step.REPORT_REASON),
    (Step.REPORT_REASON, Event.UNKNOWN): _t("report_reason_again", Step.REPORT_REASON),
    (Step.REPORT_REASON, Event.MORE): _t("more", Step.RESULTS, Step.MENU),
}


def transition_for(step: Step, event: Event) -> Transition:
    """Return the transition for `event` in `step` (its own row, else the ANY row)."""
    return TRANSITIONS.get((step, event)) or TRANSITIONS[(ANY, event)]
