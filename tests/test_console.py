"""The advocate console: who may use it, what a turn shows, reset, transcript runs, privacy.

The browser side (console.js posting in place) is in tests/browser/test_console_browser.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.conversations import transcripts
from bot.texts.sms_text import segment_info
from intents import classify
from resources_db.models import ConversationState, UsageCount

JSON = {"Accept": "application/json"}


def _turn(client, text: str, channel: str = "sms"):
    return client.post("/console/turn", json={"channel": channel, "text": text}, headers=JSON)


def _state_keys(store_session) -> list[str]:
    store_session.expire_all()
    return list(store_session.scalars(select(ConversationState.key)))


@pytest.fixture
def advocate(sign_in):
    return sign_in("advocate")


@pytest.mark.parametrize("path", ["/console"])
def test_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/console/turn"), ("POST", "/console/reset"), ("POST", "/console/transcripts")],
)
def test_anonymous_posts_run_nothing(client, db_session, method, path, store_session):
    response = client.open(path, method=method, json={"channel": "sms", "text": "hi"})
    assert response.status_code in (302, 401)
    assert _state_keys(store_session) == []


@pytest.mark.parametrize("role", ["advocate", "admin"])
def test_staff_see_the_simulator_and_the_transcript_tests(client, sign_in, role):
    sign_in(role)
    html = client.get("/console").get_data(as_text=True)
    for part in ('id="turn-form"', 'name="channel" value="sms"', 'name="channel" value="chat"',
                 'id="console-reset"', 'id="run-transcripts"', 'name="csrf-token"',
                 "/static/console.js"):
        assert part in html, part


def test_an_sms_turn_shows_the_classification_the_reply_figures_and_the_state(
        client, advocate):
    turn = _turn(client, "I need a safe place to stay tonight").get_json()["turn"]
    assert turn["intent"] == "shelter"
    assert 0 < turn["score"] <= 100
    assert isinstance(turn["alternatives"], list)
    assert turn["replies"], "the engine answered"
    for reply in turn["replies"]:
        info = segment_info(reply["text"])
        assert (reply["characters"], reply["segments"], reply["encoding"]) == (
            info.characters, info.segments, info.encoding)
    assert turn["state_after"] != turn["state_before"]
    assert turn["changes"], "the turn changed the conversation state"
    assert turn["cleared"] is False


def test_entities_and_state_carry_over_between_turns(client, advocate):
    first = _turn(client, "I need a lawyer").get_json()["turn"]
    second = _turn(client, "52402").get_json()["turn"]
    assert second["entities"].get("zip") == "52402"
    assert second["state_before"] == first["state_after"]


def test_a_web_chat_turn_has_no_sms_figures(client, advocate):
    turn = _turn(client, "hello", channel="chat").get_json()["turn"]
    assert turn["intent"] == "greeting"
    assert all(reply["segments"] is None and reply["encoding"] is None
               for reply in turn["replies"])


def test_the_turn_fragment_escapes_what_was_typed(client, advocate):
    typed = '<script>alert("x")</script> I need a lawyer'
    html = _turn(client, typed).get_json()["html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_without_javascript_a_turn_comes_back_as_the_page(client, advocate):
    typed = "<b>I need a lawyer</b>"
    response = client.post("/console/turn", data={"channel": "sms", "text": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;b&gt;I need a lawyer&lt;/b&gt;" in html and typed not in html
    assert f'class="intent">{classify(typed).intent}<' in html


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"channel": "fax", "text": "hi"}, "Choose SMS or Web chat."),
        ({"channel": "sms", "text": "   "}, "Type a message to send."),
        ({"channel": "sms", "text": "x" * 1601}, "Keep a message under 1600 characters."),
    ],
)
def test_bad_turns_are_refused_with_a_reason(client, advocate, db_session, payload, problem,
        store_session):
    response = client.post("/console/turn", json=payload, headers=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": problem}
    assert _state_keys(store_session) == []


def test_console_conversations_are_kept_apart_and_never_counted(client, advocate, db_session,
        store_session):
    _turn(client, "I need a safe place to stay tonight")
    _turn(client, "52402")
    keys = _state_keys(store_session)
    assert keys and all(key.startswith("console:") for key in keys)
    assert db_session.scalar(select(func.count()).select_from(UsageCount)) == 0


def test_each_staff_member_and_channel_has_a_conversation_of_its_own(
        client, sign_in, db_session, store_session):
    sign_in("advocate", "one@example.org")
    _turn(client, "hi")
    _turn(client, "hi", channel="chat")
    sign_in("advocate", "two@example.org")
    _turn(client, "hi")
    assert len(set(_state_keys(store_session))) == 3


def test_reset_erases_the_console_conversation(client, advocate, db_session, store_session):
    _turn(client, "I need a lawyer")
    _turn(client, "hello", channel="chat")
    assert len(_state_keys(store_session)) == 2
    response = client.post("/console/reset", headers=JSON)
    assert response.get_json() == {"reset": True}
    assert _state_keys(store_session) == []
    # The next turn starts from nothing.
    assert _turn(client, "52402").get_json()["turn"]["state_before"] == {}


def test_reset_without_javascript_redirects_back_with_a_message(client, advocate, db_session,
        store_session):
    _turn(client, "hi")
    response = client.post("/console/reset")
    assert response.status_code == 302 and response.headers["Location"] == "/console"
    assert _state_keys(store_session) == []
    assert "erased" in client.get("/console").get_data(as_text=True)


def test_the_transcript_run_reports_every_transcript(client, advocate):
    expected = {t.name for t in transcripts.load_transcripts()}
    assert expected, "tests/conversations/ holds transcripts"
    data = client.post("/console/transcripts", headers=JSON).get_json()
    assert {r["name"] for r in data["results"]} == expected
    for result in data["results"]:
        assert isinstance(result["passed"], bool)
        assert bool(result["first_difference"]) is (not result["passed"])
    assert f"of {len(expected)} passed" in data["html"]


def test_a_failing_transcript_shows_its_first_difference(client, advocate, monkeypatch):
    failing = transcripts.TranscriptResult(
        name="made_up_<flow>", passed=False,
        first_difference="turn 2: expected 'Where are you?' got '<b>Hi</b>'")
    monkeypatch.setattr(transcripts, "run_all", lambda session, config: [failing])
    html = client.post("/console/transcripts").get_data(as_text=True)
    assert "0 of 1 passed" in html and "1 failed" in html
    assert "made_up_&lt;flow&gt;" in html
    assert "got &#39;&lt;b&gt;Hi&lt;/b&gt;&#39;" in html


def test_console_posts_need_the_csrf_token(app, client, advocate):
    app.config["WTF_CSRF_ENABLED"] = True
    assert _turn(client, "hi").status_code == 400
    html = client.get("/console").get_data(as_text=True)
    token = html.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/console/turn", json={"channel": "sms", "text": "hi"},
                           headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200
