"""Search ranking, as the issue states it: local by distance band (25, 50, 100 miles until
there are 3), then state-wide, then national; stale after verified and language or
population matches first within a band; inactive never; open now in the listing's own
time zone; and a bounding-box prefilter that reads an index, not every row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from listing_builders import ids, store
from sqlalchemy import event, text

from resources_db.geography import lookup_zip, resolve_place
from resources_db.search import search

# Wednesday 18 November 2026, 15:00 UTC = 09:00 in Cedar Rapids (America/Chicago).
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
CEDAR_RAPIDS = lookup_zip("52404")
MILES_PER_DEGREE = 69.09  # along a meridian, with the 3958.8-mile earth radius


def north_of(place, miles: float) -> tuple[str, str]:
    """Return (latitude, longitude) text `miles` due north of `place`."""
    return repr(place.latitude + miles / MILES_PER_DEGREE), repr(place.longitude)


def make(listing_id: str, *, miles: float | None = None, place=CEDAR_RAPIDS, **fields) -> dict:
    """Return CSV fields of a shelter listing, `miles` north of `place` when given."""
    row = {
        "id": listing_id,
        "name": fields.pop("name", f"Listing {listing_id}"),
        "categories": "shelter",
        "phone": "319-555-0100",
        "hours": "24/7",
        "verified_at": "2026-10-01",
        "languages": "en",
    }
    if miles is not None:
        row["latitude"], row["longitude"] = north_of(place, miles)
    row.update(fields)
    return row


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.mark.parametrize(
    ("distances", "expected_ids", "radius"),
    [
        # Three within 25 miles: the 40-mile one is not local.
        ({"a": 5, "b": 10, "c": 20, "d": 40}, ["a", "b", "c"], 25),
        # Two within 25: widen to 50, which has three.
        ({"a": 5, "b": 30, "c": 45, "d": 80}, ["a", "b", "c"], 50),
        # Only two within 50: widen to 100; 120 miles is never local.
        ({"a": 5, "b": 60, "c": 120}, ["a", "b"], 100),
        # One near one, none further: the band reported is the one that holds it.
        ({"a": 12}, ["a"], 25),
    ],
)
def test_local_radius_widens_25_50_100_until_three(session, distances, expected_ids, radius):
    store(session, *(make(key, miles=miles) for key, miles in distances.items()))
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == expected_ids
    assert results.local_total == len(expected_ids)
    assert results.radius_miles == radius
    assert results.total == len(expected_ids)
    assert [hit.scope for hit in results.hits] == ["local"] * len(expected_ids)


def test_a_county_wide_listing_based_far_away_leaves_the_reported_band_alone(session):
    # A mobile advocate serving Linn County from an office 150 miles off, and three
    # shelters within 25 miles: the answer came from the first band, 25 miles.
    county = f"county:{CEDAR_RAPIDS.county}, IA"
    store(session, make("mobile", miles=150, service_area=county),
          *(make(key, miles=miles) for key, miles in {"a": 5, "b": 10, "c": 20}.items()))
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert set(ids(results)) == {"mobile", "a", "b", "c"}
    assert results.radius_miles == 25


def test_distance_is_reported_in_miles(session):
    store(session, make("a", miles=30))
    [hit] = search(session, "shelter", CEDAR_RAPIDS, now=NOW).hits
    assert hit.distance_miles == pytest.approx(30, abs=0.2)


def test_state_then_national_come_after_local(session):
    store(
        session,
        make("national", service_area="national", name="A national line"),
        make("state-ia", service_area="state:IA", name="A Iowa line"),
        make("state-ky", service_area="state:KY", name="A Kentucky line"),
        make("local", miles=8, name="Z local shelter"),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["local", "state-ia", "national"]
    assert [hit.scope for hit in results.hits] == ["local", "state", "national"]
    assert results.local_total == 1
    assert results.total == 3
    assert results.hits[2].distance_miles is None


def test_nothing_local_is_reported_as_an_unmet_need(session):
    store(session, make("far", miles=150), make("national", service_area="national"))
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["national"]
    assert results.local_total == 0
    assert results.radius_miles is None


def test_a_state_alone_gets_state_wide_and_national_listings(session):
    store(
        session,
        make("local", miles=1),
        make("state-ia", service_area="state:IA"),
        make("national", service_area="national"),
    )
    iowa = resolve_place("Iowa").place
    results = search(session, "shelter", iowa, limit=10, now=NOW)
    assert ids(results) == ["state-ia", "national"]
    assert results.local_total == 0
    assert results.radius_miles is None


def test_inactive_listings_never_appear(session):
    store(
        session,
        make("local-off", miles=1, active="false"),
        make("state-off", service_area="state:IA", active="false"),
        make("national-off", service_area="national", active="false"),
        make("local-on", miles=3),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["local-on"]
    assert results.total == 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Same band: the stale one (verified over 12 months ago) goes after, though nearer.
        ([make("stale", miles=2, verified_at="2025-11-17"), make("fresh", miles=20)],
         ["fresh", "stale"]),
        # Never verified counts as stale.
        ([make("never", miles=2, verified_at=""), make("fresh", miles=20)], ["fresh", "never"]),
        # Verified exactly 12 months ago still counts as verified: distance decides.
        ([make("edge", miles=2, verified_at="2025-11-18"), make("fresh", miles=20)],
         ["edge", "fresh"]),
        # Different bands: the stale one within 25 stays ahead of the fresh one at 40.
        ([make("stale", miles=2, verified_at="2024-01-01"), make("fresh", miles=40)],
         ["stale", "fresh"]),
    ],
    ids=["stale-after-verified", "never-verified", "twelve-months-edge", "band-first"],
)
def test_stale_listings_rank_after_verified_ones_in_the_same_band(session, rows, expected):
    store(session, *rows)
    assert ids(search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)) == expected


def test_stale_ordering_holds_in_the_state_and_national_tiers(session):
    store(
        session,
        make("state-stale", service_area="state:IA", name="A", verified_at="2023-05-05"),
        make("state-fresh", service_area="state:IA", name="B"),
        make("nat-stale", service_area="national", name="A", verified_at=""),
        make("nat-fresh", service_area="national", name="B"),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["state-fresh", "state-stale", "nat-fresh", "nat-stale"]


def test_language_match_ranks_first_within_a_band(session):
    store(
        session,
        make("english", miles=2, languages="en"),
        make("spanish", miles=20, languages="en;es"),
        make("spanish-far", miles=40, languages="es"),
    )
    assert ids(search(session, "shelter", CEDAR_RAPIDS, language="es", limit=10, now=NOW)) == [
        "spanish", "english", "spanish-far"]
    assert ids(search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)) == [
        "english", "spanish", "spanish-far"]


def test_population_match_ranks_first_within_a_band(session):
    store(
        session,
        make("general", miles=2),
        make("teens", miles=15, populations="teens;lgbtq"),
        make("state-general", service_area="state:IA", name="A"),
        make("state-teens", service_area="state:IA", name="B", populations="teens"),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, population="teens", limit=10, now=NOW)
    assert ids(results) == ["teens", "general", "state-teens", "state-general"]


def test_verified_outranks_a_language_match_within_a_band(session):
    store(
        session,
        make("stale-spanish", miles=2, languages="es", verified_at="2020-01-01"),
        make("fresh-english", miles=10, languages="en"),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, language="es", limit=10, now=NOW)
    assert ids(results) == ["fresh-english", "stale-spanish"]


def test_a_county_service_area_covers_its_county_at_any_distance(session):
    store(
        session,
        make("linn", service_area="county:Linn County, IA"),  # no location at all
        make("johnson", miles=1, service_area="county:Johnson County, IA"),  # near, not ours
        make("near", miles=3),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)
    assert set(ids(results)) == {"linn", "near"}
    linn = next(hit for hit in results.hits if hit.listing_id == "linn")
    assert linn.distance_miles is None
    assert linn.scope == "local"


def test_a_zip_service_area_covers_only_its_zips(session):
    store(
        session,
        make("ours", service_area="zip:52404;52405", zip="52405"),
        make("theirs", service_area="zip:52402", zip="52402"),
    )
    assert ids(search(session, "shelter", CEDAR_RAPIDS, limit=10, now=NOW)) == ["ours"]


def test_a_city_place_finds_listings_by_county_and_zip(session):
    store(
        session,
        make("linn", service_area="county:Linn County, IA"),
        make("zip", service_area="zip:52402"),
    )
    city = resolve_place("Cedar Rapids, IA").place
    assert set(ids(search(session, "shelter", city, limit=10, now=NOW))) == {"linn", "zip"}


def test_open_now_in_the_listings_own_time_zone(session):
    # 09:00 in Chicago is 10:00 in New York: opening at 09:30 local, only New York is open.
    store(
        session,
        make("chicago", zip="52404", hours="Mon-Fri 09:30-17:00"),
        make("new-york", zip="10001", service_area="county:Linn County, IA",
             hours="Mon-Fri 09:30-17:00"),
        make("always", miles=4, hours="24/7"),
        make("unknown", miles=6, hours=""),
    )
    hits = {hit.listing_id: hit for hit in search(session, "shelter", CEDAR_RAPIDS, limit=10,
                                                  now=NOW).hits}
    assert hits["chicago"].open_now is False
    assert hits["new-york"].open_now is True
    assert hits["always"].open_now is True
    assert hits["unknown"].open_now is None
    open_only = search(session, "shelter", CEDAR_RAPIDS, open_now=True, limit=10, now=NOW)
    assert set(ids(open_only)) == {"new-york", "always"}


def test_pages_follow_one_order(session):
    store(session, *(make(f"l{index}", miles=index + 1) for index in range(7)),
          make("national", service_area="national"))
    first = search(session, "shelter", CEDAR_RAPIDS, now=NOW)
    second = search(session, "shelter", CEDAR_RAPIDS, offset=3, now=NOW)
    last = search(session, "shelter", CEDAR_RAPIDS, offset=6, now=NOW)
    assert ids(first) == ["l0", "l1", "l2"]
    assert ids(second) == ["l3", "l4", "l5"]
    assert ids(last) == ["l6", "national"]
    assert first.has_more and second.has_more and not last.has_more
    assert first.total == 8


def test_hits_carry_what_a_reply_needs(session):
    store(session, make("a", zip="52404", name="Safe Place", organization="Org",
                        sms="START to 88788", confidential="true", languages="en;es",
                        populations="women", categories="shelter;advocacy",
                        hours="Mon-Fri 09:00-17:00", address="1 Main St",
                        city="Cedar Rapids", state="IA", website="https://example.org"))
    [hit] = search(session, "advocacy", CEDAR_RAPIDS, now=NOW).hits
    assert (hit.name, hit.organization, hit.phone, hit.sms, hit.website) == (
        "Safe Place", "Org", "319-555-0100", "START to 88788", "https://example.org")
    assert (hit.address, hit.city, hit.state, hit.zip) == ("1 Main St", "Cedar Rapids", "IA",
                                                           "52404")
    assert hit.confidential is True
    assert hit.open_now is True
    assert hit.languages == ("en", "es")
    assert hit.populations == ("women",)
    assert hit.categories == ("shelter", "advocacy")
    assert hit.verified_at.isoformat() == "2026-10-01"
    assert hit.hours == "Mon-Fri 09:00-17:00"


def test_other_categories_are_not_returned(session):
    store(session, make("legal", miles=1, categories="legal"))
    assert search(session, "shelter", CEDAR_RAPIDS, now=NOW).total == 0


def test_an_unknown_category_is_a_programming_error(session):
    with pytest.raises(ValueError, match="unknown category"):
        search(session, "shelters", CEDAR_RAPIDS, now=NOW)


def test_the_local_query_reads_the_bounding_box_index(session):
    """The spatial prefilter is an index range scan, not a scan of every listing."""
    # Listings spread over the middle of the country, in several categories, with
    # statistics gathered, so the planner chooses as it would with real data.
    categories = ("shelter", "legal", "housing", "health")
    rows = []
    for index in range(400):
        latitude = 33.0 + (index % 20) * 0.6
        longitude = -100.0 + (index // 20) * 0.9
        rows.append(make(f"l{index}", latitude=repr(latitude), longitude=repr(longitude),
                         categories=categories[index % len(categories)]))
    store(session, *rows)
    session.execute(text("ANALYZE"))
    session.commit()
    statements: list[tuple[str, object]] = []
    engine = session.get_bind()

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "listing_category.latitude BETWEEN" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        search(session, "shelter", CEDAR_RAPIDS, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert statements
    statement, parameters = statements[0]
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plan = session.connection().exec_driver_sql(explain + statement, parameters).all()
    assert any("ix_listing_category_box" in str(row) for row in plan), plan


@pytest.mark.parametrize("category", ["counseling", "shelter", "advocacy", "hotline", "legal"])
def test_no_survivor_search_ever_returns_a_program_for_people_who_use_violence(
        session, category):
    store(
        session,
        # Tagged with a survivor's category too: the guard still drops it.
        make("intervention", miles=1, categories=f"{category};using_violence"),
        make("intervention-state", service_area="state:IA", name="State program",
             categories=f"using_violence;{category}"),
        make("intervention-national", service_area="national", name="National program",
             categories=f"{category};using_violence"),
        make("survivor-help", miles=3, categories=category),
    )
    results = search(session, category, CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["survivor-help"]
    assert results.total == 1


def test_the_using_violence_search_lists_local_then_state_then_national_programs(session):
    store(
        session,
        make("local-program", miles=4, categories="using_violence"),
        make("state-program", service_area="state:IA", name="State program",
             categories="using_violence"),
        make("national-line", service_area="national", name="National line",
             categories="using_violence;hotline"),
        make("survivor-shelter", miles=1, categories="shelter"),
    )
    results = search(session, "using_violence", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(results) == ["local-program", "state-program", "national-line"]


def test_who_it_is_for_ranks_first_and_an_excluding_listing_never_comes_first(session):
    store(
        session,
        make("women-only", miles=1, populations="women;children"),
        make("takes-pets", miles=20, populations="families;pets"),
        make("anyone", miles=5),
        make("adults-only", miles=2),
    )
    pets = search(session, "shelter", CEDAR_RAPIDS, populations=("pets",), limit=10, now=NOW)
    assert ids(pets)[0] == "takes-pets"
    assert pets.hits[0].fits == ("pets",)
    man = search(session, "shelter", CEDAR_RAPIDS, populations=("men",), limit=10, now=NOW)
    assert ids(man)[-1] == "women-only"  # shut out: last, after the state and national tiers
    assert ids(man)[0] == "adults-only"


def test_a_sub_need_ranks_its_listings_first_then_the_whole_need_then_other_parts(session):
    store(
        session,
        make("immigration-clinic", miles=1, categories="legal/immigration;immigration"),
        make("family-law", miles=9, categories="legal/family;legal/protective_order"),
        make("general-legal", miles=5, categories="legal"),
    )
    results = search(session, "legal", CEDAR_RAPIDS, sub_need="family", limit=10, now=NOW)
    assert ids(results) == ["family-law", "general-legal", "immigration-clinic"]
    assert results.hits[0].fits == ("legal/family",)
    plain = search(session, "legal", CEDAR_RAPIDS, limit=10, now=NOW)
    assert ids(plain) == ["immigration-clinic", "general-legal", "family-law"]


def test_when_needed_now_open_places_come_first_and_a_closed_one_says_when_it_opens(session):
    # 03:00 on Thursday in Cedar Rapids.
    night = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    store(
        session,
        make("office", miles=1, hours="Mon-Fri 09:00-17:00"),
        make("always", miles=10, hours="24/7"),
    )
    results = search(session, "shelter", CEDAR_RAPIDS, prefer_open=True, limit=10, now=night)
    assert ids(results) == ["always", "office"]
    assert results.hits[1].open_now is False
    assert results.hits[1].next_opening == (0, 3, 9 * 60)  # today (Thursday) at 09:00
    assert ids(search(session, "shelter", CEDAR_RAPIDS, limit=10, now=night)) == [
        "office", "always"]


def test_an_age_range_that_shuts_out_a_teen_or_a_child_puts_that_listing_last(session):
    from sqlalchemy import update

    from resources_db.models import Listing

    store(session, make("adults-only", miles=1), make("anyone", miles=10))
    session.execute(update(Listing).where(Listing.id == "adults-only").values(minimum_age=18))
    session.commit()
    for who in ("teens", "children"):
        results = search(session, "shelter", CEDAR_RAPIDS, populations=(who,), limit=10,
                         now=NOW)
        assert ids(results) == ["anyone", "adults-only"], who
    assert ids(search(session, "shelter", CEDAR_RAPIDS, populations=("elders",), limit=10,
                      now=NOW)) == ["adults-only", "anyone"]
