"""Hostile and broken requests against a real gunicorn on PostgreSQL: 400, never 500.

The attacks of the security review, as it ran them: a sign-in whose `next` holds CR LF,
NUL bytes in form fields and query arguments (PostgreSQL refuses text with NUL), a page
number no SQL OFFSET can hold, and a client that starts a chunked upload and drops it.
Each must be answered 400 with one plain sentence, and the log must show no traceback;
the dropped body is one warning line. Production responses carry HSTS.
"""

from __future__ import annotations

import re
import socket
import time

import pytest
import requests
from gunicorn_harbor import HarborClient, serve_harbor
from sqlalchemy import delete

from bot.request_guards import BAD_PAGE, CONTROL_IN_ADDRESS, NUL_IN_FORM
from bot.security_headers import STRICT_TRANSPORT_SECURITY
from bot.staff import accounts
from resources_db.database import make_engine, make_session_factory
from resources_db.models import User

pytestmark = [pytest.mark.db, pytest.mark.postgres, pytest.mark.slow]

ADMIN_EMAIL = "hostile-requests-admin@example.org"
ADMIN_PASSWORD = "hostile requests 0123"  # noqa: S105 - a throwaway account
CSRF_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class StaffBrowser:
    """A browser that keeps the session cookie even over http (production marks it Secure)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookie = ""

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        response = requests.request(method, self.base_url + path, headers=headers,
                                    allow_redirects=False, timeout=20, **kwargs)
        if "session" in response.cookies:
            self.cookie = response.cookies["session"]
        return response

    def csrf_token(self, path: str = "/login") -> str:
        match = CSRF_FIELD.search(self.request("GET", path).text)
        assert match, f"{path} has no CSRF token"
        return next(group for group in match.groups() if group)

    def sign_in(self, next_url: str | None = None) -> requests.Response:
        token = self.csrf_token()
        path = "/login" if next_url is None else f"/login?next={next_url}"
        return self.request("POST", path, data={"csrf_token": token, "email": ADMIN_EMAIL,
                                                "password": ADMIN_PASSWORD})


@pytest.fixture(scope="module")
def server(postgres_url):
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        accounts.create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
        session.commit()
    try:
        with serve_harbor(postgres_url, workers=1, threads=4) as running:
            yield running
    finally:
        with sessions() as session:
            session.execute(delete(User).where(User.email == ADMIN_EMAIL))
            session.commit()
        engine.dispose()


@pytest.fixture(scope="module")
def admin(server) -> StaffBrowser:
    # Signed in once: sign-ins are rate limited (10 a minute), and the attacks are not that.
    browser = StaffBrowser(server.base_url)
    assert browser.sign_in().status_code == 302
    return browser


@pytest.fixture
def log_since(server):
    """Return a function that gives what the server logged since the test began."""
    start = len(server.log())

    def new_lines(settle_seconds: float = 0.3) -> str:
        time.sleep(settle_seconds)
        return server.log()[start:]

    return new_lines


def assert_plain_400(response: requests.Response, message: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.strip() == message


def assert_no_traceback(log: str) -> None:
    assert "Traceback" not in log, log[-3000:]
    assert "Exception on" not in log, log[-3000:]


def test_sign_in_page_with_crlf_in_next_is_400(server, log_since):
    response = requests.get(server.base_url + "/login?next=/%0d%0a", timeout=20)
    assert_plain_400(response, CONTROL_IN_ADDRESS)
    assert_no_traceback(log_since())


def test_signing_in_with_crlf_in_next_is_400_not_a_broken_redirect(server, log_since):
    response = StaffBrowser(server.base_url).sign_in(next_url="/%0d%0aSet-Cookie:%20x=1")
    assert_plain_400(response, CONTROL_IN_ADDRESS)
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    assert_no_traceback(log_since())


def test_a_crlf_next_in_the_form_body_is_ignored_not_followed(server, log_since):
    browser = StaffBrowser(server.base_url)
    token = browser.csrf_token()
    response = browser.request("POST", "/login", data={
        "csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
        "next": "/admin\r\nSet-Cookie: x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin"
    assert_no_traceback(log_since())


@pytest.mark.parametrize("field", ["email", "password"])
def test_nul_in_a_sign_in_field_is_400_on_postgresql(server, log_since, field):
    browser = StaffBrowser(server.base_url)
    data = {"csrf_token": browser.csrf_token(), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    data[field] = data[field][:4] + "\x00" + data[field][4:]
    assert_plain_400(browser.request("POST", "/login", data=data), NUL_IN_FORM)
    assert_no_traceback(log_since())


@pytest.mark.parametrize("path", ["/admin?q=a%00b", "/admin/audit?actor=%00",
                                  "/admin/listings/a%00b", "/admin/insights?period=%00"])
def test_nul_in_a_query_or_path_is_400_on_postgresql(admin, log_since, path):
    assert_plain_400(admin.request("GET", path), CONTROL_IN_ADDRESS)
    assert_no_traceback(log_since())


def test_nul_in_an_admin_form_is_400_on_postgresql(admin, log_since):
    token = admin.csrf_token("/admin/users")
    response = admin.request("POST", "/admin/users", data={
        "csrf_token": token, "email": "new\x00@example.org", "role": "advocate"})
    assert_plain_400(response, NUL_IN_FORM)
    assert_no_traceback(log_since())


@pytest.mark.parametrize("path", ["/admin", "/admin/audit"])
@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "0", "2.5", "١"])
def test_a_page_no_table_has_is_400(admin, log_since, path, page):
    assert_plain_400(admin.request("GET", f"{path}?page={page}"), BAD_PAGE)
    assert_no_traceback(log_since())


@pytest.mark.parametrize("path", ["/admin", "/admin/audit"])
def test_real_pages_still_answer(admin, path):
    assert admin.request("GET", f"{path}?page=1").status_code == 200
    assert admin.request("GET", f"{path}?page=3").status_code == 200


def drop_a_chunked_body(port: int, path: str, headers: str, first_chunk: bytes) -> None:
    """Start a chunked POST, send part of one chunk, then hang up."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                f"{headers}\r\n")
        connection.sendall(head.encode() + b"%x\r\n" % (len(first_chunk) + 40) + first_chunk)
        time.sleep(0.3)
    # the with block closed the socket mid-chunk


