"""Read Open Referral HSDS 3 data into Harbor listings: the tabular package or the JSON form.

Two forms are read (`read_hsds(path)`):

- the tabular data package: a directory of one CSV per table with a `datapackage.json`
  that lists them (`services.csv`, `organizations.csv`, `service_at_location.csv`, ...);
- the JSON form: a `.json` file, or a directory of them, holding a service
  (`service_full.json` style), an organization with its `services` (`organization_full.json`
  style), a list of either, or an API page (`{"contents": [...]}`).

Both are first gathered into the same shape (a service with its organization, its
locations, phones, schedules, languages, areas and taxonomy terms, each remembering the
file and line or JSON path it came from), then mapped to the columns of the listings CSV
and checked by `listing_rules.validate_listing`, the same rules as a CSV import, so no
rule is written twice. A record that fails is returned in `rejected` with every reason,
each reason naming the HSDS file and field the bad value came from. Nothing is written
here: the caller plans the import (`plan_hsds_import`, which also retires the listings
of the package's services that it no longer gives) and applies it
(`listings_csv.apply_import`).

Mapping decisions (HSDS field -> Harbor column), and why:

- One listing per service at each of its locations, or one for a service with none.
  `id` is `hsds:<service id>`, and `hsds:<service id>:<location id>` when a service has
  several locations, so a re-import updates the same listings. A service that moves to a
  new location keeps its listing (the address is updated), which matters more than a
  service that gains a second location (its first listing is then re-keyed, and the old
  one deactivated, see `plan_hsds_import`). Ids that Harbor cannot store (other
  characters, too long) become a stable hash of the same ids, part by part, so a
  service's listings keep a common `hsds:<service>` base.
- `name`: the service's name; with several locations the location's name is added in
  parentheses so survivors can tell them apart. `organization`: the organization's name
  (a service whose `organization_id` names no organization is refused: the package is
  inconsistent). `description`: the service's description, unchanged.
- `phone`: the first voice number (type voice, cell or unset) linked to the service at
  that location, else to the service, else to the location, else to the organization;
  numbers linked only to a contact person are skipped (often a staff member's own line).
  Quote marks around a number are dropped; an extension is written `ext. N`.
  `sms`: the first number of type `text` in the same order.
- `website`: the service's `url`, else the organization's `website` (`url` in HSDS 2).
- Address: the location's `physical` address. A location with only a `postal` address
  gives its city, state and ZIP (to place the listing) but not its street: a postal
  address is often a PO box, and a shelter's mail address is no place to walk to. ZIP+4
  is cut to five digits, a state's full name becomes its code, and an address outside
  the US is refused (Harbor's geography is the US only).
- `latitude`/`longitude`: the location's; empty ones are geocoded from the ZIP by the
  listing rules, and the rules refuse coordinates out of range or far from the ZIP.
- `hours`: HSDS schedules are RFC 5545 recurrences. Weekly ones (`freq` WEEKLY, or DAILY,
  interval 1, `byday` days, `opens_at`/`closes_at`) become Harbor's `Mon-Fri 09:00-17:00`
  form, or `24/7` when every day is open all day. Schedules of the service at the
  location win over the service's, which win over the location's. If any current
  schedule cannot be said that way (monthly, by week number, no closing time...), the
  hours are left unknown with a note: partial hours would make "open now" wrong.
  Schedules whose `valid_to` or `until` has passed are ignored. The HSDS `timezone` is
  not used: Harbor takes the time zone from the ZIP.
- `service_area`: an area whose name (or `extent`, when `extent_type` is `text`) reads as
  the United States, a state, `Name County, ST` or a list of ZIPs becomes `national`,
  `state:XX`, `county:...` or `zip:...`. Anything else (GeoJSON shapes, prose, several
  counties) cannot be said in one Harbor service area: it is left empty (the area
  around the location) with a note.
- `languages`: ISO 639-1 codes; 639-2/639-3 codes of common languages, BCP 47 tags
  (`es-MX`) and English names are converted; others are left out with a note.
- `categories` and `populations`: from the service's taxonomy terms through the editable
  map `data/hsds_taxonomy_map.yaml` (see its comments). No category, no listing. A
  service whose `description` or `eligibility_description` refuses pets ("no pets",
  "no se admiten mascotas") gets `no_pets` unless its terms give `pets`
  (`listing_words`), with a note quoting the words.
- HSDS 3.1 `service_capacity` (JSON `capacities`): the capacity whose unit or
  description speaks of beds (else the first) gives `beds_available`, `beds_total`
  (`maximum`) and `capacity_updated_at` (`updated`); a survivor is told of space only
  while it is less than 24 hours old. `minimum_age`/`maximum_age` and
  `eligibility_description` become the listing's age range (search ranks an adults-only
  listing after the rest for a teen; without those fields, the words "adults only" or
  "ages 12-17" give it) and eligibility note; the location's
  `accessibility` descriptions become its accessibility note. These are not CSV columns:
  they live on the listing only, and a re-import refreshes them.
- `active`: status `active` is true; `inactive`, `defunct`, `temporarily closed` false.
- `verified_at`: the service's `assured_date`. `confidential`: false, since HSDS does not
  say whether staff keep what a survivor says confidential, and Harbor must not promise it.

Problems with the package itself (no `datapackage.json`, a table that is not UTF-8 or not
valid CSV, a JSON file that does not parse, a taxonomy map with an unknown category)
raise `HsdsImportError` with a message that names the file and line. One exception: a
`datapackage.json` holding only a path (a git symbolic link copied as a plain file, as in
Open Referral's own example) is noted, and the tables are found by their standard names;
the tables are all the descriptor would have told us.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import geography
from .listing_rules import ListingRecord, validate_listing
from .listing_words import ages_from_words, pet_refusal_in, populations_from_words
from .listings_csv import ImportPlan, csv_data_rows, plan_import
from .models import Listing
from .vocabulary import CATEGORY_CODES, LANGUAGE_NAMES, POPULATIONS

DEFAULT_TAXONOMY_MAP = Path(__file__).parent / "data" / "hsds_taxonomy_map.yaml"

# The tables read from a tabular package, by HSDS 3 name, with the names other
# publishers and HSDS versions use for the same table.
TABLE_NAMES: dict[str, tuple[str, ...]] = {
    "services": ("services", "service"),
    "organizations": ("organizations", "organization"),
    "service_at_locations": ("service_at_locations", "service_at_location"),
    "locations": ("locations", "location"),
    "addresses": ("addresses", "address"),
    "phones": ("phones", "phone"),
    "schedules": ("schedules", "schedule"),
    "languages": ("languages", "language"),
    "service_areas": ("service_areas", "service_area"),
    "attributes": ("attributes", "attribute"),
    "taxonomy_terms": ("taxonomy_terms", "taxonomy_term"),
    "service_capacity": ("service_capacity", "service_capacities", "capacities"),
    "units": ("units", "unit"),
    "accessibility": ("accessibility", "accessibilities"),
}
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {"services": ("id", "name")}

_VOICE_TYPES = {"", "voice", "cell"}
_TEXT_TYPES = {"text"}
_INACTIVE_STATUSES = {"inactive", "defunct", "temporarily closed"}
_US_COUNTRIES = {"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA", "PR", "GU", "VI",
                 "AS", "MP"}
_NATIONAL_NAMES = {"national", "nationwide", "united states", "united states of america",
                   "usa", "us", "the united states", "all of the united states"}
_READABLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HARBOR_ID_LIMIT = 100
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_COUNTY = re.compile(
    r"^(?P<name>.+?\b(?:county|parish|borough|census area|municipality))\s*,\s*(?P<state>.+)$",
    re.IGNORECASE,
)
_RFC5545_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WHOLE_DAY = (0, 24 * 60)

# ISO 639-2 (bibliographic and terminology forms) and 639-3 codes of languages often
# listed by US services, to their ISO 639-1 code. Languages without a 639-1 code
# (American Sign Language, Hmong, Chuukese...) are left out with a note.
_ISO639_3_TO_1: dict[str, str] = {
    "eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
    "ita": "it", "por": "pt", "rus": "ru", "zho": "zh", "chi": "zh", "cmn": "zh",
    "vie": "vi", "kor": "ko", "jpn": "ja", "ara": "ar", "hin": "hi", "urd": "ur",
    "ben": "bn", "pan": "pa", "guj": "gu", "tam": "ta", "tel": "te", "mar": "mr",
    "tgl": "tl", "pol": "pl", "ukr": "uk", "fas": "fa", "per": "fa", "pus": "ps",
    "som": "so", "amh": "am", "tir": "ti", "orm": "om", "swa": "sw", "hat": "ht",
    "yid": "yi", "heb": "he", "tur": "tr", "ell": "el", "gre": "el", "nld": "nl",
    "dut": "nl", "swe": "sv", "nor": "no", "dan": "da", "fin": "fi", "ces": "cs",
    "cze": "cs", "slk": "sk", "slo": "sk", "hun": "hu", "ron": "ro", "rum": "ro",
    "bul": "bg", "hrv": "hr", "srp": "sr", "bos": "bs", "sqi": "sq", "alb": "sq",
    "hye": "hy", "arm": "hy", "kat": "ka", "geo": "ka", "khm": "km", "lao": "lo",
    "mya": "my", "bur": "my", "tha": "th", "ind": "id", "msa": "ms", "may": "ms",
    "nep": "ne", "sin": "si", "mon": "mn", "kur": "ku", "yor": "yo", "ibo": "ig",
    "hau": "ha", "zul": "zu", "xho": "xh", "nav": "nv", "lit": "lt", "lav": "lv",
    "est": "et", "slv": "sl", "mkd": "mk", "mac": "mk", "bel": "be", "kaz": "kk",
    "uzb": "uz", "aze": "az", "ful": "ff", "wol": "wo", "kin": "rw", "run": "rn",
    "lin": "ln", "smo": "sm", "ton": "to", "mah": "mh", "cha": "ch",
}
_LANGUAGE_BY_NAME = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
_STATE_BY_NAME = {name.lower(): code for code, name in geography.STATE_NAMES.items()}


class HsdsImportError(ValueError):
    """The package, a file in it, or the taxonomy map cannot be read; the message says why."""


@dataclass(frozen=True)
class TermTargets:
    """What one taxonomy term means in Harbor: categories and populations (both may be empty)."""

    categories: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxonomyMap:
    """The editable map from HSDS taxonomy terms (by id, code or name) to Harbor targets."""

    by_id: Mapping[str, TermTargets]
    by_code: Mapping[str, TermTargets]
    by_name: Mapping[str, TermTargets]
    source: str

    def lookup(self, term: HsdsRow) -> TermTargets | None:
        """Return what `term` maps to by its id, code or name; None when the map lacks it."""
        term_id, code, name = term.get("id"), term.get("code"), _name_key(term.get("name"))
        if term_id and term_id in self.by_id:
            return self.by_id[term_id]
        if code:
            if code in self.by_code:
                return self.by_code[code]
            # A hierarchical code (211/AIRS "BH-1800.1500-100") is covered by an ancestor.
            prefixes = [key for key in self.by_code
                        if code.startswith(key) and code[len(key)] in ".-"]
            if prefixes:
                return self.by_code[max(prefixes, key=len)]
        if name and name in self.by_name:
            return self.by_name[name]
        return None


@dataclass(frozen=True)
class RejectedRecord:
    """An HSDS record that gives no usable listing: what it is, where, and every reason."""

    kind: str  # "service", or "service at location" for one location of several
    record_id: str  # the HSDS id(s)
    source: str  # file and line, or file and JSON path
    reasons: tuple[str, ...]
    listing_id: str = ""  # the Harbor id it would have had
    service_id: str = ""  # the HSDS service it belongs to ('' when it has no id)


@dataclass(frozen=True)
class HsdsReadResult:
    """What `read_hsds` found: the usable listings, the unusable records, and notes."""

    form: str  # "tabular" or "json"
    records: tuple[ListingRecord, ...]
    rejected: tuple[RejectedRecord, ...]
    notes: tuple[str, ...]
    service_ids: tuple[str, ...] = ()  # every HSDS service id in the package, in order


@dataclass(frozen=True)
class HsdsRow:
    """One HSDS object (a CSV row or a JSON object) as text values, and where it was read."""

    values: Mapping[str, str]
    where: str

    def get(self, column: str) -> str:
        """Return the value of `column`, stripped ('' when absent)."""
        return (self.values.get(column) or "").strip()

    def at(self, column: str) -> str:
        """Return where a value of this row came from, for a reason or note."""
        return f"{self.where}, {column}"


@dataclass(frozen=True)
class TermLink:
    """A taxonomy term attached to a service; `term` is None when the id resolves to nothing."""

    term_id: str
    term: HsdsRow | None
    where: str


@dataclass(frozen=True)
class ServiceSite:
    """A service at one location: the link row, the location and what hangs off them."""

    link: HsdsRow | None
    location: HsdsRow | None
    addresses: tuple[HsdsRow, ...] = ()
    phones: tuple[HsdsRow, ...] = ()  # linked to the service at this location
    location_phones: tuple[HsdsRow, ...] = ()
    schedules: tuple[HsdsRow, ...] = ()
    location_schedules: tuple[HsdsRow, ...] = ()
    languages: tuple[HsdsRow, ...] = ()  # the location's
    service_areas: tuple[HsdsRow, ...] = ()  # of the service at this location
    accessibility: tuple[HsdsRow, ...] = ()  # the location's
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The id that tells this location apart: the location's, else the link's."""
        if self.location is not None and self.location.get("id"):
            return self.location.get("id")
        return self.link.get("id") if self.link is not None else ""


