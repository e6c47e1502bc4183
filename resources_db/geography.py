"""US places from the offline `zipcodes` package: ZIPs, cities, counties, states, time zones.

Three questions are answered here, with no network:
- `lookup_zip("52404")`: coordinates, city, county, state and time zone of a ZIP.
- `resolve_place("Cedar Rapids IA")`: a typed place (ZIP, "City ST", "City, State",
  a city alone, a state alone) to a `PlaceLookup` that is found, ambiguous (with the
  candidate states, most likely first) or not found.
- `find_place_mentions(text)`: the ZIP, city and state mentioned inside a free-text
  message ("shelter in St. Louis please"), for the intent matcher's entities.

One place in one turn when one is clearly meant: a city whose largest namesake has five
times the ZIPs of the next (St. Louis, MO; Houston, TX; Jacksonville, FL) is found at
once, marked `assumed` so the reply names it ("St. Louis, MO. Not there? Send your
state."); a state code right after a city counts in any case ("billings mt", though "Mt"
before a name is Mount); filler words ("rn", "pls", "now", "tonight") are not part of
any place.

The indexes are built once, on first use, from the 42,000 ZIP records the package ships.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from math import asin, cos, radians, sin, sqrt

import zipcodes

from resources_db import index_cache
from text_folding import SAINT_FORMS, fold_place

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "GU": "Guam", "VI": "Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}

# Spanish and common short forms people type for a state.
_STATE_ALIASES: dict[str, str] = {
    "nueva york": "NY", "nuevo mexico": "NM", "nueva jersey": "NJ", "luisiana": "LA",
    "carolina del norte": "NC", "carolina del sur": "SC", "dakota del norte": "ND",
    "dakota del sur": "SD", "pensilvania": "PA", "misuri": "MO", "misisipi": "MS",
    "virginia occidental": "WV", "hawai": "HI", "tejas": "TX", "florida": "FL",
    "washington dc": "DC", "d c": "DC", "calif": "CA", "mass": "MA", "penn": "PA",
}

# Two-letter codes that are also everyday words in English or Spanish ("in", "me",
# "la", "de"...): accepted as a state only in capitals or right after a city.
_WORDLIKE_CODES = {"IN", "OR", "ME", "HI", "OK", "OH", "DE", "LA", "PA", "MA", "AL", "CO",
                   "ID", "MO", "AS", "GA", "VA", "WA", "MS", "MD", "SD", "ND", "NE", "UT"}

# Words before a place in free text ("I'm in ...", "vivo en ...", "near ...").
_LOCATORS = {"in", "en", "near", "cerca", "at", "around", "from", "de", "del", "to",
             "a", "by", "outside", "zip", "city", "ciudad", "town", "county", "condado"}

# Everyday words that are also the name of some small town somewhere; never a city
# unless the state follows. Found by checking the index against the words survivors use.
_NOT_A_CITY = {
    "help", "home", "hope", "safe", "love", "danger", "trouble", "court", "school",
    "jail", "hospital", "shelter", "friendship", "justice", "security", "mission",
    "rescue", "alliance", "unity", "liberty", "independence", "harmony", "welcome",
    "faith", "energy", "money", "house", "ayuda", "casa", "peace", "comfort", "plain",
    "normal", "fairplay", "rough", "bliss", "protection", "deal", "box", "post", "bath",
    "canton", "power", "place", "center", "central", "lake", "river", "beach", "park",
    "general", "a", "the", "my", "me", "we", "of", "and", "or", "la", "el",
    # Who the help is for, and words said beside a place ("I'm a man", "for my kids").
    "man", "men", "woman", "women", "boy", "girl", "kid", "kids", "child", "baby", "son",
    "daughter", "mom", "dad", "mother", "father", "wife", "husband", "friend", "dog",
    "cat", "pet", "pets", "family", "teen", "youth", "elder", "nino", "nina", "hijo",
    "hija", "perro", "gato", "now", "tonight", "today", "soon", "asap", "ahora",
}

# Words people add around a place that are no part of it ("st louis rn", "52404 pls").
FILLER_WORDS = frozenset({
    "rn", "now", "pls", "plz", "please", "tonight", "today", "asap", "right", "thanks",
    "thx", "ty", "porfa", "porfavor", "favor", "ahora", "ya", "hoy", "noche", "esta",
    "gracias", "urgent", "urgente",
})
# The largest namesake of a city is meant when it has this many times the ZIPs of the next.
DOMINANT_RATIO = 5

# Place names fold in text_folding like every other word; the name stays for callers.
normalize_place_text = fold_place


@dataclass(frozen=True)
class Place:
    """A point people can be helped near: a ZIP, a city's centre, or a whole state."""

    kind: str  # "zip", "city" or "state"
    state: str
    latitude: float | None = None
    longitude: float | None = None
    city: str = ""
    county: str = ""
    zip: str = ""
    timezone: str = ""

    def label(self) -> str:
        """Return a short human name: '52404 (Cedar Rapids, IA)', 'Cedar Rapids, IA', 'Iowa'."""
        if self.kind == "zip":
            return f"{self.zip} ({self.city}, {self.state})" if self.city else self.zip
        if self.kind == "city":
            return f"{self.city}, {self.state}"
        return STATE_NAMES.get(self.state, self.state)


