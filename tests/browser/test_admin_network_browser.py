"""The partner network in real chromium: each role signs in through the real form (CSRF
on); a partner cannot read or change another organization's listing, by page or by
request; the verification workflow; a survivor's WRONG report reaching the right
organization's queue; and an HSDS package uploaded from the web page.

The listings here are the test's own, in Montana (Butte and Anaconda), so the demo
listings the other browser tests search in Iowa are never touched.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from browser_steps import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ADVOCATE_EMAIL,
    ADVOCATE_PASSWORD,
    open_chat,
    send,
    sign_in,
)
from playwright.sync_api import expect
from sqlalchemy import select

from bot.staff import accounts
from bot.staff.admin.listings import today_utc
from resources_db.listing_rules import validate_listing
from resources_db.listings_store import delete_listings, save_listings
from resources_db.models import AuditEntry, Listing, ListingReport

pytestmark = [pytest.mark.browser, pytest.mark.db]

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "partner browser password 2024"
BUTTE = "Butte Haven (browser test)"
ANACONDA = "Anaconda Clinic (browser test)"
BUTTE_EMAIL = "butte@example.org"
ANACONDA_EMAIL = "anaconda@example.org"


def _record(listing_id, name, organization, zip_code, city, days_ago):
    verified = (today_utc() - timedelta(days=days_ago)).isoformat()
    return validate_listing({
        "id": listing_id, "name": name, "organization": organization,
        "categories": "shelter", "description": "Browser test listing.",
        "phone": "406-555-0101", "sms": "", "website": "", "address": "", "city": city,
        "state": "MT", "zip": zip_code, "latitude": "", "longitude": "", "service_area": "",
        "languages": "en", "hours": "24/7", "confidential": "true", "populations": "",
        "verified_at": verified, "active": "true"}, today=today_utc()).record


@pytest.fixture(scope="module")
def network(live_server):
    """Two organizations in Montana with their listings and one partner each."""
    sessions = live_server.app.extensions["harbor_database"].sessions
    with sessions() as session:
        save_listings(session, [
            _record("bt-butte-house", "Butte Harbor House", BUTTE, "59701", "Butte", 20),
            _record("bt-butte-stale", "Butte Second Shelter", BUTTE, "59701", "Butte", 400),
            _record("bt-anaconda", "Anaconda Clinic Shelter", ANACONDA, "59711", "Anaconda",
                    400),
        ])
        for name, email in ((BUTTE, BUTTE_EMAIL), (ANACONDA, ANACONDA_EMAIL)):
            accounts.create_organization(session, name)
            accounts.create_user(session, email, PASSWORD, "partner", organization=name)
        session.commit()
    return sessions


def _listing(network, listing_id) -> Listing:
    with network() as session:
        listing = session.get(Listing, listing_id)
        session.expunge(listing)
        return listing


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_a_partner_cannot_read_or_change_another_organizations_listing(
        open_page, live_server, network):
    page = open_page(viewport=DESKTOP)
    sign_in(page, live_server, "/admin", BUTTE_EMAIL, PASSWORD)
    table = page.locator("table")
    expect(table).to_contain_text("Butte Harbor House")
    expect(table).not_to_contain_text("Anaconda Clinic Shelter")
    # Searching for it by name finds nothing either.
    page.get_by_label("Search").fill("Anaconda")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#listing-count")).to_contain_text("0 listings")
    # By page: the other organization's listing, opened by its address.
    answer = page.request.get(live_server.url + "/admin/listings/bt-anaconda")
    assert answer.status == 404
    assert "Anaconda Clinic Shelter" not in answer.text()
    # By request: a crafted POST with a valid CSRF token and session.
    token = _csrf(page)
    for path, form in (
            ("/admin/listings/bt-anaconda/deactivate", {"reason": "not mine"}),
            ("/admin/listings/bt-anaconda", {"name": "Taken over"}),
            ("/admin/listings/bt-anaconda/verify", {"method": "phone"}),
            ("/admin/listings/bt-anaconda/beds", {"available": "4"}),
            ("/admin/verification", {"action": "verify", "method": "phone",
                                     "listing": "bt-anaconda"})):
        response = page.request.post(live_server.url + path,
                                     form={"csrf_token": token, **form})
        assert response.status == 404, path
    after = _listing(network, "bt-anaconda")
    assert (after.name, after.active, after.verified_at) == (
        "Anaconda Clinic Shelter", True, today_utc() - timedelta(days=400))
    # By page, opened as a page: the styled 404, and the network's pages a styled 403.
    page.watch.expect_status(404)
    page.watch.expect_status(403)
    page.goto(live_server.url + "/admin/listings/bt-anaconda")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Anaconda Clinic Shelter")
    page.goto(live_server.url + "/admin/organizations")
    expect(page.get_by_role("heading", name="Not for this account")).to_be_visible()


def test_a_network_admin_reaches_every_organization_and_an_advocate_none(
        open_page, live_server, network):
    admin = open_page(viewport=DESKTOP)
    sign_in(admin, live_server, "/admin?q=Montana", ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.goto(live_server.url + "/admin?place=59711")
    expect(admin.locator("table")).to_contain_text("Anaconda Clinic Shelter")
    admin.get_by_role("link", name="Anaconda Clinic Shelter").first.click()
    expect(admin.get_by_role("heading", name="Anaconda Clinic Shelter")).to_be_visible()
    admin.goto(live_server.url + "/admin/organizations")
    expect(admin.locator("table")).to_contain_text(BUTTE)
    advocate = open_page(viewport=DESKTOP)
    sign_in(advocate, live_server, "/console", ADVOCATE_EMAIL, ADVOCATE_PASSWORD)
    answer = advocate.request.get(live_server.url + "/admin/listings/bt-anaconda")
    assert answer.status == 403


def test_the_verification_workflow(open_page, live_server, network):
    page = open_page(viewport=DESKTOP)
    sign_in(page, live_server, "/admin/verification", BUTTE_EMAIL, PASSWORD)
    queue = page.locator("table")
    expect(queue).to_contain_text("Butte Second Shelter")
    expect(queue).not_to_contain_text("Anaconda Clinic Shelter")
    expect(queue).not_to_contain_text("Butte Harbor House")  # checked 20 days ago
    # Sorted by name, then the other way.
    page.get_by_role("link", name="Name (sort)").click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    page.get_by_label("Select Butte Second Shelter").check()
    page.get_by_label("Action").select_option("verify")
    page.get_by_label("How they were checked").select_option("phone")
    page.get_by_label("Note (for a verification)").fill("Spoke with the night manager")
    page.get_by_role("button", name="Apply to ticked listings").click()
    expect(page.locator(".flash-success")).to_contain_text("1 listing marked verified today")
    expect(page.locator("#queue-count")).to_contain_text("0 listings")
    assert _listing(network, "bt-butte-stale").verified_at == today_utc()
    page.goto(live_server.url + "/admin/audit?listing=bt-butte-stale")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("verify (phone)")
    expect(row).to_contain_text("Spoke with the night manager")
    expect(row).to_contain_text(BUTTE_EMAIL)
    # Deactivating asks for a reason; then the change is reverted from the audit log.
    page.goto(live_server.url + "/admin/listings/bt-butte-stale")
    page.get_by_label("Reason for deactivating (required)").fill("Closed for the winter")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".flash-success")).to_contain_text("is deactivated")
    assert _listing(network, "bt-butte-stale").active is False
    page.goto(live_server.url + "/admin/audit?listing=bt-butte-stale")
    expect(page.locator("tbody tr").first).to_contain_text("Closed for the winter")
    page.locator("tbody tr").first.get_by_role("button", name="Revert").click()
    expect(page.locator(".flash-success")).to_contain_text("Change reverted")
    assert _listing(network, "bt-butte-stale").active is True


def test_a_survivors_wrong_report_reaches_the_right_queue(open_page, live_server, network):
    chat = open_chat(open_page, live_server)
    send(chat, "I need a safe place to stay")
    results = "\n".join(send(chat, "59701"))
    assert "Butte Harbor House" in results
    first = next(line for line in results.splitlines() if line.startswith("1) "))
    with chat.expect_response("**/chat/api/messages"):
        chat.get_by_role("button", name="Place 1 is wrong").last.click()
    expect(chat.locator("#sending")).to_be_hidden()
    expect(chat.locator(".message-harbor .bubble").last).to_contain_text("anonymous")
    answer = send(chat, "2")
    assert "anonymously" in answer[0]
    with network() as session:
        report = session.scalars(select(ListingReport).order_by(ListingReport.id.desc())
                                 ).first()
        reported = session.get(Listing, report.listing_id)
    assert reported.name in first and reported.organization == BUTTE
    assert report.reason == "wrong_number"

    partner = open_page(viewport=DESKTOP)
    sign_in(partner, live_server, "/admin/reports", BUTTE_EMAIL, PASSWORD)
    expect(partner.locator("#reports")).to_contain_text(reported.name)
    expect(partner.locator("#reports")).to_contain_text("Wrong number")
    partner.get_by_label("What was done").first.fill("Fixed the number")
    partner.get_by_role("button", name="Resolve").first.click()
    expect(partner.locator(".flash-success")).to_contain_text("Report resolved")
    other = open_page(viewport=DESKTOP)
    sign_in(other, live_server, "/admin/reports", ANACONDA_EMAIL, PASSWORD)
    expect(other.get_by_text("No open reports.")).to_be_visible()
    with network() as session:
        assert session.scalar(select(AuditEntry.action).where(
            AuditEntry.listing_id == reported.id, AuditEntry.action == "report resolved"))


def test_an_hsds_package_uploads_from_the_web_page(open_page, live_server, network,
                                                   tmp_path):
    from test_admin_upload_hsds import zipped
    from test_hsds_import import LINE_ID, SHELTER_ID, add_usable_services, copy_sample_csv

    package = copy_sample_csv(tmp_path)
    add_usable_services(package)
    page = open_page(viewport=DESKTOP)
    page.watch.expect_status(422)  # the refused package's report answers 422
    sign_in(page, live_server, "/admin/upload", ADMIN_EMAIL, ADMIN_PASSWORD)
    page.set_input_files("#file", files=[{"name": "package.zip", "mimeType":
                                          "application/zip", "buffer": zipped(package)}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#hsds-summary")).to_contain_text("2 usable, 1 unusable")
    expect(page.get_by_role("heading", name="This package cannot be applied")).to_be_visible()
    page.goto(live_server.url + "/admin/upload")
    page.set_input_files("#file", files=[{"name": "package.zip", "mimeType":
                                          "application/zip", "buffer": zipped(package)}])
    page.get_by_label("Import the valid rows only", exact=False).check()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="These records are left out")).to_be_visible()
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.locator(".flash-success")).to_contain_text("2 added")
    ids = [f"hsds:{SHELTER_ID}", f"hsds:{LINE_ID}"]
    try:
        with network() as session:
            assert set(session.scalars(select(Listing.id).where(
                Listing.id.in_(ids)))) == set(ids)
            sources = set(session.scalars(select(AuditEntry.source).where(
                AuditEntry.listing_id.in_(ids))))
            assert sources == {"hsds"}
    finally:
        # The package's shelter is in Cedar Rapids: leave the demo searches as they were.
        with network() as session:
            delete_listings(session, ids)
            session.commit()