@dataclass(frozen=True)
class ServiceBundle:
    """An HSDS service with everything Harbor reads about it, from either form."""

    service: HsdsRow
    organization: HsdsRow | None
    sites: tuple[ServiceSite, ...]
    phones: tuple[HsdsRow, ...] = ()
    organization_phones: tuple[HsdsRow, ...] = ()
    schedules: tuple[HsdsRow, ...] = ()
    languages: tuple[HsdsRow, ...] = ()
    phone_languages: Mapping[str, tuple[HsdsRow, ...]] = field(default_factory=dict)
    service_areas: tuple[HsdsRow, ...] = ()
    terms: tuple[TermLink, ...] = ()
    known_terms: Mapping[str, HsdsRow] = field(default_factory=dict)  # every known term
    capacities: tuple[HsdsRow, ...] = ()  # HSDS 3.1 service_capacity, unit name beside
    problems: tuple[str, ...] = ()


@dataclass
class _Candidate:
    """A listing being built: its CSV fields, where each came from, and problems so far."""

    listing_id: str
    kind: str
    record_id: str
    source: str
    service_id: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    category_reason: str = ""
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    details: dict[str, Any] = field(default_factory=dict)  # listing-only fields (3.1)

    def put(self, column: str, value: str, origin: str = "") -> None:
        """Set a listing column, remembering the HSDS file and field it came from."""
        self.fields[column] = value
        if origin:
            self.origins[column] = origin


