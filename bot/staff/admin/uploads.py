"""Uploads in the admin UI (a listings CSV, or an HSDS 3.0/3.1 tabular package as a
zip): a dry-run preview first, then all or nothing on confirm.

1. POST /admin/upload reads the whole file with the importer's own checks
   (`read_listings_csv`, or `read_hsds` on the unpacked zip, as `harbor resources
   import-hsds` does) and plans it (`plan_import`, `plan_hsds_import`) without writing a
   listing. A file with any error gets the full report (every error by line and column,
   every unusable HSDS record with its reasons) and, unless "import the valid rows
   only" was chosen, no way to apply it; with it, the report stays and the valid rows
   are planned. A plan is kept server-side as a `PendingUpload` (never in the cookie),
   under an unguessable token, for PENDING_MINUTES, for the admin who sent it only.
2. POST /admin/upload/<token>/confirm reads and plans the kept file again; if the plan
   is no longer the one previewed (someone changed listings meanwhile) it shows the new
   preview instead of writing. Otherwise `apply_import` writes every change and its
   AuditEntry in one transaction: all or nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import delete
from sqlalchemy.orm import Session
from wtforms import BooleanField, HiddenField

from bot.database import get_session
from bot.staff.admin import blueprint
from bot.staff.admin.listings import today_utc
from bot.staff.auth import admin_required
from resources_db.hsds_archive import is_zip, unpack_hsds_zip
from resources_db.hsds_import import HsdsImportError, HsdsReadResult, plan_hsds_import, read_hsds
from resources_db.listing_rules import COLUMNS
from resources_db.listings_csv import (
    ImportPlan,
    ParsedFile,
    apply_import,
    plan_import,
    read_listings_csv,
)
from resources_db.models import PendingUpload, utcnow

PENDING_MINUTES = 30
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The preview lists this many rows per kind; the counts are always complete, and so is
# the error report.
PREVIEW_ROWS = 500


class UploadForm(FlaskForm):
    """The file, whether listings missing from it should be deactivated, and whether the
    valid rows may go in when others have problems."""

    file = FileField("Listings CSV, or an HSDS package (.zip)")
    valid_only = BooleanField(
        "Import the valid rows only: rows with problems are listed and left out")
    deactivate_missing = BooleanField(
        "This CSV is the whole directory: deactivate active listings that are not in it")


class ConfirmForm(FlaskForm):
    """Confirm the previewed plan (its digest and options ride along, checked again)."""

    plan_digest = HiddenField()
    deactivate_missing = HiddenField()
    valid_only = HiddenField()


class CancelForm(FlaskForm):
    """Discard the kept upload (CSRF token only)."""


@dataclass(frozen=True)
class Preview:
    """What the preview page shows: the checked file, its plan and the plan's digest.

    `kind` is "csv" (then `parsed` is set) or "hsds" (then `hsds`, or `problem` when the
    package itself could not be read). `plan` is None when nothing may be applied.
    """

    filename: str
    parsed: ParsedFile | None
    plan: ImportPlan | None
    digest: str
    kind: str = "csv"
    hsds: HsdsReadResult | None = None
    problem: str = ""
    notes: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    valid_only: bool = False

    @property
    def has_problems(self) -> bool:
        """Return True when the file had errors or unusable records (shown in full)."""
        if self.kind == "hsds":
            return bool(self.problem or (self.hsds and self.hsds.rejected))
        return bool(self.parsed and self.parsed.errors)


def plan_digest(plan: ImportPlan) -> str:
    """Return a fingerprint of what a plan would write (ids, actions, new values)."""
    digest = hashlib.sha256()
    for change in plan.changes:
        fields = change.record.to_fields()
        digest.update(change.action.encode())
        digest.update("\x1f".join(fields[column] for column in COLUMNS).encode())
        digest.update("\x1e".join(f"{c}={change.old_fields.get(c, '')}" for c in COLUMNS)
                      .encode() if change.old_fields else b"new")
    return digest.hexdigest()


def _preview(session: Session, filename: str, data: bytes, deactivate_missing: bool,
             valid_only: bool = False) -> Preview:
    if is_zip(data):
        return _preview_hsds(session, filename, data, valid_only)
    parsed = read_listings_csv(data, today=today_utc())
    usable = parsed.ok or (valid_only and parsed.records)
    if not usable:
        return Preview(filename, parsed, None, "", valid_only=valid_only)
    # Rows left out for their problems must not count as "missing from the directory".
    plan = plan_import(session, parsed.records,
                       deactivate_missing=deactivate_missing and parsed.ok)
    return Preview(filename, parsed, plan, plan_digest(plan), valid_only=valid_only)


def _preview_hsds(session: Session, filename: str, data: bytes, valid_only: bool) -> Preview:
    """Check an HSDS package as `harbor resources import-hsds --dry-run` does."""
    with tempfile.TemporaryDirectory(prefix="harbor-hsds-") as folder:
        try:
            result = read_hsds(unpack_hsds_zip(data, Path(folder)), today=today_utc())
        except HsdsImportError as error:
            return Preview(filename, None, None, "", kind="hsds", problem=str(error))
    refused = (result.rejected and not valid_only) or not result.records
    if refused:
        return Preview(filename, None, None, "", kind="hsds", hsds=result,
                       notes=result.notes, valid_only=valid_only,
                       problem="" if result.records or result.rejected
                       else "the package holds no service")
    hsds_plan = plan_hsds_import(session, result)
    return Preview(filename, None, hsds_plan.plan, plan_digest(hsds_plan.plan), kind="hsds",
                   hsds=result, notes=(*result.notes, *hsds_plan.notes),
                   retired=hsds_plan.retired, valid_only=valid_only)


def _render_preview(preview: Preview, token: str | None, deactivate_missing: bool,
                    status: int = 200):
    confirm = ConfirmForm(formdata=None, plan_digest=preview.digest,
                          deactivate_missing="1" if deactivate_missing else "",
                          valid_only="1" if preview.valid_only else "")
    return render_template(
        "admin/upload_preview.html", preview=preview, token=token, confirm_form=confirm,
        cancel_form=CancelForm(), deactivate_missing=deactivate_missing,
        preview_rows=PREVIEW_ROWS, active_page="listings",
    ), status


def _delete_expired(session: Session) -> None:
    session.execute(delete(PendingUpload).where(PendingUpload.expires_at < utcnow()))


@blueprint.get("/upload")
@admin_required
def upload():
    """Show the upload form."""
    return render_template("admin/upload.html", form=UploadForm(), active_page="listings",
                           columns=COLUMNS, max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024))


@blueprint.post("/upload")
@admin_required
def preview_upload():
    """Check the uploaded file and show what it would change; write no listing."""
    if (request.content_length or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        abort(413)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload_file = form.file.data
    if upload_file is None or not getattr(upload_file, "filename", ""):
        form.file.errors = ["Choose a CSV file or an HSDS package (.zip) to upload."]
        return render_template("admin/upload.html", form=form, active_page="listings",
                               columns=COLUMNS,
                               max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024)), 400
    data = upload_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        form.file.errors = [f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."]
        return render_template("admin/upload.html", form=form, active_page="listings",
                               columns=COLUMNS,
                               max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024)), 400
    filename = (upload_file.filename or "upload.csv")[:255]
    deactivate_missing = bool(form.deactivate_missing.data)
    session = get_session()
    preview = _preview(session, filename, data, deactivate_missing, bool(form.valid_only.data))
    if preview.plan is None:
        # A file with errors is never kept: there is nothing to confirm.
        return _render_preview(preview, None, deactivate_missing, status=422)
    _delete_expired(session)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(PendingUpload(
        token=token, user_id=current_user.id, filename=filename, content=data,
        sha256=hashlib.sha256(data).hexdigest(), created_at=now,
        expires_at=now + timedelta(minutes=PENDING_MINUTES),
    ))
    session.commit()
    return _render_preview(preview, token, deactivate_missing)


def _pending_or_404(session: Session, token: str) -> PendingUpload:
    pending = session.get(PendingUpload, token)
    # Another admin's upload is as invisible as a missing one.
    if pending is None or pending.user_id != current_user.id or pending.expires_at < utcnow():
        abort(404)
    if hashlib.sha256(pending.content).hexdigest() != pending.sha256:
        abort(409)
    return pending


@blueprint.post("/upload/<token>/confirm")
@admin_required
def confirm_upload(token: str):
    """Apply a previewed upload, all or nothing, if its plan is still the one shown."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    pending = _pending_or_404(session, token)
    deactivate_missing = form.deactivate_missing.data == "1"
    preview = _preview(session, pending.filename, pending.content, deactivate_missing,
                       form.valid_only.data == "1")
    if preview.plan is None or not secrets.compare_digest(preview.digest,
                                                          form.plan_digest.data or ""):
        flash("The listings changed since this preview. Here is what the file would do now; "
              "confirm again if it is still right.", "warning")
        return _render_preview(preview, token if preview.plan else None, deactivate_missing,
                               status=409)
    try:
        written = apply_import(session, preview.plan, actor=current_user.email,
                               source="hsds" if preview.kind == "hsds" else "csv",
                               user_id=current_user.id)
        session.delete(pending)
        session.commit()
    except Exception:
        session.rollback()
        current_app.logger.exception("upload %s failed; nothing was written", token[:6])
        raise
    counts = preview.plan.counts()
    flash(f"Upload applied: {counts['add']} added, {counts['update']} updated, "
          f"{counts['deactivate']} deactivated ({written} listings changed).", "success")
    return redirect(url_for("admin.listings"))


@blueprint.post("/upload/<token>/cancel")
@admin_required
def cancel_upload(token: str):
    """Discard a previewed upload without writing anything."""
    if not CancelForm().validate_on_submit():
        abort(400)
    session = get_session()
    session.delete(_pending_or_404(session, token))
    session.commit()
    flash("Upload discarded. Nothing was changed.", "info")
    return redirect(url_for("admin.listings"))
