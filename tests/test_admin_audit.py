"""The audit log page: readable history of listing changes, filterable, and read-only."""

from __future__ import annotations

from datetime import UTC, datetime

from resources_db.models import AuditEntry


def _entry(db_session, **values) -> AuditEntry:
    defaults = {
        "created_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "actor": "admin@example.org",
        "listing_id": "shelter-1", "action": "update", "source": "ui",
        "old_values": {"phone": "555-0100", "name": "Safe House"},
        "new_values": {"phone": "555-0199", "name": "Safe House"},
    }
    entry = AuditEntry(**{**defaults, **values})
    db_session.add(entry)
    db_session.commit()
    return entry


def test_the_log_shows_who_which_listing_when_and_what_changed(client, sign_in, db_session):
    _entry(db_session)
    sign_in("admin")
    body = client.get("/admin/audit").get_data(as_text=True)
    for text in ("admin@example.org", "shelter-1", "2026-03-01 12:00:00", "update",
                 "<del aria-label=\"old value\">555-0100</del>",
                 "<ins aria-label=\"new value\">555-0199</ins>"):
        assert text in body
    # Unchanged fields are not listed as changes.
    assert "<strong>name</strong>" not in body


def test_filters_narrow_the_log(client, sign_in, db_session):
    _entry(db_session, listing_id="shelter-1", source="ui", actor="ana@example.org")
    _entry(db_session, listing_id="legal-2", source="csv", actor="ben@example.org",
           action="create", old_values=None, new_values={"name": "Legal Aid"})
    sign_in("admin")
    by_listing = client.get("/admin/audit?listing=legal-2").get_data(as_text=True)
    assert "Legal Aid" in by_listing and "555-0199" not in by_listing
    by_source = client.get("/admin/audit?source=ui").get_data(as_text=True)
    assert "555-0199" in by_source and "Legal Aid" not in by_source
    by_actor = client.get("/admin/audit?actor=BEN").get_data(as_text=True)
    assert "Legal Aid" in by_actor and "555-0199" not in by_actor


def test_the_log_pages_newest_first(client, sign_in, db_session):
    for day in range(1, 28):
        for hour in range(2):
            _entry(db_session, listing_id=f"listing-{day}-{hour}",
                   created_at=datetime(2026, 2, day, hour, tzinfo=UTC))
    sign_in("admin")
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "54 entries, page 1 of 2" in first
    assert first.index("listing-27-1") < first.index("listing-27-0")
    assert "listing-1-0" not in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "listing-1-0" in second


def test_no_route_writes_to_the_audit_log(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert audit_rules
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_entries_cannot_be_changed_through_the_page(client, sign_in, db_session):
    entry = _entry(db_session)
    sign_in("admin")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.open("/admin/audit", method=method).status_code == 405
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).new_values["phone"] == "555-0199"
