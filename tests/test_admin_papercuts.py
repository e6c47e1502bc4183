"""What an admin trying the admin tripped over: the demo never overwrites an admin's edit,
styled 403 and 404 pages (the survivor's with the quick exit), population labels, the
website hint, and the audit log's source filter.
"""

from __future__ import annotations

from sqlalchemy import select

from resources_db.demo import load_demo_listings
from resources_db.listing_rules import validate_listing
from resources_db.listings_store import ListingChange, apply_changes, load_fields
from resources_db.models import Listing


def _first_demo_listing(db_session) -> str:
    return db_session.scalar(select(Listing.id).order_by(Listing.id))


def test_loading_the_demo_again_never_undoes_an_admins_edit(db_session):
    load_demo_listings(db_session)
    db_session.commit()
    listing_id = _first_demo_listing(db_session)
    old = load_fields(db_session, [listing_id])[listing_id]
    edited = validate_listing({**old, "phone": "319-555-0177", "active": "false"}).record
    apply_changes(db_session, [ListingChange(edited, old)], actor="admin@example.org",
                  source="ui")
    db_session.commit()
    plan = load_demo_listings(db_session)
    db_session.commit()
    assert plan.changes == ()
    db_session.expire_all()
    kept = db_session.get(Listing, listing_id)
    assert (kept.phone, kept.active) == ("319-555-0177", False)


def test_a_missing_page_is_styled_and_keeps_the_quick_exit(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'id="quick-exit"' in page and "Page not found" in page
    spanish = client.get("/no-such-page?lang=es").get_data(as_text=True)
    assert "Página no encontrada" in spanish


def test_staff_403_and_404_pages_use_the_staff_layout(client, sign_in):
    sign_in("advocate")
    refused = client.get("/admin/users")
    assert refused.status_code == 403
    assert "Not for this account" in refused.get_data(as_text=True)
    sign_in("admin")
    missing = client.get("/admin/listings/nope")
    assert missing.status_code == 404 and "Harbor <span" in missing.get_data(as_text=True)


def test_machine_endpoints_keep_their_plain_answers(client):
    assert client.get("/chat/api/nothing").status_code == 404
    assert "quick-exit" not in client.get("/chat/api/nothing").get_data(as_text=True)


def test_population_labels_are_written_as_people_write_them(client, sign_in):
    sign_in("admin")
    page = client.get("/admin/listings/new").get_data(as_text=True)
    assert "LGBTQ+" in page and "Asian and Pacific Islander" in page
    assert "Lgbtq" not in page


def test_the_website_hint_says_what_the_rules_accept(client, sign_in):
    sign_in("admin")
    page = client.get("/admin/listings/new").get_data(as_text=True)
    assert "starting with https:// or http://" in page
    base = {"id": "x", "name": "X", "categories": "shelter", "phone": "319-555-0101",
            "zip": "52404"}
    assert validate_listing({**base, "website": "http://example.org"}).ok
    assert validate_listing({**base, "website": "https://example.org"}).ok
    assert not validate_listing({**base, "website": "www.example.org"}).ok


def test_the_audit_source_filter_lists_demo_and_hsds(client, sign_in):
    sign_in("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    for value, label in (("demo", "Demo data"), ("hsds", "HSDS import"),
                         ("csv", "CSV upload"), ("ui", "This site"), ("cli", "Command line")):
        assert f'value="{value}"' in page and label in page
