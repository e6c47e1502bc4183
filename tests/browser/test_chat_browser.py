"""The survivor chat in real chromium: a conversation, quick exit, language, keyboard, a11y.

Each test opens its own tab (own sessionStorage) on the live server; the tab fixture
fails the test if the page asks any other origin for anything or logs an error.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_steps import RECORD_PATH, open_chat, send
from playwright.sync_api import Page, expect

from bot.channels.chat_page import INTERFACE_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.db]

TOKEN_KEY = "harbor.chat.token"
WCAG_21_AA = {"runOnly": {"type": "tag",
                          "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def storage_lengths(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("[sessionStorage.length, localStorage.length]"))


def test_a_conversation_from_greeting_to_results(open_page, live_server):
    page = open_chat(open_page, live_server)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    greeting = send(page, "hi")
    assert greeting and any(reply.strip() for reply in greeting)
    token = page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    assert token

    send(page, "I need a safe place to stay tonight")
    results = "\n".join(send(page, "52402"))
    expected = live_server.shelter_names_near("52402")
    assert expected, "the demo listings have shelters near 52402"
    assert any(name in results for name in expected), results
    # Phone numbers in results are links a phone can dial.
    assert page.locator(".message-harbor a[href^='tel:']").count() > 0

    # The newest reply was handed to screen readers; the token stayed in sessionStorage.
    expect(page.locator("#reply-announcer")).to_contain_text(expected[0][:20])
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == token
    assert storage_lengths(page)[1] == 0
    assert page.context.cookies() == []
    assert "/chat" in page.url and token not in page.url


# Runs after quick exit's own handlers, in the same event, and reports to the server
# (a synchronous request, so it is sent before the page can go): what the page looked
# like the moment quick exit started.
RECORD_THE_MOMENT_OF_EXIT = """() => {
    const record = () => {
        const request = new XMLHttpRequest();
        request.open('POST', '%s', false);
        request.setRequestHeader('Content-Type', 'application/json');
        request.send(JSON.stringify({
            title: document.title,
            overlay: !document.getElementById('exit-overlay').hidden,
            messages: document.querySelectorAll('.message').length,
            storage: [sessionStorage.length, localStorage.length],
        }));
    };
    document.addEventListener('click', record);
    document.addEventListener('keyup', record);
}""" % RECORD_PATH


def _assert_exit_left_nothing(page: Page, live_server, token: str) -> None:
    page.wait_for_url(live_server.neutral_url)
    assert live_server.moments[-1] == {
        "title": "", "overlay": True, "messages": 0, "storage": [0, 0]}
    # Same origin, same tab: sessionStorage would survive the navigation if not cleared.
    assert storage_lengths(page) == (0, 0)
    page.go_back()
    assert page.url.endswith("?visited-before"), page.url
    assert "/chat" not in page.url
    assert live_server.wait_until_erased(token) == 0


def _start_conversation(page: Page, live_server) -> str:
    """Say hello, leave something in localStorage too; return the conversation's token."""
    send(page, "hi")
    token = page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    assert live_server.rows_linked_to_chat(token) == 1
    page.evaluate("localStorage.setItem('left-by-another-page', 'x')")
    assert storage_lengths(page) == (1, 1)
    page.evaluate(RECORD_THE_MOMENT_OF_EXIT)
    return token


def test_quick_exit_button_blanks_the_page_clears_storage_and_erases_the_conversation(
        open_page, live_server):
    page = open_chat(open_page, live_server)
    token = _start_conversation(page, live_server)
    page.locator("#quick-exit").click()
    _assert_exit_left_nothing(page, live_server, token)


