"""Find the listings to offer someone: safe, near, and in the order the issue asks for.

`search(session, category, place, ...)` answers in three tiers, never with an inactive
listing:

1. Local: listings whose area covers the place. A listing with no service area covers
   the area around its location; it counts when it lies within 25 miles of the place, and
   the radius widens to 50 and then 100 miles until there are at least 3 local listings.
   A listing whose service area names the place's county or ZIP covers it whatever the
   distance (a county-wide mobile advocate has no useful distance); one whose area names
   other counties or ZIPs never covers it, however close it is.
2. State-wide listings for the place's state (`service_area` `state:XX`).
3. National listings.

Never for a survivor: a listing carrying `using_violence` (a program for people who use
violence) is dropped from every search but a `using_violence` one, whatever else it is
tagged. That guard is here, in the one function every search goes through.

Bands and order. The local tier is split into distance bands (0-25, 25-50, 50-100 miles;
area matches go in the first); the state-wide and national tiers are one band each.
The order, first difference wins:
1. Listings that exclude the person come last (a women-only listing for a man, an
   adults-only one for a teen, a `no_pets` one for someone with a pet, by the populations
   and the age range it gives).
2. When it is needed now (`prefer_open`: the person said now or tonight, or it is night
   where they are), open now or 24/7 before unknown hours before closed, whatever the
   tier: at 2 am a national line that answers beats a local office that opens at nine.
3. The tier: local, then state-wide, then national.
4. Fit: the populations asked for that the listing serves, and the sub-need asked for
   (`legal/family` before a plain `legal`, which means the whole need, before a listing
   that names only other sub-needs of it).
5. The distance band; then verified in the last 12 months before stale or never
   verified; then the person's language; then nearest; then by name, so equal rows keep
   a stable order across pages.

Speed. Nothing here scans every listing. The local tier reads `listing_category` through
its (category, scope, latitude, longitude) index with a bounding box of the current
radius, and the county/ZIP matches through `listing_area`'s key index; the state and
national tiers read the (category, scope, state) index. All of it is one query (a UNION
ALL), and a second or third only when the 25-mile box holds fewer than three local
listings; the candidate rows carry what a hit shows, so the page needs no query of its
own. See docs/BENCHMARKS.md (`harbor bench search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from math import cos, inf, radians

from sqlalchemy import and_, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session

from . import geography
from .geography import Place
from .listing_rules import county_area_key, split_list, stale_before
from .models import Listing, ListingArea, ListingCategory
from .opening_hours import is_open_now, next_opening
from .vocabulary import CATEGORIES, REFUSALS, USING_VIOLENCE

# Who a listing's populations shut out: asked-for population -> the populations that,
# named without it, mean the listing is for someone else ("women" without "men"), and
# the refusals ("no_pets" for "pets"; the listing rules never let both be named).
_EXCLUDED_BY = {"men": frozenset({"women"}),
                **{refused: frozenset({code}) for code, refused in REFUSALS.items()}}
# Age spans of the populations people name, for a listing's own age range.
_AGES = {"children": (0, 12), "teens": (13, 17), "elders": (60, 120)}

RADII_MILES: tuple[int, ...] = (25, 50, 100)
ENOUGH_LOCAL = 3
_MILES_PER_DEGREE_LATITUDE = 69.0


@dataclass(frozen=True)
class SearchHit:
    """One listing to offer, with what the reply needs to say about it."""

    listing_id: str
    name: str
    organization: str
    phone: str
    sms: str
    website: str
    address: str
    city: str
    state: str
    zip: str
    distance_miles: float | None  # None when either side has no location
    open_now: bool | None  # None when hours unknown; in the listing's own time zone
    hours: str
    confidential: bool
    scope: str  # local, state, national
    languages: tuple[str, ...]
    populations: tuple[str, ...]
    categories: tuple[str, ...]
    verified_at: date | None
    fits: tuple[str, ...] = ()  # the asked-for populations and sub-need it serves
    next_opening: tuple[int, int, int] | None = None  # closed: (days ahead, weekday, minute)
    timezone: str = ""
    # Space reported free and when: the listing's HSDS 3.1 capacity, or its staff's
    # fresher Beds update (filled by the caller, see resources_db.beds).
    beds_available: int | None = None
    beds_total: int | None = None
    capacity_updated_at: datetime | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None


@dataclass(frozen=True)
class SearchResults:
    """A page of hits and what the whole answer holds."""

    hits: tuple[SearchHit, ...]  # this page (limit/offset applied)
    local_total: int  # local listings found for the place (0 = nothing local: an unmet need)
    radius_miles: int | None  # 25, 50 or 100: the band the local results came from
    total: int  # all results available (local + state + national)
    offset: int = 0

    @property
    def has_more(self) -> bool:
        """Return True when a later page has more hits."""
        return self.offset + len(self.hits) < self.total


_NOT_WORKED_OUT = object()  # open_now of a candidate nobody filtered on: worked out for hits


@dataclass(frozen=True)
class _Candidate:
    listing_id: str
    sort_key: tuple
    distance: float | None
    open_now: object  # bool | None, or _NOT_WORKED_OUT
    row: object  # the candidate query's row: everything a SearchHit says
    fits: tuple[str, ...] = ()


# Candidates carry every column a hit shows, so the page needs no query of its own:
# on a networked database each round trip costs more than these few extra columns.
_CANDIDATE_COLUMNS = (
    Listing.id,
    Listing.name,
    Listing.organization,
    Listing.phone,
    Listing.sms,
    Listing.website,
    Listing.address,
    Listing.city,
    Listing.state,
    Listing.zip,
    Listing.search_latitude,
    Listing.search_longitude,
    Listing.service_area,
    Listing.languages,
    Listing.populations,
    Listing.categories,
    Listing.confidential,
    Listing.scope.label("listing_scope"),
    Listing.verified_at,
    Listing.hours,
    Listing.timezone,
    Listing.beds_available,
    Listing.beds_total,
    Listing.capacity_updated_at,
    Listing.minimum_age,
    Listing.maximum_age,
)


# Statements built once and run with parameters. The first pass is one query: the
# county/ZIP matches, the listings in the 25-mile box, and the state-wide and national
# tiers, told apart by `tier`. Only when the first box holds fewer than three local
# listings does a second (50 miles) or third (100 miles) box query follow. On a
# networked database each round trip costs about as much as the query itself.
_AREA_MATCHES = (
    select(literal("area").label("tier"), *_CANDIDATE_COLUMNS)
    .join(ListingArea, ListingArea.listing_id == Listing.id)
    .join(ListingCategory, ListingCategory.listing_id == Listing.id)
    .where(ListingArea.area_key.in_(bindparam("keys", expanding=True)),
           ListingCategory.category == bindparam("category"), Listing.active.is_(True))
)
_IN_BOX = (
    select(literal("box").label("tier"), *_CANDIDATE_COLUMNS)
    .join(ListingCategory, ListingCategory.listing_id == Listing.id)
    .where(ListingCategory.category == bindparam("category"),
           ListingCategory.latitude.between(bindparam("south"), bindparam("north")),
           ListingCategory.longitude.between(bindparam("west"), bindparam("east")),
           ListingCategory.scope == "local",
           Listing.service_area == "",
           Listing.active.is_(True))
)
_STATE_AND_NATIONAL = (
    select(ListingCategory.scope.label("tier"), *_CANDIDATE_COLUMNS)
    .join(Listing, ListingCategory.listing_id == Listing.id)
    .where(ListingCategory.category == bindparam("category"), Listing.active.is_(True),
           or_(ListingCategory.scope == "national",
               and_(ListingCategory.scope == "state",
                    ListingCategory.state == bindparam("state"))))
)
_FIRST_PASS = union_all(_AREA_MATCHES, _IN_BOX, _STATE_AND_NATIONAL)
# Box bounds that hold no point: a place without coordinates has no box to search.
_NO_BOX = {"south": 1.0, "north": -1.0, "west": 1.0, "east": -1.0}


def _box(latitude: float, longitude: float, miles: float) -> tuple[float, float, float, float]:
    """Return (south, north, west, east) of a box that holds every point within `miles`."""
    d_lat = miles / _MILES_PER_DEGREE_LATITUDE
    # Longitude degrees shrink with latitude; use the box's edge nearest the pole.
    edge = min(89.0, abs(latitude) + d_lat)
    d_lon = miles / (_MILES_PER_DEGREE_LATITUDE * max(cos(radians(edge)), 0.01))
    return latitude - d_lat, latitude + d_lat, longitude - d_lon, longitude + d_lon


def _area_keys(place: Place) -> list[str]:
    """Return the listing_area keys that cover this place: its county and ZIP(s)."""
    counties = {place.county} if place.county else set()
    zips = {place.zip} if place.zip else set()
    if place.kind == "city" and place.city:
        # A city may straddle counties (St. Louis city and St. Louis County).
        counties |= geography.counties_of_city(place.city, place.state)
        zips |= geography.zips_of_city(place.city, place.state)
    if not place.state:
        return []
    keys = {county_area_key(county, place.state) for county in counties}
    keys |= {f"zip:{zip_code}" for zip_code in zips}
    return sorted(keys)


class _Ranker:
    """Turns candidate rows into sortable candidates for one search."""

    def __init__(self, place: Place, category: str, language: str | None,
                 populations: tuple[str, ...], sub_need: str, open_now: bool | None,
                 prefer_open: bool, now: datetime) -> None:
        self.place = place
        self.language = (language or "").lower()
        self.populations = populations
        self.category = category
        self.sub_need = f"{category}/{sub_need}" if sub_need else ""
        self.open_filter = open_now
        self.prefer_open = prefer_open
        self.guard = category != USING_VIOLENCE
        self.now = now
        self.fresh_from = stale_before(now.date())

    def distance(self, row) -> float | None:
        if row.search_latitude is None or self.place.latitude is None:
            return None
        return geography.distance_miles(
            self.place.latitude, self.place.longitude, row.search_latitude, row.search_longitude
        )

    def excludes(self, row, served: list[str]) -> bool:
        """Return True when the listing says it is for someone other than the person."""
        for population in self.populations:
            if population in served:
                continue
            shut_out_by = _EXCLUDED_BY.get(population)
            if shut_out_by and shut_out_by & set(served):
                return True
            span = _AGES.get(population)
            if span and ((row.minimum_age is not None and row.minimum_age > span[1])
                         or (row.maximum_age is not None and row.maximum_age < span[0])):
                return True
        return False

    def fit(self, row, served: list[str]) -> tuple[int, int, tuple[str, ...]]:
        """Return (populations served, sub-need rank 0-2, what fits) for a row."""
        fits = tuple(population for population in self.populations if population in served)
        sub_rank = 0
        if self.sub_need:
            codes = split_list(row.categories)
            if self.sub_need in codes:
                sub_rank, fits = 0, (*fits, self.sub_need)
            elif self.category in codes:
                sub_rank = 1  # the plain need: the whole need
            else:
                sub_rank = 2  # only other sub-needs of this need
        return len(fits), sub_rank, fits

    def candidate(self, row, band: int, distance: float | None) -> _Candidate | None:
        """Return the candidate, or None when the guard or the open-now filter drops it."""
        if self.guard and USING_VIOLENCE in row.categories \
                and USING_VIOLENCE in split_list(row.categories):
            return None
        # Without the filter or the preference, only the page's hits need opening hours
        # (a dense city has hundreds of candidates and shows three).
        open_now = _NOT_WORKED_OUT
        if self.open_filter is not None or self.prefer_open:
            open_now = is_open_now(row.hours, row.timezone, self.now)
            if self.open_filter is not None and open_now is not self.open_filter:
                return None
        stale = row.verified_at is None or row.verified_at < self.fresh_from
        language = 1 if self.language and self.language in split_list(row.languages) else 0
        excluded, served_count, sub_rank, fits = False, 0, 0, ()
        if self.populations or self.sub_need:
            served = split_list(row.populations)
            excluded = bool(self.populations) and self.excludes(row, served)
            served_count, sub_rank, fits = self.fit(row, served)
        closed = 0
        if self.prefer_open:
            closed = 0 if open_now is True else (1 if open_now is None else 2)
        tier = 0 if band < _STATE_BAND else band - _STATE_BAND + 1
        key = (excluded, closed, tier, -served_count, sub_rank, band, stale, -language,
               inf if distance is None else distance, row.name, row.id)
        return _Candidate(row.id, key, distance, open_now, row, fits)


_STATE_BAND = len(RADII_MILES)
_NATIONAL_BAND = len(RADII_MILES) + 1


def _box_bounds(place: Place, radius: int) -> dict[str, float]:
    south, north, west, east = _box(place.latitude, place.longitude, radius)
    return {"south": south, "north": north, "west": west, "east": east}


def _add_box_rows(rows, found: dict, ranker: _Ranker, radius: int) -> dict[str, _Candidate]:
    """Return the candidates of box rows within `radius` miles not already in `found`."""
    around: dict[str, _Candidate] = {}
    for row in rows:
        if row.id in found:
            continue
        distance = ranker.distance(row)
        if distance is None or distance > radius:
            continue
        band = next(index for index, limit in enumerate(RADII_MILES) if distance <= limit)
        candidate = ranker.candidate(row, band, distance)
        if candidate is not None:
            around[row.id] = candidate
    return around


def _candidates(session: Session, category: str, place: Place, ranker: _Ranker
                ) -> tuple[list[_Candidate], list[_Candidate], int | None]:
    """Return (local tier, state-wide and national tiers), each ranked, and the radius."""
    located = place.latitude is not None and place.longitude is not None
    first_radius = RADII_MILES[0]
    rows = session.execute(_FIRST_PASS, {
        "keys": _area_keys(place), "category": category, "state": place.state or None,
        **(_box_bounds(place, first_radius) if located else _NO_BOX),
    }).all()
    found: dict[str, _Candidate] = {}
    box_rows, wide = [], []
    for row in rows:
        if row.tier == "area":
            candidate = ranker.candidate(row, 0, ranker.distance(row))
            if candidate is not None:
                found[row.id] = candidate
        elif row.tier == "box":
            box_rows.append(row)
        else:
            band = _STATE_BAND if row.tier == "state" else _NATIONAL_BAND
            candidate = ranker.candidate(row, band, ranker.distance(row))
            if candidate is not None:
                wide.append(candidate)
    wide.sort(key=lambda c: c.sort_key)
    if not located:
        return sorted(found.values(), key=lambda c: c.sort_key), wide, None

    searched = first_radius
    around = _add_box_rows(box_rows, found, ranker, searched)
    for wider in RADII_MILES[1:]:
        if len(found) + len(around) >= ENOUGH_LOCAL:
            break
        box_rows = session.execute(_IN_BOX, {"category": category,
                                             **_box_bounds(place, wider)}).all()
        around = _add_box_rows(box_rows, found, ranker, wider)
        searched = wider
    local = sorted([*found.values(), *around.values()], key=lambda c: c.sort_key)
    if not local:
        return [], wide, None
    # Report the smallest band that holds every local hit, not merely the widest searched.
    farthest = max((c.distance or 0.0) for c in local)
    band = next((limit for limit in RADII_MILES if farthest <= limit), searched)
    return local, wide, band


def _hit(candidate: _Candidate, now: datetime) -> SearchHit:
    listing = candidate.row
    open_now = candidate.open_now
    if open_now is _NOT_WORKED_OUT:
        open_now = is_open_now(listing.hours, listing.timezone, now)
    opens = next_opening(listing.hours, listing.timezone, now) if open_now is False else None
    return SearchHit(
        listing_id=listing.id,
        name=listing.name,
        organization=listing.organization,
        phone=listing.phone,
        sms=listing.sms,
        website=listing.website,
        address=listing.address,
        city=listing.city,
        state=listing.state,
        zip=listing.zip,
        distance_miles=(round(candidate.distance, 1) if candidate.distance is not None
                        else None),
        open_now=open_now,
        hours=listing.hours,
        confidential=listing.confidential,
        scope=listing.listing_scope,
        languages=tuple(split_list(listing.languages)),
        populations=tuple(split_list(listing.populations)),
        categories=tuple(split_list(listing.categories)),
        verified_at=listing.verified_at,
        fits=candidate.fits,
        next_opening=opens,
        timezone=listing.timezone,
        beds_available=listing.beds_available,
        beds_total=listing.beds_total,
        capacity_updated_at=listing.capacity_updated_at,
        minimum_age=listing.minimum_age,
        maximum_age=listing.maximum_age,
    )


def search(
    session: Session,
    category: str,
    place: Place,
    language: str | None = None,
    population: str | None = None,
    open_now: bool | None = None,
    limit: int = 3,
    offset: int = 0,
    now: datetime | None = None,
    *,
    populations: tuple[str, ...] | list[str] = (),
    sub_need: str = "",
    prefer_open: bool = False,
) -> SearchResults:
    """Return the ranked listings of `category` for `place` (see the module docstring).

    `open_now=True` keeps only listings open at `now` (False: only those known closed);
    `now` defaults to the current time and is compared in each listing's own time zone.
    `population` (one) and `populations` (several) are who the help is for; `sub_need`
    is the part of the need asked for (`family` for legal); `prefer_open` ranks what is
    open now first.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    wanted = tuple(dict.fromkeys([*([population] if population else []), *populations]))
    ranker = _Ranker(place, category, language, wanted, sub_need, open_now, prefer_open, now)

    local, wide, radius = _candidates(session, category, place, ranker)
    # One order over every tier: open-first and excluded-last cross the tiers (the key
    # starts with them), otherwise this is local, then state-wide, then national.
    ordered = sorted([*local, *wide], key=lambda candidate: candidate.sort_key)
    page = ordered[offset : offset + limit] if limit > 0 else []
    hits = tuple(_hit(candidate, now) for candidate in page)
    return SearchResults(
        hits=hits,
        local_total=len(local),
        radius_miles=radius,
        total=len(ordered),
        offset=offset,
    )
