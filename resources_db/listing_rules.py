"""What makes a listing valid: one set of rules for the CSV import and the admin forms.

`validate_listing(fields, line)` takes the CSV columns as text (a CSV row, or a form's
fields) and returns either a `ListingRecord` (typed, normalized values, plus what search
derives from them: scope, the point to measure from, the time zone) or every problem as a
`FieldError(line, column, message)`. A form passes line 0.

Normalization is deliberately small so that export, then import, gives the same listing
field for field: whitespace around values and list items is dropped, state codes and
service-area prefixes are upper/lower-cased, booleans become `true`/`false`, coordinates
are written back with Python's shortest round-trip float form.

Columns, in order, are `COLUMNS`. The rules, by column:

- `id`: required; letters, digits and `. _ : -`, at most 100 characters.
- `name`, `phone`: required. `phone` is a US number (10 digits, or 11 starting with 1, an
  extension allowed) or a 3-digit line such as 988 or 211.
- `sms`: empty, a number (a US number or a 5-6 digit short code), or `KEYWORD to NUMBER`
  (`START to 88788`) when the line wants a keyword first.
- `website`: empty or an http(s) URL.
- `categories`: one or more of `vocabulary.CATEGORY_CODES` (the categories, and
  sub-needs such as `legal/family`); `populations`: zero or more of
  `vocabulary.POPULATIONS`, never a refusal with what it refuses (`no_pets` with `pets`);
  `languages`: ISO 639-1 codes.
- `service_area`: empty (the area around the listing's location), `national`,
  `state:XX`, `county:Name County, XX` (a county that exists) or `zip:NNNNN;NNNNN`.
- Location: a listing with an empty service area needs a `zip` or both coordinates; a
  state-wide or national one needs neither. `zip` must be a real five-digit ZIP and agree
  with `state`; `latitude` and `longitude` come together, within range, and within 150
  miles of the ZIP when both are given (catches swapped or mistyped coordinates).
- `hours`: see `opening_hours` (`24/7`, `Mon-Fri 09:00-17:00;Sat 10:00-14:00`, or empty).
- `confidential`, `active`: true/false (yes/no, 1/0 accepted); empty means false and
  true respectively.
- `verified_at`: empty or a `YYYY-MM-DD` date, not in the future.
- Free text (`name`, `organization`, `description`, `address`, `city`) may not start with
  `=` or `@`: a spreadsheet opening the exported file would run it as a formula.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from . import geography
from .opening_hours import HoursError, parse_hours
from .vocabulary import CATEGORY_CODES, LANGUAGE_NAMES, POPULATIONS, REFUSALS

COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "organization",
    "categories",
    "description",
    "phone",
    "sms",
    "website",
    "address",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "service_area",
    "languages",
    "hours",
    "confidential",
    "populations",
    "verified_at",
    "active",
)

MAX_LENGTHS: dict[str, int] = {
    "id": 100, "name": 300, "organization": 300, "description": 4000, "phone": 40,
    "sms": 60, "website": 500, "address": 300, "city": 100, "hours": 500,
}

# Coordinates further than this from the ZIP's centroid are more likely a mistake.
MAX_MILES_FROM_ZIP = 150.0

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+((\s*(ext\.?|x)\s*\d{1,6}))?$", re.IGNORECASE)
_SMS = re.compile(r"^(?:([A-Za-z0-9]+)\s+to\s+)?(\+?[0-9 ().\-]+)$", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)
_ZIP = re.compile(r"^\d{5}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A cell starting with these runs as a formula when an exported file is opened in a
# spreadsheet; refusing them keeps export lossless and safe.
_FORMULA_STARTS = ("=", "@")
_FREE_TEXT = ("name", "organization", "description", "address", "city")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


@dataclass(frozen=True)
class FieldError:
    """One problem: the file line (0 for a form), the column, and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.column}: {self.message}"


@dataclass(frozen=True)
class ServiceArea:
    """A parsed `service_area`: its tier, the state it covers and its county/ZIP keys."""

    text: str  # normalized, as stored and exported
    scope: str  # local, state, national
    state: str = ""  # the state served (state:XX) or the area's state (county, ZIPs)
    area_keys: tuple[str, ...] = ()  # "county:IA:linn county", "zip:52404"


