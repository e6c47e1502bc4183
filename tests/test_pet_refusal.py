"""A shelter that does not take pets (issue 13, who the help is for): the `no_pets`
population, read from a listing's own words at import (CSV and HSDS), never put first
for a person who named a pet, and never said to take pets.
"""

from __future__ import annotations

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
    store,
    us_shelter_package,
)

from bot.channels.console_why import listing_reasons
from resources_db.hsds_import import read_hsds
from resources_db.listing_rules import validate_listing
from resources_db.listing_words import pet_refusal_in, populations_from_words
from resources_db.listings_csv import read_listings_csv
from resources_db.search import search
from resources_db.vocabulary import NAMED_POPULATIONS, POPULATION_NAMES, POPULATIONS


def test_no_pets_is_a_population_a_listing_can_say_but_a_person_never_is():
    assert "no_pets" in POPULATIONS
    assert POPULATION_NAMES["no_pets"] == "Does not take pets"
    assert "no_pets" not in NAMED_POPULATIONS and "pets" in NAMED_POPULATIONS


def test_a_listing_may_not_both_take_and_refuse_pets():
    fields = {"id": "x", "name": "X", "categories": "shelter", "phone": "319-555-0100",
              "zip": "52404"}
    assert validate_listing({**fields, "populations": "women;no_pets"}).ok
    (error,) = validate_listing({**fields, "populations": "pets;no_pets"}).errors
    assert error.column == "populations" and "'no_pets' and 'pets'" in error.message


# --- reading the refusal from the listing's own words --------------------------------

@pytest.mark.parametrize("text", [
    "No pets.",
    "NO PETS ALLOWED",
    "Pets not allowed in the building.",
    "Sorry, pets are not permitted.",
    "We cannot accept pets at this time.",
    "We can't accept pets; ask about foster care for animals.",
    "We do not take pets",
    "Pets cannot stay at the shelter.",
    "No animals except service animals.",
    "Service animals only.",
    "A pet-free building.",
    "No se admiten mascotas.",
    "NO SE ADMITÉN MASCOTAS",
    "Refugio sin mascotas.",
    "No aceptamos mascotas.",
    "Las mascotas no están permitidas.",
    "Mascotas prohibidas.",
])
def test_words_that_refuse_pets(text):
    assert pet_refusal_in(text)


@pytest.mark.parametrize("text", [
    "Pets welcome!",
    "We take pets.",
    "No pet fee.",
    "No pet deposit required.",
    "No pets are turned away.",
    "Adults 18 and over fleeing abuse, with or without pets.",
    "Emergency shelter rooms with space for pets.",
    "Se admiten mascotas.",
    "Con o sin mascotas.",
    "Pets are not a problem.",
    "No dogs over 50 pounds.",  # some dogs: not a refusal of the person's pet
    "",
])
def test_words_that_do_not_refuse_pets(text):
    assert not pet_refusal_in(text)


@pytest.mark.parametrize(("populations", "texts", "expected"), [
    ("", ("No pets.",), "no_pets"),
    ("women;children", ("Intake by phone.", "sin mascotas"), "women;children;no_pets"),
    ("families;pets", ("No pets in the dorms; kennel on site.",), "families;pets"),
    ("no_pets", ("No pets.",), "no_pets"),  # said once
    ("women", ("Pets welcome.", None), "women"),
])
def test_a_refusal_in_the_words_adds_no_pets_unless_the_listing_names_pets(
        populations, texts, expected):
    assert populations_from_words(populations, *texts) == expected


def csv_row(listing_id: str, description: str, populations: str = "") -> dict:
    return {"id": listing_id, "name": f"Shelter {listing_id}", "categories": "shelter",
            "phone": "319-555-0100", "zip": "52404", "description": description,
            "populations": populations}


