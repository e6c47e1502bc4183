"""Geography, offline from the `zipcodes` package: a ZIP to its place, typed places to a
found, ambiguous or unknown answer, place mentions inside a message, distances and the
helpers search and import rely on (state time zones, nearest ZIP, a city's ZIPs).
"""

from __future__ import annotations

import pytest

from resources_db import geography
from resources_db.geography import (
    county_exists,
    distance_miles,
    find_place_mentions,
    lookup_zip,
    nearest_zip,
    resolve_city,
    resolve_place,
    state_code,
    state_timezone,
    zips_of_city,
)


@pytest.mark.parametrize(
    ("zip_code", "city", "county", "state", "timezone"),
    [
        ("52404", "Cedar Rapids", "Linn County", "IA", "America/Chicago"),
        ("40202", "Louisville", "Jefferson County", "KY", "America/Kentucky/Louisville"),
        ("32202", "Jacksonville", "Duval County", "FL", "America/New_York"),
        ("63101", "Saint Louis", "St. Louis city", "MO", "America/Chicago"),
        ("96813", "Honolulu", "Honolulu County", "HI", "Pacific/Honolulu"),
    ],
)
def test_a_zip_gives_coordinates_city_county_state_and_time_zone(
    zip_code, city, county, state, timezone
):
    place = lookup_zip(zip_code)
    assert place is not None
    assert (place.kind, place.zip, place.city, place.county, place.state, place.timezone) == (
        "zip", zip_code, city, county, state, timezone)
    assert -90 < place.latitude < 90 and -180 < place.longitude < 180


def test_zip_coordinates_are_the_packages_own():
    place = lookup_zip("52404")
    assert (place.latitude, place.longitude) == (41.9521, -91.6853)


@pytest.mark.parametrize("text", ["52404-1234", " 52404 "])
def test_zip_plus_four_and_spaces_are_accepted(text):
    assert lookup_zip(text).zip == "52404"


@pytest.mark.parametrize("text", ["99999", "5240", "abcde", "", "09001"])
def test_unknown_or_malformed_zips_are_none(text):
    # 09001 is a military APO code: it has no place on the map.
    assert lookup_zip(text) is None


def test_a_zip_whose_time_zone_is_missing_or_wrong_gets_its_states():
    # The package gives 99634 (Napakiak, AK) the time zone "Napakiak".
    assert geography._index().zips["99634"]["timezone"] == "Napakiak"
    assert lookup_zip("99634").timezone == state_timezone("AK") == "America/Anchorage"


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("Cedar Rapids IA", "Cedar Rapids", "IA"),
        ("Cedar Rapids, Iowa", "Cedar Rapids", "IA"),
        ("cedar rapids, ia", "Cedar Rapids", "IA"),
        ("Louisville, KY", "Louisville", "KY"),
        ("Louisville Kentucky", "Louisville", "KY"),
        ("St. Louis, MO", "Saint Louis", "MO"),
        ("Saint Louis Missouri", "Saint Louis", "MO"),
        ("Jacksonville FL", "Jacksonville", "FL"),
        ("Washington, D.C.", "Washington", "DC"),
        ("Charleston, West Virginia", "Charleston", "WV"),
    ],
)
def test_city_and_state_resolve_to_the_city_centre(text, city, state):
    lookup = resolve_place(text)
    assert lookup.status == "found"
    assert (lookup.place.kind, lookup.place.city, lookup.place.state) == ("city", city, state)
    assert lookup.place.latitude is not None and lookup.place.timezone


def test_a_city_centre_is_near_its_zips():
    centre = resolve_place("Cedar Rapids, IA").place
    downtown = lookup_zip("52401")
    assert distance_miles(centre.latitude, centre.longitude,
                          downtown.latitude, downtown.longitude) < 10


@pytest.mark.parametrize(
    ("text", "state"), [("Kalamazoo", "MI"), ("Albuquerque", "NM"), ("Pittsburgh", "PA")]
)
def test_a_city_alone_resolves_when_only_one_state_has_it(text, state):
    lookup = resolve_place(text)
    assert lookup.status == "found"
    assert lookup.place.state == state
    assert lookup.candidate_states == (state,)


def test_a_city_in_several_states_of_similar_size_is_ambiguous_with_the_candidate_states():
    lookup = resolve_place("Springfield")
    assert lookup.status == "ambiguous"
    assert lookup.place is None
    assert {"IL", "MO", "MA", "OH"} <= set(lookup.candidate_states)
    assert lookup.likely_state is None


