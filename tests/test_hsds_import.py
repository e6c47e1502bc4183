"""HSDS 3 import: Open Referral's own example, as it is, is refused whole with every
unusable record named and why; `--skip-invalid` imports the usable records and lists the
skipped; a refused import writes nothing; a re-import updates instead of duplicating; the
JSON form imports like the tabular one; the taxonomy map is an editable file; a broken
package gives a clear message and a non-zero exit, never a traceback.

The example (tests/data/hsds-sample/, see SOURCE.md there) is used exactly as copied. A
usable package is that example plus the rows `add_usable_services` writes beside it.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from resources_db.hsds_import import (
    HsdsImportError,
    HsdsRow,
    hours_from_schedules,
    listing_id_for,
    load_taxonomy_map,
    read_hsds,
    service_base_ids,
)
from resources_db.listing_rules import COLUMNS
from resources_db.listings_csv import plan_import
from resources_db.models import AuditEntry, Listing

SAMPLE = Path(__file__).parent / "data" / "hsds-sample"
SAMPLE_CSV = SAMPLE / "hsds3-examples"
SAMPLE_JSON = SAMPLE / "hsds3-json"
SAMPLE_SERVICE = "ac148810-d857-441c-9679-408f346de14b"
SAMPLE_LISTING = f"hsds:{SAMPLE_SERVICE}"
TODAY = date(2026, 6, 1)

SHELTER_ID = "11111111-0000-4000-8000-000000000001"
LINE_ID = "22222222-0000-4000-8000-000000000002"


# --- building packages ------------------------------------------------------------


def copy_sample_csv(tmp_path: Path) -> Path:
    target = tmp_path / "package"
    shutil.copytree(SAMPLE_CSV, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def add_rows(package: Path, table: str, rows: list[dict]) -> None:
    """Append rows to a table of the package, under its existing header."""
    path = package / table
    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream))
    with path.open("a", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, lineterminator="\r\n")
        writer.writerows(rows)


def change_row(package: Path, table: str, row_id: str, **changes: str) -> None:
    path = package / table
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["id"] == row_id:
            row.update(changes)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def add_usable_services(package: Path) -> None:
    """Add two services Harbor can use: a shelter with a place, and a statewide line."""
    org = "aaaaaaaa-0000-4000-8000-00000000000a"
    add_rows(package, "organizations.csv", [
        {"id": org, "name": "Lantern Org", "description": "A shelter network.",
         "website": "https://lantern.example.org"},
    ])
    add_rows(package, "services.csv", [
        {"id": SHELTER_ID, "organization_id": org, "name": "Lantern House",
         "description": "Emergency shelter for survivors and their children.",
         "status": "active", "assured_date": "2026-01-15"},
        {"id": LINE_ID, "organization_id": org, "name": "Lantern Line",
         "description": "Talk to an advocate, day or night.", "url": "https://line.example.org",
         "status": "active"},
    ])
    add_rows(package, "locations.csv", [
        {"id": "loc-cr", "location_type": "physical", "organization_id": org,
         "name": "Cedar Rapids", "latitude": "41.9779", "longitude": "-91.6656"},
    ])
    add_rows(package, "service_at_location.csv", [
        {"id": "sal-cr", "service_id": SHELTER_ID, "location_id": "loc-cr"},
    ])
    add_rows(package, "addresses.csv", [
        {"id": "addr-cr", "location_id": "loc-cr", "address_1": "100 Kestrel Ct",
         "city": "Cedar Rapids", "state_province": "Iowa", "postal_code": "52401-1234",
         "country": "US", "address_type": "physical"},
    ])
    add_rows(package, "phones.csv", [
        {"id": "ph-shelter", "service_id": SHELTER_ID, "number": "(319) 555-0101",
         "type": "voice"},
        {"id": "ph-fax", "service_id": LINE_ID, "number": "515-555-0199", "type": "fax"},
        {"id": "ph-line", "service_id": LINE_ID, "number": "1-800-555-0150", "type": "voice"},
        {"id": "ph-text", "service_id": LINE_ID, "number": "515-555-0151", "type": "text"},
    ])
    add_rows(package, "schedules.csv", [
        {"id": "sch-wk", "service_id": SHELTER_ID, "freq": "WEEKLY", "interval": "1",
         "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00:00", "closes_at": "17:00:00"},
        {"id": "sch-sat", "service_id": SHELTER_ID, "freq": "WEEKLY",
         "byday": "SA", "opens_at": "10:00", "closes_at": "14:00"},
        {"id": "sch-line", "service_id": LINE_ID, "freq": "DAILY",
         "opens_at": "00:00", "closes_at": "00:00"},
    ])
    add_rows(package, "languages.csv", [
        {"id": "lang-en", "service_id": SHELTER_ID, "name": "English", "code": "en"},
        {"id": "lang-es", "service_id": SHELTER_ID, "name": "Spanish", "code": "spa"},
        {"id": "lang-line", "service_id": LINE_ID, "name": "Spanish", "code": "es-MX"},
    ])
    add_rows(package, "service_areas.csv", [
        {"id": "area-line", "service_id": LINE_ID, "name": "Iowa", "extent_type": "text"},
    ])
    add_rows(package, "taxonomy_terms.csv", [
        {"id": "term-dvs", "code": "BH-1800.1500-100", "name": "Domestic Violence Shelters",
         "taxonomy": "example"},
        {"id": "term-women", "code": "YK-8000", "name": "Women", "taxonomy": "example"},
        {"id": "term-hotline", "code": "RP-1400.8000", "name": "Domestic Violence Hotlines",
         "taxonomy": "example"},
    ])
    add_rows(package, "attributes.csv", [
        {"id": "at-1", "link_id": SHELTER_ID, "taxonomy_term_id": "term-dvs",
         "link_type": "service", "link_entity": "service"},
        {"id": "at-2", "link_id": SHELTER_ID, "taxonomy_term_id": "term-women",
         "link_type": "service", "link_entity": "service"},
        {"id": "at-3", "link_id": LINE_ID, "taxonomy_term_id": "term-hotline",
         "link_type": "service", "link_entity": "service"},
    ])


def usable_service_json() -> dict:
    """The example's service_full.json with its messy values replaced by usable ones."""
    service = json.loads((SAMPLE_JSON / "service_full.json").read_text(encoding="utf-8"))
    service = copy.deepcopy(service)

    def repair(value):
        if isinstance(value, dict):
            if "number" in value:
                value["number"] = "319-555-0101"
                value["extension"] = None
            if "postal_code" in value:
                value.update(postal_code="52401", state_province="IA", city="Cedar Rapids",
                             address_type="physical")
            if "latitude" in value:
                value.update(latitude=41.9779, longitude=-91.6656)
            if "opens_at" in value:
                value.update(valid_to=None, until=None, byweekno=None, bymonthday=None,
                             byyearday=None)
            if "taxonomy_term" in value:
                value["taxonomy_term"].update(code="BH-1800.1500-100",
                                              name="Domestic Violence Shelters")
            for child in value.values():
                repair(child)
        elif isinstance(value, list):
            for child in value:
                repair(child)

    repair(service)
    return service


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def import_hsds(runner, *args: str):
    return runner.invoke(args=["resources", "import-hsds", *map(str, args)])