def test_quick_exit_from_the_safety_page_erases_the_conversation_too(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = _start_conversation(page, live_server)
    page.locator("#safety-link").click()
    page.wait_for_url("**/chat/safety?lang=en")
    page.evaluate(RECORD_THE_MOMENT_OF_EXIT.replace(
        "messages: document.querySelectorAll('.message').length", "messages: 0"))
    page.locator("#quick-exit").click()
    _assert_exit_left_nothing(page, live_server, token)


def test_shift_pressed_three_times_exits(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = _start_conversation(page, live_server)
    page.locator("#message").focus()
    for _ in range(3):
        page.keyboard.press("Shift")
    _assert_exit_left_nothing(page, live_server, token)


def test_shift_used_for_capitals_or_broken_up_by_typing_does_not_exit(open_page, live_server):
    page = open_chat(open_page, live_server)
    page.locator("#message").focus()
    for letter in "IAM":
        page.keyboard.down("Shift")
        page.keyboard.press(f"Key{letter}")
        page.keyboard.up("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    expect(page.locator("#shift-status")).to_have_text(INTERFACE_TEXT["en"]["shift_count_two"])
    page.keyboard.type("a")
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url.endswith("/chat")
    assert page.locator("#message").input_value() == "IAMa"
    expect(page.locator("#shift-status")).to_have_text(INTERFACE_TEXT["en"]["shift_count_one"])


def test_the_skip_link_comes_first_and_leads_to_the_quick_exit(open_page, live_server):
    page = open_chat(open_page, live_server)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == INTERFACE_TEXT["en"]["skip_to_exit"]
    expect(page.locator(".skip-link").first).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    # Then the page in reading order: the 911 line, the safety page, the message box.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "tel:911"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "safety-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "message"


def test_the_quick_exit_stays_on_top_and_uncovered_when_the_chat_scrolls(
        open_page, live_server):
    page = open_chat(open_page, live_server)
    for number in range(4):
        send(page, f"I need a lawyer {number}")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0, "the conversation is long enough to scroll"
    button = page.locator("#quick-exit")
    expect(button).to_be_in_viewport(ratio=1)
    topmost = page.evaluate("""() => {
        const box = document.getElementById('quick-exit').getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return document.getElementById('quick-exit').contains(hit);
    }""")
    assert topmost, "something covers the quick exit button"


@pytest.mark.parametrize("locale", ["es-ES", "es-MX"])
def test_a_spanish_browser_gets_the_spanish_interface(open_page, live_server, locale):
    page = open_chat(open_page, live_server, locale=locale)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#quick-exit")).to_contain_text(INTERFACE_TEXT["es"]["exit_label"])
    expect(page.locator("label[for=message]")).to_have_text(INTERFACE_TEXT["es"]["message_label"])


@pytest.mark.parametrize("width", [320, 390])
@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_exit_bar_fits_a_narrow_phone(open_page, live_server, locale, width):
    page = open_chat(open_page, live_server, locale=locale,
                     viewport={"width": width, "height": 700})
    for control in ("#quick-exit", "#language-switch"):
        expect(page.locator(control)).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_without_a_usable_accept_language_the_browser_language_decides(open_page, live_server):
    page = open_chat(open_page, live_server, locale="es-ES",
                     extra_http_headers={"Accept-Language": "de-DE"})
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["es"]["heading"])
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_writing_espanol_switches_the_interface_to_spanish(open_page, live_server):
    page = open_chat(open_page, live_server)
    send(page, "hi")
    send(page, "español")
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["es"]["heading"])
    expect(page.locator("#send-button")).to_have_text(INTERFACE_TEXT["es"]["send"])
    # The choice holds for the rest of the visit in this tab.
    page.reload()
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["es"]["heading"])


def test_the_language_button_switches_interface_and_conversation(open_page, live_server):
    page = open_chat(open_page, live_server)
    page.locator("#language-switch").click()
    expect(page.locator("h1")).to_have_text(INTERFACE_TEXT["es"]["heading"])
    expect(page.locator(".message-user .bubble")).to_have_text("Español")
    expect(page.locator(".message-harbor").first).to_be_visible()
    expect(page.locator("#language-switch")).to_have_text("English")


def test_exit_typed_as_a_message_clears_the_page_and_the_token(open_page, live_server):
    page = open_chat(open_page, live_server)
    token = _start_conversation(page, live_server)
    replies = send(page, "EXIT")
    assert replies == [live_server.app.config["EXIT_REPLY"]]
    assert page.locator(".message-user").count() == 0
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert live_server.rows_linked_to_chat(token) == 0


def test_the_safety_page_keeps_the_quick_exit_and_returns_to_the_chat(open_page, live_server):
    page = open_chat(open_page, live_server)
    page.locator("#safety-link").click()
    page.wait_for_url("**/chat/safety?lang=en")
    expect(page.locator("#quick-exit")).to_be_visible()
    page.locator(".back-link").click()
    page.wait_for_url("**/chat?lang=en")
    # The links replaced the history entry: one Harbor page in the history at most.
    page.go_back()
    assert page.url.endswith("?visited-before")


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
@pytest.mark.parametrize("path", ["/chat", "/chat/safety"])
def test_axe_finds_no_wcag_21_aa_violations(open_page, live_server, locale, path):
    page = open_page(locale=locale)
    page.goto(live_server.url + path)
    if path == "/chat":
        send(page, "hi")
        page.locator("#message").fill("")
        page.locator("#chat-form button").click()  # shows the inline error too
        expect(page.locator("#chat-error")).to_be_visible()
    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
