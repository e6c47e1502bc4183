"""HSDS 3.1: a shelter's reported space (`service_capacity`: available, maximum, updated),
its ages and eligibility, its languages and its accessibility come in with the listing,
from the tabular package and from the JSON form, and a re-import refreshes the space even
when no CSV column changed.

Open Referral's 3.1 example (tests/data/hsds-sample/hsds31-examples/, see SOURCE.md) is a
UK record Harbor refuses (no US address); a usable package is that example plus the rows
written beside it here, with the example's own `service_capacity` row pointing at them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from listing_builders import SAMPLE_31, SHELTER, add_rows, us_shelter_package
from sqlalchemy import select

from resources_db.hsds_import import read_hsds
from resources_db.models import Listing

TODAY = date(2026, 12, 2)


def usable_31_package(tmp_path: Path, *, available: str = "3",
                      updated: str = "2026-12-02T13:00:00Z") -> Path:
    """The 3.1 example plus a US shelter with space, ages, languages and accessibility."""
    package = us_shelter_package(
        tmp_path / "package31", description="Emergency shelter for adult survivors.",
        eligibility="Adults 18 and over fleeing abuse, with or without pets.",
        assured_date="2026-11-20", minimum_age="18")
    add_rows(package, "languages.csv", [
        {"id": "lang-31-en", "service_id": SHELTER, "name": "English", "code": "en"},
        {"id": "lang-31-es", "service_id": SHELTER, "name": "Spanish", "code": "spa"}])
    add_rows(package, "accessibility.csv", [{
        "id": "acc-31", "location_id": "loc-31",
        "description": "Step-free entrance and an accessible bedroom."}])
    add_rows(package, "units.csv", [{"id": "unit-bed", "name": "Bed", "scheme": "",
                                     "identifier": "bed", "uri": ""}])
    add_rows(package, "service_capacity.csv", [{
        "id": "cap-31", "service_id": SHELTER, "unit_id": "unit-bed", "available": available,
        "maximum": "10", "description": "Beds tonight", "updated": updated}])
    return package


def test_the_tabular_31_package_brings_space_ages_languages_and_accessibility(tmp_path):
    result = read_hsds(usable_31_package(tmp_path), today=TODAY)
    (record,) = [r for r in result.records if r.id == f"hsds:{SHELTER}"]
    assert (record.beds_available, record.beds_total) == (3, 10)
    assert record.capacity_updated_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert (record.minimum_age, record.maximum_age) == (18, None)
    assert record.eligibility.startswith("Adults 18 and over")
    assert record.accessibility == "Step-free entrance and an accessible bedroom."
    assert record.languages == ("en", "es")
    assert "shelter" in record.categories


def usable_31_json(tmp_path: Path) -> Path:
    """The 3.1 example's service_full.json with its UK values made usable in the US."""
    service = json.loads((SAMPLE_31 / "service_full.json").read_text(encoding="utf-8"))

    def repair(value):
        if isinstance(value, dict):
            if "number" in value:
                value.update(number="319-555-0101", extension=None)
            if "postal_code" in value:
                value.update(postal_code="52401", state_province="IA", city="Cedar Rapids",
                             address_type="physical")
            if "latitude" in value:
                value.update(latitude=41.9779, longitude=-91.6656)
            if "taxonomy_term" in value:
                value["taxonomy_term"].update(code="BH-1800.1500-100",
                                              name="Domestic Violence Shelters")
            for child in value.values():
                repair(child)
        elif isinstance(value, list):
            for child in value:
                repair(child)

    repair(service)
    path = tmp_path / "service_full.json"
    path.write_text(json.dumps(service), encoding="utf-8")
    return path


def test_the_31_json_form_brings_its_capacities_ages_and_accessibility(tmp_path):
    result = read_hsds(usable_31_json(tmp_path), today=TODAY)
    (record,) = result.records
    # The example as published: 12 available of a maximum of 10 (see SOURCE.md).
    assert (record.beds_available, record.beds_total) == (12, 10)
    assert record.capacity_updated_at == datetime(2024, 9, 25, 13, 23, 6, 500000, tzinfo=UTC)
    assert (record.minimum_age, record.maximum_age) == (12, 100)
    assert "induction loops" in record.accessibility
    assert "aged 12 and over" in record.eligibility


def test_a_reimport_refreshes_the_space_even_when_no_csv_column_changed(
        runner, db_session, tmp_path):
    first = runner.invoke(args=["resources", "import-hsds", "--skip-invalid",
                                str(usable_31_package(tmp_path))])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["resources", "import-hsds", "--skip-invalid", str(
        usable_31_package(tmp_path, available="0", updated="2026-12-02T15:30:00Z"))])
    assert again.exit_code == 0, again.output
    db_session.expire_all()
    listing = db_session.scalar(select(Listing).where(Listing.id == f"hsds:{SHELTER}"))
    assert (listing.beds_available, listing.beds_total) == (0, 10)
    assert listing.capacity_updated_at.replace(tzinfo=UTC) == datetime(
        2026, 12, 2, 15, 30, tzinfo=UTC)
    assert listing.minimum_age == 18


def test_an_edit_from_a_csv_row_or_the_admin_keeps_the_reported_space(
        runner, db_session, tmp_path):
    from resources_db.listing_rules import validate_listing
    from resources_db.listings_store import listing_fields, save_listings

    imported = runner.invoke(args=["resources", "import-hsds", "--skip-invalid",
                                   str(usable_31_package(tmp_path))])
    assert imported.exit_code == 0, imported.output
    listing = db_session.scalar(select(Listing).where(Listing.id == f"hsds:{SHELTER}"))
    fields = {**listing_fields(listing), "phone": "319-555-0199"}
    save_listings(db_session, [validate_listing(fields).record])  # no HSDS details in it
    db_session.commit()
    db_session.expire_all()
    edited = db_session.scalar(select(Listing).where(Listing.id == f"hsds:{SHELTER}"))
    assert edited.phone == "319-555-0199"
    assert (edited.beds_available, edited.beds_total, edited.minimum_age) == (3, 10, 18)