@dataclass(frozen=True)
class PlaceLookup:
    """The answer to "where is this?": found, ambiguous (which states) or not found."""

    status: str  # "found", "ambiguous", "not_found"
    place: Place | None = None
    candidate_states: tuple[str, ...] = field(default_factory=tuple)
    query_city: str = ""
    # Found as the largest of several namesakes: the reply names it and offers a change.
    assumed: bool = False

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def likely_state(self) -> str | None:
        """For an ambiguous city, the state that clearly dominates (Houston: TX), if any."""
        if self.status != "ambiguous" or not self.query_city:
            return None
        by_state = _index().cities.get(normalize_place_text(self.query_city), {})
        counts = sorted((r.zip_count for r in by_state.values()), reverse=True)
        if len(counts) >= 2 and counts[0] >= DOMINANT_RATIO * counts[1]:
            return self.candidate_states[0]
        return None


@dataclass(frozen=True)
class PlaceMentions:
    """What a free-text message says about where the sender is."""

    zip: str | None = None
    city: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class _CityRecord:
    name: str
    state: str
    latitude: float
    longitude: float
    county: str
    timezone: str
    zip_count: int


@dataclass
class _Index:
    zips: dict[str, dict]
    cities: dict[str, dict[str, _CityRecord]]  # normalized name -> state -> record
    state_by_name: dict[str, str]
    longest_city_words: int
    city_zips: dict[tuple[str, str], frozenset[str]]  # (normalized city, state) -> ZIPs


@lru_cache(maxsize=1)
def _index() -> _Index:
    # Built once per installation, then loaded from disk by every process (index_cache).
    return index_cache.load_or_build(
        "places", _build_index,
        depends_on=(zipcodes.__version__, index_cache.source_hash(__file__)))


_ZIP_FIELDS = ("zip_code", "city", "state", "county", "lat", "long", "timezone")


def _build_index() -> _Index:
    zips: dict[str, dict] = {}
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    display: dict[tuple[str, str], str] = {}
    for record in zipcodes.list_all():
        if not record.get("lat") or not record.get("long"):
            continue
        if float(record["lat"]) == 0 and float(record["long"]) == 0:
            continue  # military APO/FPO codes: no place on the map
        # Only the fields Harbor reads: a third of the size to cache and load.
        zips[record["zip_code"]] = {field: record[field] for field in _ZIP_FIELDS}
        key = (normalize_place_text(record["city"]), record["state"])
        grouped[key].append(record)
        display.setdefault(key, record["city"])
    cities: dict[str, dict[str, _CityRecord]] = defaultdict(dict)
    for (name, state), records in grouped.items():
        # The city's centre is the mean of its ZIP centroids; good enough for 25-mile bands.
        latitude = sum(float(r["lat"]) for r in records) / len(records)
        longitude = sum(float(r["long"]) for r in records) / len(records)
        county = Counter(r["county"] for r in records).most_common(1)[0][0]
        timezone = Counter(r["timezone"] for r in records).most_common(1)[0][0]
        cities[name][state] = _CityRecord(
            display[(name, state)], state, latitude, longitude, county, timezone, len(records)
        )
    state_by_name = {normalize_place_text(name): code for code, name in STATE_NAMES.items()}
    state_by_name.update(_STATE_ALIASES)
    longest = max(len(name.split()) for name in cities)
    city_zips = {
        key: frozenset(r["zip_code"] for r in records) for key, records in grouped.items()
    }
    return _Index(zips, dict(cities), state_by_name, longest, city_zips)


