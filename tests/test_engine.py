"""The conversation engine as a pure function: no Flask, no database, fake listings.

These specify the state machine itself (the transition table, exit first, danger at
any step, first contact, places and ambiguous cities, language); whole conversations
against the real listings are the transcripts (tests/test_transcripts.py).
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.engine import (
    TRANSITIONS,
    EngineSettings,
    Event,
    Inbound,
    State,
    Step,
    handle,
    render_for_channel,
)
from bot.engine import machine as machine_module
from bot.engine.machine import _Conversation
from bot.engine.results import MARKED_LANGUAGES
from bot.engine.transitions import ANY, transition_for
from bot.texts import replies
from bot.texts.sms_text import is_gsm7, segment_info
from intents import Classification
from resources_db.geography import lookup_zip
from resources_db.search import SearchHit, SearchResults

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


def hit(number: int, **overrides) -> SearchHit:
    values = {
        "listing_id": f"l{number}", "name": f"Place {number}", "organization": "Org",
        "phone": f"319-555-01{number:02d}", "sms": "", "website": "https://example.org",
        "address": "", "city": "Cedar Rapids", "state": "IA", "zip": "52404",
        "distance_miles": 1.5 * number, "open_now": True, "hours": "Mon-Fri 09:00-17:00",
        "confidential": number % 2 == 1, "scope": "local", "languages": ("en",),
        "populations": (), "categories": ("shelter",), "verified_at": None,
    }
    values.update(overrides)
    return SearchHit(**values)


class FakeListings:
    """Listings that answer from a fixed list and remember every search."""

    def __init__(self, hits=None, local_total=None, radius=25):
        self.hits = list(hits if hits is not None else [hit(n) for n in range(1, 8)])
        self.local_total = len(self.hits) if local_total is None else local_total
        self.radius = radius
        self.calls = []

    def search(self, category, place, *, language, limit, offset, now):
        self.calls.append((category, place, language, limit, offset))
        page = tuple(self.hits[offset: offset + limit])
        return SearchResults(hits=page, local_total=self.local_total,
                             radius_miles=self.radius if self.local_total else None,
                             total=len(self.hits), offset=offset)


class ExplodingListings:
    """Listings that must never be searched (exit, danger without a place...)."""

    def search(self, *args, **kwargs):
        raise AssertionError("the engine searched when it should not")


def reading(intent="unknown", score=90, language="en", **signals) -> Classification:
    """A classification built by hand, so these tests never depend on the rules."""
    return Classification(intent, score, language, signals.pop("entities", {}), [],
                          **signals)


def turn(state, text, listings=None, channel="sms", **inbound):
    return handle(state, Inbound(text, channel, NOW, **inbound), listings or FakeListings())


def converse(*texts, channel="sms", listings=None):
    """Run messages in order; return the list of turns."""
    listings = listings or FakeListings()
    state, turns = None, []
    for text in texts:
        result = turn(state, text, listings, channel)
        turns.append(result)
        state = result.state
    return turns


def state_at(step: Step, **fields) -> dict:
    defaults = {"language": "en", "step": step, "tip_given": True}
    if step in (Step.RESULTS, Step.OFFER_SHELTER):
        defaults.update(need="shelter", place=lookup_zip("52404"))
    if step == Step.ASK_PLACE:
        defaults.update(need="legal")
    if step == Step.CONFIRM_STATE:
        defaults.update(need="shelter", pending_city="Springfield",
                        pending_states=("IL", "MO", "MA"))
    defaults.update(fields)
    return State(**defaults).to_dict()


# -- the transition table ----------------------------------------------------------

def test_every_step_has_an_answer_for_every_event():
    for step in Step:
        for event in Event:
            transition = transition_for(step, event)
            assert transition.next_steps, (step, event)


def test_every_action_in_the_table_exists():
    for (step, event), transition in TRANSITIONS.items():
        assert callable(getattr(_Conversation, transition.action, None)), (step, event)
        assert step is ANY or isinstance(step, Step)


def test_exit_is_not_in_the_table_because_it_comes_first():
    source = inspect.getsource(machine_module.handle)
    exit_check = source.index('classification.intent == "exit"')
    assert exit_check < source.index("_event(")
    assert exit_check < source.index("opted_out")


def test_an_action_that_leaves_its_declared_steps_is_refused(monkeypatch):
    def wandering(self, state):
        return replace(state, step=Step.NEW), ["x"]

    monkeypatch.setattr(_Conversation, "thanks", wandering)
    with pytest.raises(RuntimeError, match="TRANSITIONS does not allow"):
        turn(state_at(Step.MENU), "thank you")


def test_the_engine_imports_no_flask_twilio_or_database_session():
    folder = Path(machine_module.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("flask", "twilio", "sqlalchemy")), (path, name)
                assert "database" not in name, (path, name)


# -- exit first ---------------------------------------------------------------------

@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize(("word", "answer"), [
    ("EXIT", "OK. This chat is cleared."), ("exit!!", "OK. This chat is cleared."),
    (" Exit ", "OK. This chat is cleared."), ("exti", "OK. This chat is cleared."),
    ("clear", "OK. This chat is cleared."),
    ("SALIR", "Listo. Se ha borrado este chat."), ("borrar", "Listo. Se ha borrado este chat."),
])
def test_exit_erases_in_every_step_without_searching_in_the_exit_words_language(
        step, word, answer):
    result = turn(state_at(step), word, ExplodingListings())
    assert result.erase is True
    assert result.state is None
    assert result.replies == (answer,)


def test_a_spanish_exit_in_an_english_conversation_is_answered_in_spanish():
    result = turn(state_at(Step.RESULTS), "x", ExplodingListings(),
                  classification=reading("exit", language="es"))
    assert result.replies == ("Listo. Se ha borrado este chat.",)


@pytest.mark.parametrize("language", ["en", "es"])
def test_exit_replies_say_nothing_about_the_topic(language):
    text = EngineSettings().exit_reply_for(language)
    assert not replies.reveals_on_lock_screen(text)
    assert is_gsm7(text)
    for word in ("abuse", "abuso", "help", "ayuda", "shelter", "refugio", "violen"):
        assert word not in text.lower()


def test_exit_answers_the_configured_line():
    settings = EngineSettings(exit_reply="Done.", exit_reply_es="Hecho.")
    result = handle(state_at(Step.RESULTS), Inbound("exit", "chat", NOW), FakeListings(),
                    settings)
    assert result.replies == ("Done.",)
    result = handle(state_at(Step.RESULTS), Inbound("salir", "chat", NOW), FakeListings(),
                    settings)
    assert result.replies == ("Hecho.",)


def test_exit_reply_es_is_a_setting():
    settings = EngineSettings.from_config({"EXIT_REPLY": "Done.", "EXIT_REPLY_ES": "Hecho."})
    assert (settings.exit_reply, settings.exit_reply_es) == ("Done.", "Hecho.")
    assert EngineSettings.from_config({}).exit_reply_es == "Listo. Se ha borrado este chat."


def test_exit_from_an_opted_out_number_erases_silently():
    result = turn(state_at(Step.MENU, opted_out=True), "EXIT", ExplodingListings())
    assert result.erase is True
    assert result.replies == ()


# -- first contact -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["hi", "hello", "", "   ", "asdfgh", "menu"])
def test_first_contact_asks_if_safe_says_exit_and_never_texts_first_then_menu(text):
    result = turn(None, text, ExplodingListings())
    (reply,) = result.replies
    assert "Is it safe for you to text now?" in reply
    assert "never texts first" in reply
    assert "Send EXIT any time to clear this chat." in reply
    assert "1 Safe place to stay" in reply and "9 Immigration" in reply
    assert result.step == Step.WELCOME.value


def test_first_message_that_asks_is_answered_at_once_with_the_exit_tip_last():
    listings = FakeListings()
    result = turn(None, "im in 52404 and need a shelter", listings)
    (reply,) = result.replies
    assert "1) Place 1" in reply and "3) Place 3" in reply
    assert reply.endswith("Send EXIT any time to clear this chat.")
    assert "Is it safe" not in reply
    assert listings.calls[0][0] == "shelter"


def test_exit_tip_is_given_once():
    turns = converse("I need a lawyer", "52404", "more")
    assert "Send EXIT any time" in turns[0].replies[0]
    assert all("Send EXIT any time" not in t.replies[0] for t in turns[1:])


# -- needs, places, pages --------------------------------------------------------------

def test_menu_numbers_choose_needs():
    listings = FakeListings()
    state = state_at(Step.MENU, place=lookup_zip("52404"))
    for number, need in enumerate(replies.MENU_NEEDS, start=1):
        result = turn(state, str(number), listings)
        if need == "talk_to_someone":
            assert "1-800-799-7233" in result.replies[0]
        else:
            assert listings.calls[-1][0] == need
            assert result.step == Step.RESULTS.value


def test_results_name_phone_town_distance_hours_and_confidentiality():
    listings = FakeListings([
        hit(1, open_now=True, hours="24/7", confidential=True, distance_miles=2.25),
        hit(2, open_now=False, confidential=False, distance_miles=12.6),
        hit(3, open_now=None, hours="", scope="national", city="", distance_miles=None),
    ])
    reply = turn(state_at(Step.ASK_PLACE, need="shelter"), "52404", listings).replies[0]
    assert "1) Place 1, 319-555-0101. Cedar Rapids (2.2 mi). Open 24/7. Confidential." in reply
    assert "2) Place 2, 319-555-0102. Cedar Rapids (13 mi). Closed now" in reply
    assert "Not confidential" in reply
    assert "3) Place 3, 319-555-0103. National. Call for hours." in reply


def test_more_pages_on_and_says_when_there_is_no_more():
    listings = FakeListings([hit(n) for n in range(1, 6)])
    turns = converse("I need a shelter in 52404", "more", "more", listings=listings)
    assert "4) Place 4" in turns[1].replies[0] and "5) Place 5" in turns[1].replies[0]
    assert "That is all I have" in turns[2].replies[0]
    assert [call[4] for call in listings.calls] == [0, 3, 6]


def test_more_before_any_search_asks_for_a_need():
    result = turn(state_at(Step.MENU), "more", ExplodingListings())
    assert "Tell me first what you need." in result.replies[0]


def test_nothing_local_says_so_and_lists_the_wider_lines():
    listings = FakeListings([hit(1, scope="state", city=""), hit(2, scope="national")],
                            local_total=0)
    reply = turn(None, "I need a shelter in 52404", listings).replies[0]
    assert reply.startswith("I found nothing close to 52404 (Cedar Rapids, IA)")
    assert "Statewide" in reply and "National" in reply


def test_no_listing_at_all_still_answers_with_the_hotline():
    reply = turn(None, "legal help in 52404", FakeListings([], local_total=0)).replies[0]
    assert "I found nothing listed for legal help" in reply
    assert replies.HOTLINE_PHONE in reply


def test_a_wider_radius_is_said():
    reply = turn(None, "I need a shelter in 52404", FakeListings(radius=100)).replies[0]
    assert "within 100 miles of 52404" in reply


def test_a_new_need_and_a_new_place_are_taken_in_any_step():
    listings = FakeListings()
    turns = converse("legal help in 52404", "actually I need housing",
                     "I moved to Louisville KY", listings=listings)
    assert [(c[0], c[1].state) for c in listings.calls] == [
        ("legal", "IA"), ("housing", "IA"), ("housing", "KY")]
    assert turns[-1].step == Step.RESULTS.value


def test_an_unknown_place_is_asked_again():
    result = turn(state_at(Step.ASK_PLACE), "99999", ExplodingListings())
    assert "I could not find that place" in result.replies[0]
    assert result.step == Step.ASK_PLACE.value


def test_listings_in_the_persons_language_are_asked_for():
    listings = FakeListings()
    turn(None, "necesito un abogado en 52404", listings)
    assert listings.calls[0][2] == "es"


# -- ambiguous cities ------------------------------------------------------------------

def test_a_city_in_several_states_asks_which_one():
    result = turn(None, "I need a shelter in Springfield", ExplodingListings())
    assert result.step == Step.CONFIRM_STATE.value
    assert "There is a Springfield in more than one state" in result.replies[0]
    answered = turn(result.state, "Illinois")
    assert "Springfield, IL" in answered.replies[0]


def test_a_city_with_a_likely_state_is_confirmed_not_guessed():
    asked = turn(None, "I need a shelter in Houston", ExplodingListings())
    assert "Is that Houston, TX?" in asked.replies[0]
    confirmed = turn(asked.state, "yes")
    assert "Houston, TX" in confirmed.replies[0]
    other = turn(asked.state, "no")
    assert "Which one?" in other.replies[0]


# -- danger --------------------------------------------------------------------------------

@pytest.mark.parametrize("step", list(Step))
def test_emergency_puts_911_and_the_hotline_first_in_every_step(step):
    for text in ("he has a gun", "el esta aqui con un cuchillo"):
        result = turn(state_at(step), text, ExplodingListings())
        first_line = result.replies[0].split("\n")[0]
        assert "911" in first_line and replies.HOTLINE_PHONE in first_line
        if step == Step.WITH_PERSON:
            # Handed off: the numbers first, and the advocate (who sees it) goes on.
            assert result.step == Step.WITH_PERSON.value
            assert result.handoff.safety == "danger"
        else:
            assert result.state["need"] == "shelter"


def test_emergency_with_a_known_place_offers_a_safe_place_nearby():
    result = turn(state_at(Step.RESULTS, need="legal"), "he is here and he is going to kill me",
                  ExplodingListings())
    assert "Reply YES for a safe place to stay near 52404" in result.replies[0]
    listings = FakeListings()
    accepted = turn(result.state, "yes", listings)
    assert listings.calls[0][0] == "shelter"
    assert accepted.step == Step.RESULTS.value


@pytest.mark.parametrize("step", list(Step))
def test_self_harm_puts_988_first_in_every_step(step):
    result = turn(state_at(step), "i want to die", ExplodingListings())
    assert "988" in result.replies[0].split("\n")[0]


# -- safety first, not instead --------------------------------------------------------------

DANGER = {"safety": "danger", "safety_score": 90, "urgency": "now"}


def first_line(result) -> str:
    return result.replies[0].split("\n")[0]


def test_danger_with_a_named_need_goes_on_with_that_need_not_shelter():
    custody = reading("emergency", needs=("legal",), who=("children",), **DANGER)
    result = turn(state_at(Step.MENU), "he hit me before, now he keeps my kids",
                  ExplodingListings(), classification=custody)
    assert "911" in first_line(result) and replies.HOTLINE_PHONE in first_line(result)
    assert "To find legal help near you" in result.replies[0]
    assert "safe place to stay" not in result.replies[0]
    assert (result.step, result.state["need"]) == (Step.ASK_PLACE.value, "legal")
    listings = FakeListings()
    answered = turn(result.state, "52404", listings)
    assert listings.calls[0][0] == "legal"
    assert answered.step == Step.RESULTS.value


def test_danger_with_a_named_need_and_a_known_place_sends_the_numbers_then_the_places():
    listings = FakeListings()
    clinic = reading("emergency", needs=("health",), **DANGER)
    result = turn(state_at(Step.RESULTS, need="legal"), "he broke my arm, I need a clinic",
                  listings, classification=clinic)
    numbers, places = result.replies
    assert "911" in numbers and "1) " not in numbers
    assert "Here is health care near 52404" in places and "1) Place 1" in places
    assert listings.calls[0][0] == "health"
    assert result.usage.intent == "emergency" and result.usage.category == "health"


def test_a_danger_signal_beside_another_intent_still_comes_first():
    cps = reading("child_protection", 80, safety="danger", safety_score=75,
                  needs=("child_protection",))
    result = turn(state_at(Step.MENU), "cps is here and he has a knife", ExplodingListings(),
                  classification=cps)
    assert "911" in first_line(result)
    assert "help with a CPS case" in result.replies[0]
    assert result.event == Event.EMERGENCY.value


def test_danger_without_a_named_need_still_offers_a_safe_place():
    result = turn(state_at(Step.MENU), "x", ExplodingListings(),
                  classification=reading("emergency", **DANGER))
    assert "safe place to stay" in result.replies[0]
    assert result.state["need"] == "shelter"


@pytest.mark.parametrize("language", ["en", "es"])
def test_someone_else_in_danger_is_told_what_to_do_for_them(language):
    sister = reading("emergency", language=language, subject="other", **DANGER)
    result = turn(state_at(Step.MENU, language=language), "my sister", ExplodingListings(),
                  classification=sister)
    line = first_line(result)
    assert "911" in line and replies.HOTLINE_PHONE in line
    expected = ("call 911 for them", "Stay safe yourself", "help you help them",
                "near them") if language == "en" else (
                "llame al 911 por ella", "Cuidese usted", "ayudarla")
    for words in expected:
        assert words in result.replies[0]
    assert result.step == Step.ASK_PLACE.value


def test_self_harm_puts_988_first_then_offers_someone_to_talk_to():
    result = turn(state_at(Step.MENU), "x", ExplodingListings(),
                  classification=reading("self_harm", safety="self_harm", safety_score=95))
    assert "988" in first_line(result)
    assert "Reply YES to talk to someone now" in result.replies[0]
    assert result.step == Step.OFFER_TALK.value
    talked = turn(result.state, "yes", ExplodingListings())
    assert replies.HOTLINE_PHONE in talked.replies[0] and "START to 88788" in talked.replies[0]


def test_self_harm_with_a_named_need_goes_on_with_it():
    result = turn(state_at(Step.MENU), "x", ExplodingListings(),
                  classification=reading("self_harm", safety="self_harm", safety_score=95,
                                         needs=("housing",)))
    assert "988" in first_line(result)
    assert "To find housing help near you" in result.replies[0]


def test_someone_elses_self_harm_says_what_to_do_for_them_and_988():
    result = turn(state_at(Step.MENU), "x", ExplodingListings(),
                  classification=reading("self_harm", safety="self_harm", safety_score=95,
                                         subject="other"))
    assert "call 911 for them" in first_line(result)
    assert "988" in result.replies[0]


def _after(kind: str, step: Step = Step.MENU) -> dict:
    signal = (reading("emergency", **DANGER) if kind == "danger" else
              reading("self_harm", safety="self_harm", safety_score=95))
    return turn(state_at(step), "x", ExplodingListings(), classification=signal).state


@pytest.mark.parametrize(("kind", "step"), [
    ("danger", Step.MENU), ("danger", Step.RESULTS), ("self_harm", Step.MENU),
    ("self_harm", Step.RESULTS)])
@pytest.mark.parametrize("text", ["more", "MORE", "yes", "ok", "1", "3", "52404"])
def test_after_a_safety_reply_more_yes_a_number_and_a_place_go_on(kind, step, text):
    result = turn(_after(kind, step), text, FakeListings())
    reply = result.replies[0]
    assert "Tell me first" not in reply and "did not get that" not in reply
    assert "OK. Reply MENU for other help" not in reply
    assert result.step in (Step.ASK_PLACE.value, Step.RESULTS.value, Step.MENU.value,
                           Step.CONFIRM_STATE.value)
    if text == "more" and kind == "danger" and step == Step.MENU:
        assert "To find a safe place to stay near you" in reply and "1 Safe place" in reply


def test_more_after_a_danger_offer_near_a_known_place_shows_the_places():
    listings = FakeListings()
    result = turn(_after("danger", Step.RESULTS), "more", listings)
    assert listings.calls[0][0] == "shelter" and result.step == Step.RESULTS.value


@pytest.mark.parametrize(("text", "language"), [
    ("I got out, I'm at the gas station", "en"), ("ya sali estoy en la tienda", "es")])
def test_a_status_update_after_danger_is_not_taken_as_a_town(text, language):
    state = turn(state_at(Step.MENU, language=language), "x", ExplodingListings(),
                 classification=reading("emergency", language=language, **DANGER)).state
    result = turn(state, text, ExplodingListings(),
                  classification=reading("unknown", 100, language))
    reply = result.replies[0]
    assert result.event == Event.STATUS.value and result.step == Step.ASK_PLACE.value
    assert ("Thank you for letting me know" if language == "en" else "Gracias por avisarme") \
        in reply
    assert ("ZIP code or city" if language == "en" else "codigo postal") in reply
    assert "Gas" not in reply and "could not find" not in reply
    assert result.state["after_safety"] == "danger"


@pytest.mark.parametrize("text", ["52404", "Ames, IA", "I'm in Cedar Rapids IA now",
                                  "at my sisters in Louisville KY"])
def test_a_real_place_after_danger_is_searched(text):
    listings = FakeListings()
    result = turn(_after("danger"), text, listings,
                  classification=reading("unknown", 100))
    assert listings.calls and listings.calls[0][0] == "shelter"
    assert result.step == Step.RESULTS.value
    assert result.state["after_safety"] == ""


def test_outside_the_steps_after_danger_a_loose_place_still_counts():
    result = turn(state_at(Step.ASK_PLACE), "Ames", FakeListings(),
                  classification=reading("unknown", 100))
    assert result.step == Step.CONFIRM_STATE.value


# -- a message Harbor cannot read ------------------------------------------------------------

@pytest.mark.parametrize("step", [Step.NEW, Step.MENU, Step.ASK_PLACE, Step.RESULTS,
                                  Step.CONFIRM_STATE])
@pytest.mark.parametrize("language", ["en", "es"])
def test_unknown_ends_with_the_hotline(step, language):
    state = None if step == Step.NEW else state_at(step, language=language)
    result = turn(state, "x", ExplodingListings(),
                  classification=reading("unknown", 100, language))
    assert result.replies[-1].split("\n")[-1] == render_for_channel(
        replies.say(language, "unknown_tail"), language, "sms")
    for reply in result.replies:
        assert "988" not in reply
        assert is_gsm7(reply) and segment_info(reply).segments <= 3
        assert not replies.reveals_on_lock_screen(reply)


@pytest.mark.parametrize("step", [Step.NEW, Step.MENU, Step.ASK_PLACE])
@pytest.mark.parametrize("language", ["en", "es"])
def test_unknown_with_distress_words_ends_with_911_988_and_the_hotline(step, language):
    state = None if step == Step.NEW else state_at(step, language=language)
    result = turn(state, "x", ExplodingListings(),
                  classification=reading("unknown", 100, language, safety_score=40))
    last = result.replies[-1].split("\n")[-1]
    assert "911" in last and "988" in last and replies.HOTLINE_PHONE in last
    for reply in result.replies:
        assert is_gsm7(reply) and segment_info(reply).segments <= 3


# -- degraded mode ---------------------------------------------------------------------------

def degraded(text="x", **classification):
    from bot.engine import handle_without_database

    given = reading(**classification) if classification else None
    return handle_without_database(Inbound(text, "sms", NOW, classification=given))


def test_degraded_mode_reads_the_safety_signal_not_only_the_intent():
    danger = degraded(intent="legal", safety="danger", safety_score=80).replies[0]
    assert "911" in danger.split("\n")[0] and replies.HOTLINE_PHONE in danger.split("\n")[0]
    self_harm = degraded(intent="counseling", safety="self_harm", safety_score=80).replies[0]
    assert "988" in self_harm.split("\n")[0]
    other = degraded(intent="emergency", subject="other", **DANGER).replies[0]
    assert "call 911 for them" in other


def test_degraded_mode_gives_911_and_988_on_distress_words():
    distress = degraded(intent="unknown", safety_score=40).replies[0]
    assert "911" in distress and "988" in distress and replies.HOTLINE_PHONE in distress
    plain = degraded(intent="unknown").replies[0]
    assert replies.HOTLINE_PHONE in plain and "988" not in plain


def test_degraded_exit_answers_in_the_exit_words_language():
    assert degraded("salir").replies == ("Listo. Se ha borrado este chat.",)
    assert degraded("exit").replies == ("OK. This chat is cleared.",)


# -- carrier keywords ------------------------------------------------------------------------

def test_stop_confirms_once_then_silence_until_start():
    turns = converse("hi", "STOP", "hello?", "he has a gun", "START", "1")
    assert "no more texts" in turns[1].replies[0]
    assert turns[2].replies == () and turns[3].replies == ()
    assert "back on" in turns[4].replies[0]
    assert turns[5].step == Step.ASK_PLACE.value


def test_stop_in_the_web_chat_is_not_an_opt_out():
    result = turn(state_at(Step.MENU), "STOP", channel="chat")
    assert result.state["opted_out"] is False
    assert "free, private chat" in result.replies[0]


def test_help_says_what_harbor_is_without_revealing_words():
    reply = turn(state_at(Step.MENU), "HELP").replies[0]
    assert reply.startswith("Harbor is a free, private line")
    assert "911" in reply and "EXIT" in reply and "STOP" in reply
    assert not replies.reveals_on_lock_screen(reply)


# -- language ----------------------------------------------------------------------------------

def test_spanish_writer_gets_spanish_and_a_zip_does_not_switch_back():
    turns = converse("hola", "1", "52404")
    assert [t.state["language"] for t in turns] == ["es", "es", "es"]
    assert "Aqui hay" in turns[2].replies[0]


def test_asking_for_a_language_switches_it():
    turns = converse("hi", "español", "english")
    assert [t.state["language"] for t in turns] == ["en", "es", "en"]


def test_chat_page_language_is_a_hint_for_a_new_conversation_only():
    result = turn(None, "52404", channel="chat", language_hint="es")
    assert result.state["language"] == "es"


# -- replies: SMS rules ---------------------------------------------------------------------

def _sample_values():
    return {"need": "a safe place to stay", "place": "52404 (Cedar Rapids, IA)",
            "city": "Springfield", "state": "MO", "states": "IL, MO, MA, OH, MI, TN",
            "radius": 100, "ttl": 30, "name": "Long Named Family Resource Center",
            "phone": "319-555-0101", "town": "Cedar Rapids",
            "next": "Reply MORE for more, MENU to start over.", "minutes": 14,
            "program": "Cedar Valley Family Advocates", "names": "Maria / Alexandra",
            "who": "Maria / Alexandra, advocates with Cedar Valley Family Advocates",
            "shared": "that you need a safe place to stay, near 52404 (Cedar Rapids, IA), "
                      "that you write in English",
            "number": 2, "count": 3, "age": "2 h", "hours": 2}


@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_every_reply_text_fits_sms_and_starts_neutral(language):
    from bot.engine import render_for_channel

    menu = replies.say(language, "menu")
    for key in replies.TEXTS[language]:
        text = replies.say(language, key, **_sample_values())
        for candidate in (text, f"{text}\n{menu}"):
            sent = render_for_channel(candidate, language, "sms")
            # Vietnamese keeps its marks (UCS-2) only when they fit; else GSM-7.
            assert is_gsm7(sent) or language in MARKED_LANGUAGES, key
            assert segment_info(sent).segments <= 3, (key, segment_info(sent))
        assert not replies.reveals_on_lock_screen(text), key


@pytest.mark.parametrize(("text", "found"), [
    ("Domestic violence shelter nearby", ["domestic", "violence", "shelter"]),
    ("Refugio para víctimas de violencia doméstica", ["refugio", "victimas", "violencia",
                                                     "domestica"]),
    ("You can get a protective order at court", ["protective order"]),
    ("orden de protección", ["orden de proteccion"]),
    ("Here is help near 52404. Reply MORE for more, MENU to start over.", []),
    ("x" * 59 + " abuse", []),  # starts after the first 60 characters
    ("x" * 55 + " abuser", ["abuser"]),  # starts inside them
    ("The phone battery is low", []),
])
def test_revealing_words_on_the_lock_screen(text, found):
    assert replies.reveals_on_lock_screen(text) == found


def test_a_revealing_listing_name_gets_a_neutral_lead():
    listings = FakeListings([hit(1, name="Domestic Violence Shelter of Iowa")])
    reply = turn(state_at(Step.ASK_PLACE, need="counseling"), "Iowa", listings).replies[0]
    assert not replies.reveals_on_lock_screen(reply)
    assert "Domestic Violence Shelter" in reply


@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_long_results_are_compacted_to_three_segments(language):
    long_hits = [hit(n, name="The Very Long Named Regional Family Resource And Counseling "
                              "Center Of The Greater Metropolitan Area " * 2,
                     city="Saint Marys Of The Woods Township", sms=f"319-555-09{n:02d}",
                     open_now=False, hours="Mon-Fri 09:00-17:00;Sat 10:00-14:00;Sun 12:00-16:00")
                 for n in range(1, 4)]
    text = "I need a shelter in 52404" if language == "en" else "necesito refugio en 52404"
    reply = turn(None, text, FakeListings(long_hits)).replies[0]
    assert is_gsm7(reply)
    assert segment_info(reply).segments <= 3
    for n in range(1, 4):
        assert f"{n}) The Very Long" in reply
        assert f"319-555-01{n:02d}" in reply
    assert reply.count("onfiden") == 3  # each says whether it is confidential


def test_chat_replies_keep_accents_and_sms_replies_do_not():
    chat = turn(None, "hola", channel="chat").replies[0]
    sms = turn(None, "hola", channel="sms").replies[0]
    assert "Envíe SALIR" in chat
    assert "Envie SALIR" in sms and is_gsm7(sms)


# -- state ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stored", [None, {}, {"v": 99}, {"v": 1, "step": "nonsense"},
                                    "garbage", {"v": 1, "place": {"kind": "zip"}}])
def test_unreadable_state_starts_afresh(stored):
    state = State.from_dict(stored)
    assert state.step in (Step.NEW,)
    assert state.place is None


def test_state_round_trips_through_json():
    import json

    state = State(language="es", step=Step.RESULTS, need="legal", place=lookup_zip("52404"),
                  page=2, opted_out=False, tip_given=True, pending_city="",
                  pending_states=(), pending_likely="")
    assert State.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_state_never_holds_the_message():
    result = turn(None, "my secret message about 52404 and a shelter")
    assert "secret" not in str(result.state)


def test_usage_facts_count_the_search_outcome():
    local = turn(None, "I need a shelter in 52404").usage
    assert (local.intent, local.category, local.county, local.state, local.search) == (
        "shelter", "shelter", "Linn County", "IA", "local")
    unmet = turn(None, "I need a shelter in 52404", FakeListings([], local_total=0)).usage
    assert unmet.search == "not_local"
    chosen = turn(state_at(Step.MENU), "3", FakeListings()).usage
    assert chosen.intent == "legal"


def test_vietnamese_keeps_its_marks_when_they_fit_and_drops_them_when_not():
    from bot.engine import render_for_channel

    short = render_for_channel(replies.say("vi", "self_harm"), "vi", "sms")
    assert "Hãy gọi hoặc nhắn 988" in short  # marks kept: UCS-2, within three segments
    assert segment_info(short).encoding == "UCS-2" and segment_info(short).segments <= 3
    long = render_for_channel(replies.say("vi", "menu"), "vi", "sms")
    assert is_gsm7(long) and "Cho o an toàn" in long  # too long with marks: GSM-7
    assert segment_info(long).segments <= 3
    assert "đ" not in render_for_channel("Đường dây " * 40, "vi", "sms").lower()
