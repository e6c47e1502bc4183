"""POST /sms: signatures, TwiML, retries, carrier keywords, and never a 500."""

from __future__ import annotations

import itertools
import logging
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from twilio_fields import ACCOUNT_SID, inbound_fields, message_sid

from bot.conversations import store as conversation_store
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState, ProcessedMessage, UsageCount

TOKEN = "test-twilio-token"
SENDER = "+15551230001"
_message_ids = itertools.count(1)


@pytest.fixture
def send_sms(client):
    """Return send(body, ...): a signed Twilio webhook request, as Twilio sends it."""

    def send(body, sender=SENDER, message_id=None, url="http://localhost/sms",
             token=TOKEN, signature=None, path="/sms", headers=None):
        params = inbound_fields(sender, body, message_id or f"webhook-{next(_message_ids)}")
        if signature is None:
            signature = RequestValidator(token).compute_signature(url, params)
        all_headers = {"X-Twilio-Signature": signature} if signature else {}
        all_headers.update(headers or {})
        return client.post(path, data=params, headers=all_headers)

    return send


def messages_of(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype in ("application/xml", "text/xml")
    root = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def demo_listings(db_session):
    load_demo_listings(db_session)
    db_session.commit()


def test_signed_request_gets_twiml(send_sms, db_session, store_session):
    (reply,) = messages_of(send_sms("hi"))
    assert "Is it safe for you to text now?" in reply
    assert count(store_session, ConversationState) == 1


@pytest.mark.parametrize("case", ["missing", "wrong token", "tampered", "other url"])
def test_bad_or_missing_signature_is_refused_and_nothing_processed(send_sms, db_session, case,
        store_session):
    if case == "missing":
        response = send_sms("hi", signature="")
    elif case == "wrong token":
        response = send_sms("hi", token="not-the-token")
    elif case == "tampered":
        good = RequestValidator(TOKEN).compute_signature("http://localhost/sms", {"Body": "x"})
        response = send_sms("hi", signature=good)
    else:
        response = send_sms("hi", url="https://elsewhere.example/sms")
    assert response.status_code == 403
    assert count(store_session, ConversationState) == 0
    assert count(store_session, ProcessedMessage) == 0
    assert count(db_session, UsageCount) == 0


class TestBehindAProxy:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "PUBLIC_BASE_URL": "https://harbor.example.org/"}

    def test_the_public_url_is_the_one_checked(self, send_sms):
        response = send_sms("hi", url="https://harbor.example.org/sms")
        assert messages_of(response)
        refused = send_sms("hi", url="http://localhost/sms")
        assert refused.status_code == 403

    def test_query_string_is_part_of_the_signed_url(self, send_sms):
        ok = send_sms("hi", url="https://harbor.example.org/sms?site=a", path="/sms?site=a")
        assert messages_of(ok)
        wrong = send_sms("hi", url="https://harbor.example.org/sms", path="/sms?site=a")
        assert wrong.status_code == 403


class TestDevelopmentWithoutToken:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "HARBOR_ENV": "development", "TWILIO_AUTH_TOKEN": ""}

    def test_unsigned_requests_are_accepted_with_one_warning(self, send_sms, caplog):
        caplog.set_level(logging.WARNING, logger="harbor.sms")
        assert messages_of(send_sms("hi", signature=""))
        assert messages_of(send_sms("1", signature=""))
        warnings = [r for r in caplog.records if "unsigned" in r.getMessage()]
        assert len(warnings) == 1


class TestTestingWithoutToken:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "TWILIO_AUTH_TOKEN": ""}

    def test_unsigned_requests_are_refused_outside_development(self, send_sms):
        assert send_sms("hi", signature="").status_code == 403


def test_retried_message_sid_gets_the_same_reply_and_does_not_advance(send_sms, db_session,
        store_session):
    first = messages_of(send_sms("hi", message_id="SMretry0001"))
    step_before = store_session.scalar(select(ConversationState.state))["step"]
    again = messages_of(send_sms("hi", message_id="SMretry0001"))
    assert again == first
    db_session.expire_all()
    assert store_session.scalar(select(ConversationState.state))["step"] == step_before
    choice = messages_of(send_sms("1", message_id="SMretry0002"))
    assert "ZIP code" in choice[0]
    assert messages_of(send_sms("1", message_id="SMretry0002")) == choice
    # Counted once per message, not per delivery.
    assert db_session.scalar(select(func.sum(UsageCount.count))) == 2


def test_retry_cache_keeps_no_message_sid_in_clear(send_sms, db_session, store_session):
    sid = message_sid("visible")
    send_sms("hi", message_id=sid)
    keys = store_session.scalars(select(ProcessedMessage.message_key)).all()
    assert keys and all(sid not in key for key in keys)
    expected = conversation_store.message_key("test-hash-key", "sms", sid)
    assert keys == [expected]


def test_stop_then_text_then_start(send_sms):
    messages_of(send_sms("hi"))
    (confirmation,) = messages_of(send_sms("STOP"))
    assert "no more texts" in confirmation
    assert messages_of(send_sms("I need a shelter in 52404")) == []
    assert messages_of(send_sms("hello")) == []
    (back,) = messages_of(send_sms("START"))
    assert "back on" in back
    (asked,) = messages_of(send_sms("1"))
    assert "ZIP code" in asked


@pytest.mark.parametrize("keyword", ["STOP", "stopall", "UNSUBSCRIBE", "cancel", "END", "quit"])
def test_carrier_opt_out_keywords(send_sms, keyword):
    (confirmation,) = messages_of(send_sms(keyword))
    assert "no more texts" in confirmation
    assert messages_of(send_sms("hi")) == []


