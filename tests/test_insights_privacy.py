"""After whole conversations and EXIT, only anonymous counters remain (privacy rules 1-4).

The conversations go through the real doors: POST /sms with a valid Twilio signature and
POST /chat/api/messages (and the chat page's exit beacon). Then every table is compared
with what it held before, and every counter row is checked for anything that could point
back to a sender or a conversation: a number, a token, an HMAC or any hash-like string,
a message body, a ZIP code, a time finer than the ISO week, or a column beyond the
allowed dimensions.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import date, datetime

import pytest
from sqlalchemy import inspect, select
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot.conversations.service import run_turn
from resources_db.demo import load_demo_listings
from resources_db.geography import county_exists
from resources_db.models import Base, UsageCount
from resources_db.vocabulary import CATEGORIES

TOKEN = "test-twilio-token"
HASH_KEY = "test-hash-key"
SENDERS = ("+13195550142", "+15025550187")
COUNTER_COLUMNS = {"week", "channel", "intent", "category", "language", "county",
                   "state", "search", "count"}
INTENTS = {
    "exit", "opt_out", "opt_in", "help", "menu", "more", "language", "greeting", "thanks",
    "location", "emergency", "self_harm", "talk_to_someone", "safety_planning",
    "is_this_abuse", "confidentiality", "using_violence", "shelter", "housing", "legal",
    "immigration", "economic", "children", "child_protection", "counseling",
    "substance_use", "health", "parenting", "faith", "unknown",
}
SMS_CONVERSATIONS = {
    SENDERS[0]: ["hi", "I need a safe place to stay tonight", "52402", "more", "EXIT"],
    SENDERS[1]: ["necesito un abogado", "Sioux City, Iowa", "SALIR"],
}
CHAT_CONVERSATIONS = [
    ["I need help with my immigration status", "41501", "exit"],
    ["CPS took my kids", "Louisville KY", "salir"],
]
CHAT_CLOSED_BY_BEACON = ["hola", "ayuda con la renta", "63110"]
HASH_LIKE = re.compile(r"[0-9a-fA-F]{12,}|[A-Za-z0-9_\-+/=]{20,}")
DIGIT_RUN = re.compile(r"\d{3,}")


def signed_sms(client, sender: str, body: str, sid: str):
    """POST one inbound SMS to /sms the way Twilio does, signature included."""
    url = "http://localhost/sms"
    form = inbound_fields(sender, body, sid, To="+13195550100", NumSegments="1")
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    response = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.status_code
    return response


def chat(client, token: str | None, text: str) -> dict:
    response = client.post("/chat/api/messages", json={"token": token, "text": text})
    assert response.status_code == 200
    return response.get_json()


def table_snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table (counters aside), to prove nothing else was written."""
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        if table.name == UsageCount.__tablename__:
            continue
        rows = session.execute(select(table)).all()
        snapshot[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return snapshot


def hmac_hex(material: str) -> str:
    return hmac.new(HASH_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def listings(db_session):
    load_demo_listings(db_session)
    db_session.commit()


@pytest.fixture
def conversations(client, db_session, listings, caplog):
    """Hold the conversations through /sms and /chat; return what identified each one."""
    caplog.set_level(logging.DEBUG)
    before = table_snapshot(db_session)
    secrets_seen: list[str] = list(SENDERS)
    bodies: list[str] = []
    for number, (sender, messages) in enumerate(SMS_CONVERSATIONS.items()):
        for turn, body in enumerate(messages):
            sid = f"SM{number:02d}{turn:02d}" + "ab12" * 7
            first = signed_sms(client, sender, body, sid)
            if number == 0 and turn == 2:
                # A Twilio retry: the same reply again, nothing advanced, nothing counted.
                assert signed_sms(client, sender, body, sid).data == first.data
            secrets_seen.append(sid)
            bodies.append(body)
    for messages in CHAT_CONVERSATIONS:
        token = None
        for text in messages:
            answer = chat(client, token, text)
            token = answer["token"] or token
            secrets_seen.append(token)
            bodies.append(text)
        assert answer["cleared"] is True and answer["token"] == ""
    token = None
    for text in CHAT_CLOSED_BY_BEACON:
        token = chat(client, token, text)["token"]
        bodies.append(text)
    secrets_seen.append(token)
    # The page's exit beacon: text/plain, as navigator.sendBeacon sends it.
    beacon = client.post("/chat/api/exit", data=f'{{"token": "{token}"}}',
                         content_type="text/plain")
    assert beacon.status_code == 204
    db_session.expire_all()
    return {"before": before, "secrets": secrets_seen, "bodies": bodies,
            "logs": caplog.text}


def counter_rows(db_session) -> list[UsageCount]:
    db_session.expire_all()
    return list(db_session.scalars(select(UsageCount)))


def test_after_exit_only_the_counters_changed(db_session, conversations):
    after = table_snapshot(db_session)
    # EXIT keeps a message key (an HMAC) as "erased", linked to nothing, until it expires,
    # so that a retry of a message sent before the EXIT never runs again (issue 15).
    kept = after.pop("processed_message")
    assert after == {name: rows for name, rows in conversations["before"].items()
                     if name != "processed_message"}
    assert after["conversation_state"] == []
    assert all(row[1] == "''" and row[2] == "'erased'" for row in kept)
    rows = counter_rows(db_session)
    # One count per handled message: the two SMS and the three chat conversations.
    handled = (sum(len(messages) for messages in SMS_CONVERSATIONS.values())
               + sum(len(messages) for messages in CHAT_CONVERSATIONS)
               + len(CHAT_CLOSED_BY_BEACON))
    assert sum(row.count for row in rows) == handled


def test_the_counters_have_only_the_allowed_dimensions(db_session, conversations):
    columns = {column["name"] for column in inspect(db_session.get_bind()).get_columns(
        UsageCount.__tablename__)}
    assert columns == COUNTER_COLUMNS
    for row in counter_rows(db_session):
        assert type(row.week) is date and not isinstance(row.week, datetime)
        assert row.week.weekday() == 0, "a week is stored as its Monday"
        assert row.channel in {"sms", "chat"}
        assert row.intent in INTENTS
        assert row.category == "" or row.category in CATEGORIES
        assert row.language in {"", "en", "es"}
        assert row.state == "" or re.fullmatch(r"[A-Z]{2}", row.state)
        assert row.county == "" or county_exists(row.county, row.state)
        assert row.search in {"", "local", "not_local"}
        assert isinstance(row.count, int) and row.count >= 1


def test_nothing_in_the_counters_points_to_a_sender_or_a_conversation(db_session,
                                                                     conversations):
    forbidden = set(conversations["secrets"])
    for secret in list(forbidden):
        forbidden.add(secret.lstrip("+"))
        forbidden.add(secret[-7:])  # the local part of a number
        for namespace in ("sms", "chat"):
            forbidden.add(hmac_hex(secret))
            forbidden.add(f"{namespace}:{hmac_hex(secret)}")
    bodies = {body.casefold() for body in conversations["bodies"]}
    # What a body says that is not a dimension value by itself ("exit" is an intent id).
    revealing_bodies = {body for body in bodies if len(body) > 5 and " " in body}
    values = [str(getattr(row, column)) for row in counter_rows(db_session)
              for column in COUNTER_COLUMNS - {"id", "count", "week"}]
    assert values, "the conversations were counted"
    for value in values:
        assert value not in forbidden
        assert not any(secret in value for secret in forbidden if len(secret) >= 7)
        assert not HASH_LIKE.search(value), value
        assert not DIGIT_RUN.search(value), f"{value!r}: a ZIP, number or time"
        assert value.casefold() not in revealing_bodies
        assert not any(body in value.casefold() for body in revealing_bodies)


def test_the_counts_say_what_happened_and_nothing_finer(db_session, conversations):
    rows = counter_rows(db_session)
    searches = {(row.channel, row.category, row.county, row.state, row.search)
                for row in rows if row.search}
    assert searches == {
        ("sms", "shelter", "Linn County", "IA", "local"),
        ("sms", "legal", "Woodbury County", "IA", "not_local"),
        ("chat", "immigration", "Pike County", "KY", "not_local"),
        ("chat", "child_protection", "Jefferson County", "KY", "local"),
        ("chat", "housing", "St. Louis city", "MO", "local"),
    }
    assert {row.week for row in rows} == {rows[0].week}  # one week, no day or hour


def test_no_number_token_or_body_reached_the_logs(conversations):
    logs = conversations["logs"]
    for secret in conversations["secrets"]:
        assert secret not in logs
        assert secret.lstrip("+")[-7:] not in logs
    for body in conversations["bodies"]:
        if len(body) > 5:
            assert body not in logs


def test_console_turns_are_never_counted(app, db_session, listings):
    for text in ["I need a safe place to stay tonight", "52402", "exit"]:
        run_turn(db_session, namespace="console", key_material="staff:1:sms", channel="sms",
                 text=text, config=app.config)
        db_session.commit()
    assert counter_rows(db_session) == []


def test_console_page_turns_are_never_counted(app, client, sign_in, db_session, listings):
    if "console.turn" not in app.view_functions:
        pytest.skip("the console's /console/turn route is not registered in this build")
    sign_in("advocate")
    for text in ["I need a safe place to stay tonight", "52402", "more"]:
        response = client.post("/console/turn", json={"channel": "sms", "text": text})
        assert response.status_code == 200
    assert counter_rows(db_session) == []
