"""An EXIT answered while the database is down is carried out when it is back.

The person is told "cleared" at once (DESIGN.md rule 5); the erasure is written down as
the conversation key alone, and the first turn that reaches the database again, from
anyone, erases that conversation before it reads any state. So the next message of the
person who sent EXIT starts afresh, and nothing in the database points to them.

The outage is simulated inside one test process: the state store's first read raises
the error a dead connection raises. tests/test_database_faults.py shows the same with a
real PostgreSQL stopped under gunicorn.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from test_exit_erasure import find_everywhere, sender_needles

from bot.conversations import store as conversation_store
from bot.conversations.pending_erasures import pending_erasures
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState

SENDER = "+15551230101"
BYSTANDER = "+15551230202"
EXIT_REPLY = "OK. This chat is cleared."
EXIT_REPLY_ES = "Listo. Se ha borrado este chat."  # the default: a Spanish exit word


@pytest.fixture(autouse=True)
def demo_listings(db_session):
    load_demo_listings(db_session)
    db_session.commit()


def messages_of(response) -> list[str]:
    assert response.status_code == 200
    return [m.text for m in ET.fromstring(response.data).iter("Message")]  # noqa: S314


def state_keys(db_session) -> set[str]:
    db_session.expire_all()
    return set(db_session.scalars(select(ConversationState.key)))


def test_an_sms_exit_during_an_outage_is_erased_by_the_next_turn(
        app, signed_sms, db_session, monkeypatch):
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "sms", SENDER)
    signed_sms("I need a safe place to stay", sender=SENDER)
    assert key in state_keys(db_session)

    with monkeypatch.context() as during:
        during.setattr(conversation_store, "load_state", _refused)
        during.setattr(conversation_store, "find_processed", _refused)
        assert messages_of(signed_sms("EXIT", sender=SENDER)) == [EXIT_REPLY]
    # Owed, not done: the database could not be reached.
    assert pending_erasures(app.config).keys() == [key]
    assert key in state_keys(db_session)

    # The database is back. Someone else's turn settles it, before anything else is read.
    signed_sms("hi", sender=BYSTANDER)
    assert key not in state_keys(db_session)
    assert pending_erasures(app.config).keys() == []
    engine = app.extensions["harbor_database"].engine
    assert find_everywhere(engine, sender_needles(SENDER, [])) == []

    # And the person's next text starts a new conversation, not the one they erased.
    (reply,) = messages_of(signed_sms("52404", sender=SENDER))
    assert not reply.startswith("Here is a safe place to stay")


def test_the_persons_own_next_message_settles_it_too(app, signed_sms, db_session, monkeypatch):
    signed_sms("necesito un lugar seguro para quedarme", sender=SENDER)
    with monkeypatch.context() as during:
        during.setattr(conversation_store, "load_state", _refused)
        during.setattr(conversation_store, "find_processed", _refused)
        assert messages_of(signed_sms("salir", sender=SENDER)) == [EXIT_REPLY_ES]
    (reply,) = messages_of(signed_sms("52404", sender=SENDER))
    assert "lugar seguro" not in reply.split("\n")[0].lower()
    assert pending_erasures(app.config).keys() == []


def test_a_chat_exit_during_an_outage_is_erased_when_the_database_is_back(
        app, client, db_session, monkeypatch):
    first = client.post("/chat/api/messages", json={"token": None,
                                                    "text": "I need a lawyer in 52404"})
    token = first.get_json()["token"]
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "chat", token)
    assert key in state_keys(db_session)

    with monkeypatch.context() as during:
        during.setattr(conversation_store, "load_state", _refused)
        during.setattr(conversation_store, "find_processed", _refused)
        answer = client.post("/chat/api/messages", json={"token": token, "text": "EXIT"})
    assert answer.status_code == 200
    assert answer.get_json()["cleared"] is True
    assert pending_erasures(app.config).keys() == [key]

    client.post("/chat/api/messages", json={"token": None, "text": "hello"})
    assert key not in state_keys(db_session)
    assert pending_erasures(app.config).keys() == []


def test_the_quick_exit_beacon_during_an_outage_is_owed_not_lost(
        app, client, db_session, monkeypatch):
    token = client.post("/chat/api/messages", json={"token": None, "text": "hi"}).get_json()[
        "token"]
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "chat", token)

    def erase_refused(*_args, **_kwargs):
        raise OperationalError("DELETE", {}, ConnectionRefusedError("connection refused"))

    with monkeypatch.context() as during:
        during.setattr(conversation_store, "erase", erase_refused)
        answer = client.post("/chat/api/exit", json={"token": token})
    # Accepted: the erasure will happen; the page leaves either way.
    assert answer.status_code == 202
    assert pending_erasures(app.config).keys() == [key]

    client.post("/chat/api/messages", json={"token": None, "text": "hello"})
    assert key not in state_keys(db_session)


def test_only_conversation_keys_are_written_down(app, tmp_path):
    owed = pending_erasures(app.config)
    with pytest.raises(ValueError):
        owed.add("+15551230101")
    with pytest.raises(ValueError):
        owed.add("sms:../../etc/passwd")
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "sms", SENDER)
    assert owed.add(key)
    (name,) = [path.name for path in owed.directory.iterdir()]
    assert SENDER.lstrip("+") not in name and name == key.replace(":", "-")
    assert owed.directory.joinpath(name).read_bytes() == b""


def _refused(*_args, **_kwargs):
    raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