@pytest.mark.parametrize(
    ("text", "some_states", "largest"),
    [
        ("Louisville", {"KY", "CO", "GA"}, "KY"),
        ("Jacksonville", {"FL", "NC", "AR"}, "FL"),
        ("Cedar Rapids", {"IA", "NE"}, "IA"),
        ("st louis", {"MO", "MI"}, "MO"),
        ("Houston", {"TX", "PA"}, "TX"),
    ],
)
def test_a_city_whose_largest_namesake_dominates_is_taken_at_once_and_marked_assumed(
    text, some_states, largest
):
    lookup = resolve_place(text)
    assert lookup.status == "found"
    assert lookup.assumed
    assert lookup.place.state == largest
    assert some_states <= set(lookup.candidate_states)
    assert lookup.candidate_states[0] == largest


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("billings mt", "Billings", "MT"),
        ("Billings MT", "Billings", "MT"),
        ("shelter in billings mt", "Billings", "MT"),
        ("st louis rn", "St. Louis", None),  # filler is no part of the place
        ("cedar rapids ia pls", "Cedar Rapids", "IA"),
        ("Mt Vernon IL", "Mt. Vernon", "IL"),  # before a name, Mt is Mount
    ],
)
def test_a_state_after_a_city_counts_in_any_case_and_filler_words_are_ignored(
    text, city, state
):
    mentions = find_place_mentions(text)
    assert (mentions.city, mentions.state) == (city, state)


@pytest.mark.parametrize("text", ["i need help now", "hope", "please", "tonight pls",
                                  "i need a place tonight", "shelter now pls rn"])
def test_ordinary_and_filler_words_never_become_towns(text):
    assert find_place_mentions(text).city is None


@pytest.mark.parametrize(
    ("text", "state"),
    [("Iowa", "IA"), ("KY", "KY"), ("West Virginia", "WV"), ("Nueva York", "NY"),
     ("misuri", "MO")],
)
def test_a_state_alone_is_a_state_place_without_coordinates(text, state):
    lookup = resolve_place(text)
    assert lookup.status == "found"
    assert (lookup.place.kind, lookup.place.state, lookup.place.latitude) == (
        "state", state, None)


@pytest.mark.parametrize("text", ["Atlantis", "99999", "", "qwerty asdf"])
def test_unknown_places_are_not_found(text):
    assert resolve_place(text).status == "not_found"


def test_a_city_in_a_state_that_lacks_it_is_not_found():
    assert resolve_city("Cedar Rapids", "KY").status == "not_found"


@pytest.mark.parametrize(
    ("message", "zip_code", "city", "state"),
    [
        ("I need a shelter in Louisville KY", None, "Louisville", "KY"),
        ("shelter near 52404 please", "52404", None, None),
        ("vivo en Jacksonville", None, "Jacksonville", None),
        ("I'm in Cedar Rapids, Iowa", None, "Cedar Rapids", "IA"),
        ("stop he is hurting me", None, None, None),
        ("I need help at home", None, None, None),
        ("Kansas City MO", None, "Kansas City", "MO"),
    ],
)
def test_place_mentions_inside_a_message(message, zip_code, city, state):
    found = find_place_mentions(message)
    assert (found.zip, found.city, found.state) == (zip_code, city, state)


def test_distance_between_cedar_rapids_and_iowa_city_is_about_25_miles():
    cedar_rapids, iowa_city = lookup_zip("52401"), lookup_zip("52240")
    miles = distance_miles(cedar_rapids.latitude, cedar_rapids.longitude,
                           iowa_city.latitude, iowa_city.longitude)
    assert miles == pytest.approx(24.6, abs=1.5)
    assert distance_miles(1.0, 2.0, 1.0, 2.0) == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [("IA", "IA"), ("iowa", "IA"), ("Nueva York", "NY"), ("Kentucky", "KY"), ("XX", None)],
)
def test_state_codes(text, code):
    assert state_code(text) == code


def test_counties_exist_only_in_their_state():
    assert county_exists("Linn County", "IA")
    assert county_exists("linn county", "IA")
    assert county_exists("St. Louis city", "MO")
    assert not county_exists("Linn County", "FL")


def test_state_time_zones_nearest_zip_and_city_zips():
    assert state_timezone("IA") == "America/Chicago"
    assert state_timezone("FL") == "America/New_York"
    assert state_timezone("ZZ") is None
    assert nearest_zip(41.975, -91.656).city == "Cedar Rapids"
    assert nearest_zip(0.0, 0.0) is None  # the middle of the ocean
    assert {"52401", "52402", "52404"} <= zips_of_city("Cedar Rapids", "IA")
    assert zips_of_city("Cedar Rapids", "FL") == frozenset()
