"""Harbor under a real gunicorn, and a client that talks to it the way Twilio and the chat page do.

Used by the end-to-end tests (concurrency, database faults). The client opens a fresh
loopback connection per request, signs SMS webhooks exactly as Twilio does, and hands
back what came over the wire: the status, the parsed TwiML messages or chat JSON, and
the time the answer took. Parsing failures are reported as answers that are not `valid`,
never raised, so a test running many threads can collect them all and fail once.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field

from ci_policy import redis_url_for_tests
from twilio.request_validator import RequestValidator
from twilio_fields import inbound_fields

from bot.benchmarks.gunicorn_server import free_port, gunicorn_settings, serve_with_gunicorn

TWILIO_TOKEN = "gunicorn-test-twilio-token"  # noqa: S105 - a throwaway token for loopback tests
HASH_KEY = "gunicorn-test-hash-key"
HARBOR_NUMBER = "+15550100000"
EXIT_REPLY = "OK. This chat is cleared."
HOTLINE = "1-800-799-7233"


def harbor_environment(database_url: str, port: int) -> dict[str, str]:
    """Return the environment of a production-like Harbor on `database_url` at `port`."""
    return {
        "DATABASE_URL": database_url,
        "HARBOR_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "HASH_KEY": HASH_KEY,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Production refuses the per-worker memory:// store: the tests' Redis.
        "RATELIMIT_STORAGE_URI": redis_url_for_tests(),
        "EXIT_REPLY": EXIT_REPLY,
        # These tests are one client address sending hundreds of messages a minute on
        # purpose: the abuse limits would refuse them, and they are not what is tested.
        "RATELIMIT_PER_CONVERSATION": "100000 per minute",
        "RATELIMIT_PER_ADDRESS": "1000000 per minute",
        "LOG_LEVEL": "WARNING",
        # Staff attacks sign in with a password only; two-factor has its own tests
        # (tests/test_partner_network.py), so production's requirement is off here.
        "ADMIN_TWO_FACTOR_REQUIRED": "0",
    }


@contextmanager
def serve_harbor(database_url: str, *, workers: int, threads: int | None = None,
                 log_level: str = "warning", redis_url: str | None = None,
                 environment: dict[str, str] | None = None, store_url: str | None = None,
                 extra: dict[str, str] | None = None, startup_seconds: float = 180.0):
    """Run `bot:create_app()` under gunicorn as the Procfile does; yield the GunicornServer.

    `redis_url` is the shared rate-limit store production requires (default: the tests'
    HARBOR_TEST_REDIS_URL); `store_url` is CONVERSATION_STORE_URL (default: a SQLite file
    of this host's own, in its temporary instance folder); `environment` and `extra` add
    or override variables. `threads` is ignored: gunicorn.conf.py sets the worker model.
    Every worker warms its matcher up before answering: on a busy shared machine 4
    workers take more than a minute, so the start-up wait is generous.
    """
    del threads
    port = free_port()
    settings = gunicorn_settings(workers)
    with tempfile.TemporaryDirectory(prefix="harbor-host-") as host:
        # The workers share one folder of owed erasures, as on a real machine.
        environment = {**harbor_environment(database_url, port),
                       "RATELIMIT_STORAGE_URI": redis_url or redis_url_for_tests(),
                       "PENDING_ERASURES_DIR": f"{host}/pending-erasures",
                       "CONVERSATION_STORE_URL": store_url
                       or f"sqlite:///{host}/conversations.sqlite3",
                       **(environment or {}), **(extra or {})}
        with serve_with_gunicorn("bot:create_app()", environment, settings=settings,
                                 port=port, log_level=log_level,
                                 startup_seconds=startup_seconds) as server:
            yield server


@dataclass(frozen=True)
class SmsAnswer:
    """What the webhook answered: status, content type, the <Message> texts, the time."""

    status: int
    content_type: str
    messages: list[str]
    valid: bool  # 200 and a TwiML <Response> document
    seconds: float
    raw: str = ""


@dataclass(frozen=True)
class ChatAnswer:
    """What the chat API answered: status, the JSON body (empty when invalid), the time."""

    status: int
    body: dict = field(default_factory=dict)
    valid: bool = False  # 200 and JSON with token, replies, cleared
    seconds: float = 0.0
    raw: str = ""

    @property
    def replies(self) -> list[str]:
        """Return the replies, or [] when the answer was not valid."""
        return list(self.body.get("replies") or [])


class HarborClient:
    """Send SMS webhooks, chat messages and health checks to one gunicorn over HTTP."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self.base_url = f"http://127.0.0.1:{port}"
        self._validator = RequestValidator(TWILIO_TOKEN)

    def _request(self, method: str, path: str, body: bytes | None,
                 headers: dict[str, str]) -> tuple[int, str, str, float]:
        # A fresh connection per request: a keep-alive socket the server closed while a
        # thread was busy checking the database would otherwise fail a request that was
        # never sent, and a POST must not be blindly resent.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return (response.status, response.getheader("Content-Type", ""), text,
                    time.perf_counter() - started)
        finally:
            connection.close()

    def sms(self, sender: str, body: str, message_sid: str) -> SmsAnswer:
        """Deliver one inbound SMS as Twilio does (form-encoded, signed)."""
        params = inbound_fields(sender, body, message_sid, To=HARBOR_NUMBER)
        signature = self._validator.compute_signature(self.base_url + "/sms", params)
        status, content_type, text, seconds = self._request(
            "POST", "/sms", urllib.parse.urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded",
             "X-Twilio-Signature": signature})
        try:
            root = ET.fromstring(text)  # noqa: S314 - our own server's answer
        except ET.ParseError:
            root = None
        valid = status == 200 and root is not None and root.tag == "Response"
        messages = [m.text or "" for m in root.iter("Message")] if root is not None else []
        return SmsAnswer(status, content_type, messages, valid, seconds, text)

    def chat(self, token: str | None, text: str) -> ChatAnswer:
        """Send one web-chat message as the chat page does."""
        status, _content_type, raw, seconds = self._request(
            "POST", "/chat/api/messages", json.dumps({"token": token, "text": text}).encode(),
            {"Content-Type": "application/json"})
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        valid = (status == 200 and isinstance(body, dict)
                 and isinstance(body.get("token"), str)
                 and isinstance(body.get("replies"), list)
                 and isinstance(body.get("cleared"), bool))
        return ChatAnswer(status, body if valid else {}, valid, seconds, raw)

    def healthz(self) -> tuple[int, dict]:
        """Return the status and JSON body of GET /healthz."""
        status, _content_type, raw, _seconds = self._request("GET", "/healthz", None, {})
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {}
