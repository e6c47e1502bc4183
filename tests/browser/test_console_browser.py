"""The advocate console in real chromium: sign in, one turn, a reset, a transcript run."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_steps import console_turn, sign_in_to_console
from playwright.sync_api import expect

from bot.texts.sms_text import segment_info

pytestmark = [pytest.mark.browser, pytest.mark.db]

DESKTOP = {"width": 1280, "height": 900}
WCAG_21_AA = {"runOnly": {"type": "tag",
                          "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def console(open_page, live_server):
    page = open_page(viewport=DESKTOP)
    sign_in_to_console(page, live_server)
    yield page
    # Leave no console conversation behind for the next test.
    page.locator("#console-reset").click()
    expect(page.locator(".turn")).to_have_count(0)


def test_one_sms_turn_shows_intent_score_state_and_segments(console, live_server):
    chats_before = live_server.conversation_count("chat")
    console_turn(console, "I need a safe place to stay tonight")
    turn = console.locator(".turn").last
    expect(turn.locator(".intent")).to_have_text("shelter")
    assert float(turn.locator(".score").inner_text()) > 0
    reply = turn.locator(".reply-text").first.inner_text()
    info = segment_info(reply)
    expect(turn.locator(".segments").first).to_have_text(
        f"{info.segments} segment{'s' if info.segments != 1 else ''}")
    expect(turn.locator(".encoding").first).to_have_text(info.encoding)
    expect(turn.locator(".state-changes")).to_be_visible()
    expect(console.locator("#turn-status")).to_contain_text("Intent shelter")
    # Console conversations are kept apart from survivors' ones.
    assert live_server.conversation_count("console") == 1
    assert live_server.conversation_count("chat") == chats_before


def test_what_was_typed_is_shown_as_text_never_as_markup(console):
    console_turn(console, '<img src=x onerror="document.title=1"> <b>52402</b>')
    typed = console.locator(".turn .typed-text").last
    expect(typed).to_have_text('<img src=x onerror="document.title=1"> <b>52402</b>')
    assert console.locator(".turn img, .turn .typed-text b").count() == 0


def test_reset_erases_the_console_conversation(console, live_server):
    console_turn(console, "hi")
    console_turn(console, "hi", channel="Web chat")
    assert live_server.conversation_count("console") == 2
    console.locator("#console-reset").click()
    expect(console.locator(".turn")).to_have_count(0)
    assert live_server.wait_for_conversations("console", 0) == 0


def test_a_transcript_run_shows_pass_or_fail_for_each(console):
    from bot.conversations import transcripts

    expected = transcripts.load_transcripts()
    assert expected, "tests/conversations/ holds transcripts"
    console.locator("#run-transcripts").click()
    rows = console.locator(".transcript-table tbody tr")
    # Every transcript runs on the server: ninety conversations take a while on a busy
    # machine and on PostgreSQL.
    expect(rows).to_have_count(len(expected), timeout=120_000)
    expect(console.locator(".transcript-summary")).to_contain_text(f"of {len(expected)} passed")
    for row in rows.all():
        assert row.locator(".tag").inner_text() in ("Pass", "Fail")
    # A failure (the live server's listings are shared with the admin's browser tests,
    # which edit them) is shown side by side with what differed first.
    failures = console.locator(".transcript-failure")
    expect(failures).to_have_count(console.locator("tr.transcript-failed").count())
    for failure in failures.all():
        assert failure.locator(".difference-summary").inner_text().strip()


def test_axe_finds_no_wcag_21_aa_violations_on_the_console(console):
    console_turn(console, "I need a lawyer in 52402")
    console.locator("#run-transcripts").click()
    expect(console.locator(".transcript-summary")).to_be_visible(timeout=120_000)
    results = Axe().run(console, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
