"""The chat page when the server answers 429: it shows the server's short line and gives
the typed words back. The 429 is played by the browser (route), so the live server's
own limits are left alone. The tabs here are not `open_page`'s: chromium logs every
429 as a console error, which `open_page` rightly fails; script errors still fail."""

from __future__ import annotations

import json

import pytest
from browser_steps import open_chat
from playwright.sync_api import expect

from bot.channels.chat_page import INTERFACE_TEXT
from bot.texts import replies

pytestmark = [pytest.mark.browser, pytest.mark.db]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_tab(browser, live_server):
    """Return open_tab(locale=...): a fresh tab that may see 429s but no script error."""
    contexts, errors = [], []

    def open_tab_with(locale: str = "en-US", viewport=None):
        context = browser.new_context(locale=locale, viewport=viewport or PHONE,
                                      service_workers="block")
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith(live_server.url + "/") else route.abort())
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        contexts.append(context)
        return page

    yield open_tab_with
    for context in contexts:
        context.close()
    assert errors == [], "the page threw"


def too_many(language: str, with_line: bool = True) -> dict:
    body = {"token": "", "cleared": False, "language": language, "error": "too many messages",
            "replies": [replies.say(language, "rate_limited")] if with_line else []}
    return {"status": 429, "content_type": "application/json", "body": json.dumps(body)}


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("es-ES", "es")])
def test_a_429_shows_the_server_s_line_and_keeps_the_words(open_tab, live_server, locale,
                                                            language):
    page = open_chat(open_tab, live_server, locale=locale)
    page.route("**/chat/api/messages", lambda route: route.fulfill(**too_many(language)))
    page.locator("#message").fill("I need a lawyer")
    with page.expect_response("**/chat/api/messages"):
        page.locator("#message").press("Enter")
    expect(page.locator("#chat-error")).to_have_text(replies.say(language, "rate_limited"))
    expect(page.locator("#chat-error")).to_be_visible()
    expect(page.locator("#message")).to_have_value("I need a lawyer")
    expect(page.locator(".message-user")).to_have_count(0)
    expect(page.locator("#sending")).to_be_hidden()


def test_a_429_without_a_line_falls_back_to_the_page_s_own_words(open_tab, live_server):
    page = open_chat(open_tab, live_server)
    page.route("**/chat/api/messages",
               lambda route: route.fulfill(**too_many("en", with_line=False)))
    page.locator("#message").fill("hi")
    page.locator("#message").press("Enter")
    expect(page.locator("#chat-error")).to_have_text(INTERFACE_TEXT["en"]["too_many"])
