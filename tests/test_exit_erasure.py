"""After EXIT, nothing in the database or the conversation store points to the sender:
every table, every column.

The search reflects the live schema (so tables added later by anyone are searched too)
and looks for the number in any spelling, the HMAC key, the MessageSids, or the chat
token. Before the exit the same search must find the key: a search that finds nothing
either way would prove nothing. The HMACs of the MessageSids stay, unlinked (no
conversation key, no reply), until they expire: a message delivered before the EXIT must
never run again (issue 14, row 5). tests/test_erasure_on_disk.py looks at the bytes of
the files.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import MetaData, select
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields, message_sid

from bot.conversations import store as conversation_store
from resources_db.demo import load_demo_listings

HASH_KEY = "test-hash-key"
TOKEN = "test-twilio-token"
SENDER = "+15551230077"
OTHER_SENDER = "+15551230088"


def sender_needles(sender: str, message_ids: list[str],
                   message_keys: bool = True) -> list[str]:
    """What points to `sender`: the number in any spelling, its key, its MessageSids
    (and with `message_keys`, their HMACs: present before the EXIT, kept unlinked after)."""
    digits = sender.lstrip("+")
    key = conversation_store.conversation_key(HASH_KEY, "sms", sender)
    needles = [sender, digits, digits[1:], f"{digits[1:4]}-{digits[4:7]}-{digits[7:]}",
               key, key.split(":", 1)[1]]
    for message_id in map(message_sid, message_ids):
        needles.append(message_id)
        if message_keys:
            message_key = conversation_store.message_key(HASH_KEY, "sms", message_id)
            needles += [message_key, message_key.split(":", 1)[1]]
    return needles


def find_everywhere(engines, needles: list[str]) -> list[tuple[str, str, str]]:
    """Return (table, column, needle) for every cell of every table holding a needle."""
    found = []
    for engine in engines if isinstance(engines, list | tuple) else [engines]:
        found += _find_in(engine, needles)
    return found


def _find_in(engine, needles: list[str]) -> list[tuple[str, str, str]]:
    metadata = MetaData()
    metadata.reflect(bind=engine)
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value)
                    else:
                        text = str(value)
                    found += [(table.name, column, n) for n in needles if n in text]
    return found


@pytest.fixture
def engine(app):
    """The database and the conversation store (one engine when they are one file)."""
    database = app.extensions["harbor_database"].engine
    store = app.extensions["harbor_conversations"].engine
    return [database] if str(database.url) == str(store.url) else [database, store]


@pytest.fixture
def sms(client):
    """Return send(body, sender, message_id): a signed webhook request."""

    def send(body, sender=SENDER, message_id="SM0"):
        params = inbound_fields(sender, body, message_id)
        signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", params)
        response = client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        return response.data.decode()

    return send


def test_after_exit_no_table_holds_anything_derived_from_the_sender(engine, sms, db_session):
    load_demo_listings(db_session)
    db_session.commit()
    conversation = ["hi", "1", "52404", "more", "he is here", "yes", "español", "2"]
    message_ids = [message_sid(f"erase-{n}") for n in range(len(conversation) + 1)]
    for text, message_id in zip(conversation, message_ids, strict=False):
        sms(text, message_id=message_id)
    # A retry, and someone else's conversation that must survive this exit.
    sms(conversation[-1], message_id=message_ids[len(conversation) - 1])
    sms("hi", sender=OTHER_SENDER, message_id="SMother0001")

    needles = sender_needles(SENDER, message_ids)
    before = find_everywhere(engine, needles)
    assert {table for table, _, _ in before} >= {"conversation_state", "processed_message"}

    assert "OK. This chat is cleared." in sms("EXIT", message_id=message_ids[-1])

    assert find_everywhere(engine, sender_needles(SENDER, message_ids, message_keys=False)) == []
    # The message keys stay, and hold nothing but the word "erased".
    left = {(column, needle) for _table, column, needle in find_everywhere(engine, needles)}
    assert left and {column for column, _ in left} == {"message_key"}
    other = sender_needles(OTHER_SENDER, ["SMother0001"])
    assert find_everywhere(engine, other), "the exit must not erase someone else"


@pytest.mark.parametrize("word", ["exit", "EXIT!!", "exti", "salir", "BORRAR", "clear"])
def test_every_form_of_exit_erases(engine, sms, word):
    sms("I need a shelter in 52404", message_id="SMform0001")
    assert find_everywhere(engine, sender_needles(SENDER, ["SMform0001"]))
    sms(word, message_id="SMform0002")
    assert find_everywhere(engine, sender_needles(SENDER, ["SMform0001", "SMform0002"],
                                                  message_keys=False)) == []


def test_after_chat_exit_nothing_holds_the_token(engine, client):
    token = client.post("/chat/api/messages", json={"token": None, "text": "hi"}).get_json()[
        "token"]
    client.post("/chat/api/messages", json={"token": token, "text": "I need a lawyer in 40202"})
    key = conversation_store.conversation_key(HASH_KEY, "chat", token)
    needles = [token, key, key.split(":", 1)[1]]
    assert find_everywhere(engine, needles)
    body = client.post("/chat/api/messages", json={"token": token, "text": "exit"}).get_json()
    assert body["cleared"] is True
    assert find_everywhere(engine, needles) == []


def test_the_beacon_exit_erases_too(engine, client):
    token = client.post("/chat/api/messages", json={"token": None, "text": "hi"}).get_json()[
        "token"]
    key = conversation_store.conversation_key(HASH_KEY, "chat", token)
    assert find_everywhere(engine, [key])
    response = client.post("/chat/api/exit", data=json.dumps({"token": token}),
                           content_type="text/plain;charset=UTF-8")
    assert response.status_code == 204
    assert find_everywhere(engine, [token, key, key.split(":", 1)[1]]) == []


def test_usage_counts_survive_exit_and_hold_nothing_personal(engine, sms, db_session):
    from resources_db.models import UsageCount

    sms("I need a shelter in 52404", message_id="SMcount0001")
    sms("exit", message_id="SMcount0002")
    rows = db_session.scalars(select(UsageCount)).all()
    assert sum(row.count for row in rows) == 2
    assert find_everywhere(engine, sender_needles(SENDER, ["SMcount0001", "SMcount0002"],
                                                  message_keys=False)) == []
