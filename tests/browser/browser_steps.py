"""Steps the browser tests share: open the chat, send a message, sign in to the console."""

from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import Page, expect

ADVOCATE_EMAIL = "advocate@example.org"
ADVOCATE_PASSWORD = "browser test password 2024"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "browser admin password 2024"
# A test-only route on the live server where a page reports what it looked like.
RECORD_PATH = "/test-only/record-moment"


def open_chat(open_page, live_server, locale: str = "en-US", **options) -> Page:
    """Open /chat in a new tab, with a neutral page before it in the tab's history."""
    page = open_page(locale=locale, **options)
    page.goto(live_server.neutral_url + "?visited-before")
    page.goto(live_server.url + "/chat")
    expect(page.locator("#chat-form")).to_be_visible()
    return page


def send(page: Page, text: str) -> list[str]:
    """Type `text` in the chat, press Enter, and return Harbor's replies to it."""
    page.locator("#message").fill(text)
    with page.expect_response("**/chat/api/messages") as answer:
        page.locator("#message").press("Enter")
    replies = answer.value.json()["replies"]
    # Then the page has shown them (EXIT empties the page first, so count from the end).
    # A locator, not wait_for_function: the page's CSP (script-src 'self') forbids the
    # string evaluation wait_for_function uses.
    expect(page.locator("#sending")).to_be_hidden()
    shown = page.locator(".message-harbor .bubble").all_inner_texts()
    assert len(shown) >= len(replies)
    return shown[len(shown) - len(replies):] if replies else []


def sign_in(page: Page, live_server, path: str, email: str, password: str) -> None:
    """Open `path`, sign in through the real form (CSRF on) and land back on `path`."""
    page.goto(live_server.url + path)
    page.wait_for_url("**/login?next=*")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + path)


def sign_in_to_console(page: Page, live_server) -> None:
    """Sign in as the advocate and land on /console."""
    sign_in(page, live_server, "/console", ADVOCATE_EMAIL, ADVOCATE_PASSWORD)


def console_turn(page: Page, text: str, channel: str = "SMS") -> None:
    """Send one message in the console simulator and wait for its turn card."""
    before = page.locator(".turn").count()
    page.get_by_label(channel, exact=True).check()
    page.get_by_label("Message", exact=True).fill(text)
    page.locator("#console-send").click()
    expect(page.locator(".turn")).to_have_count(before + 1)


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from a PNG file's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])
