"""Imports from the web page: an HSDS 3 tabular package as a zip gets the same dry-run
report as `harbor resources import-hsds`, and a CSV or package with problems can have
its valid rows imported on request, with the report of what is left out.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_admin_listings import listing_row, to_csv
from test_admin_upload import count, send
from test_hsds_import import (
    LINE_ID,
    SAMPLE_SERVICE,
    SHELTER_ID,
    add_usable_services,
    copy_sample_csv,
)

from resources_db.models import AuditEntry, Listing, PendingUpload


def zipped(folder: Path, inside: str = "") -> bytes:
    """Return the folder's files as a zip, under `inside/` when given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{inside}/{path.name}" if inside else path.name)
    return buffer.getvalue()


def confirm(client, page: str):
    action = re.search(r'action="(/admin/upload/[^"]+/confirm)"', page).group(1)
    fields = dict(re.findall(r'name="(plan_digest|deactivate_missing|valid_only)" '
                             r'type="hidden" value="([^"]*)"', page))
    return client.post(action, data=fields)


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


@pytest.fixture
def package(tmp_path) -> Path:
    folder = copy_sample_csv(tmp_path)
    add_usable_services(folder)
    return folder


def test_a_package_with_an_unusable_record_is_reported_and_refused_whole(
        client, admin, db_session, package):
    response = send(client, zipped(package), "package.zip")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "3 HSDS service records found: 2 usable, 1 unusable" in page
    assert SAMPLE_SERVICE in page and "services.csv line 2" in page
    assert "This package cannot be applied" in page
    assert "Apply these changes" not in page
    assert count(db_session, Listing) == 0 and count(db_session, PendingUpload) == 0


def test_valid_only_imports_the_usable_records_with_source_hsds(client, admin, db_session,
                                                                package):
    response = send(client, zipped(package, inside="my-package"), "package.zip",
                    valid_only="y")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "These records are left out" in page and SAMPLE_SERVICE in page
    assert '<span class="count">2</span> add' in page
    assert count(db_session, Listing) == 0  # a dry run until confirmed
    assert confirm(client, page).status_code == 302
    assert set(db_session.scalars(select(Listing.id))) == {f"hsds:{SHELTER_ID}",
                                                          f"hsds:{LINE_ID}"}
    sources = set(db_session.scalars(select(AuditEntry.source)))
    assert sources == {"hsds"}
    assert "HSDS import" in client.get("/admin/audit?source=hsds").get_data(as_text=True)


@pytest.mark.parametrize(("members", "message"), [
    ({"../evil.csv": b"x"}, "unsafe path"),
    ({"/abs.csv": b"x"}, "unsafe path"),
    ({"services.csv": b"id,name\n"}, "no datapackage.json"),
])
def test_an_unsafe_or_incomplete_zip_is_refused(client, admin, db_session, members, message):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    response = send(client, buffer.getvalue(), "package.zip")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).lower()
    assert count(db_session, Listing) == 0


def test_a_csv_with_bad_rows_can_import_its_valid_rows_only(client, admin, db_session):
    rows = [listing_row("fine-1"), listing_row("broken", phone="not a phone"),
            listing_row("fine-2")]
    refused = send(client, to_csv(rows))
    assert refused.status_code == 422
    assert "Apply these changes" not in refused.get_data(as_text=True)
    response = send(client, to_csv(rows), valid_only="y", deactivate_missing="y")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "These rows are left out" in page and 'id="upload-errors"' in page
    assert '<span class="count">2</span> add' in page
    assert confirm(client, page).status_code == 302
    assert set(db_session.scalars(select(Listing.id))) == {"fine-1", "fine-2"}
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == 2