def test_a_sentence_with_stop_in_it_is_not_an_opt_out(send_sms):
    (reply,) = messages_of(send_sms("stop he is hurting me"))
    assert "911" in reply.split("\n")[0]


def test_exit_erases_and_answers_neutrally(send_sms, db_session, store_session):
    messages_of(send_sms("I need a shelter in 52404"))
    assert count(store_session, ConversationState) == 1
    assert messages_of(send_sms("EXIT")) == ["OK. This chat is cleared."]
    assert count(store_session, ConversationState) == 0
    # The message keys stay until they expire (a re-delivery must never run again), with
    # no conversation key and no reply: nothing in them points to the sender.
    kept = store_session.execute(select(ProcessedMessage.conversation_key,
                                        ProcessedMessage.reply)).all()
    assert len(kept) == 2 and set(kept) == {("", "erased")}


def test_conversation_key_is_an_hmac_of_the_number(send_sms, db_session, store_session):
    send_sms("hi")
    key = store_session.scalar(select(ConversationState.key))
    assert key == conversation_store.conversation_key("test-hash-key", "sms", SENDER)
    assert key.startswith("sms:") and SENDER not in key and SENDER[1:] not in key


def test_usage_is_counted_for_sms(send_sms, db_session, demo_listings):
    send_sms("I need a shelter in 52404")
    row = db_session.scalars(select(UsageCount)).one()
    assert (row.channel, row.intent, row.category, row.county, row.state, row.search,
            row.count) == ("sms", "shelter", "shelter", "Linn County", "IA", "local", 1)


def test_every_reply_is_gsm7_within_three_segments(send_sms, demo_listings):
    from bot.texts.sms_text import is_gsm7, segment_info

    for body in ("hola", "1", "40202", "más", "español", "necesito ayuda legal en 32202"):
        for reply in messages_of(send_sms(body)):
            assert is_gsm7(reply) and segment_info(reply).segments <= 3


def test_a_failure_anywhere_still_answers_valid_twiml(send_sms, monkeypatch, caplog):
    import bot.channels.sms

    def broken(*args, **kwargs):
        raise ValueError("something unexpected, with +15551230001 in it")

    monkeypatch.setattr(bot.channels.sms, "run_turn", broken)
    (reply,) = messages_of(send_sms("I need help now"))
    assert "1-800-799-7233" in reply
    assert "+15551230001" not in caplog.text and "something unexpected" not in caplog.text


def post_signed(client, params: dict):
    """POST `params` to /sms with a valid signature over exactly these fields."""
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", params)
    return client.post("/sms", data=params, headers={"X-Twilio-Signature": signature})


def nothing_stored(db_session) -> bool:
    return all(count(db_session, model) == 0
               for model in (ConversationState, ProcessedMessage, UsageCount))


GOOD = inbound_fields(SENDER, "I need a shelter in 52404", "shape")


@pytest.mark.parametrize(("field", "value"), [
    ("MessageSid", None),
    ("MessageSid", ""),
    ("MessageSid", "SMnosender"),
    ("MessageSid", GOOD["MessageSid"] + "NumMedia0"),  # a dropped field glued on
    ("MessageSid", "XX" + GOOD["MessageSid"][2:]),
    ("MessageSid", GOOD["MessageSid"][:-1]),
    ("AccountSid", None),
    ("AccountSid", "ACtest"),
    ("From", None),
    ("From", ""),
    ("From", "1230001"),  # the tail of a number: Body swallowed "From+1555"
    ("From", "+1 555 123 0001"),
    ("NumMedia", None),
    ("NumMedia", "zero"),
])
def test_a_signed_request_with_a_malformed_twilio_field_advances_nothing(
        client, db_session, field, value):
    params = dict(GOOD)
    if value is None:
        del params[field]
    else:
        params[field] = value
    response = post_signed(client, params)
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)
    assert nothing_stored(db_session)


def test_the_glued_field_attack_is_refused_under_the_same_signature(client, db_session):
    # The signature covers key+value pairs joined without separators, so dropping
    # NumMedia and gluing "NumMedia0" onto MessageSid keeps it valid.
    original = dict(GOOD)
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/sms", original)
    tampered = {name: value for name, value in original.items() if name != "NumMedia"}
    tampered["MessageSid"] += "NumMedia0"
    assert RequestValidator(TOKEN).validate("http://localhost/sms", tampered, signature)
    response = client.post("/sms", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400
    assert nothing_stored(db_session)
    assert messages_of(client.post("/sms", data=original,
                                   headers={"X-Twilio-Signature": signature}))


class TestTheConfiguredAccount:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID}

    def test_its_messages_are_answered(self, send_sms):
        assert messages_of(send_sms("hi"))

    def test_another_accounts_signed_message_advances_nothing(self, client, db_session):
        response = post_signed(client, {**GOOD, "AccountSid": "AC" + "1" * 32})
        assert response.status_code == 400
        assert "AccountSid" in response.get_data(as_text=True)
        assert nothing_stored(db_session)


def test_an_mms_sid_is_a_message_sid(send_sms):
    assert messages_of(send_sms("hi", message_id="MM" + "0123456789abcdef" * 2))


def test_twiml_escapes_what_it_sends(send_sms, monkeypatch):
    import bot.channels.sms
    from bot.conversations.service import TurnResult

    def fake(*args, **kwargs):
        return TurnResult(replies=["a < b & c > d"], cleared=False, classification=None,
                          degraded=True)

    monkeypatch.setattr(bot.channels.sms, "run_turn", fake)
    assert messages_of(send_sms("hi")) == ["a < b & c > d"]


def test_csrf_does_not_apply_to_the_webhook(app, send_sms):
    app.config["WTF_CSRF_ENABLED"] = True
    assert messages_of(send_sms("hi"))
