"""A person when asked: the offer, consent, the advocate's inbox, and nothing left after.

Specifications of issue 19 driven through the real app (Flask test clients): a survivor on
the web chat's API, an advocate signed in to the console's inbox.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.conversations import handoffs, store
from bot.staff import accounts, duty
from resources_db.demo import load_demo_listings
from resources_db.models import Base, ConversationState, HandoffCount, utcnow

ADVOCATE = "maria@example.org"
SECRET_WORDS = "my sister's blue house on Elm street"  # what a survivor wrote


class Survivor:
    """One person on the web chat, through its JSON API."""

    def __init__(self, client):
        self.client = client
        self.token = None
        self.after = 0

    def say(self, words: str) -> dict:
        response = self.client.post("/chat/api/messages",
                                    json={"token": self.token, "text": words})
        assert response.status_code == 200, response.data
        body = response.get_json()
        self.token = body["token"] or None
        return body

    def updates(self) -> dict:
        body = self.client.post("/chat/api/updates",
                                json={"token": self.token, "after": self.after}).get_json()
        for message in body["messages"]:
            self.after = max(self.after, message["n"])
        return body


@pytest.fixture
def advocate(app, db_session):
    """An advocate on duty called Maria, signed in on a client of their own."""
    user = accounts.create_user(db_session, ADVOCATE, "test password 0123", "advocate")
    duty.set_roster(db_session, user, display_name="Maria", roster_hours="",
                    roster_timezone="America/Chicago", max_open_chats=2)
    duty.set_on_duty(db_session, user, True)
    db_session.commit()
    console = app.test_client()
    from bot.staff.auth import StaffUser

    with app.app_context():
        session_id = StaffUser.from_account(user).get_id()
    with console.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return console


def inbox(console) -> dict:
    response = console.get("/console/inbox/state")
    assert response.status_code == 200
    return response.get_json()


def act(console, handoff_id, action, **payload):
    return console.post(f"/console/inbox/{action}", json={"id": handoff_id, **payload},
                        headers={"Accept": "application/json"})


def everything_stored(db_session) -> str:
    """Every row of every table, as one text to search."""
    rows = []
    for table in Base.metadata.sorted_tables:
        for row in db_session.execute(select(table)):
            rows.append(json.dumps([str(value) for value in row]))
    return "\n".join(rows)


@pytest.fixture
def listings(db_session):
    load_demo_listings(db_session)
    db_session.commit()


def handed_off(survivor, console) -> str:
    """Ask for a person, say YES; return the hand-off's id as the advocate sees it."""
    survivor.say("I need legal help in 52404")
    offer = survivor.say("can I talk to a real person")["replies"][0]
    assert "Reply YES to connect" in offer
    connecting = survivor.say("YES")
    assert connecting["handoff"] is True
    [waiting] = inbox(console)["queue"]
    return waiting["id"]


# -- the offer ----------------------------------------------------------------------------

def test_nobody_on_duty_gets_the_hotline_and_no_offer(app, client):
    reply = Survivor(client).say("can I talk to a real person")["replies"][0]
    assert "No advocate can chat here right now" in reply and "1-800-799-7233" in reply
    assert "YES" not in reply
    assert app.extensions["harbor_conversations"].live_states(store.HANDOFF_PREFIX) == []


def test_the_offer_says_who_would_answer_the_wait_and_what_yes_would_share(
        client, advocate, listings):
    survivor = Survivor(client)
    survivor.say("I need legal help in 52404")
    offer = survivor.say("no quiero un robot")["replies"][0]
    assert "Maria" in offer and "min" in offer
    assert "Responda SÍ para conectar" in offer
    assert "ayuda legal" in offer and "52404" in offer


def test_without_yes_nothing_is_shared(client, advocate, listings, db_session):
    survivor = Survivor(client)
    survivor.say("can I talk to a real person")
    assert inbox(advocate)["queue"] == []
    declined = survivor.say("no")["replies"][0]
    assert declined.startswith("OK, nothing was shared.")
    assert inbox(advocate)["queue"] == []
    assert survivor.say("hello")["handoff"] is False


def test_a_long_wait_is_said_so_with_the_hotline(client, advocate, app, db_session):
    app.config["HANDOFF_LONG_WAIT_MINUTES"] = 1
    reply = Survivor(client).say("talk to someone")["replies"][0]
    assert "long now" in reply and "1-800-799-7233" in reply


