"""Changing Harbor from the console in real chromium: edit an intent, see the preview, a
publish that breaks self_harm refused, a good one published and live in another gunicorn
(two workers, another process), and a rollback that restores the old reading.

The gate reads a small locked file made here (never tests/data/corpus/locked.tsv).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from browser_steps import console_turn, sign_in_to_console
from gunicorn_harbor import HarborClient, serve_harbor
from playwright.sync_api import expect

from bot.conversations.transcripts import load_transcripts

pytestmark = [pytest.mark.browser, pytest.mark.db, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 900}
GATE_TIMEOUT = 120_000  # the gate reads both sets and runs every transcript
SHELTER_RESULTS = "Here is a safe place to stay near"
PROBE = "zebra crossing 52404"
LOCKED_ROWS = [
    ("I want to kill myself", "self_harm"),
    ("quiero morirme", "self_harm"),
    ("suicide", "self_harm"),
    ("EXIT", "exit"),
    ("he says he will kill me tonight", "emergency"),
]


@pytest.fixture
def small_locked_set(live_server, tmp_path):
    path = tmp_path / "locked.tsv"
    path.write_text("text\tlabels\n" + "".join(f"{t}\t{label}\n" for t, label in LOCKED_ROWS),
                    encoding="utf-8")
    before = live_server.app.config.get("LOCKED_SET_PATH")
    live_server.app.config["LOCKED_SET_PATH"] = str(path)
    yield path
    live_server.app.config["LOCKED_SET_PATH"] = before


@pytest.fixture
def other_gunicorn(live_server):
    with serve_harbor(live_server.database_url, workers=2) as server:
        yield HarborClient(server.port)


def _answers(client: HarborClient, count: int = 8) -> list[str]:
    """Send PROBE as `count` new chat conversations at once (both workers answer some)."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(pool.map(lambda _: client.chat(None, PROBE), range(count)))
    assert all(answer.valid for answer in answers)
    return [" ".join(answer.body["replies"]) for answer in answers]


def _wait_until(client: HarborClient, shelter: bool, seconds: float = 20.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        answers = _answers(client)
        if all((SHELTER_RESULTS in answer) is shelter for answer in answers):
            return answers
        if time.monotonic() > deadline:
            return answers
        time.sleep(0.5)


def _fill_self_harm_with_nonsense(page):
    for language in ("en", "es"):
        page.locator(f"#{language}-keywords").fill(f"zzq{language}")
        page.locator(f"#{language}-examples").fill(f"zzq{language} zzq")


def test_edit_preview_refuse_publish_and_roll_back(open_page, live_server, small_locked_set,
                                                   other_gunicorn):
    page = open_page(viewport=DESKTOP)
    page.set_default_timeout(GATE_TIMEOUT)
    sign_in_to_console(page, live_server)
    assert all(SHELTER_RESULTS not in answer for answer in _answers(other_gunicorn))

    # Edit an intent and see the preview.
    page.get_by_role("link", name="Intent rules").click()
    expect(page.locator("#editing-intent")).to_have_text("shelter")
    keywords = page.get_by_label("Keywords (English)")
    keywords.fill(keywords.input_value() + "\nzebra crossing")
    page.locator("#preview-button").click()
    expect(page.locator("#preview-heading")).to_have_text("Preview of the change")
    expect(page.locator("#gate-verdict")).to_contain_text("The safety gate passes")
    expect(page.locator("#reading-dev")).to_contain_text("development set")
    expect(page.locator("#reading-locked")).to_contain_text("locked test set")
    expect(page.locator("#reading-dev .gained-count")).to_have_text("0")
    count = len(load_transcripts())
    expect(page.locator("#preview-transcripts .transcript-summary")).to_contain_text(
        f"{count} of {count} passed")

    # A publish that breaks self_harm is refused, naming the messages that broke.
    page.get_by_role("link", name="self_harm").click()
    expect(page.locator("#editing-intent")).to_have_text("self_harm")
    _fill_self_harm_with_nonsense(page)
    page.get_by_label("Note (why; kept with the version)").fill("shorter lists")
    page.locator("#publish-button").click()
    expect(page.locator("#preview-heading")).to_have_text("Refused: nothing was published")
    # Twice: the whole reading loses "suicide" (one word: the rules alone read it), and
    # the rules alone lose every self-harm message.
    broken = page.locator(".refusal .safety-break[data-intent=self_harm]")
    expect(broken).to_have_count(2)
    expect(broken.first).to_contain_text("self_harm recall on the locked set")
    expect(broken.first.locator(".broken-messages")).to_contain_text("suicide")
    expect(broken.last).to_contain_text("rules alone")
    expect(broken.last.locator(".broken-messages")).to_contain_text("I want to kill myself")
    expect(broken.last.locator(".broken-messages")).to_contain_text("quiero morirme")
    expect(page.locator("#live-version")).to_contain_text("the shipped files")

    # A good one is published, and is live in another gunicorn's workers within seconds.
    page.get_by_role("link", name="shelter", exact=True).click()
    keywords = page.get_by_label("Keywords (English)")
    keywords.fill(keywords.input_value() + "\nzebra crossing")
    page.get_by_label("Note (why; kept with the version)").fill("zebra means a safe place")
    page.locator("#publish-button").click()
    expect(page.locator(".flash-success")).to_contain_text("Published version")
    published = page.locator("#live-version").inner_text()
    answers = _wait_until(other_gunicorn, shelter=True)
    assert all(SHELTER_RESULTS in answer for answer in answers), answers[0][:200]
    page.get_by_role("link", name="Simulator").click()
    console_turn(page, "zebra crossing")
    expect(page.locator(".turn .intent").last).to_have_text("shelter")

    # Roll back: the version before is restored, and the old reading comes back everywhere.
    page.get_by_role("link", name="Versions").click()
    row = page.locator("tr.version-row").first
    expect(row).to_contain_text("zebra means a safe place")
    expect(row.locator("details pre.diff")).to_contain_text("zebra crossing", use_inner_text=False)
    number = int(published.split()[-1])
    restore = (page.locator(f"#restore-{number - 1}") if number > 1
               else page.locator("#restore-0"))
    restore.click()
    expect(page.locator(".flash-success")).to_contain_text(f"restored as version {number + 1}")
    answers = _wait_until(other_gunicorn, shelter=False)
    assert all(SHELTER_RESULTS not in answer for answer in answers), answers[0][:200]
    page.get_by_role("link", name="Simulator").click()
    console_turn(page, "zebra crossing")
    expect(page.locator(".turn .intent").last).not_to_have_text("shelter")
