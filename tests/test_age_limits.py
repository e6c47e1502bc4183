"""Who the help is for (issue 13): the age limits a listing's own words say ("adults
only", "18+", "ages 12-17", "solo adultos"), read at import into `minimum_age` and
`maximum_age`, so an adults-only shelter never comes first for a teen.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest
from listing_builders import (
    CEDAR_RAPIDS,
    NOW,
    SHELTER,
    csv_file,
    ids,
    north_of,
    reply_to,
    us_shelter_package,
)
from sqlalchemy import select

from resources_db.hsds_import import read_hsds
from resources_db.listing_words import ages_from_words
from resources_db.listings_csv import import_listings_csv, read_listings_csv
from resources_db.models import Listing
from resources_db.search import search

# --- reading the limits from the listing's own words ---------------------------------

@pytest.mark.parametrize(("text", "ages"), [
    ("Adults only.", (18, None)),
    ("Adults only (18+)", (18, None)),
    ("For women 18 and older.", (18, None)),
    ("Survivors 18 and over.", (18, None)),
    ("Clients 18+", (18, None)),
    ("Ages 18 and up.", (18, None)),
    ("You must be 18 to stay.", (18, None)),
    ("Adults 18 years of age or older.", (18, None)),
    ("No minors.", (18, None)),
    ("Women 18+ fleeing abuse.", (18, None)),
    ("Solo adultos.", (18, None)),
    ("Refugio solo para adultos.", (18, None)),
    ("Mayores de 18 años.", (18, None)),
    ("Personas de 18 años o más.", (18, None)),
    ("No one under 21.", (21, None)),
    ("Ages 12-17.", (12, 17)),
    ("Youth 12 to 24.", (12, 24)),
    ("For teens 13-19.", (13, 19)),
    ("Serves 12–17 year olds.", (12, 17)),
    ("Jóvenes de 12 a 17 años.", (12, 17)),
    ("55 and older.", (55, None)),
    ("Seniors 60+.", (60, None)),
])
def test_words_that_say_an_age_limit(text, ages):
    assert ages_from_words(text) == ages


@pytest.mark.parametrize("text", [
    "Children of all ages welcome.",
    "18 beds.",
    "Open 24 hours.",
    "Open 9-5.",
    "Hours 8 to 17.",
    "Serving 18 counties.",
    "Room for 18+ families.",
    "Since 1985.",
    "Call 911 in an emergency.",
    "24/7 hotline, 1-800-799-7233.",
    "Stays of 1 to 2 years; up to 90 days in the emergency rooms.",
    "Women with children under 5 welcome.",
    "Women with kids ages 0-17.",  # the children who come along, not a limit on her
    "Women and children; boys 12 and older stay in the family wing.",
    "Mujeres con hijos menores de 12 años.",
    "No minors are turned away.",
    "",
])
def test_words_that_are_not_an_age_limit(text):
    assert ages_from_words(text) == (None, None)


def test_the_first_text_that_says_a_limit_wins():
    assert ages_from_words(None, "Emergency shelter.", "Adults only.", "Ages 12-17") == (
        18, None)


# --- the CSV import ------------------------------------------------------------------

def shelter(listing_id: str, name: str, miles: float, description: str = "") -> dict:
    return {"id": listing_id, "name": name, "categories": "shelter", "phone": "319-555-0100",
            "hours": "24/7", "verified_at": "2026-10-01", "languages": "en",
            "description": description, **north_of(miles)}


ADULTS_ONLY = shelter("adults-only", "Quiet Cove Shelter", miles=1,
                      description="Emergency shelter. Adults only (18+).")
ANYONE = shelter("anyone", "Open Door Shelter", miles=5, description="Emergency shelter.")
TEENS = shelter("teens", "Bluebird Youth House", miles=20,
                description="Safe beds for youth ages 12-17.")


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


def stored_ages(session) -> dict[str, tuple[int | None, int | None]]:
    rows = session.execute(select(Listing.id, Listing.minimum_age, Listing.maximum_age))
    return {row.id: (row.minimum_age, row.maximum_age) for row in rows}


def test_a_csv_row_that_says_adults_only_imports_with_minimum_age_18(session):
    parsed = read_listings_csv(csv_file(ADULTS_ONLY, ANYONE, TEENS), today=NOW.date())
    assert parsed.ok, parsed.errors
    assert {r.id: (r.minimum_age, r.maximum_age) for r in parsed.records} == {
        "adults-only": (18, None), "anyone": (None, None), "teens": (12, 17)}
    report = import_listings_csv(session, csv_file(ADULTS_ONLY, ANYONE, TEENS), actor="t")
    session.commit()
    assert report.applied and report.written == 3
    assert stored_ages(session) == {"adults-only": (18, None), "anyone": (None, None),
                                    "teens": (12, 17)}
    # The columns are the same: export gives no new one, and the file imports unchanged.
    again = import_listings_csv(session, csv_file(ADULTS_ONLY, ANYONE, TEENS), actor="t")
    session.commit()
    assert again.written == 0 and again.plan.counts()["unchanged"] == 3
    assert stored_ages(session)["adults-only"] == (18, None)


def test_an_edited_description_changes_the_ages_and_keeps_the_reported_space(session):
    import_listings_csv(session, csv_file(ANYONE), actor="t")
    session.commit()
    listing = session.get(Listing, "anyone")
    listing.beds_available, listing.beds_total = 3, 12
    session.commit()
    edited = {**ANYONE, "description": "Emergency shelter for women 18 and older."}
    assert import_listings_csv(session, csv_file(edited), actor="t").written == 1
    session.commit()
    session.expire_all()
    listing = session.get(Listing, "anyone")
    assert (listing.minimum_age, listing.maximum_age) == (18, None)
    assert (listing.beds_available, listing.beds_total) == (3, 12)


def test_a_file_with_one_bad_row_writes_no_ages_at_all(session):
    bad = {**ANYONE, "phone": ""}
    report = import_listings_csv(session, csv_file(ADULTS_ONLY, bad), actor="t")
    session.commit()
    assert not report.applied and stored_ages(session) == {}


# --- HSDS: its own fields first, its words for what they leave out ---------------------

def test_an_hsds_service_without_age_fields_takes_them_from_its_words(tmp_path):
    result = read_hsds(us_shelter_package(tmp_path / "package", description="Emergency shelter.",
                                    eligibility="Adults only, 18 and over."),
                       today=date(2026, 12, 2))
    (record,) = [r for r in result.records if r.id == f"hsds:{SHELTER}"]
    assert (record.minimum_age, record.maximum_age) == (18, None)
    assert any("minimum_age 18" in note for note in result.notes)


def test_an_hsds_services_own_age_fields_win_over_its_words(tmp_path):
    package = us_shelter_package(tmp_path / "package", description="Shelter for youth 12 to 24.",
                           eligibility="")
    services = package / "services.csv"
    rows = list(csv.DictReader(services.open(encoding="utf-8", newline="")))
    if "minimum_age" not in rows[0]:
        pytest.skip("this HSDS sample has no minimum_age column")
    for row in rows:
        if row["id"] == SHELTER:
            row.update(minimum_age="16", maximum_age="24")
    with services.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    result = read_hsds(package, today=date(2026, 12, 2))
    (record,) = [r for r in result.records if r.id == f"hsds:{SHELTER}"]
    assert (record.minimum_age, record.maximum_age) == (16, 24)


# --- a teen looking for a place --------------------------------------------------------

def test_a_teen_sees_the_adults_only_shelter_after_the_others_though_it_is_nearest(session):
    import_listings_csv(session, csv_file(ADULTS_ONLY, ANYONE, TEENS), actor="t")
    session.commit()
    teen = search(session, "shelter", CEDAR_RAPIDS, populations=("teens",), limit=10,
                  now=NOW)
    assert ids(teen)[-1] == "adults-only"
    # No one named: the limit does not matter, the nearest comes first.
    alone = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(alone)[0] == "adults-only"


@pytest.mark.parametrize("message", [
    "shelter for my 15 year old daughter 52404",
    "im 16 and need a place to stay 52404",  # the writer's own age, said bare
])
def test_the_reply_for_a_teen_puts_the_adults_only_shelter_last(session, message):
    import_listings_csv(session, csv_file(ADULTS_ONLY, ANYONE, TEENS), actor="t")
    session.commit()
    reply = reply_to(session, message)
    assert "Quiet Cove" in reply, reply
    assert reply.index("Open Door") < reply.index("Quiet Cove"), reply