def lookup_zip(zip_code: str) -> Place | None:
    """Return the Place of a five-digit ZIP (ZIP+4 accepted), or None if it is not real."""
    match = re.fullmatch(r"\s*(\d{5})(?:-\d{4})?\s*", zip_code or "")
    if not match:
        return None
    record = _index().zips.get(match.group(1))
    if record is None:
        return None
    return Place(
        kind="zip",
        state=record["state"],
        latitude=float(record["lat"]),
        longitude=float(record["long"]),
        city=record["city"],
        county=record["county"],
        zip=record["zip_code"],
        timezone=_zip_timezone(record),
    )


def _zip_timezone(record: dict) -> str:
    """The ZIP's time zone; the state's usual one where the package has none or a bad one."""
    name = record.get("timezone") or ""
    if name in _valid_timezones():
        return name
    return state_timezone(record["state"]) or ""


@lru_cache(maxsize=1)
def _valid_timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _state_timezones() -> dict[str, str]:
    valid = _valid_timezones()
    counts: dict[str, Counter] = defaultdict(Counter)
    for record in _index().zips.values():
        if record.get("timezone") in valid:
            counts[record["state"]][record["timezone"]] += 1
    return {state: counter.most_common(1)[0][0] for state, counter in counts.items()}


def state_timezone(state: str) -> str | None:
    """Return the time zone most of a state's ZIPs use ('IA': 'America/Chicago'), or None."""
    return _state_timezones().get((state or "").upper())