@pytest.mark.parametrize(("path", "content_type", "first_chunk"), [
    ("/admin/upload", "multipart/form-data; boundary=XYZ",
     b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="l.csv"\r\n\r\nid,na'),
    ("/chat/api/messages", "application/json", b'{"token": null, "te'),
    # With a signature header, so the webhook reads the body to check it.
    ("/sms", "application/x-www-form-urlencoded\r\nX-Twilio-Signature: c2lnbmF0dXJl",
     b"From=%2B1555&Body=hel"),
])
def test_a_dropped_chunked_post_is_a_warning_line_not_a_traceback(
        server, admin, log_since, path, content_type, first_chunk):
    headers = f"Content-Type: {content_type}\r\nCookie: session={admin.cookie}\r\n"
    drop_a_chunked_body(server.port, path, headers, first_chunk)
    log = log_since(settle_seconds=1.5)
    assert_no_traceback(log)
    warnings = [line for line in log.splitlines() if "ended early" in line]
    assert len(warnings) == 1, log[-2000:]
    assert "WARNING" in warnings[0] and path in warnings[0]
    # The worker thread is free again: the next survivor is answered.
    assert HarborClient(server.port).chat(None, "hi").valid


def test_a_body_that_ends_early_gets_400_when_the_client_is_still_there(server, log_since):
    # Content-Length promises more than arrives, and the client half-closes: the answer
    # still comes back, a 400, instead of a 500.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(b"POST /chat/api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Content-Type: application/json\r\nContent-Length: 100\r\n"
                           b"Connection: close\r\n\r\n{\"text\": \"h")
        connection.shutdown(socket.SHUT_WR)
        answer = connection.makefile("rb").read().decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 400"), answer[:300]
    assert_no_traceback(log_since())


@pytest.mark.parametrize("path", ["/chat", "/healthz", "/login"])
def test_production_responses_carry_hsts(server, path):
    response = requests.get(server.base_url + path, timeout=20)
    assert response.headers["Strict-Transport-Security"] == STRICT_TRANSPORT_SECURITY
    assert "max-age=63072000" in STRICT_TRANSPORT_SECURITY


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/chat").headers