# --- the example, as it is ---------------------------------------------------------


SAMPLE_REASONS = [
    # (Harbor column, what the reason says, where the bad value came from)
    ("latitude", "100 is outside -90 to 90", "locations.csv line 2, latitude"),
    ("zip", "'ABC 1234' is not a five-digit ZIP", "addresses.csv line 2, postal_code"),
    ("state", "'MyState' is not a two-letter state code", "addresses.csv line 2, state_province"),
    ("phone", "'+44 1234 234567 ext. 100' is not a US phone number", "phones.csv line 2, number"),
    ("categories", "no Harbor category, because no taxonomy term is linked to this service", ""),
]


@pytest.mark.parametrize(("column", "message", "origin"), SAMPLE_REASONS)
def test_every_problem_of_the_example_service_is_named_with_where_it_came_from(
        column, message, origin):
    result = read_hsds(SAMPLE_CSV, today=TODAY)
    assert result.records == ()
    [rejected] = result.rejected
    assert (rejected.kind, rejected.record_id, rejected.source) == (
        "service", SAMPLE_SERVICE, "services.csv line 2")
    matching = [reason for reason in rejected.reasons if reason.startswith(f"{column}: ")]
    assert matching, rejected.reasons
    assert message in matching[0]
    assert origin in matching[0]


def test_what_the_example_cannot_say_in_harbor_terms_is_noted_not_hidden():
    notes = "\n".join(read_hsds(SAMPLE_CSV, today=TODAY).notes)
    # datapackage.json in the example is a symbolic link that was copied as text.
    assert "datapackage.json holds only '../../datapackage.json'" in notes
    assert "attributes.csv line 2: links taxonomy term" in notes  # to no known record
    assert "only a postal address (addresses.csv line 2)" in notes
    assert "service area 'The service is available to all residents" in notes
    assert "schedule 48102e86-bb50-41c4-8f1e-e269368c41d1 (schedules.csv line 2) ended" in notes