# --- the taxonomy map ---------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


def _parse_targets(value: Any, where: str) -> TermTargets:
    items = value if isinstance(value, list) else [value]
    categories: list[str] = []
    populations: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise HsdsImportError(f"{where}: {item!r} is not a category or population:NAME")
        text = item.strip()
        if text.startswith("population:"):
            population = text.partition(":")[2].strip()
            if population not in POPULATIONS:
                raise HsdsImportError(f"{where}: unknown population {population!r} "
                                      f"(known: {', '.join(POPULATIONS)})")
            populations.append(population)
        elif text in CATEGORY_CODES:
            categories.append(text)
        else:
            raise HsdsImportError(f"{where}: unknown category {text!r} "
                                  f"(known: {', '.join(CATEGORY_CODES)})")
    return TermTargets(tuple(dict.fromkeys(categories)), tuple(dict.fromkeys(populations)))


def load_taxonomy_map(path: Path | str | None = None) -> TaxonomyMap:
    """Load the taxonomy map YAML (default: the one Harbor ships); raise HsdsImportError."""
    source = Path(path) if path is not None else DEFAULT_TAXONOMY_MAP
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise HsdsImportError(f"{source}: cannot read the taxonomy map: {exc}") from exc
    except yaml.YAMLError as exc:
        raise HsdsImportError(f"{source}: not valid YAML: {exc}") from exc
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise HsdsImportError(f"{source}: expected the sections by_id, by_code, by_name")
    unknown = sorted(set(data) - {"by_id", "by_code", "by_name"})
    if unknown:
        raise HsdsImportError(f"{source}: unknown section(s) {', '.join(map(str, unknown))} "
                              "(the sections are by_id, by_code, by_name)")
    sections: dict[str, dict[str, TermTargets]] = {}
    for section in ("by_id", "by_code", "by_name"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise HsdsImportError(f"{source}: {section} must map terms to categories")
        parsed: dict[str, TermTargets] = {}
        for key, value in entries.items():
            text = str(key).strip()
            if not text:
                raise HsdsImportError(f"{source}: {section} has an empty key")
            # Names match whatever the case and spacing; ids and codes match as written.
            lookup_key = _name_key(text) if section == "by_name" else text
            parsed[lookup_key] = _parse_targets(value, f"{source}: {section}: {text}")
        sections[section] = parsed
    return TaxonomyMap(sections["by_id"], sections["by_code"], sections["by_name"],
                       str(source))


# --- reading the tabular package ----------------------------------------------------


def _read_table(path: Path, table: str) -> list[HsdsRow]:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HsdsImportError(f"{name}: cannot be read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HsdsImportError(f"{name} line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
                              "HSDS tables are UTF-8 CSV") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise HsdsImportError(f"{name}: empty (a header row is required)") from None
    except csv.Error as exc:
        raise HsdsImportError(f"{name} line 1: not valid CSV: {exc}") from exc
    missing = [column for column in _REQUIRED_COLUMNS.get(table, ("id",))
               if column not in header]
    if missing:
        raise HsdsImportError(f"{name}: the header lacks column(s) {', '.join(missing)}")
    rows: list[HsdsRow] = []
    try:
        for start, values in csv_data_rows(reader):
            if len(values) != len(header):
                raise HsdsImportError(f"{name} line {start}: has {len(values)} fields; "
                                      f"the header has {len(header)}")
            rows.append(HsdsRow(dict(zip(header, values, strict=True)),
                                f"{name} line {start}"))
    except csv.Error as exc:
        raise HsdsImportError(f"{name} line {reader.line_num}: not valid CSV: {exc}") from exc
    return rows


def _symlink_text(raw: bytes) -> str | None:
    # git stores a symbolic link as a one-line file holding its target; copies of a
    # repository made without links keep that line, as the Open Referral example does.
    text = raw.decode("utf-8", "replace").strip()
    if text and "\n" not in text and not text.startswith(("{", "[")) and text.endswith(".json"):
        return text
    return None


def _resource_paths(directory: Path, notes: list[str]) -> dict[str, Path]:
    descriptor = directory / "datapackage.json"
    try:
        raw = descriptor.read_bytes()
    except OSError as exc:
        raise HsdsImportError(f"datapackage.json: cannot be read: {exc.strerror or exc}") from exc
    link = _symlink_text(raw)
    if link is not None:
        notes.append(f"datapackage.json holds only '{link}' (a symbolic link saved as "
                     "text), so the tables were found by their standard HSDS file names")
        standard: dict[str, Path] = {}
        for table, names in TABLE_NAMES.items():
            found = next((directory / f"{name}.csv" for name in names
                          if (directory / f"{name}.csv").is_file()), None)
            if found is not None:
                standard[table] = found
        return standard
    try:
        package = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise HsdsImportError("datapackage.json: not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise HsdsImportError(f"datapackage.json line {exc.lineno} column {exc.colno}: "
                              f"not valid JSON ({exc.msg})") from exc
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        raise HsdsImportError("datapackage.json: no 'resources' list naming the tables")
    paths: dict[str, Path] = {}
    root = directory.resolve()
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name") or "")
        path_value = resource.get("path")
        if isinstance(path_value, list) and len(path_value) == 1:
            path_value = path_value[0]
        if not isinstance(path_value, str) or not path_value.strip():
            continue
        table = next((key for key, names in TABLE_NAMES.items()
                      if name in names or Path(path_value).stem in names), None)
        if table is None:
            continue  # a table Harbor does not read (funding, cost_options, ...)
        path = (directory / path_value).resolve()
        if path_value.startswith(("/", "\\")) or not path.is_relative_to(root):
            raise HsdsImportError(f"datapackage.json resources[{index}]: path '{path_value}' "
                                  "points outside the package")
        if not path.is_file():
            raise HsdsImportError(f"datapackage.json lists '{path_value}' for table "
                                  f"{name or table}, but there is no such file")
        paths.setdefault(table, path)
    return paths


def _tabular_bundles(directory: Path, notes: list[str]) -> list[ServiceBundle]:
    paths = _resource_paths(directory, notes)
    if "services" not in paths:
        raise HsdsImportError(f"{directory}: the package has no services table "
                              "(services.csv), so there is nothing to import")
    tables: dict[str, list[HsdsRow]] = {table: [] for table in TABLE_NAMES}
    for table, path in paths.items():
        tables[table] = _read_table(path, table)

    indexes: dict[tuple[str, str], dict[str, list[HsdsRow]]] = {}

    def by(table: str, column: str, key: str) -> list[HsdsRow]:
        """Return the rows of `table` whose `column` is `key` (indexed once per column)."""
        if (table, column) not in indexes:
            index: dict[str, list[HsdsRow]] = defaultdict(list)
            for row in tables[table]:
                if row.get(column):
                    index[row.get(column)].append(row)
            indexes[table, column] = index
        return indexes[table, column].get(key, []) if key else []

    organizations = {row.get("id"): row for row in tables["organizations"]}
    locations = {row.get("id"): row for row in tables["locations"]}
    units = {row.get("id"): row for row in tables["units"]}
    terms = {row.get("id"): row for row in tables["taxonomy_terms"]}
    service_ids = {row.get("id") for row in tables["services"]}
    link_ids = {row.get("id") for row in tables["service_at_locations"]}

    known_ids = service_ids | link_ids | set(organizations) | set(locations)
    for row in tables["attributes"]:
        if row.get("link_id") and row.get("link_id") not in known_ids:
            notes.append(f"{row.where}: links taxonomy term {row.get('taxonomy_term_id')} to "
                         f"{row.get('link_id')}, which is no service, service at location, "
                         "organization or location in this package; ignored")
    for row in tables["service_at_locations"]:
        if row.get("service_id") not in service_ids:
            notes.append(f"{row.where}: service_id {row.get('service_id')} is not in the "
                         "services table; ignored")

    def at_site(table: str, link_id: str) -> tuple[HsdsRow, ...]:
        return tuple(by(table, "service_at_location_id", link_id))

    def at_location_only(table: str, location_id: str) -> tuple[HsdsRow, ...]:
        # A location's own rows (its building's phone or opening hours), not a service's.
        return tuple(row for row in by(table, "location_id", location_id)
                     if not row.get("service_id") and not row.get("service_at_location_id"))

    def for_service(table: str, service_id: str) -> tuple[HsdsRow, ...]:
        # Rows for the service as a whole, not for one of its locations.
        return tuple(row for row in by(table, "service_id", service_id)
                     if row.get("service_at_location_id") not in link_ids)

    phone_languages = {phone_id: tuple(by("languages", "phone_id", phone_id))
                       for phone_id in {row.get("phone_id") for row in tables["languages"]}
                       if phone_id}

    bundles: list[ServiceBundle] = []
    for service in tables["services"]:
        service_id = service.get("id")
        problems: list[str] = []
        organization = None
        organization_id = service.get("organization_id")
        if organization_id:
            organization = organizations.get(organization_id)
            if organization is None:
                problems.append(f"organization_id: {organization_id} is not in the "
                                f"organizations table ({service.at('organization_id')})")
        sites = []
        for link in by("service_at_locations", "service_id", service_id):
            location_id = link.get("location_id")
            location = locations.get(location_id)
            site_problems = []
            if location is None:
                site_problems.append(f"location_id: {location_id or '(empty)'} is not in the "
                                     f"locations table ({link.at('location_id')})")
            sites.append(ServiceSite(
                link=link,
                location=location,
                addresses=tuple(by("addresses", "location_id", location_id)),
                phones=at_site("phones", link.get("id")),
                location_phones=at_location_only("phones", location_id),
                schedules=at_site("schedules", link.get("id")),
                location_schedules=at_location_only("schedules", location_id),
                languages=tuple(by("languages", "location_id", location_id)),
                service_areas=at_site("service_areas", link.get("id")),
                accessibility=tuple(by("accessibility", "location_id", location_id)),
                problems=tuple(site_problems),
            ))
        term_links = []
        for link_id in [service_id, *(site.link.get("id") for site in sites if site.link)]:
            for attribute in by("attributes", "link_id", link_id):
                term_id = attribute.get("taxonomy_term_id")
                term_links.append(TermLink(term_id, terms.get(term_id), attribute.where))
        bundles.append(ServiceBundle(
            service=service,
            organization=organization,
            sites=tuple(sites),
            phones=for_service("phones", service_id),
            organization_phones=tuple(
                row for row in by("phones", "organization_id", organization_id)
                if not row.get("service_id") and not row.get("location_id")
                and not row.get("service_at_location_id")
            ),
            schedules=for_service("schedules", service_id),
            languages=tuple(by("languages", "service_id", service_id)),
            phone_languages=phone_languages,
            service_areas=for_service("service_areas", service_id),
            terms=tuple(term_links),
            known_terms=terms,
            capacities=tuple(_with_unit(row, units.get(row.get("unit_id")))
                             for row in by("service_capacity", "service_id", service_id)),
            problems=tuple(problems),
        ))
    return bundles


def _with_unit(capacity: HsdsRow, unit: HsdsRow | None) -> HsdsRow:
    """Return a capacity row with its unit's name as `unit_name` (for the bed check)."""
    if unit is None:
        return capacity
    return HsdsRow({**capacity.values, "unit_name": unit.get("name")}, capacity.where)


# --- reading the JSON form ----------------------------------------------------------


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    return ""  # nested objects are read through their own fields


def _json_row(obj: Mapping[str, Any], where: str) -> HsdsRow:
    return HsdsRow({key: _json_text(value) for key, value in obj.items()
                    if not isinstance(value, (dict, list))}, where)


def _json_objects(parent: Mapping[str, Any], key: str, where: str
                  ) -> list[tuple[Mapping[str, Any], str]]:
    value = parent.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        return [(value, f"{where}.{key}")]
    if not isinstance(value, list):
        raise HsdsImportError(f"{where}.{key}: expected a list of objects, found "
                              f"{type(value).__name__}")
    objects = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise HsdsImportError(f"{where}.{key}[{index}]: expected an object, found "
                                  f"{type(item).__name__}")
        objects.append((item, f"{where}.{key}[{index}]"))
    return objects


def _json_rows(parent: Mapping[str, Any], key: str, where: str) -> tuple[HsdsRow, ...]:
    return tuple(_json_row(obj, path) for obj, path in _json_objects(parent, key, where))


def _json_bundle(service: Mapping[str, Any], where: str,
                 parent: tuple[Mapping[str, Any], str] | None) -> ServiceBundle:
    # The organization is nested in a service_full.json, or is the parent object of an
    # organization_full.json whose `services` hold this one.
    organization_obj: Mapping[str, Any] | None = None
    org_where = f"{where}.organization"
    if isinstance(service.get("organization"), dict):
        organization_obj = service["organization"]
    elif parent is not None:
        organization_obj, org_where = parent
    organization = _json_row(organization_obj, org_where) if organization_obj else None
    phone_languages: dict[str, tuple[HsdsRow, ...]] = {}

    def phones(parent: Mapping[str, Any], path: str) -> tuple[HsdsRow, ...]:
        rows = []
        for obj, phone_where in _json_objects(parent, "phones", path):
            row = _json_row(obj, phone_where)
            rows.append(row)
            if row.get("id"):
                phone_languages[row.get("id")] = _json_rows(obj, "languages", phone_where)
        return tuple(rows)

    organization_locations = {
        str(obj.get("id")): (obj, path)
        for obj, path in (_json_objects(parent[0], "locations", parent[1]) if parent else [])
    }
    sites = []
    for link, link_where in _json_objects(service, "service_at_locations", where):
        location_obj = link.get("location")
        location_where = f"{link_where}.location"
        if not isinstance(location_obj, dict) and link.get("location_id") is not None:
            location_obj, location_where = organization_locations.get(
                str(link.get("location_id")), (None, location_where))
        problems = []
        if not isinstance(location_obj, dict):
            location_obj = None
            problems.append(f"location: missing, location_id "
                            f"{link.get('location_id') or '(none)'} ({link_where})")
        sites.append(ServiceSite(
            link=_json_row(link, link_where),
            location=_json_row(location_obj, location_where) if location_obj else None,
            addresses=_json_rows(location_obj, "addresses", location_where)
            if location_obj else (),
            phones=phones(link, link_where),
            location_phones=phones(location_obj, location_where) if location_obj else (),
            schedules=_json_rows(link, "schedules", link_where),
            location_schedules=_json_rows(location_obj, "schedules", location_where)
            if location_obj else (),
            languages=_json_rows(location_obj, "languages", location_where)
            if location_obj else (),
            service_areas=_json_rows(link, "service_areas", link_where),
            accessibility=_json_rows(location_obj, "accessibility", location_where)
            if location_obj else (),
            problems=tuple(problems),
        ))
    terms = []
    for attribute, attribute_where in _json_objects(service, "attributes", where):
        term_obj = attribute.get("taxonomy_term")
        term_id = _json_text(attribute.get("taxonomy_term_id"))
        if isinstance(term_obj, dict):
            term = _json_row(term_obj, f"{attribute_where}.taxonomy_term")
            terms.append(TermLink(term.get("id") or term_id, term, attribute_where))
        else:
            terms.append(TermLink(term_id, None, attribute_where))
    return ServiceBundle(
        service=_json_row(service, where),
        organization=organization,
        sites=tuple(sites),
        phones=phones(service, where),
        organization_phones=phones(organization_obj, org_where) if organization_obj else (),
        schedules=_json_rows(service, "schedules", where),
        languages=_json_rows(service, "languages", where),
        phone_languages=phone_languages,
        service_areas=_json_rows(service, "service_areas", where),
        terms=tuple(terms),
        capacities=tuple(
            _with_unit(_json_row(obj, path), _json_row(obj["unit"], f"{path}.unit")
                       if isinstance(obj.get("unit"), dict) else None)
            for obj, path in _json_objects(service, "capacities", where)),
    )


def _is_service(obj: Mapping[str, Any]) -> bool:
    return "services" not in obj and "name" in obj and any(
        key in obj for key in ("service_at_locations", "status", "organization",
                               "organization_id", "schedules", "phones"))


def _json_bundles_of(value: Any, where: str, notes: list[str]) -> list[ServiceBundle]:
    if isinstance(value, list):
        bundles = []
        for index, item in enumerate(value):
            bundles.extend(_json_bundles_of(item, f"{where}[{index}]", notes))
        return bundles
    if not isinstance(value, dict):
        raise HsdsImportError(f"{where}: expected an HSDS service or organization object")
    if isinstance(value.get("contents"), list):  # an HSDS API page
        return _json_bundles_of(value["contents"], f"{where}.contents", notes)
    if isinstance(value.get("services"), list):  # an organization with its services
        services = _json_objects(value, "services", where)
        if not services:
            notes.append(f"{where}: organization {value.get('id')} lists no services; "
                         "nothing to import from it")
        return [_json_bundle(service, path, (value, where)) for service, path in services]
    if _is_service(value):
        return [_json_bundle(value, where, None)]
    raise HsdsImportError(f"{where}: neither an HSDS service (name, status, "
                          "service_at_locations...) nor an organization with services")


def _json_file_bundles(path: Path, notes: list[str]) -> list[ServiceBundle]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise HsdsImportError(f"{path.name}: cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise HsdsImportError(f"{path.name}: not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise HsdsImportError(f"{path.name} line {exc.lineno} column {exc.colno}: not valid "
                              f"JSON ({exc.msg})") from exc
    # Places in a JSON file are written as JSONPath: "organization_full.json $.services[0]".
    return _json_bundles_of(data, f"{path.name} $", notes)


# --- mapping a service to listing fields --------------------------------------------


def _hashed(hsds_id: str) -> str:
    return "h" + hashlib.sha256(hsds_id.encode("utf-8")).hexdigest()[:32]


def service_base_ids(service_id: str) -> tuple[str, ...]:
    """Return the ids a service's listings are `B` or `B:<location>` of: readable, hashed.

    A service's listings all share one of these bases, whatever its locations, so that an
    import can find the listings it replaced (`plan_hsds_import`).
    """
    hashed = f"hsds:{_hashed(service_id)}"
    readable = f"hsds:{service_id}"
    if _READABLE_ID.match(service_id) and len(readable) <= _HARBOR_ID_LIMIT:
        return (readable, hashed)
    return (hashed,)


def listing_id_for(service_id: str, location_id: str = "") -> str:
    """Return the Harbor listing id for an HSDS service (at a location, when several).

    `hsds:<service>` or `hsds:<service>:<location>`; an id Harbor cannot store as it is
    (other characters, too long) is replaced by a stable hash of it, part by part, so the
    same service gives the same listings on every import and they keep a common base.
    """
    bases = service_base_ids(service_id)
    if not location_id:
        return bases[0]
    location = location_id if _READABLE_ID.match(location_id) else _hashed(location_id)
    for base in bases:
        for part in (location, _hashed(location_id)):
            if len(f"{base}:{part}") <= _HARBOR_ID_LIMIT:
                return f"{base}:{part}"
    return f"{bases[-1]}:{_hashed(location_id)}"  # not reached: 72 characters always fit


def _state_code(text: str) -> str:
    cleaned = text.strip()
    if cleaned.upper() in geography.STATE_NAMES:
        return cleaned.upper()
    return _STATE_BY_NAME.get(_name_key(cleaned.replace(".", "")), cleaned)


def _clean_number(number: str) -> str:
    # The Open Referral example (and spreadsheets) wrap numbers in quote marks.
    return number.strip().strip("\"'“”").strip()


def _phone_text(row: HsdsRow) -> str:
    number = _clean_number(row.get("number"))
    extension = row.get("extension")
    if extension and extension.isdigit() and number:
        return f"{number} ext. {extension}"
    return number


def _choose_phone(tiers: Sequence[Sequence[HsdsRow]], types: set[str]) -> HsdsRow | None:
    for tier in tiers:
        for row in tier:
            if _clean_number(row.get("number")) and row.get("type").lower() in types:
                return row
    return None


def _language_code(row: HsdsRow) -> str | None:
    code = row.get("code").lower().replace("_", "-")
    primary = code.split("-")[0]
    if len(primary) == 2 and primary in LANGUAGE_NAMES:
        return primary
    if len(primary) == 3 and primary in _ISO639_3_TO_1:
        return _ISO639_3_TO_1[primary]
    return _LANGUAGE_BY_NAME.get(_name_key(row.get("name")))


def _area_from_text(text: str) -> str | None:
    cleaned = text.strip().rstrip(".")
    if not cleaned:
        return None
    if _name_key(cleaned) in _NATIONAL_NAMES:
        return "national"
    state = _state_code(cleaned)
    if state in geography.STATE_NAMES:
        return f"state:{state}"
    county = _COUNTY.match(cleaned)
    if county:
        county_state = _state_code(county.group("state"))
        if county_state in geography.STATE_NAMES:
            return f"county:{county.group('name').strip()}, {county_state}"
    tokens = [token for token in re.split(r"[\s,;]+", cleaned) if token]
    zips = [_ZIP.match(token) for token in tokens]
    if tokens and all(zips):
        return "zip:" + ";".join(match.group(1) for match in zips if match)
    return None


def _service_area(rows: Sequence[HsdsRow]) -> tuple[str, str]:
    """Return (Harbor service_area, note); the note says why an area could not be kept."""
    if not rows:
        return "", ""
    areas: list[str] = []
    for row in rows:
        texts = [row.get("name")]
        if row.get("extent_type").lower() == "text":
            texts.append(row.get("extent"))
        area = next((found for text in texts if (found := _area_from_text(text))), None)
        if area is None:
            described = row.get("name") or row.get("extent") or "(no name)"
            if len(described) > 80:
                described = described[:77] + "..."
            return "", (f"service area '{described}' ({row.where}) is not a US state, county "
                        "or ZIP list, so the listing serves the area around its location")
        areas.append(area)
    if "national" in areas:
        return "national", ""
    if all(area.startswith("zip:") for area in areas):
        zips = [z for area in areas for z in area[4:].split(";")]
        return "zip:" + ";".join(dict.fromkeys(zips)), ""
    distinct = list(dict.fromkeys(areas))
    if len(distinct) == 1:
        return distinct[0], ""
    return "", (f"the service areas ({', '.join(distinct)}) cannot be one Harbor service "
                "area, so the listing serves the area around its location")


def _parse_date(text: str) -> date | None:
    match = _DATE_PREFIX.match(text.strip())
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _clock_minutes(text: str) -> int | None:
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _schedule_openings(row: HsdsRow, today: date
                       ) -> tuple[list[tuple[int, int, int]] | None, str]:
    """Return (openings as (weekday, opens, closes), why not) for one schedule row."""
    name = row.get("id") or "schedule"
    for column in ("valid_to", "until"):
        ended = _parse_date(row.get(column))
        if ended is not None and ended < today:
            return [], f"schedule {name} ({row.where}) ended on {ended} ({column}); ignored"
    starts = _parse_date(row.get("valid_from"))
    if starts is not None and starts > today:
        return [], f"schedule {name} ({row.where}) starts on {starts}; ignored for now"
    freq = row.get("freq").upper()
    if freq not in ("", "WEEKLY", "DAILY"):
        return None, f"schedule {name} ({row.where}) repeats {freq.lower()}"
    if row.get("interval") not in ("", "1"):
        return None, f"schedule {name} ({row.where}) repeats every {row.get('interval')} weeks"
    for column in ("byweekno", "bymonthday", "byyearday"):
        if row.get(column):
            return None, f"schedule {name} ({row.where}) also depends on {column}"
    byday = row.get("byday").upper()
    days: list[int] = []
    if byday:
        for part in (item.strip() for item in byday.split(",")):
            if part not in _RFC5545_DAYS:
                return None, f"schedule {name} ({row.where}) has byday '{part}'"
            days.append(_RFC5545_DAYS.index(part))
    elif freq == "DAILY":
        days = list(range(7))
    elif (first := _parse_date(row.get("dtstart"))) is not None:
        days = [first.weekday()]  # RFC 5545: a weekly rule without BYDAY repeats dtstart's day
    else:
        return None, f"schedule {name} ({row.where}) names no days (byday)"
    opens, closes = _clock_minutes(row.get("opens_at")), _clock_minutes(row.get("closes_at"))
    if opens is None or closes is None:
        return None, f"schedule {name} ({row.where}) lacks a clear opens_at and closes_at"
    if opens == closes:
        if opens != 0:
            return None, f"schedule {name} ({row.where}) opens and closes at the same time"
        opens, closes = _WHOLE_DAY
    if opens == 24 * 60:
        return None, f"schedule {name} ({row.where}) opens at 24:00"
    return [(day, opens, closes) for day in sorted(set(days))], ""


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_list(days: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(_DAY_NAMES[run[0]] if len(run) == 1
                    else f"{_DAY_NAMES[run[0]]}-{_DAY_NAMES[run[-1]]}" for run in runs)


def hours_from_schedules(rows: Sequence[HsdsRow], today: date) -> tuple[str, list[str]]:
    """Return Harbor `hours` for HSDS schedule rows, and notes on what was left out."""
    notes: list[str] = []
    ranges: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for row in rows:
        openings, why_not = _schedule_openings(row, today)
        if openings is None:
            return "", [f"hours left unknown: {why_not}, which Harbor's weekly hours "
                        "cannot say"]
        if why_not:
            notes.append(why_not)
        for day, opens, closes in openings:
            ranges[day].add((opens, closes))
    if not ranges:
        if rows:
            notes.append("hours left unknown: no current schedule")
        return "", notes
    if all(ranges.get(day) == {_WHOLE_DAY} for day in range(7)):
        return "24/7", notes
    days_by_times: dict[tuple[tuple[int, int], ...], list[int]] = defaultdict(list)
    for day in sorted(ranges):
        days_by_times[tuple(sorted(ranges[day]))].append(day)
    entries = []
    for times, days in sorted(days_by_times.items(), key=lambda item: item[1][0]):
        spans = ",".join(f"{_clock_text(opens)}-{_clock_text(closes)}"
                         for opens, closes in times)
        entries.append(f"{_day_list(days)} {spans}")
    return ";".join(entries), notes


def _address(site: ServiceSite | None) -> tuple[HsdsRow | None, bool]:
    """Return (the address to use, whether its street may be shown)."""
    if site is None:
        return None, False
    by_type: dict[str, list[HsdsRow]] = defaultdict(list)
    for row in site.addresses:
        by_type[row.get("address_type").lower()].append(row)
    for kind, street in (("physical", True), ("", True), ("postal", False)):
        if by_type.get(kind):
            return by_type[kind][0], street
    return None, False


def _term_label(link: TermLink) -> str:
    if link.term is None:
        return f"taxonomy term {link.term_id or '(no id)'} ({link.where})"
    term = link.term
    details = ", ".join(f"{column} '{term.get(column)}'" for column in ("code", "name")
                        if term.get(column))
    label = f"taxonomy term {term.get('id') or '(no id)'}"
    return f"{label} ({details}; {term.where})" if details else f"{label} ({term.where})"


def _is_placeholder(term: HsdsRow) -> bool:
    # Example and template data fill a field with its own name (code "code", name "name").
    return term.get("code").lower() == "code" or term.get("name").lower() == "name"


def _map_terms(bundle: ServiceBundle, taxonomy_map: TaxonomyMap
               ) -> tuple[list[str], list[str], list[str]]:
    """Return (categories, populations, descriptions of the unmapped terms)."""
    categories: list[str] = []
    populations: list[str] = []
    unmapped: list[str] = []
    for link in bundle.terms:
        targets = None
        term = link.term
        seen: set[str] = set()
        while term is not None and targets is None:
            targets = taxonomy_map.lookup(term)
            parent_id = term.get("parent_id")
            seen.add(term.get("id"))
            term = bundle.known_terms.get(parent_id) if parent_id not in seen else None
        if targets is None:
            label = _term_label(link)
            if link.term is None:
                label += " is not in the taxonomy terms"
            elif _is_placeholder(link.term):
                label += " is a placeholder (its fields hold their own names)"
            else:
                label += " is not in the taxonomy map"
            unmapped.append(label)
            continue
        categories.extend(targets.categories)
        populations.extend(targets.populations)
    return list(dict.fromkeys(categories)), list(dict.fromkeys(populations)), unmapped


def _candidates(bundle: ServiceBundle, taxonomy_map: TaxonomyMap, today: date
                ) -> list[_Candidate]:
    service = bundle.service
    service_id = service.get("id")
    several = len(bundle.sites) > 1
    categories, populations, unmapped = _map_terms(bundle, taxonomy_map)
    candidates = []
    for site in bundle.sites or (None,):
        location_key = site.key if site is not None and several else ""
        candidate = _Candidate(
            # No id, no listing id: validate_listing then says "id: is required".
            listing_id=listing_id_for(service_id, location_key) if service_id else "",
            kind="service at location" if location_key else "service",
            record_id=(f"{service_id} at {location_key}" if location_key
                       else service_id or "(no id)"),
            source=service.where,
            service_id=service_id,
        )
        candidate.reasons.extend(bundle.problems)
        candidate.reasons.extend(site.problems if site is not None else ())
        location = site.location if site is not None else None
        name = service.get("name")
        if several and location is not None and location.get("name"):
            name = f"{name} ({location.get('name')})"
        candidate.put("id", candidate.listing_id, service.at("id"))
        candidate.put("name", name, service.at("name"))
        if bundle.organization is not None:
            candidate.put("organization", bundle.organization.get("name"),
                          bundle.organization.at("name"))
        candidate.put("description", service.get("description"), service.at("description"))

        tiers = [site.phones if site else (), bundle.phones,
                 site.location_phones if site else (), bundle.organization_phones]
        phone = _choose_phone(tiers, _VOICE_TYPES)
        if phone is not None:
            candidate.put("phone", _phone_text(phone), phone.at("number"))
        else:
            candidate.origins["phone"] = ("no voice number is linked to the service, its "
                                          "location or its organization")
        sms = _choose_phone(tiers, _TEXT_TYPES)
        if sms is not None:
            candidate.put("sms", _clean_number(sms.get("number")), sms.at("number"))
        if service.get("url"):
            candidate.put("website", service.get("url"), service.at("url"))
        elif bundle.organization is not None:
            for column in ("website", "url"):
                if bundle.organization.get(column):
                    candidate.put("website", bundle.organization.get(column),
                                  bundle.organization.at(column))
                    break

        address, street_shown = _address(site)
        if address is not None:
            country = address.get("country")
            if country and country.upper() not in _US_COUNTRIES:
                candidate.reasons.append(f"country: '{country}' is outside the US, and "
                                         "Harbor's geography is the US only "
                                         f"({address.at('country')})")
            if street_shown:
                street = ", ".join(part for part in (address.get("address_1"),
                                                     address.get("address_2")) if part)
                candidate.put("address", street, address.at("address_1"))
            else:
                candidate.notes.append(f"only a postal address ({address.where}); its city, "
                                       "state and ZIP place the listing, its street is "
                                       "not shown")
            candidate.put("city", address.get("city"), address.at("city"))
            candidate.put("state", _state_code(address.get("state_province")),
                          address.at("state_province"))
            postal = address.get("postal_code")
            match = _ZIP.match(postal)
            candidate.put("zip", match.group(1) if match else postal, address.at("postal_code"))
        if location is not None:
            for column in ("latitude", "longitude"):
                candidate.put(column, location.get(column), location.at(column))

        areas = site.service_areas if site and site.service_areas else bundle.service_areas
        area, area_note = _service_area(areas)
        candidate.put("service_area", area, areas[0].where if areas else "")
        if area_note:
            candidate.notes.append(area_note)

        language_rows = [*bundle.languages, *(site.languages if site else ())]
        if phone is not None:
            language_rows.extend(bundle.phone_languages.get(phone.get("id"), ()))
        codes = []
        for row in language_rows:
            code = _language_code(row)
            if code is None:
                candidate.notes.append(f"language '{row.get('name')}' (code "
                                       f"'{row.get('code')}', {row.where}) has no ISO "
                                       "639-1 code; left out")
            else:
                codes.append(code)
        candidate.put("languages", ";".join(dict.fromkeys(codes)))

        schedule_tiers = [site.schedules if site else (), bundle.schedules,
                          site.location_schedules if site else ()]
        schedules = next((tier for tier in schedule_tiers if tier), ())
        hours, hour_notes = hours_from_schedules(schedules, today)
        candidate.put("hours", hours, schedules[0].where if schedules else "")
        candidate.notes.extend(hour_notes)

        candidate.put("categories", ";".join(categories))
        mapped = ";".join(populations)
        texts = (service.get("description"), service.get("eligibility_description"))
        candidate.put("populations", populations_from_words(mapped, *texts))
        if candidate.fields["populations"] != mapped:
            candidate.notes.append(f"populations: no_pets, because it says "
                                   f"'{pet_refusal_in(*texts)}' ({service.where})")
        if not categories:
            if unmapped:
                candidate.category_reason = (
                    f"categories: no Harbor category, because {'; '.join(unmapped)} "
                    f"(add the term to {taxonomy_map.source}, or pass --mapping)")
            elif bundle.terms:
                candidate.category_reason = (
                    "categories: no Harbor category, because its taxonomy terms ("
                    + "; ".join(_term_label(link) for link in bundle.terms)
                    + f") map only to populations or to [] in {taxonomy_map.source}")
            else:
                candidate.category_reason = ("categories: no Harbor category, because no "
                                             "taxonomy term is linked to this service")
        elif unmapped:
            candidate.notes.append("categories from the mapped terms only; "
                                   + "; ".join(unmapped))

        status = service.get("status").lower()
        if status == "active":
            candidate.put("active", "true", service.at("status"))
        elif status in _INACTIVE_STATUSES:
            candidate.put("active", "false", service.at("status"))
        elif status:
            candidate.reasons.append(f"status: '{status}' is not active, inactive, defunct "
                                     f"or temporarily closed ({service.at('status')})")
        else:
            candidate.notes.append(f"no status ({service.where}); imported as active")
        assured = service.get("assured_date")
        if assured:
            assured_day = _parse_date(assured)
            candidate.put("verified_at", assured_day.isoformat() if assured_day else assured,
                          service.at("assured_date"))
        candidate.put("confidential", "false")
        candidate.details = _details(bundle, site, candidate.notes)
        candidates.append(candidate)
    return candidates


_BEDS = re.compile(r"\b(beds?|rooms?|cots?|spaces?|places?|units?)\b", re.IGNORECASE)


def _whole_number(row: HsdsRow, column: str, notes: list[str]) -> int | None:
    text = row.get(column)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        notes.append(f"{column} '{text}' is not a number ({row.at(column)}); left out")
        return None
    if value < 0 or value != int(value):
        notes.append(f"{column} '{text}' is not a whole number ({row.at(column)}); left out")
        return None
    return int(value)


def _timestamp(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _details(bundle: ServiceBundle, site: ServiceSite | None, notes: list[str]) -> dict:
    """Return the listing-only fields of HSDS 3.1: space, ages, eligibility, access."""
    service = bundle.service
    details: dict[str, Any] = {
        "minimum_age": _whole_number(service, "minimum_age", notes),
        "maximum_age": _whole_number(service, "maximum_age", notes),
        "eligibility": service.get("eligibility_description"),
        "accessibility": " ".join(row.get("description") for row in
                                  (site.accessibility if site else ()) if row.get("description")),
    }
    if details["minimum_age"] is None and details["maximum_age"] is None:
        # The service's own fields win; its words ("adults only") fill what they leave out.
        texts = (service.get("description"), service.get("eligibility_description"))
        minimum_age, maximum_age = ages_from_words(*texts)
        if minimum_age is not None or maximum_age is not None:
            details.update(minimum_age=minimum_age, maximum_age=maximum_age)
            notes.append(f"minimum_age {minimum_age}, maximum_age {maximum_age}, because "
                         f"its words say so ({service.where})")
    if bundle.capacities:
        beds = [row for row in bundle.capacities
                if _BEDS.search(f"{row.get('unit_name')} {row.get('description')}")]
        capacity = (beds or list(bundle.capacities))[0]
        updated = _timestamp(capacity.get("updated"))
        if capacity.get("updated") and updated is None:
            notes.append(f"updated '{capacity.get('updated')}' is not a date and time "
                         f"({capacity.at('updated')}); the space reported is left out")
        else:
            details.update(
                beds_available=_whole_number(capacity, "available", notes),
                beds_total=_whole_number(capacity, "maximum", notes),
                capacity_updated_at=updated.astimezone(UTC) if updated else None)
    return details


def _validated(candidate: _Candidate, today: date) -> ListingRecord | RejectedRecord:
    validation = validate_listing(candidate.fields, today=today)
    reasons = list(candidate.reasons)
    if candidate.category_reason:
        reasons.append(candidate.category_reason)
    for error in validation.errors:
        if error.column == "categories" and candidate.category_reason:
            continue  # already said, with the terms that were not mapped
        origin = candidate.origins.get(error.column)
        reasons.append(f"{error.column}: {error.message}" + (f" ({origin})" if origin else ""))
    if validation.record is not None and not reasons:
        return replace(validation.record, **candidate.details)
    return RejectedRecord(candidate.kind, candidate.record_id, candidate.source,
                          tuple(reasons), candidate.listing_id, candidate.service_id)


# --- the whole read -----------------------------------------------------------------


def _bundles(path: Path, notes: list[str]) -> tuple[str, list[ServiceBundle]]:
    if path.is_file():
        if path.name == "datapackage.json":
            return "tabular", _tabular_bundles(path.parent, notes)
        if path.suffix.lower() == ".json":
            return "json", _json_file_bundles(path, notes)
        if path.suffix.lower() == ".csv":
            raise HsdsImportError(f"{path.name}: give the package's directory (with "
                                  "datapackage.json), not one of its tables")
        raise HsdsImportError(f"{path.name}: not an HSDS package directory or .json file")
    if not path.is_dir():
        raise HsdsImportError(f"{path}: no such file or directory")
    if (path / "datapackage.json").is_file():
        return "tabular", _tabular_bundles(path, notes)
    if any(path.glob("*.csv")):
        raise HsdsImportError(f"{path}: has CSV files but no datapackage.json; an HSDS "
                              "tabular package needs one (it lists the tables)")
    json_files = sorted(path.glob("*.json"))
    if not json_files:
        raise HsdsImportError(f"{path}: neither an HSDS tabular package (datapackage.json) "
                              "nor HSDS JSON files (service_full.json, ...)")
    bundles = []
    for json_file in json_files:
        bundles.extend(_json_file_bundles(json_file, notes))
    return "json", bundles


def read_hsds(
    path: Path | str,
    *,
    taxonomy_map: TaxonomyMap | None = None,
    today: date | None = None,
) -> HsdsReadResult:
    """Read an HSDS package or JSON file; return listings, unusable records and notes.

    Raise `HsdsImportError` when the package itself cannot be read. Writes nothing.
    """
    today = today or datetime.now(UTC).date()
    taxonomy_map = taxonomy_map or load_taxonomy_map()
    notes: list[str] = []
    form, bundles = _bundles(Path(path), notes)
    chosen: dict[str, _Candidate] = {}
    results: list[ListingRecord | RejectedRecord] = []
    for bundle in bundles:
        for candidate in _candidates(bundle, taxonomy_map, today):
            earlier = chosen.get(candidate.listing_id) if candidate.listing_id else None
            if earlier is not None and earlier.fields == candidate.fields:
                # The JSON example gives one service in two files: read it once.
                notes.append(f"{candidate.listing_id}: {candidate.source} repeats "
                             f"{earlier.source}; read once")
                continue
            if earlier is not None:
                results.append(RejectedRecord(
                    candidate.kind, candidate.record_id, candidate.source,
                    (f"also in {earlier.source}, with different values "
                     f"({', '.join(_differing(earlier.fields, candidate.fields))})",),
                    candidate.listing_id, candidate.service_id))
                continue
            chosen[candidate.listing_id] = candidate
            label = candidate.listing_id or candidate.source
            notes.extend(f"{label}: {note}" for note in candidate.notes)
            results.append(_validated(candidate, today))
    records = tuple(item for item in results if isinstance(item, ListingRecord))
    rejected = tuple(item for item in results if isinstance(item, RejectedRecord))
    service_ids = tuple(dict.fromkeys(bundle.service.get("id") for bundle in bundles
                                      if bundle.service.get("id")))
    return HsdsReadResult(form, records, rejected, tuple(dict.fromkeys(notes)), service_ids)


def _differing(first: Mapping[str, str], second: Mapping[str, str]) -> Iterable[str]:
    return [column for column in dict.fromkeys([*first, *second])
            if first.get(column, "") != second.get(column, "")]


# --- planning the import --------------------------------------------------------------


@dataclass(frozen=True)
class HsdsImportPlan:
    """What an HSDS import would do: the plan, the listings it retires, and notes."""

    plan: ImportPlan
    # Active listings of the package's services that the package no longer gives (the
    # service gained or lost a location): deactivated, never deleted.
    retired: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _base_of(listing_id: str) -> str:
    # Service ids in listing ids never hold ':' (readable ids cannot, hashed ones are hex).
    return "hsds:" + listing_id.removeprefix("hsds:").split(":", 1)[0]


def plan_hsds_import(session: Session, result: HsdsReadResult) -> HsdsImportPlan:
    """Plan the import of `result`: add and update its listings, retire replaced ones.

    A package speaks for its own services only (it may be partial): for each service in
    it, active listings `hsds:<service>` and `hsds:<service>:<location>` that the package
    no longer gives are deactivated, so a survivor is not sent to a location the service
    left, nor shown the listing that a service with a new second location replaced. A
    service with a skipped record (`--skip-invalid`) keeps all its listings as they are,
    with a note: which stored listing stands for the skipped record cannot be told.
    Listings of services absent from the package, and listings whose id does not start
    with `hsds:` (CSV, admin forms), are never touched. Writes nothing.
    """
    produced = {record.id for record in result.records}
    skipped = {rejected.service_id for rejected in result.rejected if rejected.service_id}
    service_of: dict[str, str] = {}
    for service_id in result.service_ids:
        for base in service_base_ids(service_id):
            service_of.setdefault(base, service_id)
    stored = session.scalars(
        select(Listing.id)
        .where(Listing.active.is_(True), Listing.id.startswith("hsds:", autoescape=True))
        .order_by(Listing.id)
    )
    retired: list[str] = []
    left_alone: dict[str, list[str]] = defaultdict(list)
    for listing_id in stored:
        # startswith is LIKE, which SQLite compares without case: check exactly here.
        if not listing_id.startswith("hsds:") or listing_id in produced:
            continue
        service_id = service_of.get(_base_of(listing_id))
        if service_id is None:
            continue  # a service this package does not hold
        if service_id in skipped:
            left_alone[service_id].append(listing_id)
        else:
            retired.append(listing_id)
    plan = plan_import(session, result.records, deactivate_missing=True,
                       deactivate_only=retired)
    notes = [f"service {service_id} has skipped records, so its stored listing(s) "
             f"{', '.join(ids)}, which this package does not give, are left active as "
             "they are (an import without skipped records for it would deactivate them)"
             for service_id, ids in left_alone.items()]
    planned = {change.record.id for change in plan.to_deactivate}
    for listing_id in retired:
        if listing_id not in planned:
            notes.append(f"{listing_id}: no longer in the package, but it cannot be "
                         "deactivated here because its stored fields no longer pass the "
                         "listing rules; deactivate it in the admin")
    return HsdsImportPlan(plan, tuple(i for i in retired if i in planned), tuple(notes))