def test_outside_roster_hours_nobody_is_offered(client, advocate, db_session):
    user = accounts.find_user(db_session, ADVOCATE)
    # A roster of one minute a week, a day away from now: outside it whatever the clock.
    day = (utcnow() + timedelta(days=3)).strftime("%a")
    duty.set_roster(db_session, user, display_name="Maria", roster_hours=f"{day} 03:00-03:01",
                    roster_timezone="UTC", max_open_chats=2)
    db_session.commit()
    reply = Survivor(client).say("talk to someone")["replies"][0]
    assert "No advocate can chat here right now" in reply


# -- the hand-off ---------------------------------------------------------------------------

def test_the_advocate_sees_only_what_was_agreed_and_the_messages_since_yes(
        client, advocate, listings):
    survivor = Survivor(client)
    survivor.say(f"I need legal help in 52404, {SECRET_WORDS}")
    survivor.say("can I talk to a real person")
    survivor.say("yes")
    [waiting] = inbox(advocate)["queue"]
    assert waiting["shared"] == {"need": "legal help", "place": "52404 (Cedar Rapids, IA)",
                                 "language": "English"}
    assert SECRET_WORDS not in json.dumps(inbox(advocate))
    assert act(advocate, waiting["id"], "claim").status_code == 200
    assert survivor.say("are you there?")["replies"] == []  # to the advocate, not Harbor
    [chat] = inbox(advocate)["mine"]
    said = [(m["from"], m["text"]) for m in chat["messages"]]
    assert said[0][0] == "harbor" and "Maria" in said[0][1]
    assert said[1:] == [("survivor", "are you there?")]


def test_replies_go_both_ways_and_the_survivor_is_told_who_joined(client, advocate, listings):
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    assert survivor.updates()["handoff"] == "waiting"
    act(advocate, handoff_id, "claim")
    joined = survivor.updates()
    assert joined["handoff"] == "connected"
    assert "Maria" in joined["messages"][0]["text"]
    assert act(advocate, handoff_id, "reply", text="Hi, I am here. Are you safe?"
               ).status_code == 200
    news = survivor.updates()["messages"]
    assert [(m["from"], m["text"]) for m in news] == [("advocate",
                                                       "Hi, I am here. Are you safe?")]
    assert survivor.updates()["messages"] == []  # nothing twice


def test_danger_during_a_hand_off_gets_911_first_and_the_advocate_sees_it(
        client, advocate, listings):
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    act(advocate, handoff_id, "claim")
    reply = survivor.say("he is here and he has a gun")["replies"][0]
    assert reply.startswith("Call 911") or "911" in reply.split("\n")[0]
    assert "Your advocate sees this message too." in reply
    [chat] = inbox(advocate)["mine"]
    assert chat["messages"][-1]["safety"] == "danger"
    assert survivor.say("ok")["handoff"] is True  # the hand-off goes on


def test_an_advocate_holds_no_more_chats_than_their_limit(app, advocate, listings,
                                                         db_session):
    ids = []
    for _ in range(3):
        ids.append(handed_off(Survivor(app.test_client()), advocate)
                   if not ids else None)
        if ids[-1] is None:
            survivor = Survivor(app.test_client())
            survivor.say("talk to someone")
            survivor.say("yes")
            ids[-1] = [q["id"] for q in inbox(advocate)["queue"]][-1]
    assert act(advocate, ids[0], "claim").status_code == 200
    assert act(advocate, ids[1], "claim").status_code == 200
    refused = act(advocate, ids[2], "claim")
    assert refused.status_code == 409 and "most they take" in refused.get_json()["error"]


def test_an_advocate_off_duty_cannot_claim(client, advocate, listings):
    handoff_id = handed_off(Survivor(client), advocate)
    advocate.post("/console/inbox/duty", json={"on_duty": False},
                  headers={"Accept": "application/json"})
    assert inbox(advocate)["duty"]["answering"] is False
    assert act(advocate, handoff_id, "claim").status_code == 409


