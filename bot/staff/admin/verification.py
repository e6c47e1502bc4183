"""The verification queue: listings due for a check (verified 11 or more months ago) and
stale ones (12 or more, or never), per organization, sortable by any column, with bulk
verify (how, and a note) and bulk deactivate (a reason is required).

A partner's queue is their organization's; a network admin sees every organization and
may pick one. Every bulk action writes one AuditEntry per listing through
`apply_changes`, like the single-listing buttons.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from bot.database import get_session
from bot.staff import accounts
from bot.staff.admin import blueprint
from bot.staff.admin.listings import METHOD_CHOICES, today_utc
from bot.staff.admin.scope import partner_organization_id, scoped_listings
from bot.staff.auth import listing_staff_required
from resources_db.listing_rules import due_before, stale_before, validate_listing
from resources_db.listings_store import ListingChange, apply_changes, load_fields
from resources_db.models import VERIFICATION_METHODS, Listing

# Column key -> (heading, the SQL it sorts by).
SORT_COLUMNS = {
    "name": ("Name", func.lower(Listing.name)),
    "organization": ("Organization", func.lower(Listing.organization)),
    "place": ("Place", func.lower(Listing.city)),
    "phone": ("Phone", Listing.phone),
    "verified": ("Last verified", Listing.verified_at),
    "status": ("Status", Listing.verified_at),
}


class BulkForm(FlaskForm):
    """The action on the ticked listings: verify (how, a note) or deactivate (a reason)."""

    action = SelectField("Action", choices=[SelectChoice("verify", "Mark verified today"),
                                            SelectChoice("deactivate", "Deactivate")])
    method = SelectField("How they were checked", choices=METHOD_CHOICES)
    note = StringField("Note (for a verification)", validators=[Length(max=500)])
    reason = TextAreaField("Reason (required to deactivate)", validators=[Length(max=500)])


def queue_status(verified_at: date | None, today: date) -> str:
    """Return "stale" (never, or 12 months or more ago), "due" (11 months) or "current"."""
    if verified_at is None or verified_at < stale_before(today):
        return "stale"
    if verified_at < due_before(today):
        return "due"
    return "current"


def _queue(session: Session, today: date, organization: str, sort: str, descending: bool):
    query = scoped_listings(select(Listing).where(
        Listing.active.is_(True),
        or_(Listing.verified_at.is_(None), Listing.verified_at < due_before(today)),
    ))
    if organization and partner_organization_id() is None:
        query = query.where(Listing.organization_id == organization)
    key = SORT_COLUMNS.get(sort, SORT_COLUMNS["verified"])[1]
    # Never verified sorts as the oldest.
    nulls = key.is_(None) if sort in ("verified", "status") else None
    order = [key.desc() if descending else key.asc()]
    if nulls is not None:
        order.insert(0, nulls.desc() if not descending else nulls.asc())
    return session.scalars(query.order_by(*order, Listing.id)).all()


@blueprint.get("/verification")
@listing_staff_required
def verification():
    """Show the listings due or stale for verification, with the bulk actions."""
    session = get_session()
    today = today_utc()
    sort = request.args.get("sort", "verified")
    sort = sort if sort in SORT_COLUMNS else "verified"
    descending = request.args.get("dir") == "desc"
    organization = request.args.get("organization", "")
    rows = _queue(session, today, organization, sort, descending)
    organizations = (accounts.member_organizations(session)
                     if partner_organization_id() is None else [])
    return render_template(
        "admin/verification.html", rows=rows, today=today, status_of=queue_status,
        sort=sort, descending=descending, columns=SORT_COLUMNS, organization=organization,
        organizations=organizations, form=BulkForm(formdata=None),
        active_page="verification")


@blueprint.post("/verification")
@listing_staff_required
def bulk_action():
    """Verify or deactivate every ticked listing the user may change, in one transaction."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    ids = request.form.getlist("listing")[:1000]
    back = url_for("admin.verification", **{
        key: value for key, value in request.args.items()
        if key in ("sort", "dir", "organization")})
    if not ids:
        flash("Tick the listings to act on first.", "error")
        return redirect(back)
    session = get_session()
    # Ids the user may not see are dropped as if they did not exist.
    allowed = set(session.scalars(scoped_listings(select(Listing.id).where(Listing.id.in_(ids)))))
    if len(allowed) != len(set(ids)):
        abort(404)
    today = today_utc()
    if form.action.data == "verify":
        if form.method.data not in VERIFICATION_METHODS:
            abort(400)
        changes, audit = {"verified_at": today.isoformat()}, {
            "action": "verify", "method": form.method.data,
            "note": (form.note.data or "").strip()}
        done = "marked verified today"
    else:
        reason = (form.reason.data or "").strip()
        if not reason:
            flash("Say why these listings are deactivated: the reason goes in the audit log.",
                  "error")
            return redirect(back)
        changes, audit, done = {"active": "false"}, {"note": reason}, "deactivated"
    stored = load_fields(session, sorted(allowed))
    planned, broken = [], []
    for old in stored.values():
        validation = validate_listing({**old, **changes}, 0, today=today)
        if validation.ok:
            planned.append(ListingChange(validation.record, old))
        else:
            broken.append(old["name"])
    written = apply_changes(session, planned, actor=current_user.email, source="ui",
                            user_id=current_user.id, **audit)
    session.commit()
    flash(f"{written} {'listing' if written == 1 else 'listings'} {done}.", "success")
    if broken:
        flash("Not changed, because they break a listing rule (fix them in the form): "
              + ", ".join(broken), "error")
    return redirect(back)
