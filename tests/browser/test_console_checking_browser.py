"""Checking a flow in the console in real chromium: the newest turn in view, the phone
preview, the why, a clock, a transcript saved from the page and run, and axe on the
changes pages.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_steps import console_turn, sign_in_to_console
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.db]

DESKTOP = {"width": 1280, "height": 900}
WCAG_21_AA = {"runOnly": {"type": "tag",
                          "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def signed_in(browser, live_server):
    """The advocate's signed-in browser state, made once: staff sign-in is rate limited
    per address (LOGIN_RATELIMIT), and these tests are about the console, not the login."""
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    try:
        sign_in_to_console(context.new_page(), live_server)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def console(open_page, live_server, signed_in):
    page = open_page(viewport=DESKTOP, storage_state=signed_in)
    page.goto(live_server.url + "/console")
    expect(page.locator("#turn-form")).to_be_visible()
    yield page
    page.goto(live_server.url + "/console")
    page.locator("#console-reset").click()
    expect(page.locator(".turn")).to_have_count(0)


def test_the_newest_turn_scrolls_into_view_with_its_why_and_phone_preview(console):
    expect(console.locator("#conversation-status")).to_contain_text("A fresh conversation")
    for text in ("hi", "yes", "1", "52404"):
        console_turn(console, text)
        expect(console.locator(".turn").last.locator(".turn-heading")).to_be_in_viewport()
    expect(console.locator("#conversation-status")).to_contain_text("the next message continues")
    newest = console.locator(".turn").last
    expect(newest.locator(".why")).to_contain_text("Words read")
    expect(newest.locator(".engine .event")).not_to_be_empty()
    expect(newest.locator(".why-listings .listing-reasons li")).to_have_count(3)
    expect(newest.locator(".why-listings").first).to_contain_text("verified")
    expect(newest.locator(".lock-screen-line").first).to_contain_text("Harbor: ")
    expect(newest.locator(".segments-split li").first).to_contain_text("Segment 1 of")


def test_a_clock_at_2_am_on_sunday_marks_office_listings_closed(console):
    console.locator("#console-clock").fill("2026-03-08T02:00")
    console_turn(console, "legal help in 52404")
    newest = console.locator(".turn").last
    expect(newest.locator(".turn-clock")).to_contain_text("Sunday 2026-03-08 02:00")
    expect(newest.locator(".listing-reasons")).to_contain_text("closed now")


def test_save_the_conversation_as_a_transcript_and_run_it(console):
    console_turn(console, "hi")
    console_turn(console, "yes")
    console.locator("#transcript-save-name").fill("tried-in-browser")
    console.locator("#save-transcript").click()
    expect(console.locator("#transcript-yaml")).to_have_value(
        re.compile(r"name: tried-in-browser[\s\S]*send: 'yes'"))
    console.locator("#run-saved-transcript").click()
    expect(console.locator(".transcript-summary")).to_contain_text("1 of 1 passed")
    # Break it on purpose: the failure reads side by side.
    box = console.locator("#transcript-yaml")
    box.fill(box.input_value().replace("step: menu", "step: results"))
    console.locator("#run-saved-transcript").click()
    expect(console.locator(".transcript-summary")).to_contain_text("0 of 1 passed")
    expect(console.locator(".side-by-side .turn-differs .expected")).to_contain_text("results")
    expect(console.locator(".side-by-side .turn-differs .got")).to_contain_text("menu")
    console.locator("#transcript-name").select_option("self-harm")
    console.locator("#run-one-transcript").click()
    expect(console.locator(".transcript-table tbody tr")).to_have_count(1)


@pytest.mark.parametrize("path", ["/console/rules/self_harm", "/console/texts/es",
                                  "/console/versions"])
def test_axe_finds_no_wcag_21_aa_violations_on_the_changes_pages(console, live_server, path):
    console.goto(live_server.url + path)
    results = Axe().run(console, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
