"""EXIT reaches Twilio: every message of the conversation, both directions, and its
media, is deleted through the REST API at TWILIO_API_URL, and nothing else is.

The REST API here is tests/fake_twilio.py, a local server that records every call.
"""

from __future__ import annotations

import logging
import time

import pytest
from fake_twilio import FakeTwilio
from twilio_fields import ACCOUNT_SID

from bot.channels.twilio_erasure import wait_for_jobs
from bot.channels.twilio_rest import RebasedHttpClient, twilio_client

ACCOUNT = ACCOUNT_SID  # the account the signed_sms fixture signs as
SURVIVOR = "+15551230001"  # the signed_sms fixture's default sender
HARBOR = "+15550100000"  # the number the signed_sms fixture texts
OTHER_PERSON = "+15551239876"
OTHER_HARBOR_NUMBER = "+15550109999"


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio(ACCOUNT)
    yield fake
    fake.stop()


@pytest.fixture
def app_config(app_config, fake_twilio):
    return {**app_config, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_URL": fake_twilio.url,
            "TWILIO_ERASURE_FIRST_DELAY_SECONDS": 0, "TWILIO_ERASURE_SETTLE_SECONDS": 0.3}


def message_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"


def test_exit_deletes_every_message_of_the_conversation_and_nothing_else(
        signed_sms, fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)
    own = [fake_twilio.add(SURVIVOR, HARBOR, media=2), fake_twilio.add(HARBOR, SURVIVOR),
           fake_twilio.add(SURVIVOR, HARBOR), fake_twilio.add(HARBOR, SURVIVOR)]
    # More than a page of them: the library follows next_page_uri.
    own += [fake_twilio.add(SURVIVOR, HARBOR) for _ in range(120)]
    others = [fake_twilio.add(OTHER_PERSON, HARBOR), fake_twilio.add(HARBOR, OTHER_PERSON),
              fake_twilio.add(SURVIVOR, OTHER_HARBOR_NUMBER)]
    media = list(own[0].media)

    signed_sms("I need a shelter in 52404")
    assert fake_twilio.calls == []  # nothing before the EXIT
    signed_sms("EXIT")
    assert wait_for_jobs(20)

    deleted = fake_twilio.deleted()
    assert sorted(p for p in deleted if "/Media/" not in p) == sorted(
        message_path(m.sid) for m in own)
    assert sorted(p for p in deleted if "/Media/" in p) == sorted(
        f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{own[0].sid}/Media/{sid}.json"
        for sid in media)
    assert not any(m.sid in path for m in others for path in deleted)
    assert set(fake_twilio.messages) == {m.sid for m in others}
    # Both directions were listed, with Harbor's own account.
    listed = {(c.query.get("From"), c.query.get("To")) for c in fake_twilio.calls
              if c.method == "GET" and c.path.endswith("/Messages.json")}
    assert listed == {(SURVIVOR, HARBOR), (HARBOR, SURVIVOR)}
    assert {c.user for c in fake_twilio.calls} == {ACCOUNT}
    # The number was never logged, by Harbor, Twilio's library or urllib3 (the fake's own
    # access log, werkzeug's, is the fake's business).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert "deleted at Twilio" in logged
    assert SURVIVOR.lstrip("+") not in logged and "15551230001" not in logged


def test_a_message_in_flight_is_deleted_once_it_has_landed(signed_sms, fake_twilio):
    reply = fake_twilio.add(HARBOR, SURVIVOR, status="queued")
    signed_sms("EXIT")
    deadline = time.monotonic() + 10
    while not any(c.method == "GET" for c in fake_twilio.calls):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert reply.sid in fake_twilio.messages  # in flight: not deletable yet
    fake_twilio.deliver(reply.sid)
    assert wait_for_jobs(20)
    assert message_path(reply.sid) in fake_twilio.deleted()
    assert reply.sid not in fake_twilio.messages


def test_no_message_is_deleted_for_anything_but_an_exit(signed_sms, fake_twilio):
    fake_twilio.add(SURVIVOR, HARBOR)
    for text in ("hi", "1", "52404", "STOP", "START", "he is here"):
        signed_sms(text)
    assert wait_for_jobs(5)
    assert fake_twilio.calls == []


def test_an_api_key_is_used_when_set(app_config, fake_twilio):
    client = twilio_client({**app_config, "TWILIO_API_KEY_SID": "SK" + "2" * 32,
                            "TWILIO_API_KEY_SECRET": "secret"})
    list(client.messages.stream(from_=SURVIVOR, to=HARBOR))
    assert fake_twilio.calls[-1].user == "SK" + "2" * 32


def test_without_an_account_the_rest_api_is_off():
    assert twilio_client({"TWILIO_AUTH_TOKEN": "t"}) is None


def test_every_rest_call_goes_to_the_base_url_path_kept():
    client = RebasedHttpClient("http://proxy.internal:8080/twilio/")
    assert client.rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=x") \
        == "http://proxy.internal:8080/twilio/2010-04-01/Accounts/AC1/Messages.json?To=x"
    assert client.rebase("https://messaging.twilio.com/v1/Services") \
        == "http://proxy.internal:8080/twilio/v1/Services"
