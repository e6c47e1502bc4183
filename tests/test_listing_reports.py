"""Survivors flag a wrong listing: WRONG 2 / MAL 2 after results, the reason by number,
an anonymous report in the listing's organization's queue, resolved with an audit entry.

The engine only names the listing (from the ids of the last results kept in the state);
the conversation service files the report, with no key, number or text of the chat.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from test_engine import FakeListings

from bot.engine import Inbound, ListingReportRequest, handle
from bot.staff import accounts
from resources_db.listing_rules import validate_listing
from resources_db.listings_store import save_listings
from resources_db.models import AuditEntry, ListingReport

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


def _turns(*texts, channel="sms"):
    listings = FakeListings()
    state, turn = None, None
    for text in texts:
        turn = handle(state, Inbound(text, channel, NOW), listings)
        state = turn.state
    return turn


def test_results_keep_the_ids_of_the_listings_shown():
    turn = _turns("shelter", "52404")
    assert turn.state["shown_ids"] == ["l1", "l2", "l3"]
    assert turn.state["shown_from"] == 1


@pytest.mark.parametrize("command", ["WRONG 2", "wrong 2", "MAL 2", "Mal #2"])
def test_wrong_n_asks_what_is_wrong_and_says_the_report_is_anonymous(command):
    turn = _turns("shelter", "52404", command)
    assert turn.step == "report_reason"
    assert turn.report is None
    assert "anonymous" in turn.replies[0] or "anonimo" in turn.replies[0]


@pytest.mark.parametrize(("answer", "reason"), [
    ("1", "closed"), ("2", "wrong_number"), ("3", "not_safe"), ("4", "other")])
def test_the_reason_by_number_files_the_report_on_that_listing(answer, reason):
    turn = _turns("shelter", "52404", "WRONG 2", answer)
    assert turn.report == ListingReportRequest("l2", reason)
    assert turn.step == "results"
    assert "anonymously" in turn.replies[0]
    assert turn.state["report_listing"] == ""


def test_numbers_follow_the_page_shown():
    turn = _turns("shelter", "52404", "MORE", "WRONG 5", "1")
    assert turn.report == ListingReportRequest("l5", "closed")


def test_a_number_not_shown_files_nothing():
    turn = _turns("shelter", "52404", "WRONG 9")
    assert turn.report is None
    assert "no place 9" in turn.replies[0]
    assert turn.step == "results"


def test_wrong_before_any_results_explains_itself():
    turn = _turns("hi", "WRONG 2")
    assert turn.report is None
    assert "first ask for places" in turn.replies[0]


def test_an_answer_that_is_not_a_reason_asks_again_and_menu_leaves():
    assert _turns("shelter", "52404", "WRONG 2", "7").step == "report_reason"
    assert _turns("shelter", "52404", "WRONG 2", "7").report is None
    left = _turns("shelter", "52404", "WRONG 2", "MENU")
    assert left.report is None and left.step == "menu"
    assert left.state["report_listing"] == ""


def test_exit_still_wins_in_the_report_step():
    turn = _turns("shelter", "52404", "WRONG 2", "EXIT")
    assert turn.erase is True and turn.report is None


# -- the service files it, anonymously; the queue shows it -----------------------------

def _listing(listing_id, organization):
    return validate_listing({
        "id": listing_id, "name": f"{organization} Shelter", "organization": organization,
        "categories": "shelter", "description": "", "phone": "319-555-0101", "sms": "",
        "website": "", "address": "", "city": "Cedar Rapids", "state": "IA",
        "zip": "52404", "latitude": "", "longitude": "", "service_area": "",
        "languages": "en", "hours": "24/7", "confidential": "true", "populations": "",
        "verified_at": "", "active": "true"}).record


@pytest.fixture
def two_shelters(db_session):
    save_listings(db_session, [_listing("north", "North House"),
                               _listing("south", "South House")])
    for name in ("North House", "South House"):
        accounts.create_organization(db_session, name)
    db_session.commit()


def _chat(client, text, token=None):
    response = client.post("/chat/api/messages", json={"token": token, "text": text})
    assert response.status_code == 200
    return response.get_json()


def test_a_chat_report_reaches_the_listings_organization_with_nothing_of_the_chat(
        client, db_session, two_shelters):
    token = _chat(client, "shelter")["token"]
    shown = _chat(client, "52404", token)["replies"][0]
    number = 1 if shown.index("North House") < shown.index("South House") else 2
    _chat(client, f"WRONG {number}", token)
    _chat(client, "2", token)
    [report] = db_session.scalars(select(ListingReport)).all()
    assert (report.listing_id, report.reason, report.status) == ("north", "wrong_number",
                                                                  "open")
    stored = {column.name: getattr(report, column.name)
              for column in ListingReport.__table__.columns}
    assert token not in str(stored)
    assert set(stored) == {"id", "listing_id", "organization_id", "reason", "reported_on",
                           "status", "resolved_at", "resolved_by", "resolution"}


def test_the_partner_sees_their_report_and_resolving_it_is_audited(
        client, sign_in, db_session, two_shelters):
    from resources_db.listing_reports import file_report

    file_report(db_session, "north", "closed", NOW.date())
    file_report(db_session, "south", "not_safe", NOW.date())
    accounts.create_user(db_session, "south@example.org", "test password 0123", "partner",
                         organization="South House")
    db_session.commit()
    sign_in("partner", "south@example.org")
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "South House Shelter" in page and "Not safe" in page
    assert "North House Shelter" not in page
    north = db_session.scalar(select(ListingReport).where(ListingReport.listing_id == "north"))
    south = db_session.scalar(select(ListingReport).where(ListingReport.listing_id == "south"))
    # Another organization's report: as if it did not exist.
    assert client.post(f"/admin/reports/{north.id}/resolve",
                       data={"resolution": "x"}).status_code == 404
    assert client.post(f"/admin/reports/{south.id}/resolve",
                       data={"resolution": ""}).status_code == 302
    db_session.expire_all()
    assert db_session.get(ListingReport, south.id).status == "open"
    client.post(f"/admin/reports/{south.id}/resolve",
                data={"resolution": "Called them: the side door is used now."})
    db_session.expire_all()
    resolved = db_session.get(ListingReport, south.id)
    assert (resolved.status, resolved.resolved_by) == ("resolved", "south@example.org")
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "report resolved"))
    assert entry.listing_id == "south" and "side door" in entry.note
