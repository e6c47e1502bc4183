"""Listings in the admin UI: the table and its filters, stale highlighting and counts,
create and edit with the importer's rules, deactivate (never delete), "verified today",
export (neutralized for spreadsheets), and an audit entry for every UI change.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.staff.admin.listings import today_utc
from resources_db.listing_rules import COLUMNS, validate_listing
from resources_db.listings_csv import import_listings_csv, plan_import, read_listings_csv
from resources_db.models import AuditEntry, Listing

TODAY = today_utc()
RECENT = (TODAY - timedelta(days=30)).isoformat()
OLD = (TODAY - timedelta(days=400)).isoformat()


def listing_row(listing_id: str, **values) -> dict[str, str]:
    """A valid listing in Cedar Rapids, IA (Linn County); `values` override columns."""
    row = {
        "id": listing_id, "name": f"Listing {listing_id}", "organization": "Lantern Org",
        "categories": "shelter", "description": "Emergency shelter.",
        "phone": "319-555-0101", "sms": "", "website": "https://example.org/a",
        "address": "", "city": "Cedar Rapids", "state": "IA", "zip": "52404",
        "latitude": "", "longitude": "", "service_area": "", "languages": "en",
        "hours": "24/7", "confidential": "true", "populations": "", "verified_at": RECENT,
        "active": "true",
    }
    row.update(values)
    return row


def to_csv(rows: list[dict[str, str]], columns=COLUMNS) -> bytes:
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def store(db_session, rows: list[dict[str, str]]) -> None:
    report = import_listings_csv(db_session, to_csv(rows), actor="seed", source_label="cli")
    assert report.applied, report.parsed.errors
    db_session.commit()


def ui_audit(db_session) -> list[AuditEntry]:
    db_session.expire_all()
    return db_session.scalars(
        select(AuditEntry).where(AuditEntry.source == "ui").order_by(AuditEntry.id)
    ).all()


def stored(db_session, listing_id: str) -> Listing | None:
    db_session.expire_all()
    return db_session.get(Listing, listing_id)


def form_data(row: dict[str, str]) -> dict:
    """The listing form's fields for a row (checkboxes send only when checked)."""
    data = {("listing_id" if key == "id" else key): value for key, value in row.items()
            if key not in ("categories", "populations", "confidential", "active")}
    data["categories"] = [item for item in row["categories"].split(";") if item]
    data["populations"] = [item for item in row["populations"].split(";") if item]
    if row["confidential"] == "true":
        data["confidential"] = "y"
    if row["active"] == "true":
        data["active"] = "y"
    return data


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


@pytest.fixture
def directory(db_session):
    store(db_session, [
        listing_row("fresh", name="Fresh Shelter"),
        listing_row("stale", name="Stale Legal Aid", categories="legal", verified_at=OLD),
        listing_row("never", name="Never Verified Counseling", categories="counseling",
                    verified_at=""),
        listing_row("closed", name="Closed Housing", categories="housing", active="false",
                    verified_at=OLD),
        listing_row("marion", name="Marion Help", city="Marion", zip="52302"),
        listing_row("louisville", name="Louisville Line", city="Louisville", state="KY",
                    zip="40202", phone="502-555-0100"),
        listing_row("linn-area", name="Linn Area Advocates", categories="advocacy", city="",
                    zip="", service_area="county:Linn County, IA", state=""),
    ])


def names_on(page: str, candidates=("Fresh Shelter", "Stale Legal Aid",
                                    "Never Verified Counseling", "Closed Housing",
                                    "Marion Help", "Louisville Line",
                                    "Linn Area Advocates")) -> set[str]:
    return {name for name in candidates if name in page}


