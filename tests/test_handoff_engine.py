"""The engine's side of a hand-off, with no database: the offer, consent, and what comes first.

`handle(..., advocates=...)` is still a pure function: the advocates on duty come in as
an object that answers `availability(now)`, as listings come in as one that searches.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine import Availability, Inbound, Step, handle, handoff_ended
from bot.texts import replies

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


class NoSearch:
    def search(self, *args, **kwargs):
        raise AssertionError("no search expected")


class Roster:
    """Advocates on duty as the engine sees them; remembers being asked."""

    def __init__(self, names=("Maria",), wait=3):
        self.availability_now = Availability(names=tuple(names), wait_minutes=wait)
        self.asked = 0

    def availability(self, now):
        self.asked += 1
        return self.availability_now


def turn(state, text, roster, channel="chat"):
    return handle(state, Inbound(text, channel, NOW), NoSearch(), advocates=roster)


def offered(roster, first="talk to someone"):
    return turn({"v": 1, "language": "en", "step": "menu", "tip_given": True,
                 "need": "legal", "place": {"kind": "zip", "state": "IA", "zip": "52404",
                                            "city": "Cedar Rapids", "county": "Linn County",
                                            "latitude": 42.0, "longitude": -91.6}},
                first, roster)


def test_asking_for_a_person_offers_one_who_and_the_wait():
    result = offered(Roster(names=("Maria", "Ana"), wait=4))
    assert result.step == Step.OFFER_PERSON.value
    offer = result.replies[0]
    assert "Maria / Ana, advocates with Harbor" in offer
    assert "about 4 min" in offer
    assert "Reply YES to connect" in offer
    assert result.handoff is None  # nothing shared, nothing started


def test_yes_starts_the_hand_off_with_only_need_place_and_language():
    roster = Roster()
    offer = offered(roster)
    yes = turn(offer.state, "yes", roster)
    assert yes.step == Step.WITH_PERSON.value
    assert yes.handoff.kind == "start"
    shared = dict(yes.handoff.shared)
    assert set(shared) == {"need", "place", "language"}
    assert shared["need"] == "legal" and shared["language"] == "en"
    assert "52404" in shared["place"]
    assert "Connecting you" in yes.replies[0]


def test_no_shares_nothing():
    roster = Roster()
    no = turn(offered(roster).state, "no", roster)
    assert no.step == Step.MENU.value and no.handoff is None
    assert no.replies[0].startswith("OK, nothing was shared.")


@pytest.mark.parametrize(("wait", "expected"), [(None, "handoff_none"),
                                                (40, "handoff_long_wait")])
def test_nobody_on_duty_or_a_long_wait_says_so_with_the_hotline(wait, expected):
    result = offered(Roster(wait=wait))
    assert result.step == Step.MENU.value
    assert replies.HOTLINE_PHONE in result.replies[0]
    assert result.replies[0] == replies.say("en", expected, minutes=wait)


def test_someone_going_off_duty_between_offer_and_yes_is_said_plainly():
    roster = Roster()
    offer = offered(roster)
    roster.availability_now = Availability()
    yes = turn(offer.state, "yes", roster)
    assert yes.handoff is None and "No advocate can chat here" in yes.replies[0]


def handed_off(roster):
    return turn(offered(roster).state, "yes", roster).state


def test_during_a_hand_off_messages_go_to_the_advocate_and_harbor_says_nothing():
    roster = Roster()
    state = handed_off(roster)
    for words in ("menu", "I need a lawyer in 40202", "hello", "2"):
        relayed = turn(state, words, roster)
        assert relayed.replies == () and relayed.handoff.kind == "relay"
        assert relayed.handoff.text == words
        assert relayed.step == Step.WITH_PERSON.value


@pytest.mark.parametrize(("words", "safety", "number"), [
    ("he is here with a gun", "danger", "911"), ("I want to kill myself", "self_harm", "988")])
def test_danger_and_self_harm_come_first_during_a_hand_off(words, safety, number):
    roster = Roster()
    result = turn(handed_off(roster), words, roster)
    assert number in result.replies[0].split("\n")[0]
    assert result.handoff.safety == safety and result.handoff.text == words
    assert result.step == Step.WITH_PERSON.value


def test_exit_during_a_hand_off_erases_before_anything_else():
    roster = Roster()
    state = handed_off(roster)
    asked = roster.asked
    result = turn(state, "EXIT", roster)
    assert result.erase is True and result.state is None and result.handoff is None
    assert roster.asked == asked


def test_stop_by_sms_ends_the_hand_off_and_the_texts():
    roster = Roster()
    state = turn(turn(None, "talk to someone", roster, "sms").state, "yes", roster, "sms").state
    result = turn(state, "STOP", roster, "sms")
    assert result.handoff.kind == "end" and result.state["opted_out"] is True


def test_without_advocates_the_hotline_is_the_answer_as_before():
    result = handle(None, Inbound("talk to someone", "chat", NOW), NoSearch())
    assert result.step != Step.OFFER_PERSON.value
    assert replies.HOTLINE_PHONE in result.replies[0]


def test_a_closed_hand_off_puts_the_conversation_back_at_the_menu():
    roster = Roster()
    after = handoff_ended(handed_off(roster))
    assert after["step"] == Step.MENU.value
    assert "1 Safe place to stay" in turn(after, "menu", roster).replies[0]


def test_the_offer_is_in_spanish_for_a_spanish_request():
    result = turn(None, "no quiero un robot, quiero hablar con una persona", Roster())
    assert "Responda SÍ para conectar" in result.replies[0]
    yes = turn(result.state, "sí", Roster())
    assert yes.step == Step.WITH_PERSON.value


def test_switching_language_during_the_offer_asks_again_in_the_new_language():
    roster = Roster()
    offer = offered(roster)
    switched = turn(offer.state, "Español", roster)
    assert switched.step == Step.OFFER_PERSON.value
    assert "Responda SÍ para conectar" in switched.replies[0]
