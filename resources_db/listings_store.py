"""Writing listings: the one path that turns validated records into rows, with an audit trail.

`save_listings` writes each `ListingRecord` as its HSDS rows (organization, service,
location, address, service_at_location, phones, schedules, service area, languages,
category and population attributes) and its search rows (listing, listing_category,
listing_area), replacing what an earlier version of the listing wrote. It uses Core
bulk inserts, so 100,000 listings load in seconds, and it never commits: the caller's
transaction makes an import all or nothing.

`apply_changes` is what the CSV import and the admin forms call: it saves the records
and appends one `AuditEntry` per listing created, updated or deactivated, with the old
and new values of the columns that changed.

Reading back: `load_fields(session, ids)` gives the CSV columns of stored listings and
`load_record` a `ListingRecord`, for the forms and the import's dry-run plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from operator import itemgetter

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from .listing_rules import COLUMNS, ListingRecord, validate_listing
from .models import (
    Address,
    Attribute,
    AuditEntry,
    Language,
    Listing,
    ListingArea,
    ListingCategory,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
    User,
    utcnow,
)
from .opening_hours import parse_hours
from .vocabulary import (
    CATEGORY_CODES,
    CATEGORY_NAMES,
    LANGUAGE_NAMES,
    POPULATIONS,
    search_categories,
)

CATEGORY_TAXONOMY = "harbor-category"
POPULATION_TAXONOMY = "harbor-population"
SOURCES = ("csv", "cli", "ui", "hsds", "demo")
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class ListingChange:
    """One listing to write: the new record and, for an existing listing, its old fields."""

    record: ListingRecord
    old_fields: dict[str, str] | None = None

    @property
    def action(self) -> str:
        """Return create, update or deactivate (an update that switches `active` off)."""
        if self.old_fields is None:
            return "create"
        if self.old_fields.get("active") == "true" and not self.record.active:
            return "deactivate"
        return "update"

    @property
    def new_fields(self) -> dict[str, str]:
        """Return the record's CSV columns (computed once; do not modify)."""
        return self.record.csv_fields

    def changed_columns(self) -> tuple[str, ...]:
        """Return the CSV columns whose text differs from the stored listing."""
        return self._changed

    @cached_property
    def _changed(self) -> tuple[str, ...]:
        new = self.new_fields
        if self.old_fields is None:
            return tuple(column for column in COLUMNS if new[column])
        return tuple(c for c in COLUMNS if new[c] != self.old_fields.get(c, ""))


@lru_cache(maxsize=65536)
def organization_id(name: str) -> str:
    """Return the stable id of an organization named `name` (case and spacing ignored)."""
    normalized = " ".join(name.lower().split())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"harbor:organization:{normalized}"))


def term_id(taxonomy: str, code: str) -> str:
    """Return the id of a Harbor taxonomy term ('harbor-category:shelter')."""
    return f"{taxonomy}:{code}"


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ensure_taxonomy_terms(session: Session) -> None:
    """Create Harbor's category and population terms that are not there yet."""
    wanted = {term_id(CATEGORY_TAXONOMY, code): (code, CATEGORY_NAMES[code], CATEGORY_TAXONOMY)
              for code in CATEGORY_CODES}
    wanted.update({term_id(POPULATION_TAXONOMY, code): (code, code.replace("_", " "),
                                                        POPULATION_TAXONOMY)
                   for code in POPULATIONS})
    present = set(session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.id.in_(wanted))))
    missing = [
        {"id": key, "code": code, "name": name, "taxonomy": taxonomy, "description": ""}
        for key, (code, name, taxonomy) in wanted.items() if key not in present
    ]
    if missing:
        session.execute(insert(TaxonomyTerm.__table__), missing)


_DEPENDENT_TABLES = (
    (ListingCategory, ListingCategory.listing_id),
    (ListingArea, ListingArea.listing_id),
    (Listing, Listing.id),
    (Attribute, Attribute.service_id),
    (Language, Language.service_id),
    (ServiceArea, ServiceArea.service_id),
    (Schedule, Schedule.service_id),
    (Phone, Phone.service_id),
    (ServiceAtLocation, ServiceAtLocation.service_id),
    (Address, Address.location_id),
    (Location, Location.id),
    (Service, Service.id),
)