def test_the_table_counts_and_highlights_stale_listings(client, admin, directory):
    page = client.get("/admin").get_data(as_text=True)
    assert names_on(page) == {"Fresh Shelter", "Stale Legal Aid", "Never Verified Counseling",
                              "Marion Help", "Louisville Line", "Linn Area Advocates"}
    # Active 6, stale 2 (never verified counts), inactive 1.
    assert '<span class="count">6</span> active' in page
    assert '<span class="count">2</span> stale' in page
    assert '<span class="count">1</span> inactive' in page
    stale_row = page[page.index("Stale Legal Aid") - 400: page.index("Stale Legal Aid")]
    assert 'class="stale' in stale_row
    fresh_row = page[page.index("Fresh Shelter") - 400: page.index("Fresh Shelter")]
    assert 'class="stale' not in fresh_row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=legal", {"Stale Legal Aid"}),
        ("q=502-555", {"Louisville Line"}),
        ("category=counseling", {"Never Verified Counseling"}),
        ("stale=1", {"Stale Legal Aid", "Never Verified Counseling"}),
        ("status=inactive", {"Closed Housing"}),
        ("status=all&category=housing", {"Closed Housing"}),
        ("place=Cedar+Rapids", {"Fresh Shelter", "Stale Legal Aid",
                                "Never Verified Counseling"}),
        ("place=Linn+County", {"Fresh Shelter", "Stale Legal Aid", "Never Verified Counseling",
                               "Marion Help", "Linn Area Advocates"}),
        ("place=linn,+IA", {"Fresh Shelter", "Stale Legal Aid", "Never Verified Counseling",
                            "Marion Help", "Linn Area Advocates"}),
        ("place=Louisville", {"Louisville Line"}),
        ("place=Linn+County,+KY", set()),
        ("category=shelter&place=Marion", {"Marion Help"}),
        ("category=not-a-category", {"Fresh Shelter", "Stale Legal Aid",
                                     "Never Verified Counseling", "Marion Help",
                                     "Louisville Line", "Linn Area Advocates"}),
    ],
)
def test_filters(client, admin, directory, query, expected):
    page = client.get(f"/admin?{query}").get_data(as_text=True)
    assert names_on(page) == expected


def test_create_writes_the_listing_and_an_audit_entry(client, admin, db_session):
    row = listing_row("", name="New Shelter")
    response = client.post("/admin/listings/new", data=form_data(row))
    assert response.status_code == 302
    listing = db_session.scalars(select(Listing)).one()
    assert listing.id.startswith("L-") and listing.name == "New Shelter"
    assert response.headers["Location"] == f"/admin/listings/{listing.id}"
    [entry] = ui_audit(db_session)
    assert (entry.action, entry.actor, entry.listing_id) == ("create", admin, listing.id)
    assert entry.old_values is None and entry.new_values["name"] == "New Shelter"


def test_create_with_an_id_already_used_is_refused(client, admin, db_session, directory):
    response = client.post("/admin/listings/new", data=form_data(listing_row("fresh")))
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert ui_audit(db_session) == []


# The form's rules are the importer's: each bad value gets the importer's message,
# next to its field, and nothing is written.
BAD_FORM_VALUES = [
    ("phone", "555-0101"),
    ("phone", ""),
    ("zip", "00000"),
    ("website", "example.org"),
    ("name", "=HYPERLINK(\"http://evil\")"),
    ("categories", ""),
    ("verified_at", (TODAY + timedelta(days=5)).isoformat()),
    ("hours", "Mon-Fry 09:00-17:00"),
    ("service_area", "county:Atlantis County, IA"),
    ("languages", "en;english"),
]


@pytest.mark.parametrize(("column", "value"), BAD_FORM_VALUES)
def test_the_form_uses_the_importer_rules_with_messages_next_to_the_field(
    client, admin, db_session, column, value
):
    row = listing_row("new-one", **{column: value})
    [expected] = validate_listing(row, 0, today=TODAY).errors  # the importer's own verdict
    response = client.post("/admin/listings/new", data=form_data(row))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    field_id = {"id": "listing_id"}.get(expected.column, expected.column)
    error_at = page.index(f'id="{field_id}-error"')
    # The message sits inside the field's own block, right after its label.
    # (Compared after the last quote: quotes are HTML-escaped; and case-blind.)
    wanted = expected.message.split("'")[-1].strip()[:20].lower()
    assert wanted in page[error_at:error_at + 400].lower()
    if expected.column not in ("categories", "populations"):  # those are fieldsets
        assert page.index(f'for="{field_id}"') < error_at
    assert 'class="error-summary"' in page
    assert stored(db_session, "new-one") is None
    assert ui_audit(db_session) == []


