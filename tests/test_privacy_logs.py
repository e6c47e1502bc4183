"""No log line ever holds the sender's number or what they wrote.

A whole SMS conversation (and a chat one) runs through a real werkzeug server, so its
access log is produced as in `harbor run`, with every logger at DEBUG (SQLAlchemy's
statement log included) and a failure forced on the way. Everything logged is then
searched for the number in any spelling and for every message body.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.parse

import pytest
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields
from werkzeug.serving import make_server

from resources_db.demo import load_demo_listings

TOKEN = "test-twilio-token"
SENDER = "+15551234321"
SENDER_SPELLINGS = [SENDER, "15551234321", "5551234321", "555-123-4321", "(555) 123-4321"]
SMS_BODIES = [
    "hello there, is anyone reading this",
    "I need a safe place to stay tonight please",
    "my zip code is 52404",
    "more options please",
    "he is outside my window with a knife",
    "I want to know if this is confidential",
    "purple giraffe marmalade nonsense",
    "EXIT",
]
CHAT_BODIES = ["I need a lawyer for custody in 40202", "tell me more please", "exit now"]


@pytest.fixture
def served_app(app, db_session):
    load_demo_listings(db_session)
    db_session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)


def post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_no_number_and_no_body_in_any_log(served_app, caplog, monkeypatch):
    port = served_app
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "sqlalchemy.engine", "harbor", "twilio"):
        caplog.set_level(logging.DEBUG, logger=name)

    url = f"http://127.0.0.1:{port}/sms"
    validator = RequestValidator(TOKEN)

    def send_sms(body: str, number: int) -> int:
        params = inbound_fields(SENDER, body, f"log-{number}")
        status, _ = post(port, "/sms", urllib.parse.urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
        })
        return status

    for number, body in enumerate(SMS_BODIES):
        assert send_sms(body, number) == 200
    assert send_sms(SMS_BODIES[1], 1) == 200  # a retry
    # A forged request and a failing turn must not log the body or the number either.
    forged = urllib.parse.urlencode({"From": SENDER, "Body": SMS_BODIES[0]}).encode()
    assert post(port, "/sms", forged, {"Content-Type": "application/x-www-form-urlencoded",
                                       "X-Twilio-Signature": "forged"})[0] == 403
    import bot.channels.sms

    def failing(*args, **kwargs):
        raise RuntimeError(f"failed on {kwargs.get('text')} from {kwargs.get('key_material')}")

    monkeypatch.setattr(bot.channels.sms, "run_turn", failing)
    assert send_sms(SMS_BODIES[2], 99) == 200
    monkeypatch.undo()

    token = None
    for body in CHAT_BODIES:
        status, answer = post(port, "/chat/api/messages",
                              json.dumps({"token": token, "text": body}).encode(),
                              {"Content-Type": "application/json"})
        assert status == 200
        token = json.loads(answer)["token"] or token

    logged = "\n".join(
        f"{record.name} {record.levelname} {record.getMessage()}" for record in caplog.records)
    # The run did log: requests (werkzeug) and SQL statements (sqlalchemy) are there.
    assert "POST /sms" in logged and "/chat/api/messages" in logged
    assert "SELECT" in logged
    for spelling in SENDER_SPELLINGS:
        assert spelling not in logged, spelling
    for body in SMS_BODIES + CHAT_BODIES:
        if len(body) > 4:
            assert body not in logged, body
    assert token not in logged
