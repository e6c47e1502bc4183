"""An EXIT answered while the database is down is carried out when it is back.

The person is told "cleared" at once (DESIGN.md rule 5); the erasure is written down as
the conversation key alone, and the first turn that reaches the database again, from
anyone, erases that conversation before it reads any state. So the next message of the
person who sent EXIT starts afresh, and nothing in the database points to them.

The outage is simulated inside one test process: every call to the conversation store
raises what an unreachable store raises. tests/test_database_faults.py shows the same with a
real PostgreSQL stopped under gunicorn.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from test_exit_erasure import find_everywhere, sender_needles

from bot.conversations import store as conversation_store
from bot.conversations.owed_erasures import owed_erasures
from bot.conversations.pending_erasures import pending_erasures
from bot.conversations.store import StoreUnavailable
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


def state_keys(store_session) -> set[str]:
    store_session.expire_all()
    return set(store_session.scalars(select(ConversationState.key)))


def test_an_sms_exit_during_an_outage_is_erased_by_the_next_turn(
        app, signed_sms, db_session, monkeypatch, store_session):
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "sms", SENDER)
    signed_sms("I need a safe place to stay", sender=SENDER)
    assert key in state_keys(store_session)

    with monkeypatch.context() as during:
        store_down(during, app)
        assert messages_of(signed_sms("EXIT", sender=SENDER)) == [EXIT_REPLY]
    # Owed, not done: the database could not be reached.
    assert owed_keys(app) == [key]
    assert key in state_keys(store_session)

    # The database is back. Someone else's turn settles it, before anything else is read.
    signed_sms("hi", sender=BYSTANDER)
    assert key not in state_keys(store_session)
    assert owed_keys(app) == []
    engines = [app.extensions["harbor_database"].engine,
               app.extensions["harbor_conversations"].engine]
    assert find_everywhere(engines, sender_needles(SENDER, [])) == []

    # And the person's next text starts a new conversation, not the one they erased.
    (reply,) = messages_of(signed_sms("52404", sender=SENDER))
    assert not reply.startswith("Here is a safe place to stay")


def test_the_persons_own_next_message_settles_it_too(app, signed_sms, db_session, monkeypatch):
    signed_sms("necesito un lugar seguro para quedarme", sender=SENDER)
    with monkeypatch.context() as during:
        store_down(during, app)
        assert messages_of(signed_sms("salir", sender=SENDER)) == [EXIT_REPLY_ES]
    (reply,) = messages_of(signed_sms("52404", sender=SENDER))
    assert "lugar seguro" not in reply.split("\n")[0].lower()
    assert owed_keys(app) == []


def test_a_chat_exit_during_an_outage_is_erased_when_the_database_is_back(
        app, client, db_session, monkeypatch, store_session):
    first = client.post("/chat/api/messages", json={"token": None,
                                                    "text": "I need a lawyer in 52404"})
    token = first.get_json()["token"]
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "chat", token)
    assert key in state_keys(store_session)

    with monkeypatch.context() as during:
        store_down(during, app)
        answer = client.post("/chat/api/messages", json={"token": token, "text": "EXIT"})
    assert answer.status_code == 200
    assert answer.get_json()["cleared"] is True
    assert owed_keys(app) == [key]

    client.post("/chat/api/messages", json={"token": None, "text": "hello"})
    assert key not in state_keys(store_session)
    assert owed_keys(app) == []


def test_the_quick_exit_beacon_during_an_outage_is_owed_not_lost(
        app, client, db_session, monkeypatch, store_session):
    token = client.post("/chat/api/messages", json={"token": None, "text": "hi"}).get_json()[
        "token"]
    key = conversation_store.conversation_key(app.config["HASH_KEY"], "chat", token)

    def erase_refused(*_args, **_kwargs):
        raise StoreUnavailable("OperationalError")

    with monkeypatch.context() as during:
        during.setattr(app.extensions["harbor_conversations"], "erase", erase_refused)
        answer = client.post("/chat/api/exit", json={"token": token})
    # Accepted: the erasure will happen; the page leaves either way.
    assert answer.status_code == 202
    assert owed_keys(app) == [key]

    client.post("/chat/api/messages", json={"token": None, "text": "hello"})
    assert key not in state_keys(store_session)


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


def store_down(patch, app) -> None:
    """Make every call to the app's conversation store fail as an unreachable one does."""
    conversations = app.extensions["harbor_conversations"]

    def refused(*_args, **_kwargs):
        raise StoreUnavailable("ConnectionError")

    for name in ("load_state", "save_state", "claim_message", "finish_message",
                 "release_message", "erase", "owe_erasure", "owed_erasures", "forget_owed",
                 "ping"):
        patch.setattr(conversations, name, refused)


def owed_keys(app) -> list[str]:
    """Every owed erasure the app's hosts can see (store, shared table, folder)."""
    with app.app_context():
        return owed_erasures(app.config).keys()
