"""Beds: shelter staff tap how many beds are free (their own shelters only); survivors see
"Space: 3 beds free, reported 2 h ago" beside the shelter, and nothing once the report
is older than 24 hours.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_partner_network import PASSWORD, _row

from bot.staff import accounts
from resources_db.listings_store import save_listings
from resources_db.models import ListingBeds, utcnow


@pytest.fixture
def shelters(db_session):
    save_listings(db_session, [_row("north-shelter", "North House"),
                               _row("south-shelter", "South Clinic")])
    accounts.create_organization(db_session, "North House")
    accounts.create_user(db_session, "north@example.org", PASSWORD, "partner",
                         organization="North House")
    db_session.commit()


def test_two_taps_open_beds_and_tap_the_number(client, sign_in, db_session, shelters):
    sign_in("partner", "north@example.org")
    page = client.get("/admin/beds").get_data(as_text=True)
    assert "North-Shelter Place" in page and "South-Shelter Place" not in page
    response = client.post("/admin/listings/north-shelter/beds",
                           data={"available": "3", "next": "beds"})
    assert response.headers["Location"] == "/admin/beds#beds-north-shelter"
    beds = db_session.scalar(select(ListingBeds))
    assert (beds.listing_id, beds.available, beds.updated_by) == (
        "north-shelter", 3, "north@example.org")
    client.post("/admin/listings/north-shelter/beds", data={"available": "0"})
    db_session.expire_all()
    assert db_session.get(ListingBeds, "north-shelter").available == 0


@pytest.mark.parametrize("value", ["-1", "many", ""])
def test_a_bed_count_must_be_a_number(client, sign_in, shelters, value):
    sign_in("partner", "north@example.org")
    assert client.post("/admin/listings/north-shelter/beds",
                       data={"available": value}).status_code == 400


def _chat_results(client) -> str:
    token = client.post("/chat/api/messages", json={"token": None, "text": "shelter"}
                        ).get_json()["token"]
    return client.post("/chat/api/messages", json={"token": token, "text": "52404"}
                       ).get_json()["replies"][0]


def _report(db_session, hours_ago: float, available: int = 3):
    db_session.add(ListingBeds(listing_id="north-shelter", available=available,
                               updated_at=utcnow() - timedelta(hours=hours_ago),
                               updated_by="north@example.org"))
    db_session.commit()


def test_survivors_see_a_fresh_report_with_its_age(client, db_session, shelters):
    _report(db_session, hours_ago=2.2)
    line = next(line for line in _chat_results(client).splitlines()
                if "North-Shelter Place" in line)
    assert "Space: 3 beds free, reported 2 h ago" in line


def test_a_report_older_than_24_hours_is_not_shown(client, db_session, shelters):
    _report(db_session, hours_ago=25)
    assert "beds free" not in _chat_results(client)


def test_no_beds_free_is_said_too(client, db_session, shelters):
    _report(db_session, hours_ago=0.1, available=0)
    assert "No beds free, reported 6 min ago" in _chat_results(client)


def test_by_sms_the_report_fits_the_three_segments(signed_sms, db_session, shelters):
    from bot.texts.sms_text import segment_info

    _report(db_session, hours_ago=1)
    signed_sms("shelter")
    body = signed_sms("52404").get_data(as_text=True)
    assert "beds free, reported 1 h ago" in body
    message = body.split("<Message>")[1].split("</Message>")[0]
    assert segment_info(message).segments <= 3