def test_edit_saves_changes_with_old_and_new_values(client, admin, db_session, directory):
    page = client.get("/admin/listings/fresh").get_data(as_text=True)
    assert 'value="319-555-0101"' in page
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    data = form_data(listing_row("fresh", name="Fresh Shelter", phone="319-555-0199"))
    data["version"] = version
    response = client.post("/admin/listings/fresh", data=data)
    assert response.status_code == 302
    assert stored(db_session, "fresh").phone == "319-555-0199"
    [entry] = ui_audit(db_session)
    assert entry.action == "update" and entry.actor == admin
    assert entry.old_values == {"phone": "319-555-0101"}
    assert entry.new_values == {"phone": "319-555-0199"}
    # The audit page shows it.
    audit_page = client.get("/admin/audit?listing=fresh").get_data(as_text=True)
    assert "319-555-0199" in audit_page and admin in audit_page


def test_an_edit_without_changes_writes_nothing(client, admin, db_session, directory):
    page = client.get("/admin/listings/fresh").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    data = {**form_data(listing_row("fresh", name="Fresh Shelter")), "version": version}
    client.post("/admin/listings/fresh", data=data)
    assert "Nothing changed." in client.get("/admin/listings/fresh").get_data(as_text=True)
    assert ui_audit(db_session) == []


def test_an_edit_based_on_an_old_version_is_refused(client, admin, db_session, directory):
    data = {**form_data(listing_row("fresh", phone="319-555-0199")), "version": "stale-page"}
    response = client.post("/admin/listings/fresh", data=data)
    assert response.status_code == 409
    assert "changed this listing after you opened it" in response.get_data(as_text=True)
    assert stored(db_session, "fresh").phone == "319-555-0101"


def test_unknown_listing_is_404(client, admin):
    assert client.get("/admin/listings/nope").status_code == 404
    assert client.post("/admin/listings/nope/deactivate").status_code == 404


def test_deactivate_asks_for_a_reason_and_changes_nothing_without_one(
        client, admin, db_session, directory):
    assert client.post("/admin/listings/fresh/deactivate").status_code == 302
    assert stored(db_session, "fresh").active is True
    assert "Say why the listing is deactivated" in client.get("/admin").get_data(as_text=True)
    assert ui_audit(db_session) == []


def test_deactivate_keeps_the_row_and_reactivate_brings_it_back(client, admin, db_session,
                                                               directory):
    response = client.post("/admin/listings/fresh/deactivate",
                           data={"reason": "The program closed in May."})
    assert response.status_code == 302
    listing = stored(db_session, "fresh")
    assert listing is not None and listing.active is False
    client.get("/admin")  # shows (and uses up) the flash message that names it
    assert "Fresh Shelter" not in client.get("/admin").get_data(as_text=True)
    client.post("/admin/listings/fresh/reactivate")
    assert stored(db_session, "fresh").active is True
    assert [(e.action, e.old_values, e.new_values, e.note) for e in ui_audit(db_session)] == [
        ("deactivate", {"active": "true"}, {"active": "false"}, "The program closed in May."),
        ("update", {"active": "false"}, {"active": "true"}, ""),
    ]


def test_no_admin_route_deletes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            assert "DELETE" not in rule.methods, rule.rule
            assert "delete" not in rule.rule, rule.rule


def test_verified_today_records_who_how_and_a_note_and_clears_stale(
        client, admin, db_session, directory):
    response = client.post("/admin/listings/stale/verify", data={
        "next": "/admin?stale=1", "method": "phone", "note": "Spoke to the director"})
    assert response.headers["Location"] == "/admin?stale=1"
    assert stored(db_session, "stale").verified_at == TODAY
    [entry] = ui_audit(db_session)
    assert (entry.action, entry.actor, entry.method, entry.note) == (
        "verify", admin, "phone", "Spoke to the director")
    assert entry.new_values == {"verified_at": TODAY.isoformat()}
    page = client.get("/admin").get_data(as_text=True)
    assert '<span class="count">1</span> stale' in page


def test_verifying_needs_to_say_how(client, admin, db_session, directory):
    assert client.post("/admin/listings/stale/verify").status_code == 400
    assert client.post("/admin/listings/stale/verify",
                       data={"method": "telepathy"}).status_code == 400
    assert stored(db_session, "stale").verified_at.isoformat() == OLD


