"""The web chat in Vietnamese, in real chromium, with LANGUAGES=en,es,vi: the page starts
in the browser's language, the language menu switches interface and conversation, and
the quick exit is unchanged."""

from __future__ import annotations

import pytest
from browser_steps import open_chat, send
from playwright.sync_api import expect

from bot.channels.chat_page import INTERFACE_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def vietnamese_on(live_server, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "LANGUAGES", "en,es,vi")


def test_a_vietnamese_conversation_in_the_web_chat(open_page, live_server, vietnamese_on,
                                                   tmp_path):
    page = open_chat(open_page, live_server, locale="vi-VN")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["vi"]["heading"])
    expect(page.locator("#quick-exit")).to_be_visible()
    expect(page.locator("#language-switch option")).to_have_count(3)
    results = "\n".join(send(page, "tôi cần chỗ ở an toàn tối nay ở 40202"))
    assert "Đây là một chỗ ở an toàn gần 40202" in results  # marks kept in the chat
    page.screenshot(path=str(tmp_path / "chat-vi.png"))
    # The menu switches both: the page to English, and the conversation's answers.
    with page.expect_response("**/chat/api/messages") as answer:
        page.locator("#language-switch").select_option("en")
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["en"]["heading"])
    assert answer.value.json()["language"] == "en"
    assert "English from now on" in answer.value.json()["replies"][0]


def test_with_two_languages_the_switch_stays_one_button(open_page, live_server):
    page = open_chat(open_page, live_server)
    expect(page.locator("button#language-switch")).to_have_text("Español")
    expect(page.locator("select#language-switch")).to_have_count(0)
