"""Degraded mode: the database is unreachable, yet every answer is a 200 with something safe.

exit still answers (and the chat says cleared), emergency and self_harm still get their
numbers, everything else gets the hotline and "please try again soon". The app here
points at a PostgreSQL port and a Redis port where nothing listens, so every connection,
to the database and to the conversation store, is refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy.exc import OperationalError
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot import create_app
from bot.conversations import store as conversation_store
from bot.conversations.pending_erasures import PendingErasures
from bot.conversations.store import StoreUnavailable

TOKEN = "test-twilio-token"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/harbor_nowhere"
UNREACHABLE_STORE = "redis://127.0.0.1:1/0"


@pytest.fixture
def down_config(tmp_path) -> dict:
    return {
        "TESTING": True, "HARBOR_ENV": "test", "SECRET_KEY": "s", "HASH_KEY": "h",
        "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": UNREACHABLE, "LOG_LEVEL": "WARNING",
        "CONVERSATION_STORE_URL": UNREACHABLE_STORE,
        "EXIT_REPLY": "OK. This chat is cleared.",
        "PENDING_ERASURES_DIR": str(tmp_path / "pending-erasures"),
    }


@pytest.fixture
def down_client(down_config):
    app = create_app(down_config)
    yield app.test_client()
    app.extensions["harbor_database"].engine.dispose()


def sms_messages(client, body):
    params = inbound_fields("+15551239999", body, "down")
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", params)
    response = client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return [m.text for m in ET.fromstring(response.data).iter("Message")]  # noqa: S314


def chat(client, text):
    response = client.post("/chat/api/messages", json={"token": None, "text": text})
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize(("word", "answer"), [
    ("EXIT", "OK. This chat is cleared."), ("exti", "OK. This chat is cleared."),
    ("salir", "Listo. Se ha borrado este chat."),
])
def test_exit_still_answers_in_the_exit_words_language(down_client, word, answer):
    assert sms_messages(down_client, word) == [answer]
    body = chat(down_client, word)
    assert body["cleared"] is True and body["replies"] == [answer]
    assert body["token"] == ""


@pytest.mark.parametrize("text", ["he has a gun", "el esta aqui con un cuchillo"])
def test_emergency_still_gets_911_and_the_hotline_first(down_client, text):
    (reply,) = sms_messages(down_client, text)
    first_line = reply.split("\n")[0]
    assert "911" in first_line and "1-800-799-7233" in first_line
    assert "911" in chat(down_client, text)["replies"][0].split("\n")[0]


@pytest.mark.parametrize("text", ["i want to die", "me quiero morir"])
def test_self_harm_still_gets_988_first(down_client, text):
    (reply,) = sms_messages(down_client, text)
    assert "988" in reply.split("\n")[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("I need a shelter in 52404", "Please try again soon"),
    ("hi", "Please try again soon"),
    ("necesito un abogado", "intente de nuevo pronto"),
])
def test_everything_else_gets_the_hotline_and_try_again(down_client, text, expected):
    (reply,) = sms_messages(down_client, text)
    assert expected in reply and "1-800-799-7233" in reply
    assert "1-800-799-7233" in chat(down_client, text)["replies"][0]


def test_the_beacon_exit_is_accepted_and_owed(down_client, down_config):
    response = down_client.post("/chat/api/exit", json={"token": "A" * 43})
    assert response.status_code == 202
    owed = PendingErasures(down_config["PENDING_ERASURES_DIR"]).keys()
    assert owed == [conversation_store.conversation_key("h", "chat", "A" * 43)]


def test_the_beacon_exit_says_so_when_it_cannot_even_be_written_down(down_config, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    app = create_app({**down_config, "PENDING_ERASURES_DIR": str(blocked / "erasures")})
    response = app.test_client().post("/chat/api/exit", json={"token": "A" * 43})
    app.extensions["harbor_database"].engine.dispose()
    assert response.status_code == 503
    assert "expires by itself" in response.get_json()["error"]


def test_an_sms_exit_while_down_is_owed(down_client, down_config):
    assert sms_messages(down_client, "EXIT") == ["OK. This chat is cleared."]
    owed = PendingErasures(down_config["PENDING_ERASURES_DIR"]).keys()
    assert owed == [conversation_store.conversation_key("h", "sms", "+15551239999")]


def _down(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))


def _store_down(*args, **kwargs):
    raise StoreUnavailable("ConnectionError")


def test_a_store_failure_mid_turn_falls_back(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["harbor_conversations"], "save_state", _store_down)
    body = chat(client, "I need a shelter in 52404")
    assert "Please try again soon" in body["replies"][0]
    body = chat(client, "exit")
    assert body["cleared"] is True


def test_a_failure_at_commit_falls_back(client, monkeypatch, db_session):
    from sqlalchemy.orm import Session

    monkeypatch.setattr(Session, "commit", _down)
    assert "911" in chat(client, "he has a gun")["replies"][0].split("\n")[0]
    assert "Please try again soon" in chat(client, "hello")["replies"][0]