def delete_listings(session: Session, ids: Sequence[str]) -> None:
    """Delete every row written for these listings (HSDS and search rows alike)."""
    for chunk in _chunks(list(ids)):
        # Explicit, child first, rather than trusting ON DELETE CASCADE: SQLite enforces
        # it only when the connection turned foreign keys on.
        for model, column in _DEPENDENT_TABLES:
            session.execute(delete(model).where(column.in_(chunk)))


def _ensure_organizations(session: Session, records: Sequence[ListingRecord]) -> None:
    names: dict[str, str] = {}
    for record in records:
        name = record.organization or record.name
        names.setdefault(organization_id(name), name)
    present: set[str] = set()
    for chunk in _chunks(list(names)):
        present.update(session.scalars(select(Organization.id).where(Organization.id.in_(chunk))))
    rows = [
        {"id": key, "name": name, "description": "", "website": "", "email": ""}
        for key, name in names.items() if key not in present
    ]
    if rows:
        session.execute(insert(Organization.__table__), rows)


def _rows_for(records: Sequence[ListingRecord]) -> dict[type, list[dict]]:
    """Build the rows of every table for these records, grouped by model."""
    now = utcnow()
    rows: dict[type, list[dict]] = {model: [] for model, _ in _DEPENDENT_TABLES}
    for r in records:
        org_id = organization_id(r.organization or r.name)
        rows[Service].append({
            "id": r.id, "organization_id": org_id, "name": r.name,
            "description": r.description, "url": r.website, "email": "",
            "status": "active" if r.active else "inactive", "confidential": r.confidential,
            "verified_at": r.verified_at, "active": r.active, "hours": r.hours,
            "last_modified": now,
        })
        located = r.latitude is not None or bool(r.zip or r.address)
        rows[Location].append({
            "id": r.id, "organization_id": org_id,
            "location_type": "physical" if located else "virtual", "name": r.name,
            "latitude": r.search_latitude, "longitude": r.search_longitude,
        })
        if r.address or r.city or r.zip:
            rows[Address].append({
                "id": r.id, "location_id": r.id, "address_1": r.address, "city": r.city,
                "state_province": r.state, "postal_code": r.zip, "country": "US",
                "address_type": "physical",
            })
        rows[ServiceAtLocation].append({"id": r.id, "service_id": r.id, "location_id": r.id})
        rows[Phone].append({"id": f"{r.id}:phone:voice", "service_id": r.id,
                            "number": r.phone, "type": "voice", "description": ""})
        if r.sms:
            rows[Phone].append({"id": f"{r.id}:phone:text", "service_id": r.id,
                                "number": r.sms, "type": "text", "description": ""})
        if r.hours:
            for index, (byday, opens_at, closes_at) in enumerate(parse_hours(r.hours).schedules()):
                rows[Schedule].append({
                    "id": f"{r.id}:schedule:{index}", "service_id": r.id, "freq": "WEEKLY",
                    "byday": byday, "opens_at": opens_at, "closes_at": closes_at,
                    "timezone": r.timezone, "description": r.hours[:200],
                })
        rows[ServiceArea].append({
            "id": f"{r.id}:area", "service_id": r.id,
            "name": r.service_area or "around the listing's location",
            "extent_type": "harbor", "extent": r.service_area,
        })
        for code in r.languages:
            rows[Language].append({"id": f"{r.id}:language:{code}", "service_id": r.id,
                                   "code": code, "name": LANGUAGE_NAMES.get(code, "")})
        for taxonomy, link_type, codes in (
            (CATEGORY_TAXONOMY, "category", r.categories),
            (POPULATION_TAXONOMY, "population", r.populations),
        ):
            for code in codes:
                rows[Attribute].append({
                    "id": f"{r.id}:{link_type}:{code}", "service_id": r.id,
                    "taxonomy_term_id": term_id(taxonomy, code), "link_type": link_type,
                    "link_entity": "service",
                })
        fields = r.csv_fields
        rows[Listing].append({
            **{column: fields[column] for column in COLUMNS
               if column not in ("latitude", "longitude", "confidential", "verified_at",
                                 "active")},
            "state": r.state, "latitude": r.latitude, "longitude": r.longitude,
            "confidential": r.confidential, "verified_at": r.verified_at, "active": r.active,
            "scope": r.scope, "search_latitude": r.search_latitude,
            "search_longitude": r.search_longitude, "timezone": r.timezone,
            "organization_id": org_id, "updated_at": now,
            "beds_available": r.beds_available, "beds_total": r.beds_total,
            "capacity_updated_at": r.capacity_updated_at, "minimum_age": r.minimum_age,
            "maximum_age": r.maximum_age, "eligibility": r.eligibility,
            "accessibility": r.accessibility,
        })
        # "legal/family" is searched as legal; the sub-need ranks within it.
        for category in search_categories(r.categories):
            rows[ListingCategory].append({
                "listing_id": r.id, "category": category, "scope": r.scope,
                "state": r.area_state, "latitude": r.search_latitude,
                "longitude": r.search_longitude,
            })
        for key in r.area_keys:
            rows[ListingArea].append({"listing_id": r.id, "area_key": key})
    return rows


