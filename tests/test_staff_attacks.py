"""Attacks on staff sign-in against gunicorn as the Procfile starts it, on PostgreSQL and Redis.

- 40 wrong passwords spread over 4 worker processes: with the per-process memory://
  store each worker counted its own 10, and 26 were accepted. Production now requires a
  shared store (bot.config); here it is Redis, and exactly LOGIN_RATELIMIT (10) attempts
  a minute reach the password check. The store's keys hold no client address.
- A copied staff cookie: it used to outlive logout by 8 hours. Logout, and a password
  change, now end every copy (the account's session version, bot.staff.auth).

Each request opens a fresh connection, so gunicorn spreads them over its workers.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from dataclasses import dataclass

import pytest
import redis
from gunicorn_harbor import serve_harbor

from bot.config import SETTINGS
from bot.staff import accounts
from resources_db.database import make_engine, make_session_factory, scratch_database

pytestmark = pytest.mark.slow

WORKERS = 4
ATTEMPTS = 40
LOGIN_LIMIT = int(SETTINGS["LOGIN_RATELIMIT"][0].split()[0])  # the default: 10 per minute
EMAIL = "advocate@example.org"
PASSWORD = "a long and correct passphrase"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    status: int
    location: str
    cookie: str  # the session cookie this answer set, or ""
    body: str

    def csrf_token(self) -> str:
        match = CSRF_FIELD.search(self.body)
        assert match, self.body[:500]
        return match[1]


class Browser:
    """A staff member's browser, one fresh connection per request, cookies by hand.

    By hand, because production cookies are Secure and these requests are plain http
    on loopback; a copied cookie is then just a string given to a second Browser.
    """

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict | None = None) -> Page:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            set_cookie = response.getheader("Set-Cookie", "")
            page = Page(response.status, response.getheader("Location", ""),
                        set_cookie.split(";", 1)[0] if set_cookie.startswith("session=")
                        else "", response.read().decode("utf-8", "replace"))
        finally:
            connection.close()
        if page.cookie:
            self.cookie = page.cookie
        return page

    def sign_in(self, password: str = PASSWORD) -> Page:
        token = self.request("GET", "/login").csrf_token()
        return self.request("POST", "/login", {"csrf_token": token, "email": EMAIL,
                                               "password": password})


@pytest.fixture(scope="module")
def harbor(postgres_url, redis_url):
    """Harbor under gunicorn with 4 workers, one staff account, a clean limit store."""
    store = redis.Redis.from_url(redis_url)
    store.flushdb()  # this test session's own Redis database (HARBOR_TEST_REDIS_URL)
    with scratch_database(postgres_url, prefix="harbor_staff") as url:
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            accounts.create_user(session, EMAIL, PASSWORD, "advocate")
            session.commit()
        engine.dispose()
        with serve_harbor(url, workers=WORKERS, redis_url=redis_url) as server:
            yield server
    store.close()


def test_wrong_passwords_are_limited_across_every_worker_and_keys_hold_no_address(
        harbor, redis_url):
    attacker = Browser(harbor.port)
    token = attacker.request("GET", "/login").csrf_token()
    statuses = [attacker.request("POST", "/login", {"csrf_token": token, "email": EMAIL,
                                                    "password": f"guess {n}"}).status
                for n in range(ATTEMPTS)]
    assert statuses.count(401) == LOGIN_LIMIT, statuses
    assert statuses.count(429) == ATTEMPTS - LOGIN_LIMIT, statuses
    assert statuses[:LOGIN_LIMIT] == [401] * LOGIN_LIMIT

    store = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in store.scan_iter()]
    store.close()
    assert any("auth.login" in key for key in keys), keys
    assert not [key for key in keys if "127.0.0.1" in key or "localhost" in key], keys


def forget_sign_in_attempts(redis_url: str) -> None:
    """Empty the limit store: the sign-in limit is not what the session tests try."""
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    store.close()


def test_sign_out_ends_every_copy_of_the_staff_cookie(harbor, redis_url):
    forget_sign_in_attempts(redis_url)
    staff = Browser(harbor.port)
    assert staff.sign_in().status == 302
    copy = Browser(harbor.port, cookie=staff.cookie)
    assert copy.request("GET", "/console").status == 200

    token = staff.request("GET", "/console").csrf_token()
    assert staff.request("POST", "/logout", {"csrf_token": token}).status == 302
    refused = copy.request("GET", "/console")
    assert refused.status == 302 and refused.location.startswith("/login")


def test_a_password_change_ends_the_other_copies(harbor, redis_url):
    forget_sign_in_attempts(redis_url)
    staff = Browser(harbor.port)
    assert staff.sign_in().status == 302
    copy = Browser(harbor.port, cookie=staff.cookie)
    token = staff.request("GET", "/account/password").csrf_token()
    changed = staff.request("POST", "/account/password", {
        "csrf_token": token, "current_password": PASSWORD,
        "new_password": "another long passphrase", "confirm_password": "another long passphrase"})
    assert changed.status == 302, changed.body[:500]
    assert staff.request("GET", "/console").status == 200  # this session goes on
    refused = copy.request("GET", "/console")
    assert refused.status == 302 and refused.location.startswith("/login")