def test_transfer_to_the_queue_and_to_a_colleague(app, client, advocate, listings,
                                                  db_session):
    colleague = accounts.create_user(db_session, "ana@example.org", "test password 0123",
                                     "advocate")
    duty.set_roster(db_session, colleague, display_name="Ana", roster_hours="",
                    roster_timezone="UTC", max_open_chats=3)
    duty.set_on_duty(db_session, colleague, True)
    db_session.commit()
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    act(advocate, handoff_id, "claim")
    assert act(advocate, handoff_id, "transfer", to="queue").status_code == 200
    assert [q["id"] for q in inbox(advocate)["queue"]] == [handoff_id]
    act(advocate, handoff_id, "claim")
    assert act(advocate, handoff_id, "transfer", to=str(colleague.id)).status_code == 200
    assert inbox(advocate)["mine"] == []
    texts = [m["text"] for m in survivor.updates()["messages"]]
    assert any("Now Ana, an advocate with Harbor will write to you here." in line for line in texts)


# -- kept only while it lasts ---------------------------------------------------------------

def test_closing_erases_the_thread_at_once_and_the_survivor_is_told(
        client, advocate, listings, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    act(advocate, handoff_id, "claim")
    survivor.say(SECRET_WORDS)
    act(advocate, handoff_id, "reply", text="Thank you for telling me about Elm street")
    assert act(advocate, handoff_id, "close").status_code == 200
    assert inbox(advocate)["mine"] == [] and inbox(advocate)["queue"] == []
    closed = survivor.updates()
    assert closed["handoff"] == "closed"
    assert "ended this chat" in closed["messages"][0]["text"]
    assert survivor.updates()["handoff"] == "none"
    stored = everything_stored(db_session)
    for words in (SECRET_WORDS, "Elm street", handoff_id):
        assert words not in stored
        assert words not in caplog.text
    # The conversation goes on at the menu, with Harbor again.
    assert "1 Safe place to stay" in survivor.say("menu")["replies"][0]


def test_exit_mid_hand_off_erases_it_and_the_advocate_sees_the_person_left(
        app, client, advocate, listings, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    act(advocate, handoff_id, "claim")
    survivor.say(SECRET_WORDS)
    token = survivor.token
    assert survivor.say("EXIT")["cleared"] is True
    left = act(advocate, handoff_id, "reply", text="hello?")
    assert left.status_code == 404 and left.get_json()["left"] is True
    assert "The person left" in left.get_json()["error"]
    assert inbox(advocate)["mine"] == []
    assert db_session.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert app.extensions["harbor_conversations"].counts().states == 0  # the store itself
    assert SECRET_WORDS not in everything_stored(db_session)
    assert SECRET_WORDS not in caplog.text
    assert client.post("/chat/api/updates", json={"token": token, "after": 0}
                       ).get_json() == {"handoff": "none", "messages": []}


def test_a_hand_off_expires_with_its_conversation(app, client, advocate, listings,
                                                  db_session, monkeypatch):
    survivor = Survivor(client)
    handed_off(survivor, advocate)
    conversations = app.extensions["harbor_conversations"]
    with app.app_context():  # the app's store
        assert len(handoffs.all_open(db_session, utcnow())) == 1
        later = utcnow() + timedelta(minutes=31)
        monkeypatch.setattr("bot.conversations.sql_store.utcnow", lambda: later)
        assert handoffs.all_open(db_session, later) == []
    assert conversations.purge_expired()["conversation_state"] == 2  # state and hand-off
    assert conversations.counts().states == 0


def test_only_counts_remain_in_coarse_bands(client, advocate, listings, db_session):
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    act(advocate, handoff_id, "claim")
    act(advocate, handoff_id, "close")
    rows = db_session.execute(select(HandoffCount.channel, HandoffCount.event,
                                     HandoffCount.bucket, HandoffCount.count)
                              .order_by(HandoffCount.event)).all()
    assert rows == [("chat", "claimed", "under 2 min", 1), ("chat", "ended", "under 10 min", 1),
                    ("chat", "started", "", 1)]
    columns = {column.name for column in HandoffCount.__table__.columns}
    assert columns == {"week", "channel", "event", "bucket", "count"}


def test_the_insights_table_rounds_hand_off_counts_like_the_others(client, advocate, listings,
                                                             db_session):
    from resources_db import insights_queries as queries

    handed_off(Survivor(client), advocate)
    period = queries.InsightsPeriod.last_weeks(4, utcnow().date())
    # One hand-off: a count of 1 rounds to 0 or 5; a row that rounds to 0 is not listed.
    table = queries.handoffs(db_session, period, b"test key")
    assert all(row.count.value == 5 for row in table.rows)
    assert all(row.count.value % 5 == 0 for row in table.rows)


# -- duty ----------------------------------------------------------------------------------

def test_harbor_duty_on_and_off(runner, db_session):
    accounts.create_user(db_session, "lee@example.org", "test password 0123", "advocate")
    db_session.commit()
    on = runner.invoke(args=["duty", "on", "lee@example.org"])
    assert on.exit_code == 0 and "lee@example.org is on duty" in on.output
    listed = runner.invoke(args=["duty", "list"])
    assert "lee@example.org\ton\tanswering" in listed.output
    off = runner.invoke(args=["duty", "off", "LEE@example.org"])
    assert off.exit_code == 0 and "off duty" in off.output
    assert runner.invoke(args=["duty", "on", "nobody@example.org"]).exit_code != 0


def test_the_console_switch_and_roster(advocate):
    saved = advocate.post("/console/inbox/roster", json={
        "display_name": "Maria", "roster_hours": "Mon-Fri 09:00-17:00",
        "roster_timezone": "America/Chicago", "max_open_chats": 4},
        headers={"Accept": "application/json"})
    assert saved.status_code == 200
    assert inbox(advocate)["duty"]["max_open_chats"] == 4
    bad = advocate.post("/console/inbox/roster", json={
        "display_name": "Maria", "roster_hours": "sometimes", "roster_timezone": "UTC",
        "max_open_chats": 4}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "Roster hours" in bad.get_json()["error"]
    page = advocate.get("/console/inbox")
    assert page.status_code == 200 and b"Go off duty" in page.data


def test_the_inbox_is_for_staff_only(client):
    assert client.get("/console/inbox/state").status_code in (302, 401, 403)


def test_nothing_links_a_hand_off_to_the_token_in_clear(client, advocate, listings,
                                                        db_session):
    survivor = Survivor(client)
    handed_off(survivor, advocate)
    assert survivor.token not in everything_stored(db_session)
    assert survivor.token not in json.dumps(inbox(advocate))
    raw = db_session.execute(text("select key from conversation_state")).scalars().all()
    assert all(not key.endswith(survivor.token) for key in raw)


def test_the_inbox_works_without_javascript(client, advocate, listings):
    survivor = Survivor(client)
    handoff_id = handed_off(survivor, advocate)
    page = advocate.get("/console/inbox").get_data(as_text=True)
    assert "Needs: legal help" in page and f'value="{handoff_id}"' in page
    claimed = advocate.post("/console/inbox/claim", data={"id": handoff_id})
    assert claimed.status_code == 302 and claimed.headers["Location"].endswith("/console/inbox")
    advocate.post("/console/inbox/reply", data={"id": handoff_id, "text": "Hello <b>there</b>"})
    page = advocate.get("/console/inbox").get_data(as_text=True)
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in page  # escaped, never markup
    assert "Close chat" in page
    closed = advocate.post("/console/inbox/close", data={"id": handoff_id})
    assert closed.status_code == 302
    assert "No chat open." in advocate.get("/console/inbox").get_data(as_text=True)


def test_a_message_after_the_hand_off_vanished_is_answered_by_harbor(app, client, advocate,
                                                                      listings):
    survivor = Survivor(client)
    handed_off(survivor, advocate)
    key = store.conversation_key("test-hash-key", "chat", survivor.token)
    # As if closed a moment before.
    app.extensions["harbor_conversations"].erase(store.handoff_key(key))
    answer = survivor.say("menu")
    assert answer["handoff"] is False and "1 Safe place to stay" in answer["replies"][0]


def test_two_advocates_claiming_one_chat_at_once_get_it_once(app, client, advocate, listings,
                                                             db_session):
    import threading

    from bot.staff.auth import StaffUser

    colleague = accounts.create_user(db_session, "ana@example.org", "test password 0123",
                                     "advocate")
    duty.set_on_duty(db_session, colleague, True)
    db_session.commit()
    other = app.test_client()
    with app.app_context():
        session_id = StaffUser.from_account(colleague).get_id()
    with other.session_transaction() as session:
        session["_user_id"] = session_id
    handoff_id = handed_off(Survivor(client), advocate)
    statuses = []
    start = threading.Barrier(2)

    def claim(console):
        start.wait()
        statuses.append(act(console, handoff_id, "claim").status_code)

    threads = [threading.Thread(target=claim, args=(console,)) for console in (advocate, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 409]
    with app.app_context():
        holders = [h.advocate_id for h in handoffs.all_open(db_session, utcnow())]
    assert len(holders) == 1 and holders[0] is not None
