"""Screenshots of /chat on a phone (English and Spanish), of /console and of /admin.

`make screenshots` runs this with --screenshots and the PNGs land in docs/screenshots/
(shown in the README); without the option they go to a temporary folder, so the
ordinary test run checks that they can still be made without touching the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_steps import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    console_turn,
    open_chat,
    png_size,
    send,
    sign_in,
    sign_in_to_console,
)
from playwright.sync_api import expect

from bot.channels.chat_page import INTERFACE_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.db]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1000}

CONVERSATIONS = {
    "en": ("en-US", ["I need a safe place to stay tonight in 52402"]),
    "es": ("es-MX", ["necesito un lugar seguro para esta noche en 52402"]),
}


@pytest.fixture
def screenshot_path(request, tmp_path):
    def path_for(name: str) -> Path:
        folder = DOCS if request.config.getoption("--screenshots") else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    return path_for


@pytest.mark.parametrize("language", ["en", "es"])
def test_chat_on_a_phone(open_page, live_server, screenshot_path, language):
    locale, messages = CONVERSATIONS[language]
    page = open_chat(open_page, live_server, locale=locale, viewport=PHONE)
    for message in messages:
        send(page, message)
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT[language]["heading"])
    page.locator("#message").blur()
    page.evaluate("window.scrollTo(0, 0)")
    path = screenshot_path(f"chat-{language}.png")
    page.screenshot(path=str(path))
    assert png_size(path) == (390, 844)


def test_console(open_page, live_server, screenshot_path):
    page = open_page(viewport=DESKTOP)
    sign_in_to_console(page, live_server)
    console_turn(page, "I need a safe place to stay tonight")
    console_turn(page, "52402")
    page.locator("#run-transcripts").click()
    expect(page.locator(".transcript-summary")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    path = screenshot_path("console.png")
    page.screenshot(path=str(path))
    assert png_size(path) == (DESKTOP["width"], DESKTOP["height"])
    page.locator("#console-reset").click()
    expect(page.locator(".turn")).to_have_count(0)


def test_admin_listings(open_page, live_server, screenshot_path):
    """The admin's listings table, then its stale filter: stale rows are marked in words."""
    page = open_page(viewport=DESKTOP)
    sign_in(page, live_server, "/admin", ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.locator("#listing-count")).to_contain_text("listings")
    expect(page.locator("table tbody tr").first).to_be_visible()
    path = screenshot_path("admin-listings.png")
    page.screenshot(path=str(path))
    assert png_size(path) == (DESKTOP["width"], DESKTOP["height"])

    page.get_by_label("Stale only").check()
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == page.locator("table tbody tr.stale").count()
    expect(page.locator("table tbody tr.stale .tag-stale").first).to_have_text("Stale")