@dataclass(frozen=True)
class ListingRecord:
    """A valid listing: the CSV values, typed, plus what search derives from them."""

    id: str
    name: str
    organization: str
    categories: tuple[str, ...]
    description: str
    phone: str
    sms: str
    website: str
    address: str
    city: str
    state: str
    zip: str
    latitude: float | None
    longitude: float | None
    service_area: str
    languages: tuple[str, ...]
    hours: str
    confidential: bool
    populations: tuple[str, ...]
    verified_at: date | None
    active: bool
    # Derived.
    scope: str = "local"
    search_latitude: float | None = None
    search_longitude: float | None = None
    timezone: str = ""
    area_state: str = ""  # the state served (state scope) or located in
    area_keys: tuple[str, ...] = ()
    # From HSDS 3.1 only (no CSV column): reported space, ages served, notes.
    beds_available: int | None = None
    beds_total: int | None = None
    capacity_updated_at: datetime | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    eligibility: str = ""
    accessibility: str = ""

    def to_fields(self) -> dict[str, str]:
        """Return the CSV columns as text, exactly as export writes them."""
        return dict(self.csv_fields)

    @cached_property
    def csv_fields(self) -> dict[str, str]:
        """The CSV columns as text, computed once (shared: copy before changing it)."""
        return {
            "id": self.id,
            "name": self.name,
            "organization": self.organization,
            "categories": ";".join(self.categories),
            "description": self.description,
            "phone": self.phone,
            "sms": self.sms,
            "website": self.website,
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "zip": self.zip,
            "latitude": format_coordinate(self.latitude),
            "longitude": format_coordinate(self.longitude),
            "service_area": self.service_area,
            "languages": ";".join(self.languages),
            "hours": self.hours,
            "confidential": format_bool(self.confidential),
            "populations": ";".join(self.populations),
            "verified_at": self.verified_at.isoformat() if self.verified_at else "",
            "active": format_bool(self.active),
        }


@dataclass(frozen=True)
class ListingValidation:
    """The outcome of validating one row or form: a record, or the errors."""

    record: ListingRecord | None
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        return self.record is not None


def format_coordinate(value: float | None) -> str:
    """Return a coordinate as text ('' for none), in the shortest form that reads back equal."""
    return "" if value is None else repr(float(value))


def format_bool(value: bool) -> str:
    """Return 'true' or 'false'."""
    return "true" if value else "false"


def new_listing_id() -> str:
    """Return a fresh listing id for a listing created in the admin UI."""
    return f"L-{uuid.uuid4().hex[:12]}"


def split_list(text: str) -> list[str]:
    """Split a `;`-separated cell into its non-empty, stripped items."""
    return [item.strip() for item in (text or "").split(";") if item.strip()]


