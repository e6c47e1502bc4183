"""The partner network: organizations own listings, partners reach only their own
organization's listings and queues (by page and by crafted request alike), network
admins reach everything; accounts from the web page and the CLI; first sign-in forces
a new password; TOTP two-factor sign-in; the verification queue and reverting changes.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import create_engine, select, text
from werkzeug.routing import IntegerConverter

from bot import create_app
from bot.staff import accounts
from bot.staff.admin.listings import today_utc
from resources_db.database import upgrade_database
from resources_db.listing_rules import due_before, validate_listing
from resources_db.listings_store import organization_id, save_listings
from resources_db.models import AuditEntry, Listing, ListingBeds, User

TODAY = today_utc()
PASSWORD = "partner password 2024"


def _row(listing_id, organization, verified_days_ago=30, **values):
    verified = "" if verified_days_ago is None else (
        TODAY - timedelta(days=verified_days_ago)).isoformat()
    fields = {
        "id": listing_id, "name": f"{listing_id.title()} Place", "organization": organization,
        "categories": "shelter", "description": "", "phone": "319-555-0101", "sms": "",
        "website": "", "address": "", "city": "Cedar Rapids", "state": "IA", "zip": "52404",
        "latitude": "", "longitude": "", "service_area": "", "languages": "en",
        "hours": "24/7", "confidential": "true", "populations": "",
        "verified_at": verified, "active": "true", **values}
    return validate_listing(fields, today=TODAY).record


@pytest.fixture
def network(db_session):
    """Two organizations with listings, and a partner account at the first."""
    save_listings(db_session, [
        _row("ours", "North House", phone="319-555-0142"),
        _row("ours-due", "North House", verified_days_ago=340),
        _row("ours-stale", "North House", verified_days_ago=400),
        _row("ours-never", "North House", verified_days_ago=None),
        _row("theirs", "South Clinic", zip="52401", verified_days_ago=400),
    ])
    accounts.create_organization(db_session, "North House")
    accounts.create_organization(db_session, "South Clinic")
    accounts.create_user(db_session, "north@example.org", PASSWORD, "partner",
                         organization="North House")
    db_session.commit()


def _stored(db_session, listing_id) -> Listing:
    db_session.expire_all()
    return db_session.get(Listing, listing_id)


# -- ownership --------------------------------------------------------------------------

def test_every_listing_belongs_to_the_organization_it_names(db_session, network):
    assert _stored(db_session, "ours").organization_id == organization_id("North House")
    assert _stored(db_session, "theirs").organization_id == organization_id("South Clinic")


def test_the_migration_gives_existing_listings_their_organization(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0003")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO listing (id, name, organization, categories, description, phone,"
            " sms, website, address, city, state, zip, service_area, languages, hours,"
            " confidential, populations, active, scope, timezone, updated_at) VALUES"
            " ('a', 'A Place', 'North  house', 'shelter', '', '1', '', '', '', '', 'IA', '',"
            " '', '', '', 0, '', 1, 'local', '', '2026-01-01 00:00:00'),"
            " ('b', 'Lone Line', '', 'hotline', '', '1', '', '', '', '', 'IA', '',"
            " '', '', '', 0, '', 1, 'state', '', '2026-01-01 00:00:00')"))
    upgrade_database(url)
    with engine.connect() as connection:
        owners = dict(connection.execute(text("SELECT id, organization_id FROM listing")).all())
    engine.dispose()
    assert owners == {"a": organization_id("North House"), "b": organization_id("Lone Line")}


def test_a_member_organization_stays_when_its_last_listing_moves(db_session, network):
    save_listings(db_session, [_row("ours", "Elsewhere")])
    db_session.commit()
    assert accounts.find_organization(db_session, "North House") is not None


# -- what a partner reaches ------------------------------------------------------------

def test_a_partner_lists_and_exports_only_their_organizations_listings(client, sign_in,
                                                                       network):
    sign_in("partner", "north@example.org")
    page = client.get("/admin?status=all").get_data(as_text=True)
    assert "Ours Place" in page and "Theirs Place" not in page
    assert "North House" in page  # shown beside the account
    exported = client.get("/admin/listings.csv?status=all").get_data(as_text=True)
    ids = {row["id"] for row in csv.DictReader(io.StringIO(exported))}
    assert ids == {"ours", "ours-due", "ours-stale", "ours-never"}
    assert client.get("/admin?q=Theirs").get_data(as_text=True).count("Theirs Place") == 0


@pytest.mark.parametrize(("method", "path", "data"), [
    ("GET", "/admin/listings/theirs", None),
    ("POST", "/admin/listings/theirs", {"name": "Taken over"}),
    ("POST", "/admin/listings/theirs/deactivate", {"reason": "mine now"}),
    ("POST", "/admin/listings/theirs/reactivate", {}),
    ("POST", "/admin/listings/theirs/verify", {"method": "phone"}),
    ("POST", "/admin/listings/theirs/beds", {"available": "3"}),
    ("POST", "/admin/verification", {"action": "deactivate", "reason": "x",
                                     "method": "phone", "listing": ["theirs"]}),
    ("POST", "/admin/verification", {"action": "verify", "method": "phone",
                                     "listing": ["ours", "theirs"]}),
])
def test_a_partner_cannot_read_or_change_another_organizations_listing(
        client, sign_in, db_session, network, method, path, data):
    sign_in("partner", "north@example.org")
    before = _stored(db_session, "theirs")
    snapshot = (before.name, before.active, before.verified_at)
    response = client.open(path, method=method, data=data)
    assert response.status_code == 404
    after = _stored(db_session, "theirs")
    assert (after.name, after.active, after.verified_at) == snapshot
    assert _stored(db_session, "ours").verified_at != TODAY
    assert db_session.get(ListingBeds, "theirs") is None


def test_a_partner_cannot_see_or_revert_another_organizations_audit_entries(
        client, sign_in, db_session, network):
    sign_in("admin")
    client.post("/admin/listings/theirs/verify", data={"method": "phone"})
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.listing_id == "theirs"))
    sign_in("partner", "north@example.org")
    assert "theirs" not in client.get("/admin/audit").get_data(as_text=True)
    assert client.post(f"/admin/changes/{entry.id}/revert").status_code == 404


def test_a_partners_listing_stays_their_organizations(client, sign_in, db_session, network):
    from test_admin_listings import form_data, listing_row

    sign_in("partner", "north@example.org")
    edited = form_data(listing_row("ours", organization="South Clinic", name="Ours Place",
                                   phone="319-555-0142"))
    client.get("/admin/listings/ours")
    response = client.post("/admin/listings/ours", data={
        **edited, "version": _version(db_session, "ours")})
    assert response.status_code == 302
    assert _stored(db_session, "ours").organization == "North House"
    added = client.post("/admin/listings/new", data=form_data(listing_row(
        "partner-new", organization="South Clinic")))
    assert added.status_code == 302
    assert _stored(db_session, "partner-new").organization_id == organization_id("North House")


def _version(db_session, listing_id):
    from bot.staff.admin.listing_forms import fields_version
    from resources_db.listings_store import load_fields

    return fields_version(load_fields(db_session, [listing_id])[listing_id])


# The pages a partner may open (each scoped to their organization); every other /admin
# page is the network admins' own.
PARTNER_PAGES = ("/admin/listings", "/admin/verification", "/admin/reports", "/admin/beds",
                 "/admin/audit", "/admin/changes", "/admin/insights")


def _admin_only_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin/") and not rule.rule.startswith(PARTNER_PAGES)]


def test_partners_are_refused_the_network_admins_pages(app, client, sign_in, network):
    sign_in("partner", "north@example.org")
    rules = _admin_only_rules(app)
    assert {"/admin/users", "/admin/organizations", "/admin/upload"} <= {r.rule for r in rules}
    for rule in rules:
        values = {name: 1 if isinstance(converter, IntegerConverter) else "x"
                  for name, converter in rule._converters.items()}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 403, (method, rule.rule)


def test_a_network_admin_sees_every_organization(client, sign_in, network):
    sign_in("admin")
    page = client.get("/admin?status=all").get_data(as_text=True)
    assert "Ours Place" in page and "Theirs Place" in page
    assert client.get("/admin/listings/theirs").status_code == 200


# -- accounts ---------------------------------------------------------------------------

def test_the_cli_creates_organizations_and_partner_accounts(runner, db_session):
    result = runner.invoke(args=["organizations", "create", "Hope Clinic"])
    assert result.exit_code == 0 and "created organization Hope Clinic" in result.output
    refused = runner.invoke(args=["users", "create", "p@example.org", "--role", "partner"],
                            input=PASSWORD + "\n")
    assert refused.exit_code != 0 and "--organization" in refused.output
    unknown = runner.invoke(args=["users", "create", "p@example.org", "--role", "partner",
                                  "--organization", "Nowhere"], input=PASSWORD + "\n")
    assert unknown.exit_code != 0 and "No organization named" in unknown.output
    made = runner.invoke(args=["users", "create", "p@example.org", "--role", "partner",
                               "--organization", "hope  clinic"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    user = db_session.scalar(select(User).where(User.email == "p@example.org"))
    assert (user.role, user.organization_id) == ("partner", organization_id("Hope Clinic"))


def test_an_admin_creates_organizations_and_partners_in_the_web_page(client, sign_in,
                                                                     db_session):
    sign_in("admin")
    assert client.post("/admin/organizations", data={"name": "Hope Clinic"}).status_code == 302
    assert "Hope Clinic" in client.get("/admin/organizations").get_data(as_text=True)
    response = client.post("/admin/users", data={
        "email": "hope@example.org", "role": "partner", "organization": "Hope Clinic"})
    assert response.status_code == 200
    user = db_session.scalar(select(User).where(User.email == "hope@example.org"))
    assert user.organization_id == organization_id("Hope Clinic")
    assert user.must_change_password is True
    refused = client.post("/admin/users", data={"email": "x@example.org", "role": "partner"})
    assert refused.status_code == 400
    assert "needs its organization" in refused.get_data(as_text=True)


def test_a_partner_signs_in_to_their_listings_after_choosing_a_password(client, db_session,
                                                                        network):
    user = db_session.scalar(select(User).where(User.email == "north@example.org"))
    user.must_change_password = True
    db_session.commit()
    signed_in = client.post("/login", data={"email": "north@example.org",
                                            "password": PASSWORD})
    assert signed_in.headers["Location"] == "/account/password"
    assert client.get("/admin").headers["Location"] == "/account/password"
    done = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "my own passphrase 42",
        "confirm_password": "my own passphrase 42"})
    assert done.headers["Location"] == "/admin"


# -- two-factor sign-in ------------------------------------------------------------------

def _turn_on_two_factor(client) -> str:
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = page.split('id="totp-key">')[1].split("<")[0]
    assert "<svg" in page  # the QR code, inline
    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert wrong.status_code == 400
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    return secret


def test_two_factor_sign_in_asks_for_the_code_after_the_password(app, client, sign_in,
                                                                 db_session, network):
    sign_in("partner", "north@example.org")
    secret = _turn_on_two_factor(client)
    assert db_session.scalar(select(User.totp_secret).where(
        User.email == "north@example.org")) == secret
    fresh = app.test_client()
    step = fresh.post("/login", data={"email": "north@example.org", "password": PASSWORD})
    assert step.headers["Location"] == "/login/code"
    assert fresh.get("/admin").status_code == 302  # not signed in yet
    assert fresh.post("/login/code", data={"code": "123456"}).status_code == 401
    code = pyotp.TOTP(secret).now()
    signed = fresh.post("/login/code", data={"code": code})
    assert signed.headers["Location"] == "/admin"
    assert fresh.get("/admin").status_code == 200
    # A code opens one session: seen over a shoulder, it is already spent.
    replay = app.test_client()
    replay.post("/login", data={"email": "north@example.org", "password": PASSWORD})
    assert replay.post("/login/code", data={"code": code}).status_code == 401


def test_the_code_step_needs_the_password_step_first(client):
    assert client.post("/login/code", data={"code": "123456"}).headers["Location"] == "/login"


@pytest.fixture
def production_like(app_config):
    app = create_app({**app_config, "ADMIN_TWO_FACTOR_REQUIRED": "true"})
    yield app
    app.extensions["harbor_database"].engine.dispose()


def test_network_admins_must_turn_on_two_factor_when_required(production_like, db_session):
    accounts.create_user(db_session, "boss@example.org", PASSWORD, "admin")
    db_session.commit()
    client = production_like.test_client()
    signed = client.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    assert signed.headers["Location"] == "/account/two-factor"
    assert client.get("/admin").headers["Location"] == "/account/two-factor"
    _turn_on_two_factor(client)
    assert client.get("/admin").status_code == 200
    # Required means it cannot be turned off again.
    assert client.post("/account/two-factor", data={"code": "000000"}).status_code == 403


# -- verification ------------------------------------------------------------------------

def test_the_queue_lists_due_and_stale_listings_of_the_partners_organization(
        client, sign_in, network):
    sign_in("partner", "north@example.org")
    page = client.get("/admin/verification").get_data(as_text=True)
    for name in ("Ours-Due Place", "Ours-Stale Place", "Ours-Never Place"):
        assert name in page
    assert "Theirs Place" not in page
    assert ">Ours Place<" not in page  # verified a month ago: not due
    assert "3 listings due or stale" in page


def test_due_starts_at_eleven_months():
    assert due_before(TODAY) < TODAY - timedelta(days=330)
    assert due_before(TODAY) > TODAY - timedelta(days=340)


@pytest.mark.parametrize("column", ["name", "organization", "place", "phone", "verified",
                                    "status"])
def test_the_queue_sorts_by_any_column_both_ways(client, sign_in, network, column):
    sign_in("admin")
    ascending = client.get(f"/admin/verification?sort={column}").get_data(as_text=True)
    descending = client.get(f"/admin/verification?sort={column}&dir=desc").get_data(
        as_text=True)
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending


def test_sorting_by_last_verified_puts_never_verified_first(client, sign_in, network):
    sign_in("partner", "north@example.org")
    page = client.get("/admin/verification?sort=verified").get_data(as_text=True)
    assert page.index("Ours-Never Place") < page.index("Ours-Stale Place") < page.index(
        "Ours-Due Place")


def test_bulk_verify_records_who_how_and_the_note(client, sign_in, db_session, network):
    sign_in("partner", "north@example.org")
    response = client.post("/admin/verification", data={
        "action": "verify", "method": "visit", "note": "Visited on the open day",
        "listing": ["ours-due", "ours-stale"]})
    assert response.status_code == 302
    assert _stored(db_session, "ours-due").verified_at == TODAY
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "verify")).all()
    assert {(e.listing_id, e.actor, e.method, e.note) for e in entries} == {
        ("ours-due", "north@example.org", "visit", "Visited on the open day"),
        ("ours-stale", "north@example.org", "visit", "Visited on the open day")}


def test_bulk_deactivate_needs_a_reason(client, sign_in, db_session, network):
    sign_in("partner", "north@example.org")
    client.post("/admin/verification", data={
        "action": "deactivate", "method": "phone", "reason": "", "listing": ["ours-never"]})
    assert _stored(db_session, "ours-never").active is True
    client.post("/admin/verification", data={
        "action": "deactivate", "method": "phone", "reason": "Number disconnected",
        "listing": ["ours-never"]})
    assert _stored(db_session, "ours-never").active is False
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "deactivate"))
    assert entry.note == "Number disconnected"


def test_a_new_listing_is_not_verified_unless_the_admin_says_so(client, sign_in,
                                                                db_session):
    from test_admin_listings import form_data, listing_row

    sign_in("admin")
    page = client.get("/admin/listings/new").get_data(as_text=True)
    field = page.split('id="verified_at"')[1].split(">")[0]
    assert 'value=""' in field or "value=" not in field
    assert "I checked these details with the service today" in page
    client.post("/admin/listings/new", data=form_data(listing_row("copied", verified_at="")))
    assert _stored(db_session, "copied").verified_at is None
    client.post("/admin/listings/new", data={
        **form_data(listing_row("checked", verified_at="")), "verified_today": "y"})
    assert _stored(db_session, "checked").verified_at == TODAY


# -- reverting from the audit log -------------------------------------------------------

def test_any_change_can_be_reverted_from_the_audit_log(client, sign_in, db_session, network):
    sign_in("partner", "north@example.org")
    client.post("/admin/listings/ours/deactivate", data={"reason": "Closed for repairs"})
    assert _stored(db_session, "ours").active is False
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "deactivate"))
    assert "Revert" in client.get("/admin/audit").get_data(as_text=True)
    assert client.post(f"/admin/changes/{entry.id}/revert").status_code == 302
    assert _stored(db_session, "ours").active is True
    revert = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "revert"))
    assert revert.old_values == {"active": "false"} and revert.new_values == {"active": "true"}
    assert revert.note == f"Reverts change {entry.id}"


def test_reverting_a_creation_deactivates_the_listing(client, sign_in, db_session):
    from test_admin_listings import form_data, listing_row

    sign_in("admin")
    client.post("/admin/listings/new", data=form_data(listing_row("brand-new")))
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "create"))
    client.post(f"/admin/changes/{entry.id}/revert")
    assert _stored(db_session, "brand-new").active is False


# -- the admin's search ------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["3195550142", "(319) 555-0142", "319.555.0142",
                                   "5550142"])
def test_search_finds_a_phone_number_however_it_is_typed(client, sign_in, network, typed):
    sign_in("admin")
    page = client.get("/admin", query_string={"q": typed}).get_data(as_text=True)
    assert "Ours Place" in page and "Ours-Due Place" not in page


def test_the_place_filter_takes_a_zip(client, sign_in, network):
    sign_in("admin")
    page = client.get("/admin?place=52401&status=all").get_data(as_text=True)
    assert "Theirs Place" in page and "Ours Place" not in page


def test_export_all_is_named_all(client, sign_in, network):
    sign_in("admin")
    response = client.get("/admin/listings.csv?status=all")
    assert "harbor-listings-all-" in response.headers["Content-Disposition"]
