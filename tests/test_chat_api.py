"""POST /chat/api/messages and POST /chat/api/exit: tokens, state on the server, no cookies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.channels.chat import TOKEN_PATTERN
from bot.conversations import store as conversation_store
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState, UsageCount


def say(client, text, token=None, **extra):
    response = client.post("/chat/api/messages", json={"token": token, "text": text, **extra})
    assert response.status_code == 200, response.data
    return response


def test_first_message_gets_a_random_token_and_the_welcome(client):
    body = say(client, "hi").get_json()
    assert set(body) == {"token", "replies", "cleared", "language", "handoff"}
    assert body["handoff"] is False
    assert TOKEN_PATTERN.match(body["token"])  # 43 URL-safe characters: 256 bits
    assert body["cleared"] is False and body["language"] == "en"
    assert "Is it safe for you to text now?" in body["replies"][0]


def test_tokens_differ_between_conversations(client):
    tokens = {say(client, "hi").get_json()["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_the_state_lives_on_the_server_under_an_hmac_of_the_token(client, db_session,
        store_session):
    token = say(client, "hi").get_json()["token"]
    key = store_session.scalar(select(ConversationState.key))
    assert key == conversation_store.conversation_key("test-hash-key", "chat", token)
    assert token not in key


def test_a_conversation_continues_with_its_token(client):
    token = say(client, "hi").get_json()["token"]
    body = say(client, "1", token).get_json()
    assert body["token"] == token
    assert "ZIP code" in body["replies"][0]


@pytest.mark.parametrize("token", ["made-up", "A" * 43, 12345, ["x"]])
def test_an_unknown_or_invented_token_starts_a_new_conversation(client, token):
    body = say(client, "1", token).get_json()
    assert body["token"] != token and TOKEN_PATTERN.match(body["token"])


def test_no_cookie_is_ever_set(client):
    first = say(client, "hi")
    second = say(client, "exit", first.get_json()["token"])
    for response in (first, second):
        assert "Set-Cookie" not in response.headers
    exit_response = client.post("/chat/api/exit", json={"token": "A" * 43})
    assert "Set-Cookie" not in exit_response.headers


def test_exit_clears_and_answers_cleared(client, db_session, store_session):
    token = say(client, "I need a lawyer in 40202").get_json()["token"]
    body = say(client, "salir", token).get_json()
    assert body == {"token": "", "replies": ["Listo. Se ha borrado este chat."], "cleared": True,
                    "language": body["language"], "handoff": False}
    assert store_session.scalar(select(func.count()).select_from(ConversationState)) == 0


@pytest.mark.parametrize("content_type", ["application/json", "text/plain;charset=UTF-8"])
def test_exit_route_erases_for_send_beacon(client, db_session, content_type, store_session):
    token = say(client, "hi").get_json()["token"]
    response = client.post("/chat/api/exit", data=json.dumps({"token": token}),
                           content_type=content_type)
    assert response.status_code == 204
    assert store_session.scalar(select(func.count()).select_from(ConversationState)) == 0
    # The token no longer names anything: the next message starts afresh.
    assert say(client, "1", token).get_json()["token"] != token


@pytest.mark.parametrize("payload", ["", "not json", "[1, 2]", json.dumps({"token": 5}),
                                     json.dumps({"nothing": True})])
def test_exit_route_refuses_a_malformed_body(client, payload):
    response = client.post("/chat/api/exit", data=payload, content_type="text/plain")
    assert response.status_code == 400


@pytest.mark.parametrize("payload", [
    "", "not json", "[]", json.dumps({"token": None}), json.dumps({"text": ""}),
    json.dumps({"text": "   "}), json.dumps({"text": 5}),
])
def test_messages_refuse_malformed_bodies(client, payload):
    response = client.post("/chat/api/messages", data=payload,
                           content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_an_overlong_message_is_refused(client):
    response = client.post("/chat/api/messages", json={"token": None, "text": "a" * 1601})
    assert response.status_code == 413


def test_spanish_is_reported_so_the_page_can_follow(client):
    body = say(client, "hola").get_json()
    assert body["language"] == "es"
    assert "¿Es seguro para usted escribir ahora?" in body["replies"][0]


def test_the_page_language_is_a_hint_for_the_first_message(client):
    assert say(client, "52404", language="es").get_json()["language"] == "es"
    assert say(client, "52404", language="xx").get_json()["language"] == "en"


def test_chat_usage_is_counted_under_chat(client, db_session):
    load_demo_listings(db_session)
    db_session.commit()
    say(client, "I need a lawyer in 40202")
    row = db_session.scalars(select(UsageCount)).one()
    assert (row.channel, row.intent, row.category, row.state) == ("chat", "legal", "legal", "KY")


class TestWithCsrfOn:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_the_api_routes_are_exempt_from_csrf(self, client):
        token = say(client, "hi").get_json()["token"]
        exit_response = client.post("/chat/api/exit", json={"token": token})
        assert exit_response.status_code == 204


def test_a_failure_still_answers_json_with_the_hotline(client, monkeypatch):
    import bot.channels.chat

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.channels.chat, "run_turn", broken)
    body = say(client, "I need help").get_json()
    assert "1-800-799-7233" in body["replies"][0]
    assert body["cleared"] is False