def stale_before(today: date) -> date:
    """Return the first day a listing still counts as verified: 12 months before `today`."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def due_before(today: date) -> date:
    """Return the first day a listing is not yet due for verification: 11 months before
    `today` (due at 11 months, stale at 12, so there is a month to check it)."""
    year, month = (today.year, today.month - 11) if today.month > 11 else (
        today.year - 1, today.month + 1)
    for day in (today.day, 30, 29, 28):
        try:
            return today.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _phone_digits(text: str) -> str:
    without_extension = re.split(r"(?i)\s*(?:ext\.?|x)\s*\d", text)[0]
    return re.sub(r"\D", "", without_extension)


def phone_problem(text: str) -> str | None:
    """Return why `text` is not a callable US phone number, or None when it is fine."""
    if not _PHONE_CHARS.match(text):
        return f"'{text}' is not a phone number (digits, spaces, ( ) - . and an extension)"
    digits = _phone_digits(text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        if digits[0] in "01":
            return f"'{text}' is not a US number (area codes never start with 0 or 1)"
        return None
    if len(digits) == 3 and (digits.endswith("11") or digits == "988"):
        return None
    return f"'{text}' is not a US phone number (10 digits, or a 3-digit line such as 988)"


def sms_problem(text: str) -> str | None:
    """Return why `text` is not an SMS number or 'KEYWORD to NUMBER', or None."""
    match = _SMS.match(text)
    if not match:
        return f"'{text}' is not a number or 'KEYWORD to NUMBER' (like 'START to 88788')"
    digits = re.sub(r"\D", "", match.group(2))
    if len(digits) in (5, 6):
        return None  # a short code
    problem = phone_problem(match.group(2).strip())
    return None if problem is None else f"'{text}': the number is not a US number or short code"


def parse_service_area(text: str) -> tuple[ServiceArea | None, str | None]:
    """Parse a `service_area` cell; return (area, None) or (None, reason)."""
    text = (text or "").strip()
    if not text:
        return ServiceArea("", "local"), None
    kind, separator, rest = text.partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if kind == "national" and not separator:
        return ServiceArea("national", "national"), None
    if kind == "state" and separator:
        code = rest.upper()
        if code not in geography.STATE_NAMES:
            return None, f"'{rest}' is not a two-letter state code"
        return ServiceArea(f"state:{code}", "state", state=code), None
    if kind == "county" and separator:
        name, comma, state = rest.rpartition(",")
        name, state = name.strip(), state.strip().upper()
        if not comma or not name or state not in geography.STATE_NAMES:
            return None, f"'{text}' should look like 'county:Linn County, IA'"
        if not geography.county_exists(name, state):
            return None, f"there is no '{name}' in {state}"
        key = f"county:{state}:{geography.normalize_place_text(name)}"
        return ServiceArea(f"county:{name}, {state}", "local", state, (key,)), None
    if kind == "zip" and separator:
        zips = split_list(rest)
        if not zips:
            return None, "'zip:' needs at least one ZIP"
        bad = [z for z in zips if not _ZIP.match(z) or not geography.is_real_zip(z)]
        if bad:
            return None, f"not a real five-digit ZIP: {', '.join(bad)}"
        unique = list(dict.fromkeys(zips))
        keys = tuple(f"zip:{z}" for z in unique)
        first = geography.lookup_zip(unique[0])
        state = first.state if first else ""
        return ServiceArea("zip:" + ";".join(unique), "local", state, keys), None
    return None, (
        f"'{text}' is not a service area (empty, national, state:XX, "
        "county:Name County, XX, or zip:NNNNN;NNNNN)"
    )


def county_area_key(county: str, state: str) -> str:
    """Return the area key of a county ('Linn County', 'IA' -> 'county:IA:linn county')."""
    return f"county:{state.upper()}:{geography.normalize_place_text(county)}"


def _parse_bool(text: str, default: bool) -> bool | None:
    lowered = text.strip().lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _parse_coordinate(text: str, low: float, high: float) -> tuple[float | None, str | None]:
    if not text.strip():
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, f"'{text}' is not a number"
    if value != value or not low <= value <= high:  # NaN, or out of range
        return None, f"{text} is outside {low:g} to {high:g}"
    return value, None


def validate_listing(
    fields: Mapping[str, str], line: int = 0, today: date | None = None
) -> ListingValidation:
    """Validate one listing given as CSV text fields; return a record or every error."""
    errors: list[FieldError] = []

    def error(column: str, message: str) -> None:
        errors.append(FieldError(line, column, message))

    value = {column: (fields.get(column) or "").strip() for column in COLUMNS}
    for column, limit in MAX_LENGTHS.items():
        if len(value[column]) > limit:
            error(column, f"is {len(value[column])} characters long (at most {limit})")

    for column in _FREE_TEXT:
        if value[column][:1] in _FORMULA_STARTS:
            error(column, f"may not start with '{value[column][:1]}' (spreadsheets would "
                          "run it as a formula)")

    if not value["id"]:
        error("id", "is required")
    elif not _ID.match(value["id"]):
        error("id", f"'{value['id']}' may hold only letters, digits and . _ : -")
    if not value["name"]:
        error("name", "is required")
    if not value["phone"]:
        error("phone", "is required")
    elif problem := phone_problem(value["phone"]):
        error("phone", problem)
    if value["sms"] and (problem := sms_problem(value["sms"])):
        error("sms", problem)
    if value["website"] and not _URL.match(value["website"]):
        error("website", f"'{value['website']}' is not an http:// or https:// address")

    categories = split_list(value["categories"])
    if not categories:
        error("categories", "needs at least one category")
    unknown = [c for c in categories if c not in CATEGORY_CODES]
    if unknown:
        error("categories", f"unknown category {', '.join(repr(c) for c in unknown)} "
                            f"(known: {', '.join(CATEGORY_CODES)})")
    populations = split_list(value["populations"])
    unknown = [p for p in populations if p not in POPULATIONS]
    if unknown:
        error("populations", f"unknown population {', '.join(repr(p) for p in unknown)} "
                             f"(known: {', '.join(POPULATIONS)})")
    for refusal, refused in REFUSALS.items():
        if refusal in populations and refused in populations:
            error("populations", f"'{refusal}' and '{refused}' say opposite things: "
                                 "keep the one that is true")
    languages = [code.lower() for code in split_list(value["languages"])]
    unknown = [code for code in languages if code not in LANGUAGE_NAMES]
    if unknown:
        error("languages", f"not an ISO 639-1 code: {', '.join(unknown)}")

    area, problem = parse_service_area(value["service_area"])
    if problem:
        error("service_area", problem)

    state = value["state"].upper()
    if state and state not in geography.STATE_NAMES:
        error("state", f"'{value['state']}' is not a two-letter state code")
    zip_place = None
    if value["zip"]:
        if not _ZIP.match(value["zip"]):
            error("zip", f"'{value['zip']}' is not a five-digit ZIP")
        else:
            zip_place = geography.lookup_zip(value["zip"])
            if zip_place is None:
                error("zip", f"{value['zip']} is not a real ZIP")
            elif state in geography.STATE_NAMES and zip_place.state != state:
                error("zip", f"{value['zip']} is in {zip_place.state}, not {state}")

    latitude, problem = _parse_coordinate(value["latitude"], -90.0, 90.0)
    if problem:
        error("latitude", problem)
    longitude, problem = _parse_coordinate(value["longitude"], -180.0, 180.0)
    if problem:
        error("longitude", problem)
    if value["latitude"] and not value["longitude"]:
        error("longitude", "is empty but latitude is given (give both or neither)")
    if value["longitude"] and not value["latitude"]:
        error("latitude", "is empty but longitude is given (give both or neither)")
    if latitude is not None and longitude is not None and zip_place is not None:
        miles = geography.distance_miles(
            latitude, longitude, zip_place.latitude, zip_place.longitude
        )
        if miles > MAX_MILES_FROM_ZIP:
            error("latitude", f"the point is {miles:,.0f} miles from ZIP {zip_place.zip} "
                              "(swapped or mistyped coordinates?)")
    if area is not None and area.text == "" and not value["zip"] and not (
        value["latitude"] and value["longitude"]
    ):
        error("zip", "a local listing needs a ZIP or latitude and longitude "
                     "(or a service_area such as state:XX or national)")

    if value["hours"]:
        try:
            parse_hours(value["hours"])
        except HoursError as exc:
            error("hours", str(exc))

    confidential = _parse_bool(value["confidential"], default=False)
    if confidential is None:
        error("confidential", f"'{value['confidential']}' is not true or false")
    active = _parse_bool(value["active"], default=True)
    if active is None:
        error("active", f"'{value['active']}' is not true or false")

    verified_at = None
    if value["verified_at"]:
        if not _DATE.match(value["verified_at"]):
            error("verified_at", f"'{value['verified_at']}' is not a YYYY-MM-DD date")
        else:
            try:
                verified_at = date.fromisoformat(value["verified_at"])
            except ValueError:
                error("verified_at", f"'{value['verified_at']}' is not a real date")
            else:
                limit = (today or datetime.now(UTC).date()) + timedelta(days=1)
                if verified_at > limit:
                    error("verified_at", f"{value['verified_at']} is in the future")

    if errors:
        return ListingValidation(None, tuple(errors))
    assert area is not None  # noqa: S101 - no errors means the area parsed

    search_latitude, search_longitude = latitude, longitude
    if search_latitude is None and zip_place is not None:
        search_latitude, search_longitude = zip_place.latitude, zip_place.longitude
    located_in = zip_place.state if zip_place else state
    timezone = zip_place.timezone if zip_place else ""
    if not timezone and search_latitude is not None and search_longitude is not None:
        nearest = geography.nearest_zip(search_latitude, search_longitude)
        if nearest is not None:
            timezone = nearest.timezone
            located_in = located_in or nearest.state
    area_state = area.state or located_in
    if not timezone and area_state:
        timezone = geography.state_timezone(area_state) or ""

    record = ListingRecord(
        id=value["id"],
        name=value["name"],
        organization=value["organization"],
        categories=tuple(dict.fromkeys(categories)),
        description=value["description"],
        phone=value["phone"],
        sms=value["sms"],
        website=value["website"],
        address=value["address"],
        city=value["city"],
        state=state,
        zip=value["zip"],
        latitude=latitude,
        longitude=longitude,
        service_area=area.text,
        languages=tuple(dict.fromkeys(languages)),
        hours=value["hours"],
        confidential=bool(confidential),
        populations=tuple(dict.fromkeys(populations)),
        verified_at=verified_at,
        active=bool(active),
        scope=area.scope,
        search_latitude=search_latitude,
        search_longitude=search_longitude,
        timezone=timezone,
        area_state=area_state,
        area_keys=area.area_keys,
    )
    return ListingValidation(record, ())
