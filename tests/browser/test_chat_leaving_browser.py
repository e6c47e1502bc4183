"""The web chat forgets when the tab leaves (issue 15): leaving /chat by any means ends
the conversation in the page and on the server, Back never shows it again, and links in
replies never open a tab that the quick exit would leave behind.

Before this, typing another address and pressing Back showed "Your chat continues", and
"more" revealed the shelter search.
"""

from __future__ import annotations

import pytest
from browser_steps import open_chat, send
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.db]

TOKEN_KEY = "harbor.chat.token"


def start_shelter_search(page, live_server) -> str:
    send(page, "I need a safe place to stay tonight")
    results = "\n".join(send(page, "52402"))
    assert any(name in results for name in live_server.shelter_names_near("52402"))
    token = page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    assert token and live_server.rows_linked_to_chat(token) == 1
    return token


def assert_forgotten(page, live_server, token: str) -> None:
    expect(page.locator("#chat-form")).to_be_visible()
    assert page.locator(".message").count() == 0
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert live_server.wait_until_erased(token) == 0
    # "more" now starts a new conversation: no shelter search to page through.
    (reply, *_rest) = send(page, "more")
    shelters = live_server.shelter_names_near("52402")
    assert not any(name in reply for name in shelters), reply
    assert not reply.startswith("Here is")


def test_typing_another_address_then_back_shows_no_conversation(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = start_shelter_search(page, live_server)
    page.goto(live_server.neutral_url + "?somewhere-else")  # as if typed in the address bar
    page.go_back()
    page.wait_for_url("**/chat")
    assert_forgotten(page, live_server, token)


def test_reloading_the_page_ends_the_conversation(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = start_shelter_search(page, live_server)
    page.reload()
    assert_forgotten(page, live_server, token)


def test_closing_the_tab_erases_the_conversation_on_the_server(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = start_shelter_search(page, live_server)
    page.close(run_before_unload=True)
    assert live_server.wait_until_erased(token) == 0


def test_links_in_replies_open_in_the_same_tab(open_page, live_server):
    page = open_chat(open_page, live_server)
    # A reply with a web address in it (a listing's website), answered by the test.
    page.route("**/chat/api/messages", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"token": "", "replies": ["Legal aid: https://legal-aid.example.org/apply ."],'
             ' "cleared": false, "language": "en"}'))
    send(page, "legal aid")
    link = page.locator(".message-harbor a[href^='https://legal-aid.example.org']")
    expect(link).to_have_count(1)
    assert link.get_attribute("target") is None
    assert page.locator("a[target]").count() == 0
