"""A hand-off in real chromium, two contexts: a survivor on /chat, an advocate in the inbox.

Consent, the queue, claim, replies both ways without reloading, close, and an EXIT in the
middle of a hand-off that wipes the thread from both screens and from the server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_steps import ADVOCATE_EMAIL, ADVOCATE_PASSWORD, open_chat, png_size, send, sign_in
from playwright.sync_api import expect
from sqlalchemy import func, select

from bot.staff import accounts, duty
from resources_db.models import ConversationState

pytestmark = [pytest.mark.browser, pytest.mark.db]

DESKTOP = {"width": 1280, "height": 900}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG_21_AA = {"runOnly": {"type": "tag",
                          "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def handoff_rows(live_server) -> int:
    sessions = live_server.app.extensions["harbor_database"].sessions
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ConversationState)
                              .where(ConversationState.channel == "handoff"))


@pytest.fixture
def advocate_page(open_page, live_server):
    """The advocate signed in to /console/inbox, named Maria; off duty again afterwards."""
    sessions = live_server.app.extensions["harbor_database"].sessions
    with sessions() as session:
        user = accounts.find_user(session, ADVOCATE_EMAIL)
        duty.set_roster(session, user, display_name="Maria", roster_hours="",
                        roster_timezone="America/Chicago", max_open_chats=3)
        duty.set_on_duty(session, user, False)
        session.commit()
    page = open_page(viewport=DESKTOP)
    sign_in(page, live_server, "/console/inbox", ADVOCATE_EMAIL, ADVOCATE_PASSWORD)
    yield page
    with sessions() as session:
        duty.set_on_duty(session, accounts.find_user(session, ADVOCATE_EMAIL), False)
        session.commit()


def go_on_duty(page):
    expect(page.locator("#duty-status")).to_contain_text("off duty")
    page.locator("#duty-switch").click()
    expect(page.locator("#duty-status")).to_contain_text("You are on duty")


@pytest.fixture
def inbox_screenshot(request, tmp_path) -> Path:
    """Where the inbox's screenshot goes: docs/screenshots/ with --screenshots."""
    folder = DOCS if request.config.getoption("--screenshots") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "inbox.png"


def test_consent_queue_claim_replies_both_ways_and_close(advocate_page, open_page,
                                                         live_server, inbox_screenshot):
    advocate = advocate_page
    go_on_duty(advocate)
    survivor = open_chat(open_page, live_server)
    send(survivor, "I need legal help in 52404")
    offer = send(survivor, "can I talk to a real person")[0]
    assert "Maria" in offer and "Reply YES to connect" in offer
    # Without YES nothing is shared: the queue stays empty.
    expect(advocate.locator("#queue-empty")).to_be_visible()
    assert "Connecting you" in send(survivor, "yes")[0]

    waiting = advocate.locator(".queue-item")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Needs: legal help")
    expect(waiting).to_contain_text("Area: 52404 (Cedar Rapids, IA)")
    expect(waiting).to_contain_text("English")
    expect(waiting).not_to_contain_text("I need legal help in 52404")  # before YES
    waiting.get_by_role("button", name="Claim").click()
    chat = advocate.locator("article.chat")
    expect(chat).to_have_count(1)
    expect(advocate.locator("#queue-empty")).to_be_visible()

    # The survivor's page learns who joined without reloading.
    expect(survivor.locator(".message-harbor .bubble").last).to_contain_text(
        "You are now chatting with Maria", timeout=10_000)
    assert send(survivor, "are you there?") == []
    expect(chat.locator(".thread")).to_contain_text("Them: are you there?")

    # The inbox with a queue and a chat open meets WCAG 2.1 AA.
    results = Axe().run(advocate, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()

    chat.get_by_role("button", name="In danger: 911").click()
    box = chat.locator("textarea")
    expect(box).to_have_value("If you are in danger right now, call 911.")
    box.fill("Yes, I am here. " + box.input_value())
    chat.get_by_role("button", name="Send").click()
    expect(survivor.locator(".message-advocate .bubble").last).to_have_text(
        "Yes, I am here. If you are in danger right now, call 911.", timeout=5000)
    expect(box).to_have_value("")
    expect(chat.locator(".thread")).to_contain_text("Yes, I am here.")
    advocate.screenshot(path=str(inbox_screenshot))
    assert png_size(inbox_screenshot) == (DESKTOP["width"], DESKTOP["height"])

    chat.get_by_role("button", name="Close chat").click()
    expect(advocate.locator("article.chat")).to_have_count(0)
    expect(survivor.locator(".message-harbor .bubble").last).to_contain_text(
        "ended this chat", timeout=10_000)
    assert handoff_rows(live_server) == 0
    # The survivor is back with Harbor.
    assert "1 Safe place to stay" in send(survivor, "menu")[0]


def test_exit_mid_hand_off_erases_the_thread_on_both_sides(advocate_page, open_page,
                                                          live_server):
    advocate = advocate_page
    go_on_duty(advocate)
    survivor = open_chat(open_page, live_server)
    send(survivor, "talk to someone")
    send(survivor, "yes")
    advocate.locator(".queue-item").get_by_role("button", name="Claim").click()
    chat = advocate.locator("article.chat")
    send(survivor, "he checks my phone every night")
    expect(chat.locator(".thread")).to_contain_text("he checks my phone every night")
    token = survivor.evaluate("sessionStorage.getItem('harbor.chat.token')")

    assert send(survivor, "EXIT") == ["OK. This chat is cleared."]
    expect(survivor.locator(".message-user")).to_have_count(0)
    expect(survivor.locator("body")).not_to_contain_text("he checks my phone")

    expect(advocate.locator(".person-left")).to_have_text(
        "The person left. This chat is closed and nothing of it is kept.", timeout=10_000)
    expect(advocate.locator("body")).not_to_contain_text("he checks my phone")
    expect(advocate.locator(".thread")).to_have_count(0)
    assert live_server.wait_until_erased(token) == 0
    assert handoff_rows(live_server) == 0
