"""The listings CSV: a good file imports; every kind of bad file is refused whole, with
every bad line and column named; re-import updates by id; export then import gives the
same listings field for field (on the demo data); the CLI reports and exits non-zero.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from resources_db.demo import DEMO_LISTINGS_CSV
from resources_db.geography import lookup_zip
from resources_db.listing_rules import COLUMNS
from resources_db.listings_csv import (
    export_listings_csv,
    import_listings_csv,
    listings_query,
    plan_import,
    read_listings_csv,
)
from resources_db.models import (
    Attribute,
    AuditEntry,
    Language,
    Listing,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)

GOOD_ROWS = [
    {
        "id": "cr-shelter", "name": "Lantern House", "organization": "Lantern Org",
        "categories": "shelter;advocacy", "description": "Emergency shelter.",
        "phone": "319-555-0101", "sms": "319-555-0102", "website": "https://example.org/a",
        "address": "", "city": "Cedar Rapids", "state": "IA", "zip": "52404",
        "latitude": "", "longitude": "", "service_area": "", "languages": "en;es",
        "hours": "24/7", "confidential": "true", "populations": "women;children",
        "verified_at": "2026-10-01", "active": "true",
    },
    {
        "id": "cr-legal", "name": "Paper Crane Legal Aid", "organization": "Lantern Org",
        "categories": "legal", "description": "Protective orders, custody.",
        "phone": "(319) 555-0103 ext. 2", "sms": "", "website": "",
        "address": "100 Kestrel Ct", "city": "Cedar Rapids", "state": "IA", "zip": "52401",
        "latitude": "41.9779", "longitude": "-91.6656", "service_area": "",
        "languages": "en", "hours": "Mon-Fri 09:00-17:00;Sat 10:00-14:00",
        "confidential": "false", "populations": "", "verified_at": "", "active": "true",
    },
    {
        "id": "ia-line", "name": "Iowa Statewide Line", "organization": "", "categories": "hotline",
        "description": "", "phone": "515-555-0150", "sms": "", "website": "", "address": "",
        "city": "", "state": "", "zip": "", "latitude": "", "longitude": "",
        "service_area": "state:IA", "languages": "", "hours": "", "confidential": "",
        "populations": "", "verified_at": "", "active": "",
    },
    {
        "id": "national-line", "name": "A National Line", "organization": "Nation",
        "categories": "hotline", "description": "", "phone": "1-800-799-7233",
        "sms": "START to 88788", "website": "", "address": "", "city": "", "state": "",
        "zip": "", "latitude": "", "longitude": "", "service_area": "national",
        "languages": "en;es", "hours": "24/7", "confidential": "true", "populations": "",
        "verified_at": "2026-11-01", "active": "true",
    },
]


def to_csv(rows: list[dict], columns=COLUMNS) -> bytes:
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def with_change(index: int, **changes) -> bytes:
    rows = [dict(row) for row in GOOD_ROWS]
    rows[index].update(changes)
    return to_csv(rows)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_good_file_imports_every_listing_with_its_hsds_rows(session):
    report = import_listings_csv(session, to_csv(GOOD_ROWS), actor="tester", source_label="csv")
    session.commit()
    assert report.ok and report.applied
    assert report.plan.counts() == {"add": 4, "update": 0, "deactivate": 0, "unchanged": 0}
    assert count(session, Listing) == 4
    assert count(session, Service) == 4
    assert count(session, Organization) == 3  # "Lantern Org" shared; the state line's own name
    assert count(session, ServiceAtLocation) == 4
    assert count(session, Location) == 4
    assert count(session, ServiceArea) == 4
    # Voice for each, plus two text numbers.
    assert count(session, Phone) == 6
    # 24/7 twice = 2 rows; Mon-Fri + Sat = 2 rows; no hours = none.
    assert count(session, Schedule) == 4
    assert count(session, Language) == 5
    # Categories 2+1+1+1, populations 2.
    assert count(session, Attribute) == 7
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.listing_id)).all()
    assert [(e.listing_id, e.action, e.source, e.actor) for e in entries] == [
        ("cr-legal", "create", "csv", "tester"),
        ("cr-shelter", "create", "csv", "tester"),
        ("ia-line", "create", "csv", "tester"),
        ("national-line", "create", "csv", "tester"),
    ]
    assert entries[1].old_values is None
    assert entries[1].new_values["phone"] == "319-555-0101"


def test_empty_coordinates_are_geocoded_from_the_zip(session):
    import_listings_csv(session, to_csv(GOOD_ROWS), actor="t")
    session.commit()
    shelter = session.get(Listing, "cr-shelter")
    place = lookup_zip("52404")
    assert (shelter.latitude, shelter.longitude) == (None, None)  # exported as given
    assert (shelter.search_latitude, shelter.search_longitude) == (place.latitude,
                                                                  place.longitude)
    assert shelter.timezone == "America/Chicago"
    legal = session.get(Listing, "cr-legal")
    assert (legal.search_latitude, legal.search_longitude) == (41.9779, -91.6656)


def test_state_wide_and_national_listings_need_no_address_zip_or_coordinates(session):
    parsed = read_listings_csv(to_csv(GOOD_ROWS[2:]))
    assert parsed.ok, parsed.errors
    scopes = {record.id: (record.scope, record.area_state) for record in parsed.records}
    assert scopes == {"ia-line": ("state", "IA"), "national-line": ("national", "")}


# (column, bad value, the words the message must contain[, the column named when it is
# another one]). The value goes in row 1 of GOOD_ROWS, which is line 3.
BAD_VALUES = [
    ("categories", "shelter;spa", "unknown category 'spa'"),
    ("categories", "", "at least one category"),
    ("populations", "women;martians", "unknown population 'martians'"),
    ("zip", "5240", "not a five-digit ZIP"),
    ("zip", "00000", "not a real ZIP"),
    ("state", "KY", "52401 is in IA, not KY", "zip"),
    ("hours", "Mon-Fry 09:00-17:00", "'Fry'"),
    ("hours", "Mon-Fri 9am-5pm", "not a 24-hour time"),
    ("hours", "Mon-Fri 25:00-26:00", "not a 24-hour time"),
    ("hours", "Mon-Fri", "needs days and times"),
    ("verified_at", "11/01/2026", "not a YYYY-MM-DD date"),
    ("verified_at", "2026-02-30", "not a real date"),
    ("verified_at", "2099-01-01", "in the future"),
    ("longitude", "", "latitude is given"),
    ("latitude", "191.5", "outside -90 to 90"),
    ("latitude", "north", "not a number"),
    ("latitude", "45.0", "miles from ZIP 52401"),
    ("name", "", "is required"),
    ("name", "=HYPERLINK(\"x\")", "formula"),
    ("phone", "", "is required"),
    ("phone", "555-0101", "not a US phone number"),
    ("sms", "text me", "not a number or 'KEYWORD to NUMBER'"),
    ("website", "example.org", "not an http:// or https:// address"),
    ("service_area", "region:midwest", "is not a service area"),
    ("service_area", "state:XX", "not a two-letter state code"),
    ("service_area", "county:Atlantis County, IA", "no 'Atlantis County' in IA"),
    ("service_area", "county:Linn County", "should look like"),
    ("service_area", "zip:52404;99999", "not a real five-digit ZIP: 99999"),
    ("languages", "en;english", "not an ISO 639-1 code: english"),
    ("confidential", "maybe", "not true or false"),
    ("active", "si", "not true or false"),
    ("state", "Iowa", "not a two-letter state code"),
    ("id", "has space", "letters, digits"),
]


@pytest.mark.parametrize("case", BAD_VALUES, ids=[f"{c[0]}={c[1]!r}" for c in BAD_VALUES])
def test_one_bad_value_refuses_the_whole_file_naming_line_and_column(session, case):
    column, value, message = case[:3]
    named = case[3] if len(case) > 3 else column
    report = import_listings_csv(session, with_change(1, **{column: value}), actor="t")
    session.commit()
    assert not report.ok and not report.applied
    assert [(e.line, e.column) for e in report.parsed.errors] == [(3, named)]
    assert message in report.parsed.errors[0].message
    assert count(session, Listing) == 0
    assert count(session, AuditEntry) == 0


def test_a_local_listing_without_zip_or_coordinates_is_refused(session):
    parsed = read_listings_csv(with_change(0, zip=""))
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "zip")]
    assert "needs a ZIP or latitude and longitude" in parsed.errors[0].message


def test_latitude_without_longitude_and_the_reverse(session):
    parsed = read_listings_csv(with_change(0, latitude="41.9"))
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "longitude")]
    parsed = read_listings_csv(with_change(0, longitude="-91.6"))
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "latitude")]


def test_every_bad_line_is_named_not_just_the_first(session):
    rows = [dict(row) for row in GOOD_ROWS]
    rows[0]["zip"] = "1234"
    rows[0]["hours"] = "sometimes"
    rows[3]["categories"] = "hotlines"
    parsed = read_listings_csv(to_csv(rows))
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "zip"), (2, "hours"), (5, "categories")]
    assert parsed.bad_lines() == [2, 5]


def test_a_duplicate_id_names_both_lines(session):
    rows = [dict(row) for row in GOOD_ROWS] + [dict(GOOD_ROWS[0])]
    report = import_listings_csv(session, to_csv(rows), actor="t")
    assert [(e.line, e.column) for e in report.parsed.errors] == [(6, "id")]
    assert "duplicate id 'cr-shelter' (first on line 2)" in report.parsed.errors[0].message
    assert count(session, Listing) == 0


def test_a_quoted_field_over_several_lines_keeps_line_numbers_right(session):
    rows = [dict(row) for row in GOOD_ROWS]
    rows[0]["description"] = "first line\nsecond line\nthird line"
    rows[1]["zip"] = "bad"
    parsed = read_listings_csv(to_csv(rows))
    assert [(e.line, e.column) for e in parsed.errors] == [(5, "zip")]


FILE_PROBLEMS = [
    ("not-utf8", "id,name\n".encode() + "Caf\u00e9".encode("latin-1"), 2,
     "not UTF-8"),
    ("empty", b"", 1, "the file is empty"),
    ("header-only", to_csv([]), 2, "no listings"),
    ("missing-column", to_csv(GOOD_ROWS, [c for c in COLUMNS if c != "hours"]), 1,
     "lacks column(s): hours"),
    ("unknown-column", to_csv(GOOD_ROWS, [*COLUMNS, "notes"]), 1, "unknown column(s)"),
    ("repeated-column", ("," .join([*COLUMNS, "id"]) + "\n").encode(), 1, "named twice: id"),
    ("short-row", to_csv(GOOD_ROWS) + b"x,y,z\n", 6, "has 3 fields; the header has 21"),
    ("broken-quote", to_csv(GOOD_ROWS) + b'x,"unterminated\n', 6, "not valid CSV"),
]


@pytest.mark.parametrize(("data", "line", "message"), [p[1:] for p in FILE_PROBLEMS],
                         ids=[p[0] for p in FILE_PROBLEMS])
def test_file_level_problems_are_reported_and_nothing_is_written(session, data, line, message):
    report = import_listings_csv(session, data, actor="t")
    session.commit()
    assert not report.ok
    assert report.parsed.errors[0].line == line
    assert message in report.parsed.errors[0].message
    assert count(session, Listing) == 0


def test_a_byte_order_mark_and_column_order_do_not_matter(session):
    columns = list(reversed(COLUMNS))
    parsed = read_listings_csv(b"\xef\xbb\xbf" + to_csv(GOOD_ROWS, columns))
    assert parsed.ok, parsed.errors
    assert [r.id for r in parsed.records] == [r["id"] for r in GOOD_ROWS]


def test_reimport_updates_by_id_and_never_duplicates(session):
    import_listings_csv(session, to_csv(GOOD_ROWS), actor="first")
    session.commit()
    report = import_listings_csv(
        session, with_change(0, phone="319-555-0199", languages="en"), actor="second"
    )
    session.commit()
    assert report.plan.counts() == {"add": 0, "update": 1, "deactivate": 0, "unchanged": 3}
    assert count(session, Listing) == 4
    assert count(session, Service) == 4
    assert count(session, Language) == 4  # es dropped from the shelter
    assert session.get(Listing, "cr-shelter").phone == "319-555-0199"
    update = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert (update.listing_id, update.actor) == ("cr-shelter", "second")
    assert update.old_values == {"phone": "319-555-0101", "languages": "en;es"}
    assert update.new_values == {"phone": "319-555-0199", "languages": "en"}


def test_setting_active_false_is_planned_as_a_deactivation(session):
    import_listings_csv(session, to_csv(GOOD_ROWS), actor="t")
    session.commit()
    plan = plan_import(session, read_listings_csv(with_change(0, active="false")).records)
    assert [change.record.id for change in plan.to_deactivate] == ["cr-shelter"]
    assert plan.counts()["unchanged"] == 3


def test_deactivate_missing_deactivates_listings_not_in_the_file(session):
    import_listings_csv(session, to_csv(GOOD_ROWS), actor="t")
    session.commit()
    report = import_listings_csv(session, to_csv(GOOD_ROWS[:3]), actor="t",
                                 deactivate_missing=True)
    session.commit()
    assert report.plan.counts() == {"add": 0, "update": 0, "deactivate": 1, "unchanged": 3}
    assert session.get(Listing, "national-line").active is False
    assert count(session, Listing) == 4  # deactivated, never deleted


def test_a_dry_run_writes_nothing(session):
    report = import_listings_csv(session, to_csv(GOOD_ROWS), actor="t", dry_run=True)
    session.commit()
    assert report.plan.counts()["add"] == 4
    assert not report.applied
    assert count(session, Listing) == 0


def test_export_then_import_gives_the_demo_listings_field_for_field(session):
    demo = DEMO_LISTINGS_CSV.read_bytes()
    first = import_listings_csv(session, demo, actor="t")
    session.commit()
    assert first.ok, first.parsed.errors[:3]
    stream = io.StringIO()
    exported_count = export_listings_csv(session, stream)
    exported = stream.getvalue()
    assert exported_count == first.parsed.rows >= 150

    original = {row["id"]: row for row in csv.DictReader(io.StringIO(demo.decode()))}
    again = {row["id"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert again == original  # every field of every listing
    assert exported.encode() == demo  # and the file itself, byte for byte

    second = import_listings_csv(session, exported.encode(), actor="t")
    session.commit()
    assert second.plan.counts() == {"add": 0, "update": 0, "deactivate": 0,
                                    "unchanged": exported_count}


def test_export_of_a_filtered_query(session):
    import_listings_csv(session, to_csv(GOOD_ROWS), actor="t")
    session.commit()
    stream = io.StringIO()
    assert export_listings_csv(session, stream, listings_query(category="hotline")) == 2
    exported = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert [row["id"] for row in exported] == ["ia-line", "national-line"]
    assert list(exported[0]) == list(COLUMNS)


def test_cli_import_reports_every_bad_line_and_exits_non_zero(runner, db_session, tmp_path):
    rows = [dict(row) for row in GOOD_ROWS]
    rows[1]["zip"] = "99999"
    rows[2]["service_area"] = "state:ZZ"
    path = tmp_path / "bad.csv"
    path.write_bytes(to_csv(rows))
    result = runner.invoke(args=["resources", "import", str(path)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "line 3, zip: 99999 is not a real ZIP" in result.output
    assert "line 4, service_area: 'ZZ' is not a two-letter state code" in result.output
    assert count(db_session, Listing) == 0


def test_cli_import_then_export_round_trips(runner, db_session, tmp_path):
    source = tmp_path / "listings.csv"
    source.write_bytes(to_csv(GOOD_ROWS))
    result = runner.invoke(args=["resources", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "4 listing(s) read: 4 to add, 0 to update, 0 to deactivate, 0 unchanged" in (
        result.output)
    assert count(db_session, Listing) == 4
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["resources", "export", str(target)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["resources", "import", str(target)])
    assert "0 to add, 0 to update, 0 to deactivate, 4 unchanged" in again.output
    entries = db_session.scalars(select(AuditEntry)).all()
    assert len(entries) == 4 and {e.source for e in entries} == {"cli"}


def test_demo_load_is_idempotent(runner, db_session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    total = count(db_session, Listing)
    assert total >= 150
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert f"0 added, 0 updated, {total} already up to date" in second.output
    assert count(db_session, Listing) == total
    assert count(db_session, AuditEntry) == total  # created once, never re-audited


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def test_cli_export_is_formula_safe_and_imports_back_unchanged(runner, db_session, tmp_path):
    # The security review's attack: a listing whose name is a formula, exported by the CLI.
    hostile = {**GOOD_ROWS[0], "id": "formula", "name": '+HYPERLINK("http://x.example","y")',
               "organization": "-Minus Org", "description": "-1+2 beds, call first"}
    source = tmp_path / "hostile.csv"
    source.write_bytes(to_csv([hostile]))
    assert runner.invoke(args=["resources", "import", str(source)]).exit_code == 0
    target = tmp_path / "out.csv"
    for destination in (str(target), "-"):
        result = runner.invoke(args=["resources", "export", destination])
        assert result.exit_code == 0, result.output
    written = target.read_text(encoding="utf-8")
    [row] = list(csv.DictReader(io.StringIO(written)))
    assert row["name"] == "'+HYPERLINK(\"http://x.example\",\"y\")"
    assert row["organization"] == "'-Minus Org"
    assert row["description"] == "'-1+2 beds, call first"
    for value in row.values():
        assert not (value[:1] in FORMULA_TRIGGERS and not value.lstrip("-").replace(".", "")
                    .isdigit()), value
    # Standard output gets the same defused text as the file.
    assert "'+HYPERLINK(" in result.stdout and "\n+HYPERLINK" not in result.stdout
    again = runner.invoke(args=["resources", "import", str(target)])
    assert "0 to add, 0 to update, 0 to deactivate, 1 unchanged" in again.output


def test_the_cli_and_the_admin_download_write_the_same_bytes(client, sign_in, runner,
                                                            db_session, tmp_path):
    source = tmp_path / "listings.csv"
    source.write_bytes(to_csv([{**GOOD_ROWS[0], "name": "+Plus Shelter"}]))
    assert runner.invoke(args=["resources", "import", str(source)]).exit_code == 0
    target = tmp_path / "cli.csv"
    assert runner.invoke(args=["resources", "export", str(target)]).exit_code == 0
    sign_in("admin")
    download = client.get("/admin/listings.csv?status=all").get_data(as_text=True)
    assert download == target.read_text(encoding="utf-8")