@lru_cache(maxsize=1)
def _zip_grid() -> dict[tuple[int, int], list[dict]]:
    grid: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for record in _index().zips.values():
        grid[(int(float(record["lat"]) // 1), int(float(record["long"]) // 1))].append(record)
    return dict(grid)


def nearest_zip(latitude: float, longitude: float, within_miles: float = 60.0) -> Place | None:
    """Return the ZIP whose centroid is nearest to a point (within about a degree), or None."""
    grid = _zip_grid()
    row, column = int(latitude // 1), int(longitude // 1)
    best: tuple[float, dict] | None = None
    for d_row in (-1, 0, 1):
        for d_column in (-1, 0, 1):
            for record in grid.get((row + d_row, column + d_column), ()):
                miles = distance_miles(
                    latitude, longitude, float(record["lat"]), float(record["long"])
                )
                if best is None or miles < best[0]:
                    best = (miles, record)
    if best is None or best[0] > within_miles:
        return None
    return lookup_zip(best[1]["zip_code"])


def zips_of_city(city: str, state: str) -> frozenset[str]:
    """Return the ZIPs whose city is `city` in `state` (empty when the pair is unknown)."""
    return _index().city_zips.get((normalize_place_text(city), (state or "").upper()), frozenset())


def is_real_zip(zip_code: str) -> bool:
    """Return True when `zip_code` is a five-digit ZIP that the package knows."""
    return lookup_zip(zip_code) is not None


def state_code(text: str) -> str | None:
    """Return the two-letter code for 'IA', 'iowa', 'Nueva York'..., or None."""
    raw = (text or "").strip(" .,!?").upper()
    if len(raw) == 2 and raw in STATE_NAMES:
        return raw  # before folding: "mt" is Montana here, not "mount"
    cleaned = normalize_place_text(text)
    if len(cleaned) == 2 and cleaned.upper() in STATE_NAMES:
        return cleaned.upper()
    return _index().state_by_name.get(cleaned)


@lru_cache(maxsize=1)
def _counties() -> dict[str, dict[str, str]]:
    """Return {state: {normalized county name: county name}}, built once."""
    by_state: dict[str, dict[str, str]] = defaultdict(dict)
    for record in _index().zips.values():
        if record["county"]:
            by_state[record["state"]].setdefault(
                normalize_place_text(record["county"]), record["county"]
            )
    return dict(by_state)


def counties_of_state(state: str) -> list[str]:
    """Return the county names of a state, sorted ('Linn County', ...)."""
    return sorted(set(_counties().get(state, {}).values()))


def county_exists(county: str, state: str) -> bool:
    """Return True when `county` (e.g. 'Linn County') is a county of `state`."""
    return normalize_place_text(county) in _counties().get((state or "").upper(), {})


def city_place(city: str, state: str) -> Place | None:
    """Return the centre of `city` in `state`, or None if the pair is unknown."""
    record = _index().cities.get(normalize_place_text(city), {}).get(state.upper())
    return _city_to_place(record) if record else None


def _city_to_place(record: _CityRecord) -> Place:
    timezone = record.timezone
    if timezone not in _valid_timezones():
        timezone = state_timezone(record.state) or ""
    return Place(
        kind="city",
        state=record.state,
        latitude=record.latitude,
        longitude=record.longitude,
        city=record.name,
        county=record.county,
        timezone=timezone,
    )


def _state_place(code: str) -> Place:
    return Place(kind="state", state=code)


def resolve_city(city: str, state: str | None = None) -> PlaceLookup:
    """Resolve a city name, with or without its state, to a PlaceLookup."""
    by_state = _index().cities.get(normalize_place_text(city), {})
    if state:
        record = by_state.get(state.upper())
        if record is None:
            return PlaceLookup("not_found", query_city=city)
        return PlaceLookup("found", _city_to_place(record), (state.upper(),), city)
    if not by_state:
        return PlaceLookup("not_found", query_city=city)
    ranked = sorted(by_state.values(), key=lambda r: (-r.zip_count, r.state))
    states = tuple(r.state for r in ranked)
    if len(ranked) == 1:
        return PlaceLookup("found", _city_to_place(ranked[0]), states, city)
    if ranked[0].zip_count >= DOMINANT_RATIO * ranked[1].zip_count:
        return PlaceLookup("found", _city_to_place(ranked[0]), states, city, assumed=True)
    return PlaceLookup("ambiguous", None, states, city)


def resolve_place(text: str) -> PlaceLookup:
    """Resolve what a person typed as a place: ZIP, 'City ST', 'City, State', city, state."""
    text = (text or "").strip()
    zip_match = re.search(r"\b(\d{5})(?:-\d{4})?\b", text)
    if zip_match:
        place = lookup_zip(zip_match.group(1))
        return PlaceLookup("found", place) if place else PlaceLookup("not_found")
    mentions = find_place_mentions(text, whole_message=True)
    if mentions.city:
        return resolve_city(mentions.city, mentions.state)
    if mentions.state == "DC":
        return resolve_city("Washington", "DC")  # the district is the city
    if mentions.state:
        return PlaceLookup("found", _state_place(mentions.state), (mentions.state,))
    return PlaceLookup("not_found")


_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9']+\.?")


def _tokens(text: str) -> list[tuple[str, str]]:
    """Return (original, normalized) word pairs, keeping St. and apostrophes together;
    filler words ("rn", "pls") are left out."""
    pairs = []
    for match in _WORD.finditer(text):
        original = match.group(0).rstrip(".")
        normalized = normalize_place_text(original)
        if normalized and normalized not in FILLER_WORDS:
            pairs.append((original, normalized))
    return pairs


def _state_at(tokens: list[tuple[str, str]], start: int, after_city: bool) -> tuple[str, int]:
    """Return (code, words used) for a state named at tokens[start], or ('', 0)."""
    index = _index()
    for length in (3, 2, 1):
        if start + length > len(tokens):
            continue
        words = tokens[start : start + length]
        normalized = " ".join(n for _, n in words)
        if normalized in index.state_by_name:
            return index.state_by_name[normalized], length
        original = words[0][0]
        # "mt" folds to "mount" (Mt Vernon), but after a city it is Montana.
        raw = original.strip(".").lower()
        if length == 1 and after_city and len(raw) == 2 and raw.upper() in STATE_NAMES:
            return raw.upper(), 1
        if length == 1 and len(normalized) == 2 and normalized.upper() in STATE_NAMES:
            code = normalized.upper()
            if code not in _WORDLIKE_CODES or original.isupper() or after_city:
                return code, 1
    return "", 0


@lru_cache(maxsize=1)
def _city_first_words() -> frozenset[str]:
    return frozenset(name.split(" ", 1)[0] for name in _index().cities)


def find_place_mentions(text: str, whole_message: bool = False) -> PlaceMentions:
    """Find the ZIP, city and state in a message.

    A city counts when it follows a locator word ("in", "en", "near"...), when its
    state follows it, or when the whole message is the place (`whole_message`, or a
    message of nothing but the city and state). Longer names win ("Kansas City" over
    "Kansas"). Single everyday words ("Hope", "Home") never count without a state.
    """
    zip_match = re.search(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)", text or "")
    found_zip = zip_match.group(1) if zip_match and is_real_zip(zip_match.group(1)) else None
    tokens = _tokens(text or "")
    index = _index()
    state_spans = _state_name_spans(tokens)
    best: tuple[int, int, str, str, int] | None = None  # (score, start, city, state, end)
    first_words = _city_first_words()
    for start in range(len(tokens)):
        if tokens[start][1] not in first_words:
            continue  # no city name starts with this word (most words of a message)
        for length in range(min(index.longest_city_words, len(tokens) - start), 0, -1):
            words = tokens[start : start + length]
            name = " ".join(n for _, n in words)
            by_state = index.cities.get(name)
            if not by_state:
                continue
            # "West" in "West Virginia", "York" in "Nueva York": part of a state's name.
            if any(a <= start and start + length <= b and b - a > length
                   for a, b in state_spans):
                break
            state, used = _state_at(tokens, start + length, after_city=True)
            if state and state not in by_state:
                state = ""
            before = tokens[start - 1][1] if start > 0 else ""
            only_place = start == 0 and start + length + used == len(tokens)
            located = before in _LOCATORS or only_place or whole_message
            if name in _NOT_A_CITY and not state:
                continue
            # "Iowa" or "Texas" alone is the state, not the small town of that name.
            if name in index.state_by_name and name != "new york" and not state:
                continue
            if not (located or state):
                continue
            # Prefer a city with its state, then longer names, then earlier ones.
            score = (2 if state else 0) + length
            if best is None or score > best[0]:
                display = " ".join(original for original, _ in words)
                best = (score, start, _display_city(display), state, start + length)
            break
    city = best[2] if best else None
    state = best[3] if best and best[3] else None
    if state is None:
        city_span = range(best[1], best[4]) if best else range(0)
        for start in range(len(tokens)):
            if start in city_span:
                continue  # "Kansas City" names no state
            code, _ = _state_at(tokens, start, after_city=False)
            # A lone two-letter code in lower case is too often a word ("in", "me").
            if code and (len(tokens[start][1]) > 2 or tokens[start][0].isupper()):
                state = code
                break
    if city and state is None:
        lookup = resolve_city(city)
        # An assumed namesake stays without its state, so the reply can name the guess.
        if lookup.found and lookup.place and not lookup.assumed:
            state = lookup.place.state
    return PlaceMentions(zip=found_zip, city=city, state=state)


def _state_name_spans(tokens: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Return the (start, end) token spans that spell a state's name of two or more words."""
    names = _index().state_by_name
    spans = []
    for start in range(len(tokens)):
        for length in (2, 3):
            if start + length <= len(tokens):
                if " ".join(n for _, n in tokens[start : start + length]) in names:
                    spans.append((start, start + length))
    return spans


def counties_of_city(city: str, state: str) -> frozenset[str]:
    """Return the counties a city's ZIPs lie in ('Saint Louis', 'MO': city and county)."""
    zips = _index().zips
    return frozenset(zips[z]["county"] for z in zips_of_city(city, state) if zips[z]["county"])


def _display_city(original: str) -> str:
    """Title-case what the person typed, keeping 'St.' style abbreviations readable."""
    words = []
    for word in original.split():
        lowered = word.lower()
        if lowered in SAINT_FORMS:
            words.append(lowered.capitalize() + ".")
        else:
            words.append(word[:1].upper() + word[1:].lower())
    return " ".join(words)


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in miles between two points."""
    lat1, lon1, lat2, lon2 = map(radians, (lat1, lon1, lat2, lon2))
    a = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * 3958.8 * asin(sqrt(a))
