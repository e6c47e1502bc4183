"""CSV upload in the admin UI: a dry-run preview (add, update, deactivate, every error by
line and column), nothing written before confirm, then all or nothing; bad files refused.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_admin_listings import listing_row, store, to_csv

from bot.staff import accounts
from bot.staff.admin import uploads
from resources_db.listing_rules import COLUMNS
from resources_db.models import AuditEntry, Listing, PendingUpload, utcnow

GOOD = [listing_row(f"good-{n}", name=f"Good Listing {n}") for n in range(3)]


def count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def send(client, data: bytes, filename: str = "listings.csv", **fields):
    return client.post("/admin/upload", data={
        "file": (io.BytesIO(data), filename), **fields,
    }, content_type="multipart/form-data")


def confirm_form(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'action="(/admin/upload/[^"]+/confirm)"', page).group(1)
    fields = dict(re.findall(r'name="(plan_digest|deactivate_missing)" type="hidden" '
                             r'value="([^"]*)"', page))
    return action, fields


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


def test_preview_writes_nothing_and_confirm_writes_everything(client, admin, db_session):
    store(db_session, [listing_row("good-0", name="Good Listing 0", phone="319-555-0199"),
                       listing_row("same", name="Same Listing")])
    audit_before = count(db_session, AuditEntry)
    rows = [*GOOD, listing_row("same", name="Same Listing")]
    response = send(client, to_csv(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing is saved yet" in page
    assert '<span class="count">2</span> add' in page
    assert '<span class="count">1</span> update' in page
    assert '<span class="count">1</span> unchanged' in page
    # The update shows old and new values.
    assert "319-555-0199</del>" in page and "319-555-0101</ins>" in page
    assert count(db_session, Listing) == 2
    assert count(db_session, AuditEntry) == audit_before
    assert count(db_session, PendingUpload) == 1
    # The file is kept on the server, never in the session cookie.
    with client.session_transaction() as session:
        assert "Good Listing" not in str(dict(session))

    action, fields = confirm_form(page)
    response = client.post(action, data=fields)
    assert response.status_code == 302
    assert count(db_session, Listing) == 4
    assert count(db_session, PendingUpload) == 0
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.source == "csv").order_by(AuditEntry.listing_id)
    ).all()
    assert [(e.listing_id, e.action, e.actor) for e in entries] == [
        ("good-0", "update", admin), ("good-1", "create", admin), ("good-2", "create", admin)]
    assert entries[0].old_values == {"phone": "319-555-0199"}
    # The audit page shows the CSV changes like the UI ones.
    audit_page = client.get("/admin/audit?source=csv").get_data(as_text=True)
    assert "good-1" in audit_page and admin in audit_page
    # A confirmed upload cannot be applied twice.
    assert client.post(action, data=fields).status_code == 404


def test_deactivating_listings_missing_from_the_file(client, admin, db_session):
    store(db_session, [*GOOD, listing_row("gone", name="Gone Listing")])
    page = send(client, to_csv(GOOD), deactivate_missing="y").get_data(as_text=True)
    assert '<span class="count">1</span> deactivate' in page
    assert "Gone Listing" in page
    action, fields = confirm_form(page)
    assert fields["deactivate_missing"] == "1"
    client.post(action, data=fields)
    db_session.expire_all()
    assert db_session.get(Listing, "gone").active is False  # deactivated, never deleted
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.source == "csv")).all()
    assert (entry.listing_id, entry.action) == ("gone", "deactivate")


def _rows_with_one_bad(bad: dict[str, str]) -> bytes:
    return to_csv([*GOOD, listing_row("bad-one", **bad), listing_row("good-9")])


def _latin1() -> bytes:
    return to_csv([listing_row("cafe", name="Café Refuge")]).decode().encode("latin-1")


def _extra_column() -> bytes:
    rows = [{**row, "notes": "x"} for row in GOOD]
    return to_csv(rows, columns=[*COLUMNS, "notes"])


BAD_UPLOADS = [
    # (name, file bytes, (line, column) pairs that must be reported, words in the report)
    ("wrong encoding", _latin1(), [(2, "")], "not UTF-8"),
    ("missing column", to_csv(GOOD, columns=[c for c in COLUMNS if c != "phone"]),
     [(1, "")], "lacks column(s): phone"),
    ("extra column", _extra_column(), [(1, "")], "unknown column(s) in the header: &#39;notes"),
    ("empty file", b"", [(1, "")], "the file is empty"),
    ("header only", to_csv([]), [(2, "")], "header but no listings"),
    ("formula injection", _rows_with_one_bad({"name": '=HYPERLINK("http://evil","x")'}),
     [(5, "name")], "formula"),
    ("formula in organization", _rows_with_one_bad({"organization": "@SUM(A1)"}),
     [(5, "organization")], "formula"),
    ("one bad row among good ones", _rows_with_one_bad({"phone": "555-0101", "zip": "00000"}),
     [(5, "phone"), (5, "zip")], "not a US phone number"),
    ("short row", to_csv(GOOD) + b"only,three,fields\n", [(5, "")], "has 3 fields"),
    ("duplicate id", to_csv([*GOOD, GOOD[0]]), [(5, "id")], "duplicate id"),
]


@pytest.mark.parametrize(("name", "data", "where", "words"), BAD_UPLOADS,
                         ids=[case[0] for case in BAD_UPLOADS])
def test_a_bad_file_is_reported_by_line_and_column_and_nothing_is_written(
    client, admin, db_session, name, data, where, words
):
    response = send(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This file cannot be applied" in page
    assert words in page
    table = page[page.index('id="upload-errors"'):]
    reported = re.findall(r'<tr><td class="numeric">(\d+)</td><td>([^<]*)</td>', table)
    assert [(int(line), "" if column == "(whole row)" else column)
            for line, column in reported] == where
    assert "Apply these changes" not in page
    assert count(db_session, Listing) == 0
    assert count(db_session, AuditEntry) == 0
    assert count(db_session, PendingUpload) == 0  # a bad file is not kept


def test_no_file_chosen(client, admin):
    response = client.post("/admin/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_an_oversized_file_is_refused(client, admin, db_session, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    response = send(client, to_csv([listing_row(f"n{n}") for n in range(20)]))
    assert response.status_code in (400, 413)
    assert count(db_session, PendingUpload) == 0


def test_ten_thousand_rows_preview_and_apply(client, admin, db_session):
    rows = [listing_row(f"bulk-{n:05d}", name=f"Bulk Listing {n}") for n in range(10_000)]
    response = send(client, to_csv(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<span class="count">10000</span> add' in page
    assert f"first {uploads.PREVIEW_ROWS} of 10000" in page
    assert count(db_session, Listing) == 0
    action, fields = confirm_form(page)
    assert client.post(action, data=fields).status_code == 302
    assert count(db_session, Listing) == 10_000
    assert count(db_session, AuditEntry) == 10_000


def test_ten_thousand_rows_with_one_bad_row_write_nothing(client, admin, db_session):
    rows = [listing_row(f"bulk-{n:05d}") for n in range(10_000)]
    rows[7_000]["hours"] = "whenever"
    response = send(client, to_csv(rows))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<tr><td class="numeric">7002</td><td>hours</td>' in page
    assert count(db_session, Listing) == 0


def test_confirm_refuses_when_the_listings_changed_since_the_preview(client, admin,
                                                                    db_session):
    page = send(client, to_csv(GOOD)).get_data(as_text=True)
    action, fields = confirm_form(page)
    store(db_session, [listing_row("good-1", name="Someone Else Added This")])
    response = client.post(action, data=fields)
    assert response.status_code == 409
    assert "changed since this preview" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Listing, "good-1").name == "Someone Else Added This"
    assert count(db_session, Listing) == 1
    # The new preview can be confirmed.
    new_action, new_fields = confirm_form(response.get_data(as_text=True))
    assert client.post(new_action, data=new_fields).status_code == 302
    assert count(db_session, Listing) == 3


def test_confirm_is_all_or_nothing(client, admin, db_session, monkeypatch):
    page = send(client, to_csv(GOOD)).get_data(as_text=True)
    action, fields = confirm_form(page)
    real_apply = uploads.apply_import

    def apply_then_fail(session, plan, **kwargs):
        real_apply(session, plan, **kwargs)  # every listing written in the transaction...
        raise RuntimeError("disk full")  # ...then something breaks before the commit

    monkeypatch.setattr(uploads, "apply_import", apply_then_fail)
    with pytest.raises(RuntimeError):
        client.post(action, data=fields)
    assert count(db_session, Listing) == 0
    assert count(db_session, AuditEntry) == 0
    assert count(db_session, PendingUpload) == 1


def test_an_upload_belongs_to_the_admin_who_sent_it(app, client, admin, db_session):
    page = send(client, to_csv(GOOD)).get_data(as_text=True)
    action, fields = confirm_form(page)
    other = app.test_client()
    accounts.create_user(db_session, "other-admin@example.org", "another long pass", "admin")
    db_session.commit()
    other.post("/login", data={"email": "other-admin@example.org",
                               "password": "another long pass"})
    assert other.post(action, data=fields).status_code == 404
    assert other.post(action.replace("/confirm", "/cancel")).status_code == 404
    assert count(db_session, Listing) == 0


def test_an_expired_upload_cannot_be_confirmed(client, admin, db_session):
    page = send(client, to_csv(GOOD)).get_data(as_text=True)
    action, fields = confirm_form(page)
    pending = db_session.scalars(select(PendingUpload)).one()
    pending.expires_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    assert client.post(action, data=fields).status_code == 404
    assert count(db_session, Listing) == 0


def test_cancel_discards_the_upload(client, admin, db_session):
    page = send(client, to_csv(GOOD)).get_data(as_text=True)
    action, fields = confirm_form(page)
    assert client.post(action.replace("/confirm", "/cancel")).status_code == 302
    assert count(db_session, PendingUpload) == 0
    assert client.post(action, data=fields).status_code == 404
    assert count(db_session, Listing) == 0