def bulk_insert(session: Session, table: Table, rows: Sequence[dict]) -> None:
    """Insert many rows with one executemany, converting values with the column types.

    The same as `session.execute(insert(table), rows)`, minus SQLAlchemy's per-row
    parameter bookkeeping, which is most of the cost of a 100,000-listing import. Every
    row must have the same keys. Types that convert values (dates and times on SQLite,
    UTCDateTime, JSON) still do, through their own bind processors.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup) if compiled.positional else keys
    pick = itemgetter(*order)
    parameters: list = [pick(row) for row in rows] if len(order) > 1 else [
        (pick(row),) for row in rows]
    converters = [
        (index, processor) for index, key in enumerate(order)
        if (processor := table.c[key].type._cached_bind_processor(dialect)) is not None
    ]
    if converters:
        converted = []
        for values in parameters:
            values = list(values)
            for index, processor in converters:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        parameters = converted
    if not compiled.positional:
        parameters = [dict(zip(order, values, strict=True)) for values in parameters]
    for start in range(0, len(parameters), 5000):
        connection.exec_driver_sql(compiled.string, parameters[start : start + 5000])


def save_listings(session: Session, records: Sequence[ListingRecord]) -> None:
    """Write (create or replace) these listings in the session's transaction; no commit."""
    if not records:
        return
    ensure_taxonomy_terms(session)
    existing: list[str] = []
    ids = [record.id for record in records]
    for chunk in _chunks(ids):
        existing.extend(session.scalars(select(Service.id).where(Service.id.in_(chunk))))
    if existing:
        records = _keeping_hsds_details(session, records, existing)
        delete_listings(session, existing)
    _ensure_organizations(session, records)
    rows = _rows_for(records)
    # Parents before children, the reverse of the delete order.
    for model, _ in reversed(_DEPENDENT_TABLES):
        bulk_insert(session, model.__table__, rows[model])
    if existing:
        _delete_orphan_organizations(session)


def _keeping_hsds_details(session: Session, records: Sequence[ListingRecord],
                          existing: Sequence[str]) -> list[ListingRecord]:
    """Return the records, each that brings no HSDS 3.1 details (a CSV row, an admin
    edit) carrying the stored ones: editing a phone number must not erase reported space."""
    stored: dict[str, dict] = {}
    columns = [getattr(Listing, column) for column in HSDS_DETAIL_COLUMNS]
    for chunk in _chunks(list(existing)):
        for row in session.execute(select(Listing.id, *columns).where(Listing.id.in_(chunk))):
            stored[row.id] = {column: getattr(row, column) for column in HSDS_DETAIL_COLUMNS}
    kept = []
    for record in records:
        details = stored.get(record.id)
        if not details:
            kept.append(record)
            continue
        # The ages a CSV row's description says replace the stored ages only: its other
        # details (reported space) stay, as they do for a row that brings none.
        keep = {column: details[column] for group in _DETAIL_GROUPS
                if all(getattr(record, column) in (None, "") for column in group)
                for column in group}
        kept.append(replace(record, **keep) if keep else record)
    return kept