def test_a_csv_row_whose_description_refuses_pets_imports_with_no_pets():
    parsed = read_listings_csv(csv_file(
        csv_row("refuses", "Emergency shelter. Sorry, no pets."),
        csv_row("refuses-es", "Refugio de emergencia. No se admiten mascotas.", "women"),
        csv_row("welcomes", "Pets welcome; no pet fee."),
        csv_row("kennel", "No pets in the rooms; kennel on site.", "pets"),
    ), today=NOW.date())
    assert parsed.ok, parsed.errors
    populations = {record.id: record.populations for record in parsed.records}
    assert populations == {"refuses": ("no_pets",), "refuses-es": ("women", "no_pets"),
                           "welcomes": (), "kennel": ("pets",)}


@pytest.mark.parametrize(("description", "eligibility", "populations"), [
    ("Emergency shelter for survivors.", "Adults 18 and over. Pets not allowed.",
     ("no_pets",)),
    ("Refugio de emergencia, sin mascotas.", "", ("no_pets",)),
    ("Emergency shelter for survivors.", "Adults, with or without pets.", ()),
])
def test_an_hsds_service_whose_words_refuse_pets_imports_with_no_pets(
        tmp_path, description, eligibility, populations):
    result = read_hsds(us_shelter_package(tmp_path / "package", description=description,
                                    eligibility=eligibility), today=date(2026, 12, 2))
    (record,) = [r for r in result.records if r.id == f"hsds:{SHELTER}"]
    assert record.populations == populations
    said = [note for note in result.notes if "no_pets" in note]
    assert bool(said) == bool(populations)


# --- a person with a pet -------------------------------------------------------------

def shelter(listing_id: str, name: str, miles: float, populations: str = "") -> dict:
    return {"id": listing_id, "name": name, "categories": "shelter", "phone": "319-555-0100",
            "hours": "24/7", "verified_at": "2026-10-01", "languages": "en",
            "populations": populations, **north_of(miles)}


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


def test_a_person_with_a_dog_sees_pet_friendly_and_neutral_shelters_before_a_no_pets_one(
        session):
    store(session,
          shelter("no-pets", "Quiet Cove Shelter", miles=1, populations="women;no_pets"),
          shelter("anyone", "Open Door Shelter", miles=5),
          shelter("takes-pets", "Bluebird Haven", miles=20, populations="families;pets"))
    with_dog = search(session, "shelter", CEDAR_RAPIDS, populations=("pets",), limit=10,
                      now=NOW)
    assert ids(with_dog) == ["takes-pets", "anyone", "no-pets"]
    assert [hit.fits for hit in with_dog.hits] == [("pets",), (), ()]
    # No pet named: the refusal does not matter, the nearest comes first.
    alone = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(alone) == ["no-pets", "anyone", "takes-pets"]


def test_the_reply_to_shelter_that_takes_my_dog_puts_the_no_pets_shelter_last(session):
    store(session,
          shelter("no-pets", "Quiet Cove Shelter", miles=1, populations="no_pets"),
          shelter("anyone", "Open Door Shelter", miles=5),
          shelter("takes-pets", "Bluebird Haven", miles=20, populations="pets"))
    reply = reply_to(session, "shelter that takes my dog 52404")
    assert reply.index("Bluebird Haven") < reply.index("Open Door")
    assert reply.index("Open Door") < reply.index("Quiet Cove")
    quiet_cove = reply[reply.index("Quiet Cove"):]
    assert "akes pets" not in quiet_cove


def test_a_no_pets_shelter_is_never_said_to_take_pets_even_when_it_is_the_only_one(session):
    store(session, shelter("no-pets", "Quiet Cove Shelter", miles=1, populations="no_pets"))
    for text in ("shelter that takes my dog 52404", "refugio para mi perro 52404"):
        reply = reply_to(session, text)
        assert "Quiet Cove" in reply
        assert "akes pets" not in reply and "mascotas" not in reply.lower(), reply


def test_the_console_says_why_a_no_pets_shelter_came_after_the_rest(session):
    store(session, shelter("no-pets", "Quiet Cove Shelter", miles=1, populations="no_pets"))
    (hit,) = search(session, "shelter", CEDAR_RAPIDS, populations=("pets",), limit=10,
                    now=NOW).hits
    reasons = listing_reasons(hit, "en", ("pets",), NOW)
    assert "serves pets: not listed; does not take pets: after the rest" in reasons
