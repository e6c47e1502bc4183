"""Survivors' reports of wrong listings: each organization's queue, and resolving one.

A partner sees the reports on their organization's listings; a network admin sees
all. Resolving a report says what was done; it is recorded on the report (who, when,
what) and in the audit log as a "report resolved" entry of the listing.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from bot.database import get_session
from bot.staff.admin import blueprint
from bot.staff.admin.scope import partner_organization_id, require_listing
from bot.staff.auth import listing_staff_required
from resources_db.listing_reports import REASON_LABELS, reports_query, resolve_report
from resources_db.models import AuditEntry, Listing, ListingReport, utcnow

STATUS_LABELS = {"open": "Open", "resolved": "Resolved"}


class ResolveForm(FlaskForm):
    """What was done about the report (required)."""

    resolution = TextAreaField("What was done", validators=[
        DataRequired(message="Say what was done."), Length(max=500)])


@blueprint.get("/reports")
@listing_staff_required
def reports():
    """Show the open (or resolved) reports the user may see, newest first."""
    status = request.args.get("status", "open")
    status = status if status in STATUS_LABELS else "open"
    session = get_session()
    rows = session.scalars(reports_query(status, partner_organization_id()).limit(500)).all()
    names = dict(session.execute(select(Listing.id, Listing.name).where(
        Listing.id.in_({report.listing_id for report in rows}))).all()) if rows else {}
    open_count = session.scalar(select(func.count()).select_from(
        reports_query("open", partner_organization_id()).order_by(None).subquery())) or 0
    return render_template(
        "admin/reports.html", rows=rows, names=names, status=status,
        statuses=STATUS_LABELS, reasons=REASON_LABELS, open_count=open_count,
        form=ResolveForm(formdata=None), active_page="reports")


@blueprint.post("/reports/<int:report_id>/resolve")
@listing_staff_required
def resolve(report_id: int):
    """Close a report with what was done; the audit log records it."""
    form = ResolveForm()
    session = get_session()
    report = session.get(ListingReport, report_id)
    if report is None:
        abort(404)
    organization = partner_organization_id()
    if organization is not None and report.organization_id != organization:
        abort(404)
    if organization is not None:
        require_listing(session, report.listing_id)
    if not form.validate_on_submit():
        if set(form.errors) == {"resolution"}:
            flash("Say what was done about the report before resolving it.", "error")
            return redirect(url_for("admin.reports"))
        abort(400)
    if report.status != "open":
        flash("That report was already resolved.", "info")
        return redirect(url_for("admin.reports"))
    text = form.resolution.data.strip()
    resolve_report(session, report, actor=current_user.email, resolution=text)
    session.add(AuditEntry(
        created_at=utcnow(), user_id=current_user.id, actor=current_user.email,
        listing_id=report.listing_id, action="report resolved", source="ui",
        old_values={"report": f"{report.id}: {REASON_LABELS[report.reason]}"},
        new_values=None, method="", note=text))
    session.commit()
    flash("Report resolved.", "success")
    return redirect(url_for("admin.reports"))
