"""Request bodies are read whole and within their path's size before any view sees them.

In process, through the WSGI middleware (bot.request_bodies) and Flask's own limit; the
time limit needs gevent's sockets and is tried against gunicorn in test_slow_clients.py.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from werkzeug.serving import make_server

from bot.request_bodies import (
    MAX_CONTENT_LENGTH,
    UPLOAD_MAX_BYTES,
    UPLOAD_PATH,
    body_limit,
)


@pytest.mark.parametrize(("path", "max_bytes"), [
    ("/sms", MAX_CONTENT_LENGTH), ("/chat/api/messages", MAX_CONTENT_LENGTH),
    ("/login", MAX_CONTENT_LENGTH), (UPLOAD_PATH, UPLOAD_MAX_BYTES),
    (UPLOAD_PATH + "/token/confirm", MAX_CONTENT_LENGTH),
])
def test_only_the_upload_may_send_a_large_body(path, max_bytes):
    assert body_limit(path, 10).max_bytes == max_bytes


def test_the_upload_gets_more_time_than_a_message():
    assert body_limit(UPLOAD_PATH, 10).seconds > body_limit("/sms", 10).seconds == 10


def test_flask_refuses_a_body_past_the_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH


def test_a_webhook_body_past_the_limit_is_a_413(client):
    body = "From=%2B15551230001&Body=" + "a" * MAX_CONTENT_LENGTH
    response = client.post("/sms", data=body, headers={"X-Twilio-Signature": "x"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_chat_body_past_the_limit_is_a_json_413(client):
    response = client.post("/chat/api/messages", data=b'{"text": "' + b"a" * MAX_CONTENT_LENGTH
                           + b'"}', content_type="application/json")
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_a_body_within_the_limit_reaches_the_view_whole(client):
    response = client.post("/chat/api/messages", json={"token": None, "text": "hi " * 400})
    assert response.status_code == 200
    assert response.get_json()["replies"]


def test_the_development_server_gets_its_answer_without_waiting(app):
    # Its input is the raw socket: reading one byte past Content-Length would wait forever.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        connection.request("POST", "/chat/api/messages", json.dumps({"token": None,
                                                                      "text": "hi"}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["replies"]
    finally:
        connection.close()
        server.shutdown()
        thread.join(timeout=5)
