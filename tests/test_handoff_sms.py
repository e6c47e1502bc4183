"""The SMS side of a hand-off, against a local fake of Twilio's REST API.

The survivor texts /sms (signed as Twilio signs); the advocate's words go out through
Twilio's REST API at TWILIO_API_URL, from the number the person wrote to, to the number
that is kept only sealed inside the hand-off and only while it lasts.
"""

from __future__ import annotations

import json
import logging

import pytest
from fake_twilio import serve_fake_twilio
from sqlalchemy import select
from twilio_fields import ACCOUNT_SID

from bot.channels import twilio_rest
from bot.channels.twilio_erasure import wait_for_jobs
from bot.staff import accounts, duty
from resources_db.demo import load_demo_listings
from resources_db.models import Base

SURVIVOR = "+15551230077"
HARBOR_NUMBER = "+15550100000"


@pytest.fixture
def fake_twilio():
    fake, stop = serve_fake_twilio()
    yield fake
    # An SMS EXIT's own erasure job (bot.channels.twilio_erasure) ends before the fake.
    assert wait_for_jobs(20)
    stop()


@pytest.fixture
def app_config(app_config, fake_twilio):
    return {**app_config, "TWILIO_API_URL": fake_twilio.url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_ERASURE_FIRST_DELAY_SECONDS": 0, "TWILIO_ERASURE_SETTLE_SECONDS": 0.3}


@pytest.fixture
def advocate(app, db_session):
    user = accounts.create_user(db_session, "maria@example.org", "test password 0123",
                                "advocate")
    duty.set_roster(db_session, user, display_name="Maria", roster_hours="",
                    roster_timezone="UTC", max_open_chats=3)
    duty.set_on_duty(db_session, user, True)
    load_demo_listings(db_session)
    db_session.commit()
    console = app.test_client()
    from bot.staff.auth import StaffUser

    with app.app_context():
        session_id = StaffUser.from_account(user).get_id()
    with console.session_transaction() as session:
        session["_user_id"] = session_id
    return console


def act(console, handoff_id, action, **payload):
    return console.post(f"/console/inbox/{action}", json={"id": handoff_id, **payload},
                        headers={"Accept": "application/json"})


def twiml_messages(response) -> list[str]:
    import xml.etree.ElementTree as ET

    return [m.text or "" for m in ET.fromstring(response.data).iter("Message")]


def stored(db_session) -> str:
    return "\n".join(json.dumps([str(v) for v in row]) for table in Base.metadata.sorted_tables
                     for row in db_session.execute(select(table)))


def test_an_sms_hand_off_end_to_end(signed_sms, advocate, fake_twilio, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    offer = twiml_messages(signed_sms("can I talk to a real person", sender=SURVIVOR))
    assert "Reply YES to connect" in offer[0] and "Maria" in offer[0]
    assert fake_twilio.calls == []  # nothing goes anywhere before YES
    connecting = twiml_messages(signed_sms("YES", sender=SURVIVOR))
    assert "Connecting you" in connecting[0]
    # The number is never stored in clear, not even sealed in a form that shows it.
    assert SURVIVOR not in stored(db_session) and SURVIVOR[1:] not in stored(db_session)

    [waiting] = advocate.get("/console/inbox/state").get_json()["queue"]
    assert waiting["channel"] == "sms"
    assert act(advocate, waiting["id"], "claim").status_code == 200
    joined = fake_twilio.messages_sent()[-1]
    assert joined["To"] == SURVIVOR and joined["From"] == HARBOR_NUMBER
    assert "Maria" in joined["Body"]
    assert fake_twilio.calls[-1]["user"] == ACCOUNT_SID
    assert fake_twilio.calls[-1]["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    # The survivor's texts reach the advocate; Harbor answers nothing itself. (A message
    # read as danger or self-harm adds the safety line first; since issue 12 the second
    # opinion reads "I am scared to go home" as weak self-harm, a false alarm, so this
    # message carries no distress words.)
    assert twiml_messages(signed_sms("my kids are asleep so i can text", sender=SURVIVOR)) == []
    [chat] = advocate.get("/console/inbox/state").get_json()["mine"]
    assert chat["messages"][-1]["text"] == "my kids are asleep so i can text"

    assert act(advocate, waiting["id"], "reply",
               text="You are not alone. Is it safe to text?").status_code == 200
    reply = fake_twilio.messages_sent()[-1]
    assert reply["Body"] == "Maria: You are not alone. Is it safe to text?"
    assert reply["To"] == SURVIVOR

    sids = [f"SMfake{n:026d}" for n in range(1, len(fake_twilio.messages_sent()) + 2)]
    assert act(advocate, waiting["id"], "close").status_code == 200
    closing = fake_twilio.messages_sent()[-1]
    assert "ended this chat" in closing["Body"]
    # Twilio's copies of every message the advocate's side sent are deleted too.
    assert fake_twilio.wait_for_deletes(len(sids)) == {
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json" for sid in sids}
    everything = stored(db_session)
    for words in ("kids are asleep", "not alone", waiting["id"]):
        assert words not in everything
    for words in ("kids are asleep", "not alone", SURVIVOR, SURVIVOR[2:]):
        assert words not in caplog.text
    # Back with Harbor: the next text is answered by the menu again.
    assert "1 Safe place to stay" in twiml_messages(signed_sms("menu", sender=SURVIVOR))[0]


def test_every_sms_reply_is_gsm7_and_fits_three_segments(signed_sms, advocate, fake_twilio):
    from bot.texts.sms_text import segment_info

    signed_sms("talk to someone", sender=SURVIVOR)
    signed_sms("yes", sender=SURVIVOR)
    [waiting] = advocate.get("/console/inbox/state").get_json()["queue"]
    act(advocate, waiting["id"], "claim")
    act(advocate, waiting["id"], "reply", text="“Quotes” — and an emoji 🙂 " + "x" * 500)
    body = fake_twilio.messages_sent()[-1]["Body"]
    info = segment_info(body)
    assert info.encoding == "GSM-7" and info.segments <= 3


def test_twilio_down_tells_the_advocate_and_keeps_the_message_unsent(
        signed_sms, advocate, fake_twilio):
    signed_sms("talk to someone", sender=SURVIVOR)
    signed_sms("yes", sender=SURVIVOR)
    [waiting] = advocate.get("/console/inbox/state").get_json()["queue"]
    act(advocate, waiting["id"], "claim")
    fake_twilio.fail_next = 1
    failed = act(advocate, waiting["id"], "reply", text="hello")
    assert failed.status_code == 409 and "could not be sent" in failed.get_json()["error"]
    [chat] = advocate.get("/console/inbox/state").get_json()["mine"]
    assert all(m["text"] != "hello" for m in chat["messages"])


def test_exit_by_sms_mid_hand_off_erases_it(signed_sms, advocate, fake_twilio, db_session):
    signed_sms("talk to someone", sender=SURVIVOR)
    signed_sms("yes", sender=SURVIVOR)
    [waiting] = advocate.get("/console/inbox/state").get_json()["queue"]
    act(advocate, waiting["id"], "claim")
    signed_sms("he reads my phone", sender=SURVIVOR)
    assert twiml_messages(signed_sms("EXIT", sender=SURVIVOR)) == ["OK. This chat is cleared."]
    assert act(advocate, waiting["id"], "reply", text="hi").status_code == 404
    assert "he reads my phone" not in stored(db_session)
    sent = len(fake_twilio.messages_sent())
    # What was texted to the person is deleted from Twilio's log too.
    assert len(fake_twilio.wait_for_deletes(sent)) == sent
    assert act(advocate, waiting["id"], "close").status_code == 404
    assert len(fake_twilio.messages_sent()) == sent  # nothing more goes to that number


def test_the_hand_off_sends_through_the_shared_client_at_twilio_api_url(app_config):
    client = twilio_rest.twilio_client(app_config)
    assert isinstance(client.http_client, twilio_rest.RebasedHttpClient)
    assert twilio_rest.twilio_client({"TWILIO_AUTH_TOKEN": "x"}) is None  # no account
    with pytest.raises(twilio_rest.TwilioRestError):
        twilio_rest.send_sms({"TWILIO_AUTH_TOKEN": "x"}, to="+15550100", from_="+15550199",
                             body="hello")
