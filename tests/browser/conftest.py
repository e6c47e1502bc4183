"""Browser-test fixtures: a live Harbor server on loopback and Debian's chromium.

The server is the real app (create_app) on a migrated database of its own (PostgreSQL
when HARBOR_TEST_DATABASE_URL names a server, else SQLite) with the demo listings and
one advocate account, served by werkzeug from a thread. Its QUICK_EXIT_URL is a neutral
page on the same server, so no test ever leaves 127.0.0.1; every page also refuses any
request to another origin and fails the test if one is tried.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from browser_steps import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ADVOCATE_EMAIL,
    ADVOCATE_PASSWORD,
    RECORD_PATH,
)
from flask import Flask, request
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from bot import create_app
from bot.conversations.store import conversation_key
from bot.extensions import csrf
from bot.staff import accounts
from resources_db.demo import scratch_demo_database
from resources_db.models import ConversationState, ProcessedMessage

# Debian's chromium in a container: no sandbox, no GPU, no calls home.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
NEUTRAL_PATH = "/neutral-page"

LIVE_CONFIG = {
    "TESTING": True,
    "HARBOR_ENV": "test",
    "SECRET_KEY": "browser-test-secret-key",
    "HASH_KEY": "browser-test-hash-key",
    "TWILIO_AUTH_TOKEN": "browser-test-twilio-token",
    "PUBLIC_BASE_URL": "",
    # The real thing: CSRF on, as in production.
    "WTF_CSRF_ENABLED": True,
    "LOG_LEVEL": "WARNING",
    # One live server serves every browser test of the session, and each signs in from
    # 127.0.0.1: at the default 10 per minute the suite would lock itself out. The limit
    # itself is attacked in tests/test_staff_attacks.py and tests/test_rate_limits.py.
    "LOGIN_RATELIMIT": "1000 per minute",
}


def _add_test_pages(app: Flask, moments: list) -> None:
    """Add the test-only pages: the neutral site quick exit goes to, and a recorder."""

    def neutral_page():
        return "<!doctype html><title>Weather</title><h1>Weather</h1>"

    def record_moment():
        # A page reports what it looked like at some instant (tests/browser only).
        moments.append(request.get_json(force=True))
        return "", 204

    app.add_url_rule(NEUTRAL_PATH, "neutral_page", neutral_page)
    app.add_url_rule(RECORD_PATH, "record_moment", record_moment, methods=["POST"])
    csrf.exempt(record_moment)


def _add_staff(app: Flask) -> None:
    sessions = app.extensions["harbor_database"].sessions
    with sessions() as session:
        accounts.create_user(session, ADVOCATE_EMAIL, ADVOCATE_PASSWORD, "advocate")
        accounts.create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
        session.commit()


@dataclass
class LiveServer:
    """A running Harbor server and a way to look at its database."""

    url: str
    app: Flask
    database_url: str
    moments: list[dict] = field(default_factory=list, repr=False)

    @property
    def neutral_url(self) -> str:
        return self.url + NEUTRAL_PATH

    def conversation_count(self, namespace: str | None = None) -> int:
        """Count the stored conversation states (of one namespace, or all)."""
        sessions = sessionmaker(bind=self.app.extensions["harbor_conversations"].engine)
        query = select(func.count()).select_from(ConversationState)
        if namespace:
            query = query.where(ConversationState.key.startswith(namespace + ":"))
        with sessions() as session:
            return session.scalar(query)

    def rows_linked_to_chat(self, token: str) -> int:
        """Count every stored row linked to the chat conversation of `token`."""
        key = conversation_key(self.app.config["HASH_KEY"], "chat", token)
        sessions = sessionmaker(bind=self.app.extensions["harbor_conversations"].engine)
        with sessions() as session:
            states = session.scalar(select(func.count()).select_from(ConversationState)
                                    .where(ConversationState.key == key))
            retries = session.scalar(select(func.count()).select_from(ProcessedMessage)
                                     .where(ProcessedMessage.conversation_key == key))
        return states + retries

    def wait_until_erased(self, token: str, timeout: float = 5.0) -> int:
        """Poll until nothing is stored for the chat `token`; return what is left."""
        deadline = time.monotonic() + timeout
        while (left := self.rows_linked_to_chat(token)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left

    def shelter_names_near(self, zip_code: str) -> list[str]:
        """Return the names search() finds for shelter near `zip_code`, best first."""
        from resources_db.geography import lookup_zip
        from resources_db.search import search

        sessions = self.app.extensions["harbor_database"].sessions
        with sessions() as session:
            results = search(session, "shelter", lookup_zip(zip_code), limit=3)
        return [hit.name for hit in results.hits]

    def wait_for_conversations(self, namespace: str, expected: int,
                               timeout: float = 5.0) -> int:
        """Poll until `expected` conversations of `namespace` are stored; return the count."""
        deadline = time.monotonic() + timeout
        count = self.conversation_count(namespace)
        while count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.conversation_count(namespace)
        return count


@pytest.fixture(scope="session")
def live_server(chromium_path) -> Iterator[LiveServer]:
    """Serve Harbor on 127.0.0.1 (a free port) for the whole browser session."""
    server_url = os.environ.get("HARBOR_TEST_DATABASE_URL")
    # Demo listings as `make run` loads them (`harbor demo load`).
    with scratch_demo_database(server_url, prefix="harbor_browser") as database_url:
        app = create_app({**LIVE_CONFIG, "DATABASE_URL": database_url})
        moments: list[dict] = []
        _add_test_pages(app, moments)
        _add_staff(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["QUICK_EXIT_URL"] = url + NEUTRAL_PATH
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(url=url, app=app, database_url=database_url, moments=moments)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            app.extensions["harbor_database"].engine.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Debian's chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that a test must never allow: outside requests, script errors."""

    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    # HTTP statuses a test opens on purpose (a partner shown a 403 page): chromium logs
    # each such page load as a console error, which is then expected, not a fault.
    expected_statuses: set[int] = field(default_factory=set)

    def expect_status(self, status: int) -> None:
        """Allow the console error chromium logs for a page answering `status`."""
        self.expected_statuses.add(status)

    def unexpected_console_errors(self) -> list[str]:
        """Return the console errors a test did not announce."""
        return [error for error in self.console_errors
                if not any(f"status of {status} " in error
                           for status in self.expected_statuses)]


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """Return `open_page(locale="en-US", viewport=PHONE, **context_options)`: a fresh tab.

    Each tab has its own storage. Requests to any origin but the live server are
    aborted and recorded; console errors (a CSP violation is one) are recorded too.
    Both must be empty when the test ends.
    """
    contexts = []
    watches: list[PageWatch] = []

    def open_page_with(locale: str = "en-US", viewport: dict | None = None, **options):
        context = browser.new_context(locale=locale, viewport=viewport or PHONE,
                                      service_workers="block", **options)
        watch = PageWatch()

        def guard(route):
            if route.request.url.startswith(live_server.url + "/"):
                route.continue_()
            else:
                watch.outside_requests.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda message: message.type == "error"
                and watch.console_errors.append(message.text))
        page.on("pageerror", lambda error: watch.console_errors.append(str(error)))
        contexts.append(context)
        watches.append(watch)
        page.watch = watch  # a test may announce an error page it opens on purpose
        return page

    yield open_page_with
    for context in contexts:
        context.close()
    for watch in watches:
        assert watch.outside_requests == [], "a page asked another origin for something"
        assert watch.unexpected_console_errors() == [], "the page logged errors"