def test_the_example_json_names_its_placeholder_taxonomy_term():
    result = read_hsds(SAMPLE_JSON / "service_full.json", today=TODAY)
    [rejected] = result.rejected
    reasons = "\n".join(rejected.reasons)
    assert "taxonomy term 3f7b145d-84af-42d7-8fae-eaca714b02b2 (code 'code', name 'name'" in reasons
    assert "is a placeholder" in reasons
    assert "latitude: 100 is outside -90 to 90" in reasons
    assert "zip: 'ABC 1234' is not a five-digit ZIP" in reasons


def test_the_example_json_directory_reads_its_one_service_once():
    # organization_full.json nests the same service that service_full.json holds.
    result = read_hsds(SAMPLE_JSON, today=TODAY)
    assert result.form == "json"
    assert [r.record_id for r in result.rejected] == [SAMPLE_SERVICE]
    assert any("repeats organization_full.json $.services[0]; read once" in note
               for note in result.notes)


def test_cli_refuses_the_example_whole_and_writes_nothing(runner, db_session):
    result = import_hsds(runner, SAMPLE_CSV)
    assert result.exit_code == 1
    assert "1 HSDS service record(s) found: 0 usable, 1 unusable" in result.output
    assert f"unusable service {SAMPLE_SERVICE} (services.csv line 2):" in result.output
    assert "latitude: 100 is outside -90 to 90" in result.output
    assert "Import refused: nothing was written" in result.output
    assert "Traceback" not in result.output
    assert count(db_session, Listing) == 0


