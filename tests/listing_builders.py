"""Listings as tests build them: CSV files, HSDS 3.1 packages, stored rows near Cedar Rapids.

The search, referral and import tests share these so a listing means the same thing in
each: `csv_file` writes the listings CSV with every column; `us_shelter_package` is Open
Referral's 3.1 example plus one US shelter (the example's own services are abroad);
`store` validates rows as the import does and saves them; `ids` is the order a search
offers; `reply_to` is what the SMS conversation answers.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from bot.conversations.service import DatabaseListings
from bot.engine.machine import Inbound, handle
from resources_db.geography import lookup_zip
from resources_db.listing_rules import COLUMNS, validate_listing
from resources_db.listings_store import save_listings

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 09:00 in Cedar Rapids
TODAY = NOW.date()
CEDAR_RAPIDS = lookup_zip("52404")
SAMPLE_31 = Path(__file__).parent / "data" / "hsds-sample" / "hsds31-examples"
SHELTER = "31313131-0000-4000-8000-000000000031"
ORG = "31313131-0000-4000-8000-0000000000aa"


def csv_file(*rows: dict) -> bytes:
    """Return a listings CSV holding `rows` (columns a row leaves out are empty)."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(dict.fromkeys(COLUMNS, "") | row)
    return stream.getvalue().encode()


def north_of(miles: float) -> dict[str, str]:
    """Return the latitude and longitude `miles` north of Cedar Rapids."""
    return {"latitude": repr(CEDAR_RAPIDS.latitude + miles / 69.09),
            "longitude": repr(CEDAR_RAPIDS.longitude)}


def store(session, *rows: dict, today: date = TODAY) -> None:
    """Validate `rows` as the import does and save them."""
    records = []
    for row in rows:
        validation = validate_listing(row, today=today)
        assert validation.ok, validation.errors
        records.append(validation.record)
    save_listings(session, records)
    session.commit()


def ids(results) -> list[str]:
    return [hit.listing_id for hit in results.hits]


def reply_to(session, text: str, now: datetime = NOW) -> str:
    """Return what Harbor answers a first SMS `text`, on the stored listings."""
    turn = handle(None, Inbound(text, "sms", now), DatabaseListings(session))
    return "\n".join(turn.replies)


def add_rows(package: Path, table: str, rows: list[dict]) -> None:
    """Append `rows` to one CSV table of an HSDS package, in its header's order."""
    path = package / table
    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream))
    with path.open("a", encoding="utf-8", newline="") as stream:
        csv.DictWriter(stream, fieldnames=header, lineterminator="\r\n").writerows(rows)


def us_shelter_package(folder: Path, *, description: str, eligibility: str,
                       assured_date: str = "2026-11-01", **service: str) -> Path:
    """Open Referral's 3.1 example plus one US shelter, Harbor Light, in Cedar Rapids:
    its organization, service (with `description`, `eligibility` and any other
    `service` fields), location, address, phone and shelter taxonomy term."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(SAMPLE_31, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    add_rows(folder, "organizations.csv", [{"id": ORG, "name": "Harbor Light Org"}])
    add_rows(folder, "services.csv", [{
        "id": SHELTER, "organization_id": ORG, "name": "Harbor Light Shelter",
        "description": description, "status": "active", "assured_date": assured_date,
        "eligibility_description": eligibility, **service}])
    add_rows(folder, "locations.csv", [{
        "id": "loc-31", "location_type": "physical", "organization_id": ORG,
        "name": "Cedar Rapids", "latitude": "41.9779", "longitude": "-91.6656"}])
    add_rows(folder, "service_at_location.csv", [
        {"id": "sal-31", "service_id": SHELTER, "location_id": "loc-31"}])
    add_rows(folder, "addresses.csv", [{
        "id": "addr-31", "location_id": "loc-31", "address_1": "12 Lantern Way",
        "city": "Cedar Rapids", "state_province": "IA", "postal_code": "52401",
        "country": "US", "address_type": "physical"}])
    add_rows(folder, "phones.csv", [
        {"id": "ph-31", "service_id": SHELTER, "number": "319-555-0131", "type": "voice"}])
    add_rows(folder, "taxonomy_terms.csv", [{
        "id": "term-31", "code": "BH-1800.1500-100", "name": "Domestic Violence Shelters",
        "taxonomy": "example"}])
    add_rows(folder, "attributes.csv", [{
        "id": "at-31", "link_id": SHELTER, "taxonomy_term_id": "term-31",
        "link_type": "service", "link_entity": "service"}])
    return folder
