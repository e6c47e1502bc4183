"""/admin/insights in real chromium, after `seed-demo`: charts drawn, accessible, self-contained.

The app is served on 127.0.0.1 from a thread and opened in the browser tests' shared
chromium; the page may ask nothing of any other origin and may log no error (a CSP
violation is one). With --screenshots (`make screenshots`) the screenshot lands in
docs/screenshots/insights.png for the README; without it, in a temporary folder.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_steps import png_size
from werkzeug.serving import make_server

from bot.cli.commands.insights import seed_demo_usage
from bot.staff import accounts
from resources_db.demo import load_demo_listings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EMAIL = "advocate@example.org"
PASSWORD = "insights browser test 2024"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WCAG_21_AA = {"runOnly": {"type": "tag",
                          "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def seeded_server(app, db_session):
    """Serve the app with the demo listings, seeded counts and one advocate."""
    load_demo_listings(db_session)
    accounts.create_user(db_session, EMAIL, PASSWORD, "advocate")
    db_session.commit()
    report = seed_demo_usage(app.extensions["harbor_database"].sessions, app.config,
                             weeks=12, per_week=25, rng=random.Random(8),
                             now=datetime.now(UTC))
    assert report.states_left == report.retry_rows_left == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def screenshot_path(request, tmp_path):
    folder = DOCS if request.config.getoption("--screenshots") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "insights.png"


def open_insights(browser, origin: str, viewport: dict, problems: list[str]):
    """Sign in through the form and open /admin/insights; record outside requests and errors."""
    context = browser.new_context(viewport=viewport)

    def guard(route):
        if route.request.url.startswith(origin + "/"):
            route.continue_()
        else:
            problems.append(f"outside request: {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error"
            and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(origin + "/admin/insights")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(origin + "/admin/insights")
    return page


def test_the_page_draws_every_chart_from_a_seeded_run(browser, seeded_server,
                                                      screenshot_path):
    from axe_playwright_python.sync_playwright import Axe

    problems: list[str] = []
    page = open_insights(browser, seeded_server, DESKTOP, problems)
    charts = page.locator("svg.chart[role='img']")
    # Six: the sixth counts hand-offs to an advocate (issue 19), which the seeded run,
    # made of survivors' turns only, has none of; the five others each have bars.
    assert charts.count() == 6
    for index in range(5):
        chart = charts.nth(index)
        assert chart.is_visible()
        title_id = chart.get_attribute("aria-labelledby")
        assert page.locator(f"#{title_id}").text_content()
        assert chart.locator("rect.chart-bar, rect.chart-bar-withheld").count() >= 1
    # Where the chart shows every row, it withholds exactly the cells the table withholds.
    for slug in ("needs-by-category", "language-mix"):
        section = page.locator(f"#{slug}")
        withheld_cells = section.locator("td.withheld").count()
        assert section.locator("rect.chart-bar-withheld").count() == withheld_cells
    unmet = page.locator("#unmet-needs tbody tr")
    assert unmet.count() >= 3, "the seeded towns without listings show up as unmet needs"

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()

    page.screenshot(path=str(screenshot_path), full_page=True)
    width, height = png_size(screenshot_path)
    assert width == DESKTOP["width"] and height > DESKTOP["height"]
    assert problems == []


def test_the_page_fits_a_phone_without_sideways_scrolling(browser, seeded_server):
    problems: list[str] = []
    page = open_insights(browser, seeded_server, PHONE, problems)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("svg.chart").first.bounding_box()["width"] <= PHONE["width"]
    assert problems == []
