"""/admin/insights and its CSV export: who may see them, what they show, what they withhold."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from bot.staff.insights import table_as_csv
from resources_db.insights_queries import Count, InsightsRow, InsightsTable, week_of
from resources_db.models import UsageCount

THIS_WEEK = week_of(datetime.now(UTC).date())
REQUIRED_SECTIONS = ("needs-by-week", "needs-by-county", "unmet-needs", "language-mix",
                     "handoffs")


@pytest.fixture
def usage(db_session):
    """Counts with a few small cells: Polk County has 3 unmet immigration searches.

    The large counts are multiples of 5, which the rounding leaves as they are.
    """
    rows = [
        {"category": "shelter", "county": "Linn County", "search": "local", "count": 40},
        {"category": "shelter", "county": "Linn County", "search": "not_local", "count": 10},
        {"category": "immigration", "county": "Polk County", "search": "not_local",
         "count": 3, "language": "es"},
        {"category": "", "intent": "greeting", "county": "", "state": "", "count": 2,
         "language": "fr", "channel": "chat"},
    ]
    for row in rows:
        values = {"week": THIS_WEEK, "channel": "sms", "intent": row.get("category") or "x",
                  "category": "", "language": "en", "county": "", "state": "IA",
                  "search": "", **row}
        db_session.add(UsageCount(**values))
    db_session.commit()


def page_table(html: str, slug: str) -> list[list[str]]:
    """Return the rows of one section's data table as text cells (header row first)."""
    section = html.split(f'<section class="panel insight" id="{slug}"', 1)[1].split(
        "</section>", 1)[0]
    table = section.split("<table>", 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip().replace("&lt;", "<")
                     for cell in cells])
    return rows


def download(client, slug: str, **args) -> list[list[str]]:
    response = client.get(f"/admin/insights/{slug}.csv", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="harbor-{slug}-')
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("url", ["/admin/insights", "/admin/insights/unmet-needs.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["advocate", "admin"])
def test_advocates_and_admins_see_the_page(client, sign_in, role):
    sign_in(role)
    response = client.get("/admin/insights")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for slug in REQUIRED_SECTIONS:
        assert f'id="{slug}"' in html
        assert f'href="/admin/insights/{slug}.csv?period=12"' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 6
    assert response.headers["Cache-Control"] == "no-store"


def test_the_page_loads_no_script_and_no_inline_style(client, sign_in, usage):
    sign_in("advocate")
    html = client.get("/admin/insights").get_data(as_text=True)
    assert "<script" not in html
    assert "style=" not in html and "<style" not in html
    assert '/static/insights.css' in html


def test_small_counts_are_rounded_on_the_page_never_shown(client, sign_in, usage):
    sign_in("advocate")
    html = client.get("/admin/insights").get_data(as_text=True)
    unmet_rows = page_table(html, "unmet-needs")
    assert unmet_rows[:2] == [["Need", "County", "State", "Searches with nothing local"],
                              ["Emergency shelter", "Linn County", "IA", "10"]]
    # 3 rounds to 5, or to 0 and then Polk County is not listed at all.
    assert unmet_rows[2:] in ([], [["Immigration help", "Polk County", "IA", "5"]])
    languages = page_table(html, "language-mix")
    assert languages[:2] == [["Language", "Messages"], ["English", "50"]]
    assert all(row in (["French", "5"], ["Spanish", "5"]) for row in languages[2:])
    # The chart says the same as the table, and never the true small number.
    unmet = html.split('id="unmet-needs"', 1)[1].split("</section>", 1)[0]
    assert ">3<" not in unmet and ": 3" not in unmet
    # Weeks without searches are listed, as "<5", in the table and the chart alike.
    weeks = page_table(html, "needs-by-week")
    assert ["<5"] == sorted({row[1] for row in weeks[1:-1]})
    assert "&lt;5" in html.split('id="needs-by-week"', 1)[1].split("</section>", 1)[0]


def test_the_csv_rounds_exactly_as_the_page_does(client, sign_in, usage):
    sign_in("advocate")
    html = client.get("/admin/insights").get_data(as_text=True)
    for slug in ("unmet-needs", "language-mix", "needs-by-week"):
        assert download(client, slug) == page_table(html, slug)


@pytest.mark.parametrize("slug", ["needs-by-week", "needs-by-category", "needs-by-county",
                                  "unmet-needs", "language-mix"])
def test_the_csv_holds_exactly_the_table_on_the_page(client, sign_in, usage, slug):
    sign_in("admin")
    html = client.get("/admin/insights?period=4").get_data(as_text=True)
    on_page = [[cell if cell != "—" else "" for cell in row] for row in page_table(html, slug)]
    assert download(client, slug, period="4") == on_page


def test_the_channel_filter_reaches_the_page_and_the_csv(client, sign_in, usage):
    sign_in("advocate")
    html = client.get("/admin/insights?channel=sms").get_data(as_text=True)
    assert page_table(html, "language-mix")[1] == ["English", "50"]
    html = client.get("/admin/insights?channel=chat").get_data(as_text=True)
    chat_languages = page_table(html, "language-mix")
    # Chat had only 2 French messages: rounded to 5, or to 0 and nothing is listed.
    assert chat_languages in ([["Language", "Messages"], ["French", "5"]],
                              [["Language", "Messages"], ["No counts in this period."]])
    assert 'href="/admin/insights/language-mix.csv?period=12&amp;channel=chat"' in html
    assert download(client, "language-mix", channel="chat")[1:] == (
        [["French", "5"]] if len(chat_languages[1]) == 2 else [])


def test_unknown_filter_values_fall_back_to_the_defaults(client, sign_in, usage):
    sign_in("advocate")
    html = client.get("/admin/insights?period=9999&channel=console").get_data(as_text=True)
    assert '<option value="12" selected>' in html
    assert page_table(html, "language-mix")[1] == ["English", "50"]


def test_an_unknown_table_is_not_found(client, sign_in):
    sign_in("advocate")
    assert client.get("/admin/insights/conversation-state.csv").status_code == 404


def test_a_csv_cell_never_starts_a_spreadsheet_formula():
    table = InsightsTable(
        slug="t", title="T", description="", columns=("Name", "Count"),
        rows=(InsightsRow(cells=("=HYPERLINK(1)",), count=Count(9, "9"), label="x"),
              InsightsRow(cells=("-1",), count=Count(None, "<5"), label="y")),
    )
    assert list(csv.reader(io.StringIO(table_as_csv(table)))) == [
        ["Name", "Count"], ["'=HYPERLINK(1)", "9"], ["-1", "<5"]]  # a number runs nothing
