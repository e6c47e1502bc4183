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

from bot import replies
from bot.engine import TRANSITIONS, EngineSettings, Event, Inbound, State, Step, handle
from bot.engine import machine as machine_module
from bot.engine.machine import _Conversation
from bot.engine.transitions import ANY, transition_for
from bot.sms_text import is_gsm7, segment_info
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
@pytest.mark.parametrize("word", ["EXIT", "exit!!", " Exit ", "exti", "SALIR", "borrar", "clear"])
def test_exit_erases_in_every_step_without_searching(step, word):
    result = turn(state_at(step), word, ExplodingListings())
    assert result.erase is True
    assert result.state is None
    assert result.replies == ("OK. This chat is cleared.",)


def test_exit_answers_the_configured_line():
    settings = EngineSettings(exit_reply="Done.")
    result = handle(state_at(Step.RESULTS), Inbound("exit", "chat", NOW), FakeListings(),
                    settings)
    assert result.replies == ("Done.",)


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
            "next": "Reply MORE for more, MENU to start over."}


@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_every_reply_text_fits_sms_and_starts_neutral(language):
    from bot.engine import render_for_channel

    menu = replies.say(language, "menu")
    for key in replies.TEXTS[language]:
        text = replies.say(language, key, **_sample_values())
        for candidate in (text, f"{text}\n{menu}"):
            sent = render_for_channel(candidate, language, "sms")
            assert is_gsm7(sent), key
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
