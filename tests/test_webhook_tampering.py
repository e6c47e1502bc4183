"""Tampered webhooks and unsafe start-ups against gunicorn as the Procfile starts it.

- A Twilio signature covers the form's names and values joined without separators, so
  a captured request can be re-cut under the same signature: NumMedia dropped and
  "NumMedia0" glued onto MessageSid. That request was accepted, bypassed the retry cache
  and advanced the conversation. Now Twilio's fields must have their real shape
  (bot.channels.sms.twilio_field_problem): 400, and nothing stored.
- Production with PUBLIC_BASE_URL unset started silently and checked signatures against
  the Host header the client chose. Now it refuses to start and names the setting, and
  HARBOR_ENV must be development, test or production.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest
from gunicorn_harbor import TWILIO_TOKEN, HarborClient, harbor_environment, serve_harbor
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot.benchmarks.gunicorn_server import free_port, gunicorn_settings, serve_with_gunicorn
from resources_db.database import make_engine, scratch_database
from resources_db.models import ConversationState, ProcessedMessage, UsageCount

pytestmark = pytest.mark.slow

SENDER = "+15553330001"


@pytest.fixture(scope="module")
def database(postgres_url):
    with scratch_database(postgres_url, prefix="harbor_tamper") as url:
        yield url


@pytest.fixture(scope="module")
def harbor(database, redis_url):
    with serve_harbor(database, workers=2, redis_url=redis_url) as server:
        yield server


def post_form(port: int, fields: dict, signature: str, host: str | None = None):
    """POST /sms with exactly these fields and this signature; return (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": signature}
    if host:
        headers["Host"] = host
    try:
        connection.request("POST", "/sms", urllib.parse.urlencode(fields), headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def stored_rows(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sum(connection.scalar(select(func.count()).select_from(model))
                       for model in (ConversationState, ProcessedMessage, UsageCount))
    finally:
        engine.dispose()


def test_a_recut_signed_request_advances_nothing_and_the_original_still_works(
        harbor, database):
    url = harbor.base_url + "/sms"
    original = inbound_fields(SENDER, "I need a safe place to stay", "tamper-1")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, original)
    recut = {name: value for name, value in original.items() if name != "NumMedia"}
    recut["MessageSid"] += "NumMedia0"
    assert RequestValidator(TWILIO_TOKEN).validate(url, recut, signature)  # same signature

    status, body = post_form(harbor.port, recut, signature)
    assert status == 400 and "MessageSid" in body

    status, body = post_form(harbor.port, original, signature)
    assert status == 200 and "<Message>" in body
    # The original advanced the conversation (the need is kept): the next text, a ZIP,
    # finds places. Conversations live in the store, not the database, since issue 15.
    follow_up = inbound_fields(SENDER, "52404", "tamper-2")
    status, body = post_form(harbor.port, follow_up,
                             RequestValidator(TWILIO_TOKEN).compute_signature(url, follow_up))
    assert status == 200 and "safe place to stay near 52404" in body


def test_a_signature_for_a_spoofed_host_is_refused(harbor):
    fields = inbound_fields("+15553330002", "hi", "tamper-host")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        "http://attacker.example/sms", fields)
    status, _ = post_form(harbor.port, fields, signature, host="attacker.example")
    assert status == 403
    assert HarborClient(harbor.port).sms("+15553330002", "hi", "tamper-host-2").valid


@pytest.mark.parametrize(("change", "named"), [
    ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"HARBOR_ENV": "prod"}, "HARBOR_ENV must be one of"),
])
def test_an_unsafe_production_does_not_start_and_says_why(database, redis_url, change, named):
    port = free_port()
    environment = {**harbor_environment(database, port), "RATELIMIT_STORAGE_URI": redis_url,
                   **change}
    with pytest.raises(RuntimeError, match="gunicorn exited") as refused:
        with serve_with_gunicorn("bot:create_app()", environment, port=port,
                                 settings=gunicorn_settings(1), startup_seconds=180):
            pass
    assert named in str(refused.value)