def test_cli_skip_invalid_on_the_example_lists_the_skipped_and_imports_nothing(
        runner, db_session):
    result = import_hsds(runner, SAMPLE_CSV, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"unusable service {SAMPLE_SERVICE}" in result.output
    assert "nothing to import (all records skipped)" in result.output
    assert count(db_session, Listing) == 0


# --- a package with usable services beside the example's ---------------------------


def test_the_usable_services_map_to_harbor_fields(tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    result = read_hsds(package, today=TODAY)
    by_id = {record.id: record for record in result.records}
    assert set(by_id) == {f"hsds:{SHELTER_ID}", f"hsds:{LINE_ID}"}
    assert [r.record_id for r in result.rejected] == [SAMPLE_SERVICE]

    shelter = by_id[f"hsds:{SHELTER_ID}"]
    assert shelter.name == "Lantern House"
    assert shelter.organization == "Lantern Org"
    assert shelter.categories == ("shelter", "advocacy")
    assert shelter.populations == ("women",)
    assert shelter.phone == "(319) 555-0101"
    assert shelter.website == "https://lantern.example.org"  # the organization's
    assert (shelter.address, shelter.city, shelter.state, shelter.zip) == (
        "100 Kestrel Ct", "Cedar Rapids", "IA", "52401")  # "Iowa", ZIP+4 cut
    assert (shelter.latitude, shelter.longitude) == (41.9779, -91.6656)
    assert shelter.hours == "Mon-Fri 09:00-17:00;Sat 10:00-14:00"
    assert shelter.languages == ("en", "es")  # "spa" is ISO 639-2
    assert shelter.verified_at == date(2026, 1, 15)
    assert shelter.active and not shelter.confidential
    assert shelter.timezone == "America/Chicago"

    line = by_id[f"hsds:{LINE_ID}"]
    assert line.categories == ("hotline", "advocacy")
    assert line.phone == "1-800-555-0150"  # the fax number is not a phone to call
    assert line.sms == "515-555-0151"
    assert line.service_area == "state:IA"
    assert line.hours == "24/7"
    assert line.languages == ("es",)  # "es-MX"
    assert line.website == "https://line.example.org"


def test_cli_refuses_a_package_with_one_unusable_record_and_writes_nothing(
        runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    result = import_hsds(runner, package)
    assert result.exit_code == 1
    assert "3 HSDS service record(s) found: 2 usable, 1 unusable" in result.output
    assert "Import refused: nothing was written" in result.output
    assert count(db_session, Listing) == 0
    assert count(db_session, AuditEntry) == 0


def test_cli_skip_invalid_imports_the_usable_and_lists_the_skipped(runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"unusable service {SAMPLE_SERVICE} (services.csv line 2):" in result.output
    assert "imported: 2 listing(s) written, 1 skipped" in result.output
    ids = set(db_session.scalars(select(Listing.id)))
    assert ids == {f"hsds:{SHELTER_ID}", f"hsds:{LINE_ID}"}


def test_a_dry_run_writes_nothing(runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    result = import_hsds(runner, package, "--skip-invalid", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2 to add" in result.output and "dry run: nothing written" in result.output
    assert count(db_session, Listing) == 0


def test_reimport_updates_the_same_listings_and_never_duplicates(runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    assert import_hsds(runner, package, "--skip-invalid").exit_code == 0
    assert count(db_session, Listing) == 2

    again = import_hsds(runner, package, "--skip-invalid")
    assert again.exit_code == 0, again.output
    assert "0 to add, 0 to update, 0 to deactivate, 2 unchanged" in again.output
    assert count(db_session, Listing) == 2

    change_row(package, "services.csv", SHELTER_ID, name="Lantern House East",
               status="temporarily closed")
    changed = import_hsds(runner, package, "--skip-invalid")
    assert changed.exit_code == 0, changed.output
    assert count(db_session, Listing) == 2
    listing = db_session.get(Listing, f"hsds:{SHELTER_ID}")
    db_session.refresh(listing)
    assert listing.name == "Lantern House East"
    assert listing.active is False


def test_a_service_at_two_locations_gives_two_listings_told_apart(tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    add_rows(package, "locations.csv", [
        {"id": "loc-iowa-city", "location_type": "physical", "name": "Iowa City"},
    ])
    add_rows(package, "addresses.csv", [
        {"id": "addr-ic", "location_id": "loc-iowa-city", "address_1": "1 Clinton St",
         "city": "Iowa City", "state_province": "IA", "postal_code": "52240",
         "address_type": "physical"},
    ])
    add_rows(package, "service_at_location.csv", [
        {"id": "sal-ic", "service_id": SHELTER_ID, "location_id": "loc-iowa-city"},
    ])
    records = {r.id: r for r in read_hsds(package, today=TODAY).records}
    first, second = f"hsds:{SHELTER_ID}:loc-cr", f"hsds:{SHELTER_ID}:loc-iowa-city"
    assert {first, second} <= set(records)
    assert records[first].name == "Lantern House (Cedar Rapids)"
    assert records[second].name == "Lantern House (Iowa City)"
    assert records[second].latitude is None  # geocoded from the ZIP by the listing rules
    assert records[second].search_latitude is not None


# --- listings a package no longer gives are retired ------------------------------------


def add_shelter_location(package: Path, key: str, name: str, street: str, city: str,
                         postal_code: str, country: str = "US") -> None:
    """Give the shelter one more location (location `loc-KEY`, link `sal-KEY`)."""
    add_rows(package, "locations.csv", [
        {"id": f"loc-{key}", "location_type": "physical", "name": name},
    ])
    add_rows(package, "addresses.csv", [
        {"id": f"addr-{key}", "location_id": f"loc-{key}", "address_1": street, "city": city,
         "state_province": "IA", "postal_code": postal_code, "country": country,
         "address_type": "physical"},
    ])
    add_rows(package, "service_at_location.csv", [
        {"id": f"sal-{key}", "service_id": SHELTER_ID, "location_id": f"loc-{key}"},
    ])


def drop_rows(package: Path, table: str, **match: str) -> None:
    """Remove the rows of a table whose columns have these values."""
    path = package / table
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header, rows = reader.fieldnames, list(reader)
    kept = [row for row in rows if any(row.get(k) != v for k, v in match.items())]
    assert len(kept) < len(rows), f"no row of {table} matches {match}"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(kept)


def active_by_id(session) -> dict[str, bool]:
    session.expire_all()
    return {row.id: row.active for row in session.execute(select(Listing.id, Listing.active))}


def audit_actions(session, listing_id: str) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.execute(select(AuditEntry.action, AuditEntry.source)
                           .where(AuditEntry.listing_id == listing_id).order_by(AuditEntry.id))
    return [(row.action, row.source) for row in rows]


SHELTER = f"hsds:{SHELTER_ID}"
LINE = f"hsds:{LINE_ID}"


def test_a_service_that_gains_a_location_retires_its_old_listing(runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    assert import_hsds(runner, package, "--skip-invalid").exit_code == 0
    assert active_by_id(db_session) == {SHELTER: True, LINE: True}

    add_shelter_location(package, "ic", "Iowa City", "1 Clinton St", "Iowa City", "52240")
    dry = import_hsds(runner, package, "--skip-invalid", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 to add, 0 to update, 1 to deactivate, 1 unchanged" in dry.output
    assert f"to deactivate: 1\n  {SHELTER}\n" in dry.output
    assert active_by_id(db_session) == {SHELTER: True, LINE: True}  # a dry run writes nothing

    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "imported: 3 listing(s) written, 1 skipped" in result.output
    # One active listing per location; the old one is kept, inactive, never deleted.
    assert active_by_id(db_session) == {
        SHELTER: False, f"{SHELTER}:loc-cr": True, f"{SHELTER}:loc-ic": True, LINE: True}
    assert audit_actions(db_session, SHELTER) == [("create", "hsds"), ("deactivate", "hsds")]
    assert audit_actions(db_session, f"{SHELTER}:loc-ic") == [("create", "hsds")]

    again = import_hsds(runner, package, "--skip-invalid")
    assert "0 to add, 0 to update, 0 to deactivate, 3 unchanged" in again.output
    assert "to deactivate:" not in again.output


def imported_shelter_at_three_locations(runner, tmp_path: Path) -> Path:
    """Import the usable services with the shelter in Cedar Rapids, Iowa City and Marion."""
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    add_shelter_location(package, "ic", "Iowa City", "1 Clinton St", "Iowa City", "52240")
    add_shelter_location(package, "mar", "Marion", "5 Main St", "Marion", "52302")
    assert import_hsds(runner, package, "--skip-invalid").exit_code == 0
    return package


def test_a_location_dropped_from_the_package_has_its_listing_deactivated(
        runner, db_session, tmp_path):
    package = imported_shelter_at_three_locations(runner, tmp_path)
    assert active_by_id(db_session) == {f"{SHELTER}:loc-cr": True, f"{SHELTER}:loc-ic": True,
                                        f"{SHELTER}:loc-mar": True, LINE: True}

    drop_rows(package, "service_at_location.csv", id="sal-mar")  # the service left Marion
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "0 to add, 0 to update, 1 to deactivate, 3 unchanged" in result.output
    assert active_by_id(db_session) == {f"{SHELTER}:loc-cr": True, f"{SHELTER}:loc-ic": True,
                                        f"{SHELTER}:loc-mar": False, LINE: True}
    assert audit_actions(db_session, f"{SHELTER}:loc-mar") == [
        ("create", "hsds"), ("deactivate", "hsds")]

    # Down to one location: its listing is re-keyed to hsds:<service>, both others retire.
    drop_rows(package, "service_at_location.csv", id="sal-ic")
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1 to add, 0 to update, 2 to deactivate, 1 unchanged" in result.output
    assert active_by_id(db_session) == {
        SHELTER: True, f"{SHELTER}:loc-cr": False, f"{SHELTER}:loc-ic": False,
        f"{SHELTER}:loc-mar": False, LINE: True}


def test_a_service_absent_from_the_package_is_untouched(runner, db_session, tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    assert import_hsds(runner, package, "--skip-invalid").exit_code == 0

    # A partial package: the line is not in it at all, the shelter gained a location.
    drop_rows(package, "services.csv", id=LINE_ID)
    add_shelter_location(package, "ic", "Iowa City", "1 Clinton St", "Iowa City", "52240")
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 to add, 0 to update, 1 to deactivate, 0 unchanged" in result.output
    states = active_by_id(db_session)
    assert states[LINE] is True and states[SHELTER] is False
    assert audit_actions(db_session, LINE) == [("create", "hsds")]


def test_listings_not_from_hsds_are_never_touched(runner, db_session, tmp_path):
    csv_rows = [
        # Ids that look like the HSDS ones but do not start with hsds:
        {"id": SHELTER_ID, "name": "Lantern House (typed in)", "organization": "Lantern Org",
         "categories": "shelter", "phone": "319-555-0101", "city": "Cedar Rapids",
         "state": "IA", "zip": "52401", "active": "true"},
        {"id": f"HSDS:{SHELTER_ID}", "name": "Lantern House (old copy)",
         "categories": "shelter", "phone": "319-555-0101", "city": "Cedar Rapids",
         "state": "IA", "zip": "52401", "active": "true"},
    ]
    listings = tmp_path / "listings.csv"
    with listings.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n",
                                restval="")
        writer.writeheader()
        writer.writerows(csv_rows)
    imported = runner.invoke(args=["resources", "import", str(listings)])
    assert imported.exit_code == 0, imported.output

    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    assert import_hsds(runner, package, "--skip-invalid").exit_code == 0
    add_shelter_location(package, "ic", "Iowa City", "1 Clinton St", "Iowa City", "52240")
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1 to deactivate" in result.output
    states = active_by_id(db_session)
    assert states[SHELTER_ID] is True and states[f"HSDS:{SHELTER_ID}"] is True
    assert states[SHELTER] is False
    for listing_id in (SHELTER_ID, f"HSDS:{SHELTER_ID}"):
        assert audit_actions(db_session, listing_id) == [("create", "cli")]


def test_a_service_with_a_skipped_record_keeps_its_listings_and_says_so(
        runner, db_session, tmp_path):
    package = imported_shelter_at_three_locations(runner, tmp_path)

    # Marion is dropped, and Iowa City's new address cannot be used: the package's word
    # on this service is incomplete, so none of its listings is retired.
    drop_rows(package, "service_at_location.csv", id="sal-mar")
    change_row(package, "addresses.csv", "addr-ic", country="GB")
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"unusable service at location {SHELTER_ID} at loc-ic" in result.output
    assert (f"note: service {SHELTER_ID} has skipped records, so its stored listing(s) "
            f"{SHELTER}:loc-ic, {SHELTER}:loc-mar, which this package does not give, are "
            "left active") in result.output
    assert "0 to deactivate" in result.output
    assert all(active_by_id(db_session).values())

    # Once the record is fixed, the next import retires what the package no longer gives.
    change_row(package, "addresses.csv", "addr-ic", country="US")
    result = import_hsds(runner, package, "--skip-invalid")
    assert "1 to deactivate" in result.output and "has skipped records" not in result.output
    assert active_by_id(db_session)[f"{SHELTER}:loc-mar"] is False


def test_hashed_listing_ids_keep_their_service_base():
    for service_id in ("service #1/with spaces", "s" * 90, SHELTER_ID):
        bases = service_base_ids(service_id)
        assert listing_id_for(service_id) == bases[0]
        for location_id in ("loc-1", "a location/with spaces", "l" * 99):
            listing_id = listing_id_for(service_id, location_id)
            assert len(listing_id) <= 100
            assert listing_id.count(":") == 2
            assert listing_id.rpartition(":")[0] in bases
        assert len({listing_id_for(service_id, loc) for loc in ("a b", "a  b", "a/b")}) == 3


def test_deactivate_only_needs_deactivate_missing(db_session):
    with pytest.raises(ValueError, match="pass both"):
        plan_import(db_session, [], deactivate_only=["x"])


# --- the JSON form -----------------------------------------------------------------


def test_cli_imports_a_service_json_file(runner, db_session, tmp_path):
    path = tmp_path / "service_full.json"
    path.write_text(json.dumps(usable_service_json()), encoding="utf-8")
    result = import_hsds(runner, path)
    assert result.exit_code == 0, result.output
    assert "imported: 1 listing(s) written" in result.output
    listing = db_session.get(Listing, SAMPLE_LISTING)
    assert listing.name == "Community Counselling"
    assert listing.organization == "Example Organization Inc."
    assert listing.zip == "52401"
    assert listing.languages == "ur"


def test_a_directory_of_json_files_and_the_same_service_in_csv_give_one_listing_id(tmp_path):
    directory = tmp_path / "json"
    directory.mkdir()
    service = usable_service_json()
    (directory / "service_full.json").write_text(json.dumps(service), encoding="utf-8")
    organization = dict(service["organization"])
    organization["services"] = [{k: v for k, v in service.items() if k != "organization"}]
    (directory / "organization_full.json").write_text(json.dumps(organization),
                                                      encoding="utf-8")
    result = read_hsds(directory, today=TODAY)
    assert [r.id for r in result.records] == [SAMPLE_LISTING]
    assert result.rejected == ()
    [record] = result.records
    assert record.categories == ("shelter", "advocacy")
    assert record.hours == "Thu-Fri 10:00-18:00"
    assert record.address == "1-30 Main Street, MyVillage"


# --- the taxonomy map is a file an admin edits ----------------------------------------


def test_a_custom_mapping_decides_the_categories(runner, db_session, tmp_path):
    service = usable_service_json()
    for attribute in service["attributes"]:
        attribute["taxonomy_term"].update(code="BH-1800.1500-100", name="Local Shelter Term")
    path = tmp_path / "service.json"
    path.write_text(json.dumps(service), encoding="utf-8")

    refused = import_hsds(runner, path)
    assert refused.exit_code == 1
    assert "name 'Local Shelter Term'" in refused.output
    assert "is not in the taxonomy map" in refused.output

    mapping = tmp_path / "map.yaml"
    mapping.write_text("# ours\nby_code:\n  BH-1800: [shelter, housing]  # and below\n",
                       encoding="utf-8")
    result = import_hsds(runner, path, "--mapping", mapping)
    assert result.exit_code == 0, result.output
    listing = db_session.get(Listing, SAMPLE_LISTING)
    assert sorted(listing.categories.split(";")) == ["housing", "shelter"]


def test_the_example_placeholder_term_can_be_mapped_on_purpose(tmp_path):
    service = usable_service_json()
    for attribute in service["attributes"]:
        attribute["taxonomy_term"].update(code="code", name="name")
    path = tmp_path / "service.json"
    path.write_text(json.dumps(service), encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("by_id:\n  3f7b145d-84af-42d7-8fae-eaca714b02b2: counseling\n",
                       encoding="utf-8")
    [record] = read_hsds(path, taxonomy_map=load_taxonomy_map(mapping), today=TODAY).records
    assert record.categories == ("counseling",)


@pytest.mark.parametrize(("text", "message"), [
    ("by_name:\n  shelter: shelters\n", "unknown category 'shelters'"),
    ("by_name:\n  women: population:ladies\n", "unknown population 'ladies'"),
    ("by_names:\n  a: shelter\n", "unknown section(s) by_names"),
    ("by_name: [shelter\n", "not valid YAML"),
])
def test_a_broken_mapping_is_refused_with_a_clear_message(runner, tmp_path, text, message):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(HsdsImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_taxonomy_map(mapping)
    result = import_hsds(runner, SAMPLE_CSV, "--mapping", mapping)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_terms_that_give_only_populations_leave_the_service_without_a_category(tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("by_name:\n  women: population:women\n  domestic violence shelters: []\n"
                       "  domestic violence hotlines: hotline\n", encoding="utf-8")
    result = read_hsds(package, taxonomy_map=load_taxonomy_map(mapping), today=TODAY)
    rejected = {r.record_id: r for r in result.rejected}
    reasons = "\n".join(rejected[SHELTER_ID].reasons)
    assert "name 'Domestic Violence Shelters'" in reasons
    assert "map only to populations or to []" in reasons
    assert [r.id for r in result.records] == [f"hsds:{LINE_ID}"]


def test_the_shipped_mapping_loads_and_knows_common_terms():
    shipped = load_taxonomy_map()
    term = HsdsRow({"id": "x", "code": "", "name": "Domestic  Violence SHELTERS"}, "test")
    assert shipped.lookup(term).categories == ("shelter", "advocacy")
    placeholder = HsdsRow({"id": "x", "code": "code", "name": "name"}, "test")
    assert shipped.lookup(placeholder) is None


# --- broken packages -----------------------------------------------------------------


def _without_datapackage(package: Path) -> None:
    (package / "datapackage.json").unlink()


def _broken_datapackage(package: Path) -> None:
    (package / "datapackage.json").write_text('{"resources": [', encoding="utf-8")


def _datapackage_naming_a_missing_file(package: Path) -> None:
    (package / "datapackage.json").write_text(json.dumps(
        {"resources": [{"name": "services", "path": "services-2024.csv"}]}), encoding="utf-8")


def _datapackage_pointing_outside(package: Path) -> None:
    (package / "datapackage.json").write_text(json.dumps(
        {"resources": [{"name": "services", "path": "../services.csv"}]}), encoding="utf-8")


def _latin1_services(package: Path) -> None:
    with (package / "services.csv").open("ab") as stream:
        stream.write(b"x1,org,,Caf\xe9,,,,,active\r\n")


def _broken_quote(package: Path) -> None:
    with (package / "phones.csv").open("a", encoding="utf-8") as stream:
        stream.write('p2,,,,,,"319-555-0101,,voice,\r\n')


def _extra_field(package: Path) -> None:
    with (package / "locations.csv").open("a", encoding="utf-8") as stream:
        stream.write("l2,physical,,,Name,,,,1,2,,,surplus\r\n")


def _no_services_table(package: Path) -> None:
    (package / "services.csv").unlink()


def _empty_services(package: Path) -> None:
    (package / "services.csv").write_bytes(b"")


@pytest.mark.parametrize(("breakage", "message"), [
    (_without_datapackage, "has CSV files but no datapackage.json"),
    (_broken_datapackage, "datapackage.json line 1 column 16: not valid JSON"),
    (_datapackage_naming_a_missing_file, "lists 'services-2024.csv' for table services, "
                                         "but there is no such file"),
    (_datapackage_pointing_outside, "points outside the package"),
    (_latin1_services, "services.csv line 3: not UTF-8 (byte 0xe9)"),
    (_broken_quote, "phones.csv line 3: not valid CSV"),
    (_extra_field, "locations.csv line 3: has 13 fields; the header has 12"),
    (_no_services_table, "the package has no services table"),
    (_empty_services, "services.csv: empty (a header row is required)"),
])
def test_a_broken_package_gives_a_clear_message_and_exit_status_1(
        runner, db_session, tmp_path, breakage, message):
    package = copy_sample_csv(tmp_path)
    breakage(package)
    result = import_hsds(runner, package, "--skip-invalid")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an uncaught error
    assert "Import refused: nothing was written." in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(db_session, Listing) == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("service.json", '{"id": "s1", "name": ', "service.json line 1 column 22: not valid JSON"),
    ("service.json", '{"colour": "blue"}', "neither an HSDS service"),
    ("service.json", '{"id": "s1", "name": "S", "status": "active", "phones": "319"}',
     "service.json $.phones: expected a list of objects"),
    ("services.csv", "id,name\n", "give the package's directory"),
])
def test_a_broken_json_file_or_a_lone_table_is_refused_clearly(runner, tmp_path, name, content,
                                                               message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = import_hsds(runner, path)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_an_empty_directory_is_refused_clearly(runner, tmp_path):
    result = import_hsds(runner, tmp_path)
    assert result.exit_code == 1
    assert "neither an HSDS tabular package" in result.output


# --- the mapping rules, one by one -------------------------------------------------------


def schedule(**values: str) -> HsdsRow:
    return HsdsRow({"id": "s", **values}, "schedules.csv line 9")


@pytest.mark.parametrize(("rows", "hours", "note"), [
    ([schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="09:00:00",
               closes_at="17:00:00")], "Mon-Fri 09:00-17:00", ""),
    ([schedule(freq="WEEKLY", byday="MO,WE,FR", opens_at="08:30", closes_at="12:00"),
      schedule(freq="WEEKLY", byday="MO,WE,FR", opens_at="13:00", closes_at="17:30")],
     "Mon,Wed,Fri 08:30-12:00,13:00-17:30", ""),
    ([schedule(freq="WEEKLY", byday="FR,SA", opens_at="18:00", closes_at="02:00")],
     "Fri-Sat 18:00-02:00", ""),
    ([schedule(freq="DAILY", opens_at="00:00", closes_at="00:00")], "24/7", ""),
    ([schedule(freq="WEEKLY", dtstart="2026-06-02", opens_at="10:00", closes_at="12:00")],
     "Tue 10:00-12:00", ""),
    ([schedule(freq="MONTHLY", byday="1MO", opens_at="10:00", closes_at="12:00")],
     "", "repeats monthly"),
    ([schedule(freq="WEEKLY", byday="MO", byweekno="41", opens_at="10:00", closes_at="12:00")],
     "", "also depends on byweekno"),
    ([schedule(freq="WEEKLY", byday="MO", opens_at="10:00")], "", "lacks a clear opens_at"),
    ([schedule(freq="WEEKLY", byday="MO", opens_at="10:00", closes_at="12:00",
               valid_to="2020-01-01")], "", "ended on 2020-01-01"),
    ([schedule(freq="WEEKLY", byday="MO", opens_at="09:00", closes_at="17:00"),
      schedule(freq="YEARLY", opens_at="10:00", closes_at="12:00")], "", "repeats yearly"),
])
def test_schedules_become_harbor_hours_or_are_left_unknown_with_a_note(rows, hours, note):
    text, notes = hours_from_schedules(rows, TODAY)
    assert text == hours
    if note:
        assert any(note in line for line in notes), notes


def test_listing_ids_are_stable_and_storable():
    assert listing_id_for(SAMPLE_SERVICE) == SAMPLE_LISTING
    assert listing_id_for("s1", "l2") == "hsds:s1:l2"
    odd = listing_id_for("service #1/with spaces")
    assert odd == listing_id_for("service #1/with spaces")
    assert odd.startswith("hsds:h") and len(odd) <= 100
    assert listing_id_for("x" * 99) != listing_id_for("x" * 98)


@pytest.mark.parametrize(("area", "expected"), [
    ("United States", "national"),
    ("Iowa", "state:IA"),
    ("Linn County, IA", "county:Linn County, IA"),
    ("Linn County, Iowa", "county:Linn County, IA"),
    ("52401, 52402; 52403", "zip:52401;52402;52403"),
    ("The MyCity area", ""),
])
def test_service_areas_become_harbor_service_areas_where_they_can(tmp_path, area, expected):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    change_row(package, "service_areas.csv", "area-line", name=area)
    records = {r.id: r for r in read_hsds(package, today=TODAY).records}
    if expected:
        assert records[f"hsds:{LINE_ID}"].service_area == expected
    else:
        # A line with no place and no area Harbor can say has nowhere to be found.
        result = read_hsds(package, today=TODAY)
        rejected = {r.record_id: r for r in result.rejected}
        assert "zip: a local listing needs a ZIP" in "\n".join(rejected[LINE_ID].reasons)
        assert any("service area 'The MyCity area'" in note for note in result.notes)


def test_an_address_outside_the_us_is_refused(tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    change_row(package, "addresses.csv", "addr-cr", country="GB")
    rejected = {r.record_id: r for r in read_hsds(package, today=TODAY).rejected}
    assert "country: 'GB' is outside the US, and Harbor's geography is the US only " \
        "(addresses.csv line 3, country)" in rejected[SHELTER_ID].reasons


def test_unknown_status_and_dangling_organization_are_refused(tmp_path):
    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    change_row(package, "services.csv", SHELTER_ID, status="maybe")
    change_row(package, "services.csv", LINE_ID, organization_id="nobody")
    rejected = {r.record_id: r for r in read_hsds(package, today=TODAY).rejected}
    assert any("'maybe' is not active, inactive" in r for r in rejected[SHELTER_ID].reasons)
    assert any("nobody is not in the organizations table" in r
               for r in rejected[LINE_ID].reasons)