def _delete_orphan_organizations(session: Session) -> None:
    used = select(Service.organization_id)
    used_by_location = select(Location.organization_id).where(
        Location.organization_id.is_not(None)
    )
    # Network members and the organizations staff accounts belong to stay without listings.
    used_by_staff = select(User.organization_id).where(User.organization_id.is_not(None))
    session.execute(
        delete(Organization).where(
            Organization.id.not_in(used), Organization.id.not_in(used_by_location),
            Organization.id.not_in(used_by_staff), Organization.member.is_(False),
        )
    )


def listing_fields(listing: Listing) -> dict[str, str]:
    """Return a stored listing's CSV columns as text, as export writes them."""
    from .listing_rules import format_bool, format_coordinate

    return {
        "id": listing.id,
        "name": listing.name,
        "organization": listing.organization,
        "categories": listing.categories,
        "description": listing.description,
        "phone": listing.phone,
        "sms": listing.sms,
        "website": listing.website,
        "address": listing.address,
        "city": listing.city,
        "state": listing.state,
        "zip": listing.zip,
        "latitude": format_coordinate(listing.latitude),
        "longitude": format_coordinate(listing.longitude),
        "service_area": listing.service_area,
        "languages": listing.languages,
        "hours": listing.hours,
        "confidential": format_bool(listing.confidential),
        "populations": listing.populations,
        "verified_at": listing.verified_at.isoformat() if listing.verified_at else "",
        "active": format_bool(listing.active),
    }


def load_fields(session: Session, ids: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Return {id: CSV fields} for the given listing ids (all listings when ids is None)."""
    found: dict[str, dict[str, str]] = {}
    if ids is None:
        for listing in session.scalars(select(Listing).order_by(Listing.id)):
            found[listing.id] = listing_fields(listing)
        return found
    for chunk in _chunks(list(ids)):
        for listing in session.scalars(select(Listing).where(Listing.id.in_(chunk))):
            found[listing.id] = listing_fields(listing)
    return found


def load_record(session: Session, listing_id: str) -> ListingRecord | None:
    """Return the stored listing as a ListingRecord (for an edit form), or None."""
    fields = load_fields(session, [listing_id]).get(listing_id)
    if fields is None:
        return None
    return validate_listing(fields).record


def apply_changes(
    session: Session,
    changes: Sequence[ListingChange],
    *,
    actor: str,
    source: str,
    user_id: int | None = None,
    action: str | None = None,
    method: str = "",
    note: str = "",
) -> int:
    """Save the changed listings and append one AuditEntry for each; return how many.

    Unchanged listings (no column differs) are skipped. Nothing is committed. `action`
    names the change in the log when it is more than create/update/deactivate (verify,
    revert); `method` and `note` say how a verification was made and why a change was.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    changed = [change for change in changes if change.changed_columns()]
    save_listings(session, [change.record for change in changed])
    now = utcnow()
    entries = []
    for change in changed:
        columns = change.changed_columns()
        new_fields = change.new_fields
        entries.append({
            "created_at": now,
            "user_id": user_id,
            "actor": actor,
            "listing_id": change.record.id,
            "action": action or change.action,
            "source": source,
            "method": method,
            "note": note,
            "old_values": (
                None if change.old_fields is None
                else {column: change.old_fields.get(column, "") for column in columns}
            ),
            "new_values": {column: new_fields[column] for column in columns},
        })
    bulk_insert(session, AuditEntry.__table__, entries)
    return len(changed)


# The listing-only fields an HSDS 3.1 import brings (no CSV column holds them).
HSDS_DETAIL_COLUMNS = ("beds_available", "beds_total", "capacity_updated_at", "minimum_age",
                       "maximum_age", "eligibility", "accessibility")
# Kept or replaced together: a record that brings ages (read from a CSV row's words)
# and nothing else keeps the stored space, eligibility and accessibility.
_DETAIL_GROUPS = (("minimum_age", "maximum_age"),
                  ("beds_available", "beds_total", "capacity_updated_at", "eligibility",
                   "accessibility"))


def store_hsds_details(session: Session, records: Sequence[ListingRecord]) -> None:
    """Write the reported space, ages, eligibility and accessibility of these records to
    their stored listings: a re-import whose CSV columns did not change refreshes them."""
    for record in records:
        session.execute(
            update(Listing).where(Listing.id == record.id)
            .values({column: getattr(record, column) for column in HSDS_DETAIL_COLUMNS}))