def test_verified_today_never_redirects_off_the_admin(client, admin, directory):
    response = client.post("/admin/listings/stale/verify",
                           data={"next": "https://evil.example/", "method": "email"})
    assert response.headers["Location"] == "/admin/listings/stale"


def _exported(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_export_all_or_the_current_filter(client, admin, directory):
    everything = _exported(client.get("/admin/listings.csv?status=all"))
    assert len(everything) == 7
    assert list(everything[0].keys()) == list(COLUMNS)
    stale_only = _exported(client.get("/admin/listings.csv?stale=1"))
    assert sorted(row["id"] for row in stale_only) == ["never", "stale"]


def test_export_neutralizes_formulas_and_imports_back_unchanged(client, admin, db_session):
    store(db_session, [listing_row(
        "tricky", name="+Plus Shelter", organization="-Minus Org",
        description="-1+2 beds, call first", phone="+1 319 555 0101", city="Cedar Rapids",
        latitude="41.9779", longitude="-91.6656",
    )])
    response = client.get("/admin/listings.csv?status=all")
    text = response.get_data(as_text=True)
    [row] = _exported(response)
    assert row["name"] == "'+Plus Shelter"
    assert row["organization"] == "'-Minus Org"
    assert row["description"] == "'-1+2 beds, call first"
    assert row["phone"] == "'+1 319 555 0101"
    assert row["longitude"] == "-91.6656"  # a plain number runs nothing
    for cell in (value for row in _exported(response) for value in row.values()):
        assert cell[:1] not in ("=", "+", "@", "\t", "\r")
        assert not (cell.startswith("-") and cell != "-91.6656")
    # Export, then import: the same listing, nothing to change.
    parsed = read_listings_csv(text.encode())
    assert parsed.ok, parsed.errors
    assert plan_import(db_session, parsed.records).counts()["unchanged"] == 1


def test_every_listing_change_in_the_ui_is_audited(client, admin, db_session, directory):
    before = db_session.scalar(select(func.count()).select_from(AuditEntry))
    client.post("/admin/listings/fresh/deactivate", data={"reason": "Closed"})
    client.post("/admin/listings/stale/verify", data={"method": "visit"})
    client.post("/admin/listings/new", data=form_data(listing_row("brand-new")))
    entries = ui_audit(db_session)
    assert [(e.listing_id, e.action) for e in entries] == [
        ("fresh", "deactivate"), ("stale", "verify"), ("brand-new", "create")]
    assert all(e.actor == admin and e.user_id is not None for e in entries)
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == before + 3


def test_the_form_offers_programs_for_people_who_use_violence_and_sub_needs(
        client, admin, db_session):
    page = client.get("/admin/listings/new").get_data(as_text=True)
    assert 'value="using_violence"' in page and 'value="legal/family"' in page
    row = listing_row("", name="Turning Point Program", categories="using_violence",
                      confidential="false")
    assert client.post("/admin/listings/new", data=form_data(row)).status_code == 302
    row = listing_row("", name="Family Law Desk",
                      categories="legal/family;legal/protective_order")
    assert client.post("/admin/listings/new", data=form_data(row)).status_code == 302
    db_session.expire_all()
    saved = {listing.name: listing.categories for listing in db_session.scalars(select(Listing))}
    assert saved == {"Turning Point Program": "using_violence",
                     "Family Law Desk": "legal/family;legal/protective_order"}


def test_the_form_offers_does_not_take_pets_and_refuses_it_with_takes_pets(
        client, admin, db_session):
    page = client.get("/admin/listings/new").get_data(as_text=True)
    assert 'value="no_pets"' in page and "Does not take pets" in page
    row = listing_row("", name="Quiet Cove Shelter", populations="women;no_pets")
    assert client.post("/admin/listings/new", data=form_data(row)).status_code == 302
    both = listing_row("", name="Muddled Shelter", populations="pets;no_pets")
    response = client.post("/admin/listings/new", data=form_data(both))
    assert response.status_code == 400
    assert "say opposite things" in response.get_data(as_text=True)
    db_session.expire_all()
    saved = {listing.name: listing.populations for listing in db_session.scalars(select(Listing))}
    assert saved == {"Quiet Cove Shelter": "women;no_pets"}
